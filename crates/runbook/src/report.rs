//! Reporters: the terminal (tables, colours, a spinner for slow steps) and JSON lines. Both
//! read the engine's events; neither decides anything.

use comfy_table::{ContentArrangement, Table, presets};
use console::style;
use indicatif::{ProgressBar, ProgressStyle};
use runbook_core::annotation::Level;
use runbook_engine::events::{Event, EventSink};
use runbook_engine::operator::InFlight;
use runbook_engine::result::{CheckResult, Outcome, StepError};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub struct TerminalReporter {
    out: std::io::Stdout,
    spinner: Option<Spinner>,
    spin: bool,
    width: usize,
    rehearsal: bool,
}

/// A spinner that appears only when a step runs longer than 200 ms.
struct Spinner {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    fn start(message: String) -> Spinner {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            if flag.load(Ordering::SeqCst) {
                return;
            }
            let pb = ProgressBar::new_spinner();
            pb.set_style(ProgressStyle::with_template("  {spinner} {msg} {elapsed}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
            pb.set_message(message);
            pb.enable_steady_tick(Duration::from_millis(100));
            while !flag.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(30));
            }
            pb.finish_and_clear();
        });
        Spinner { done, thread: Some(thread) }
    }

    fn stop(mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl TerminalReporter {
    pub fn new(color: bool, spin: bool, rehearsal: bool) -> Self {
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color);
        let width = console::Term::stdout().size_checked().map_or(100, |(_, w)| w as usize).clamp(40, 200);
        TerminalReporter { out: std::io::stdout(), spinner: None, spin, width, rehearsal }
    }

    fn line(&mut self, s: impl AsRef<str>) {
        let _ = writeln!(self.out, "{}", s.as_ref());
    }

    fn outcome(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Sql(r) => {
                if r.columns.is_empty() {
                    self.line(format!("  {} {} row(s) affected", style("✓").green(), r.row_count));
                    return;
                }
                let mut table = Table::new();
                table
                    .load_style(presets::UTF8_FULL_CONDENSED)
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_width(self.width.saturating_sub(2) as u16);
                table.set_header(r.columns.clone());
                for row in &r.rows {
                    table.add_row(r.columns.iter().map(|c| cell(row.get(c).unwrap_or(&Value::Null))).collect::<Vec<_>>());
                }
                for l in table.to_string().lines() {
                    self.line(format!("  {l}"));
                }
                let shown = r.rows.len() as u64;
                let more = if r.truncated { format!(" (first {shown} shown)") } else { String::new() };
                self.line(format!("  {} {} row(s){more}", style("✓").green(), r.row_count));
            }
            Outcome::Http(h) => {
                let status = if h.status < 400 { style(h.status.to_string()).green() } else { style(h.status.to_string()).red() };
                self.line(format!("  {} {} {} → {status} in {} ms", style("✓").green(), h.method, h.url, h.elapsed_ms));
                let body = match (&h.filtered, &h.json) {
                    (Some(v), _) | (None, Some(v)) => serde_json::to_string_pretty(v).unwrap_or_default(),
                    _ => h.body.clone(),
                };
                for l in body.lines().take(40) {
                    self.line(format!("  {l}"));
                }
                if body.lines().count() > 40 {
                    self.line(format!("  {}", style(format!("… {} more lines", body.lines().count() - 40)).dim()));
                }
                for n in &h.notes {
                    self.line(format!("  {}", style(format!("note: {n}")).dim()));
                }
            }
            Outcome::Shell(s) => {
                let mark = if s.exit_code == 0 { style("✓").green() } else { style("✗").red() };
                for l in s.stdout.lines().take(60) {
                    self.line(format!("  {l}"));
                }
                for l in s.stderr.lines().take(20) {
                    self.line(format!("  {}", style(l).yellow()));
                }
                self.line(format!("  {mark} exit code {}", s.exit_code));
            }
            Outcome::Manual(m) => {
                let what = if m.done { "done" } else { "skipped" };
                let note = m.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
                self.line(format!("  {} {what}{note}", style("✓").green()));
            }
            Outcome::Decision => {}
        }
    }

    fn error(&mut self, e: &StepError) {
        self.line(format!("  {} {}", style("✗ error:").red().bold(), e.message));
        if let (Some(stmt), Some(pos)) = (&e.statement, e.position) {
            // The statement line holding the position, with a caret under it.
            let line_start = stmt[..pos.min(stmt.len())].rfind('\n').map_or(0, |i| i + 1);
            let line_end = stmt[line_start..].find('\n').map_or(stmt.len(), |i| line_start + i);
            let col = stmt[line_start..pos.min(stmt.len())].chars().count();
            self.line(format!("    {}", &stmt[line_start..line_end]));
            self.line(format!("    {}{}", " ".repeat(col), style("^").red()));
        }
    }

    fn checks(&mut self, checks: &[CheckResult]) {
        for c in checks {
            let (mark, level) = match c.level {
                Level::Pass => (style("✓").green(), "pass"),
                Level::Warning => (style("!").yellow(), "warning"),
                Level::Critical => (style("✗").red(), "critical"),
            };
            let actual = match &c.actual {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            self.line(format!("  {mark} {level}: {} = {actual} ({})", c.name, c.expected));
        }
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl EventSink for TerminalReporter {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::SessionStarted { runbook, entry_title, .. } => {
                self.line(format!("{} {} — {}", style("━━").cyan(), style(entry_title).bold(), runbook));
                if self.rehearsal {
                    self.line(format!(
                        "{}",
                        style("   REHEARSAL: nothing runs and nothing is contacted; results come from the scenario or from you").yellow()
                    ));
                }
            }
            Event::StepStarted { step, index, rendered } => {
                let risk = match step.risk {
                    runbook_core::Risk::Read => style(step.risk.as_str()).green(),
                    runbook_core::Risk::Write => style(step.risk.as_str()).yellow(),
                    runbook_core::Risk::Destructive => style(step.risk.as_str()).red().bold(),
                };
                self.line("");
                self.line(format!(
                    "{} {index}. {} · {} · {risk} — {}",
                    style("▶").cyan(),
                    style(&step.id).bold(),
                    step.kind.as_str(),
                    step.title
                ));
                if !rendered.command.is_empty() {
                    for l in rendered.command.lines() {
                        self.line(format!("  {}", style(l).dim()));
                    }
                }
                if let Some(t) = &rendered.target {
                    self.line(format!("  {}", style(format!("on {t}")).dim()));
                }
                if self.rehearsal && step.is_mutating() {
                    self.line(format!("  {}", style(format!("would {} — not run in a rehearsal", step.risk.as_str())).yellow()));
                }
                for (k, v) in &rendered.params {
                    self.line(format!("  {}", style(format!("{k} = {v}")).dim()));
                }
                let _ = self.out.flush();
            }
            Event::Executing { step } => {
                if self.spin {
                    self.spinner = Some(Spinner::start(format!("running {}", step.id)));
                }
            }
            Event::StepFinished { record, .. } => {
                if let Some(s) = self.spinner.take() {
                    s.stop();
                }
                match &record.outcome {
                    Ok(o) => self.outcome(o),
                    Err(e) => self.error(e),
                }
                self.checks(&record.checks);
                for (k, v) in &record.captures {
                    self.line(format!("  {}", style(format!("captured {k} = {}", cell(v))).dim()));
                }
            }
            Event::StepSkipped { step, reason, .. } => self.line(format!("  {} {} not run: {reason}", style("–").yellow(), step.id)),
            Event::ParamValue { name, source, .. } if source.contains(" row ") => {
                self.line(format!("  {}", style(format!("{name} picked from {source}")).dim()))
            }
            Event::ParamValue { .. } => {}
            Event::BlastRadius { impact, .. } => self.line(format!("  {} {impact}", style("⚠").yellow().bold())),
            Event::InFlight { step, choice } => {
                let what = match choice {
                    InFlight::Rerun => "running it again",
                    InFlight::Done => "marked done",
                    InFlight::Skip => "skipped",
                };
                self.line(format!("  {} {} was running when the session died: {what}", style("↳").cyan(), step.id));
            }
            Event::Decision { chosen, suggested, target, .. } => {
                let s = if suggested.is_some_and(|s| s == *chosen) { " (suggested)" } else { "" };
                let to = target.map(|t| format!(" → {t}")).unwrap_or_default();
                self.line(format!("  {} {chosen}{s}{to}", style("↳").cyan()));
            }
            Event::SessionFinished { status, message } => {
                self.line("");
                let msg = if message.is_empty() { String::new() } else { format!(": {message}") };
                self.line(format!("{} {status}{msg}", style("━━").cyan()));
            }
        }
        let _ = self.out.flush();
    }
}

