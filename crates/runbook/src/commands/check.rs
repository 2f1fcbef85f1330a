use crate::cli::{CheckArgs, CheckFormat, ColorChoice};
use crate::{exit, files, style};
use anyhow::Result;
use runbook_core::{Compiled, EdgeKind, Risk, Severity, StepKind};
use std::io::Write;

#[derive(Default, Clone, Copy)]
struct Counts {
    files: usize,
    problems: usize,
    steps: usize,
    sql: usize,
    http: usize,
    shell: usize,
    manual: usize,
    decision: usize,
    read: usize,
    write: usize,
    destructive: usize,
    params: usize,
    branches: usize,
    errors: usize,
    warnings: usize,
}

impl Counts {
    fn of(c: &Compiled) -> Counts {
        let g = &c.graph;
        let kind = |k: StepKind| g.steps.iter().filter(|s| s.kind == k).count();
        let risk = |r: Risk| g.steps.iter().filter(|s| s.risk == r).count();
        Counts {
            files: 1,
            problems: g.entry_points.len(),
            steps: g.steps.len(),
            sql: kind(StepKind::Sql),
            http: kind(StepKind::Http),
            shell: kind(StepKind::Shell),
            manual: kind(StepKind::Manual),
            decision: kind(StepKind::Decision),
            read: risk(Risk::Read),
            write: risk(Risk::Write),
            destructive: risk(Risk::Destructive),
            params: g.parameters.len(),
            branches: g.edges.iter().filter(|e| e.kind == EdgeKind::Branch).count(),
            errors: c.diagnostics.iter().filter(|d| d.severity == Severity::Error).count(),
            warnings: c.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count(),
        }
    }

    fn add(&mut self, o: Counts) {
        self.files += o.files;
        self.problems += o.problems;
        self.steps += o.steps;
        self.sql += o.sql;
        self.http += o.http;
        self.shell += o.shell;
        self.manual += o.manual;
        self.decision += o.decision;
        self.read += o.read;
        self.write += o.write;
        self.destructive += o.destructive;
        self.params += o.params;
        self.branches += o.branches;
        self.errors += o.errors;
        self.warnings += o.warnings;
    }

    fn row(&self, name: &str) -> String {
        format!(
            "{:<52} {:>4} {:>5} {:>4} {:>4} {:>5} {:>6} {:>4} {:>5} {:>5} {:>5} {:>6} {:>5} {:>4} {:>4}",
            name,
            self.problems,
            self.steps,
            self.sql,
            self.http,
            self.shell,
            self.manual,
            self.decision,
            self.read,
            self.write,
            self.destructive,
            self.params,
            self.branches,
            self.errors,
            self.warnings
        )
    }
}

/// What one file contributes to the output, prepared off the main thread.
struct FileReport {
    name: String,
    counts: Counts,
    output: Output,
}

enum Output {
    Json(serde_json::Value),
    Row(String),
    Diagnostics(Vec<String>),
}

const HEADER: &str =
    "file                                                 prob steps  sql http shell manual  dec  read write destr params branch  err warn";

pub fn run(args: &CheckArgs, color: ColorChoice) -> Result<u8> {
    let paths = files::collect(&args.paths)?;
    let color = style::stderr_color(color);
    let mut total = Counts::default();
    // Both streams buffered: a folder of 1,000 runbooks prints thousands of lines, and a write
    // per line was a system call per line. Rows go to stdout, diagnostics to stderr; neither
    // mode writes to both until the end.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    if args.summary && args.format == CheckFormat::Human {
        writeln!(out, "{HEADER}")?;
    }
    let mut json_files = Vec::new();
    let mut without_steps: Vec<String> = Vec::new();
    // Each file is compiled and its output prepared on a worker; output is written in the
    // order of the files.
    let report = |path: &std::path::PathBuf| -> Result<FileReport> {
        let compiled = files::compile(path)?;
        let counts = Counts::of(&compiled);
        let output = match (args.format, args.summary) {
            (CheckFormat::Json, _) => {
                let diags: Vec<serde_json::Value> = compiled
                    .diagnostics
                    .iter()
                    .map(|d| {
                        let at = compiled.source.line_col(d.span.start);
                        serde_json::json!({"severity": d.severity, "code": d.code, "message": d.message, "line": at.line, "col": at.col, "hint": d.hint})
                    })
                    .collect();
                Output::Json(serde_json::json!({"file": compiled.source.name, "diagnostics": diags}))
            }
            (CheckFormat::Human, true) => {
                let name = compiled.source.name.clone();
                let name = if name.chars().count() > 52 {
                    format!("…{}", name.chars().rev().take(51).collect::<Vec<_>>().into_iter().rev().collect::<String>())
                } else {
                    name
                };
                Output::Row(counts.row(&name))
            }
            (CheckFormat::Human, false) => {
                Output::Diagnostics(compiled.diagnostics.iter().map(|d| d.render(&compiled.source, color)).collect())
            }
        };
        Ok(FileReport { name: compiled.source.name, counts, output })
    };
    files::in_parallel_in_order(&paths, report, |file| {
        if file.counts.steps == 0 {
            without_steps.push(file.name);
        }
        total.add(file.counts);
        match file.output {
            Output::Json(v) => json_files.push(v),
            Output::Row(row) => writeln!(out, "{row}")?,
            Output::Diagnostics(rendered) => {
                for d in rendered {
                    writeln!(err, "{d}")?;
                }
            }
        }
        Ok(())
    })?;
    match args.format {
        CheckFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"files": json_files, "errors": total.errors, "warnings": total.warnings}),
            )?;
            writeln!(out)?;
        }
        CheckFormat::Human if args.summary => {
            writeln!(out, "{}", total.row(&format!("total ({} files)", total.files)))?;
            // Nothing lost silently: a runbook `run` has nothing to offer from is named.
            if !without_steps.is_empty() {
                writeln!(out, "\nfiles with no step ({}):", without_steps.len())?;
                for name in &without_steps {
                    writeln!(out, "  {name}")?;
                }
            }
        }
        CheckFormat::Human => {
            let s = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
            writeln!(
                err,
                "checked {}: {}, {}, {} ({}), {}",
                s(total.files, "file"),
                s(total.errors, "error"),
                s(total.warnings, "warning"),
                s(total.steps, "step"),
                s(total.problems, "problem"),
                s(total.branches, "branch").replace("branchs", "branches")
            )?;
        }
    }
    out.flush()?;
    err.flush()?;
    let failed = total.errors > 0 || (args.deny_warnings && total.warnings > 0);
    Ok(if failed { exit::ERRORS } else { exit::OK })
}
