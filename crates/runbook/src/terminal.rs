//! The interactive operator: dialoguer prompts on the terminal (stderr), so stdout keeps only
//! results.

use console::Term;
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, Password, Select};
use runbook_core::model::{Graph, Step};
use runbook_engine::operator::{Answer, Gate, Menu, Operator, ParamRequest, Stop};
use runbook_engine::params::Pattern;
use runbook_engine::result::ManualResult;

pub struct TerminalOperator {
    term: Term,
    theme: ColorfulTheme,
}

impl TerminalOperator {
    pub fn new() -> Self {
        TerminalOperator { term: Term::stderr(), theme: ColorfulTheme::default() }
    }
}

/// A prompt that failed (Ctrl-C, closed terminal) ends the run as an abort.
fn io<T>(r: dialoguer::Result<T>) -> Answer<T> {
    r.map_err(|_| Stop::Abort)
}

impl Operator for TerminalOperator {
    fn choose_entry(&mut self, graph: &Graph) -> Answer<usize> {
        let items: Vec<String> = graph
            .entry_points
            .iter()
            .map(|e| match &e.severity {
                Some(s) => format!("[{}] {}", s.to_ascii_uppercase(), e.title),
                None => e.title.clone(),
            })
            .collect();
        io(Select::with_theme(&self.theme)
            .with_prompt("Which problem are you working on?")
            .items(&items)
            .default(0)
            .interact_on(&self.term))
    }

    fn param(&mut self, request: &ParamRequest<'_>) -> Answer<String> {
        let p = request.param;
        // With values to pick from, `pick_value` has shown the problem already.
        if let Some(problem) = request.problem.as_ref().filter(|_| request.choices.is_empty() || p.secret) {
            let _ = self.term.write_line(&format!("  {problem}"));
        }
        let prompt = p.prompt.clone().unwrap_or_else(|| format!("Value for {}", p.name));
        if p.secret {
            return io(Password::with_theme(&self.theme).with_prompt(prompt).allow_empty_password(false).interact_on(&self.term));
        }
        let pattern = p.pattern.as_deref().and_then(|pat| Pattern::new(pat).ok());
        let mut input = Input::<String>::with_theme(&self.theme).with_prompt(prompt);
        if let Some(d) = &request.default {
            input = input.default(d.clone());
        }
        if let Some(re) = pattern {
            let pat = p.pattern.clone().unwrap_or_default();
            input = input.validate_with(move |v: &String| if re.is_match(v) { Ok(()) } else { Err(format!("must match {pat}")) });
        }
        io(input.interact_text_on(&self.term))
    }

    fn pick_value(&mut self, request: &ParamRequest<'_>) -> Answer<Option<usize>> {
        if request.choices.is_empty() {
            return Ok(None);
        }
        if let Some(problem) = &request.problem {
            let _ = self.term.write_line(&format!("  {problem}"));
        }
        let p = request.param;
        let prompt = p.prompt.clone().unwrap_or_else(|| format!("Value for {}", p.name));
        let mut items: Vec<String> = request
            .choices
            .iter()
            .map(|c| {
                if c.context.is_empty() {
                    format!("{}  ({})", c.value, c.source)
                } else {
                    format!("{}  ({}; {})", c.value, c.context, c.source)
                }
            })
            .collect();
        items.push("type another…".into());
        let picked = io(Select::with_theme(&self.theme)
            .with_prompt(format!("{prompt}: found in earlier results"))
            .items(&items)
            .default(0)
            .interact_on(&self.term))?;
        Ok((picked < request.choices.len()).then_some(picked))
    }

    fn confirm(&mut self, step: &Step, gate: &Gate, impact: Option<&str>) -> Answer<bool> {
        let impact = impact.map(|i| format!(" It {i}.")).unwrap_or_default();
        match gate {
            Gate::YesNo => io(Confirm::with_theme(&self.theme)
                .with_prompt(format!("Run {} step `{}`?{impact}", step.risk.as_str(), step.id))
                .default(false)
                .interact_on(&self.term)),
            Gate::Word(word) => {
                let typed: String = io(Input::<String>::with_theme(&self.theme)
                    .with_prompt(format!("`{}` is {}.{impact} Type {word} to run it (anything else skips)", step.id, step.risk.as_str()))
                    .allow_empty(true)
                    .interact_text_on(&self.term))?;
                Ok(typed.trim() == word)
            }
        }
    }

    fn decide(&mut self, _step: &Step, menu: &Menu) -> Answer<usize> {
        let items: Vec<String> = menu
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let mark = match (&menu.reason, menu.suggested == Some(i)) {
                    (Some(why), true) => format!("  (suggested: {why})"),
                    (None, true) => "  (suggested)".to_owned(),
                    _ => String::new(),
                };
                match &item.detail {
                    Some(d) => format!("{}{mark}  — {d}", item.label),
                    None => format!("{}{mark}", item.label),
                }
            })
            .collect();
        io(Select::with_theme(&self.theme)
            .with_prompt(menu.prompt.clone())
            .items(&items)
            .default(menu.suggested.unwrap_or(0))
            .interact_on(&self.term))
    }

    fn rehearsal_outcome(&mut self, step: &Step) -> Answer<Result<runbook_engine::result::Outcome, runbook_engine::result::StepError>> {
        use runbook_engine::result::{ErrorKind, Outcome, ShellResult, StepError};
        let choice = io(Select::with_theme(&self.theme)
            .with_prompt(format!("{}: no fixture says what happened. What did?", step.id))
            .items(["It worked (no output)", "It worked, and printed…", "It failed…"])
            .default(0)
            .interact_on(&self.term))?;
        let text = if choice == 0 {
            String::new()
        } else {
            io(Input::<String>::with_theme(&self.theme).with_prompt("Result").allow_empty(true).interact_text_on(&self.term))?
        };
        Ok(match choice {
            2 => Err(StepError::new(ErrorKind::Shell, if text.is_empty() { "failed (rehearsal)".to_owned() } else { text })),
            _ => Ok(Outcome::Shell(ShellResult { exit_code: 0, stdout: text, stderr: String::new(), vars: Default::default() })),
        })
    }

    fn manual(&mut self, step: &Step) -> Answer<ManualResult> {
        let choice = io(Select::with_theme(&self.theme)
            .with_prompt(format!("{}: done?", step.id))
            .items(["Done", "Skip", "Done, with a note"])
            .default(0)
            .interact_on(&self.term))?;
        let note = if choice == 2 {
            Some(io(Input::<String>::with_theme(&self.theme).with_prompt("Note").allow_empty(true).interact_text_on(&self.term))?)
        } else {
            None
        };
        Ok(ManualResult { done: choice != 1, note })
    }
}