/// One JSON object per line on stdout.
pub struct JsonReporter {
    out: std::io::Stdout,
}

impl JsonReporter {
    pub fn new() -> Self {
        JsonReporter { out: std::io::stdout() }
    }

    fn emit(&mut self, v: Value) {
        let mut lock = self.out.lock();
        let _ = writeln!(lock, "{v}");
        let _ = lock.flush();
    }
}

impl EventSink for JsonReporter {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::SessionStarted { runbook, entry, entry_title } => self.emit(json!({"event": "session_started", "runbook": runbook, "entry": entry, "title": entry_title})),
            Event::StepStarted { step, index, rendered } => self.emit(json!({
                "event": "step_started", "step": step.id, "index": index, "kind": step.kind, "risk": step.risk, "title": step.title,
                "command": rendered.command, "params": rendered.params.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
                "target": rendered.target,
            })),
            Event::Executing { .. } => {}
            Event::StepFinished { step, record } => {
                let (ok, result, error) = match &record.outcome {
                    Ok(o) => (true, serde_json::to_value(o).unwrap_or(Value::Null), Value::Null),
                    Err(e) => (false, Value::Null, serde_json::to_value(e).unwrap_or(Value::Null)),
                };
                self.emit(json!({"event": "step_result", "step": step.id, "ok": ok, "result": result, "error": error, "elapsed_ms": record.elapsed_ms, "captures": record.captures.iter().cloned().collect::<serde_json::Map<_, _>>()}));
                for c in &record.checks {
                    self.emit(json!({"event": "check", "step": step.id, "name": c.name, "level": c.level, "actual": c.actual, "expected": c.expected}));
                }
            }
            Event::StepSkipped { step, reason, by_operator } => {
                let by = if *by_operator { Some("operator") } else { None };
                self.emit(json!({"event": "step_skipped", "step": step.id, "reason": reason, "by": by}))
            }
            Event::ParamValue { step, name, value, source } => {
                self.emit(json!({"event": "param_value", "step": step.id, "name": name, "value": value, "source": source}))
            }
            Event::BlastRadius { step, impact } => self.emit(json!({"event": "blast_radius", "step": step.id, "impact": impact})),
            Event::InFlight { step, choice } => self.emit(json!({"event": "in_flight", "step": step.id, "choice": choice})),
            Event::Decision { step, chosen, suggested, reason, evidence, target } => self.emit(json!({"event": "decision", "step": step.id, "chosen": chosen, "suggested": suggested, "reason": reason, "evidence": evidence, "to": target})),
            Event::SessionFinished { status, message } => self.emit(json!({"event": "finished", "status": status, "message": message})),
        }
    }
}
