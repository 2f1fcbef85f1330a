//! `--answers FILE`: the operator's answers written down, for automation and tests. Anything
//! the file does not answer goes to the terminal when there is one, and otherwise stops the run
//! at that question with exit code 3.

use crate::operator::{Action, Answer, Gate, InFlight, Menu, Operator, ParamRequest, Stop};
use crate::result::ManualResult;
use runbook_core::model::{Graph, Step};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Answers {
    /// Entry point id or title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Step id → branch label, target step id, or `retry` / `skip` / `back` / `abort`; a list
    /// answers successive visits.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub decisions: BTreeMap<String, OneOrMany>,
    /// Step id → `true` (yes), `false` (no), or the confirmation word.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub confirm: BTreeMap<String, ConfirmAnswer>,
    /// Step id → `done`, `skip`, or `{done: bool, note: text}`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub manual: BTreeMap<String, ManualAnswer>,
    /// On resume, step id → `rerun`, `done` or `skip` for a step that was running when the
    /// session died. Nothing else answers that question: not `decisions:`, not
    /// `--follow-suggestions`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub in_flight: BTreeMap<String, InFlight>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ConfirmAnswer {
    Yes(bool),
    Word(String),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ManualAnswer {
    Word(String),
    Full { done: bool, note: Option<String> },
}

/// Reads a YAML file into `T`, with the parser's message and position on failure.
pub fn load_yaml<T: serde::de::DeserializeOwned + Default>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    serde_saphyr::from_str::<Option<T>>(&text).map(Option::unwrap_or_default).map_err(|e| {
        let msg = e.render_with_options(serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off });
        format!("{}: {msg}", path.display())
    })
}

impl Answers {
    pub fn load(path: &Path) -> Result<Answers, String> {
        load_yaml(path)
    }
}

/// Answers from the file first, then the fallback (a terminal operator or nobody).
pub struct AnswersOperator {
    answers: Answers,
    visits: HashMap<String, usize>,
    fallback: Option<Box<dyn Operator>>,
    follow_suggestions: bool,
}

impl AnswersOperator {
    pub fn new(answers: Answers, fallback: Option<Box<dyn Operator>>, follow_suggestions: bool) -> Self {
        AnswersOperator { answers, visits: HashMap::new(), fallback, follow_suggestions }
    }

    fn no_answer<T>(question: String, options: Vec<String>) -> Answer<T> {
        Err(Stop::NoAnswer { question, options })
    }
}

/// An entry point by id, title or 1-based number (as listed by the picker).
pub fn find_entry(graph: &Graph, wanted: &str) -> Option<usize> {
    let w = wanted.trim().trim_start_matches('#');
    if let Ok(n) = w.parse::<usize>() {
        return (n >= 1 && n <= graph.entry_points.len()).then(|| n - 1);
    }
    // The heading's GitHub anchor works too: `p2-refunds-stuck` or `-database-down` (an emoji
    // left a dash) for the entry `refunds-stuck`, `database-down`.
    let without_marker = |w: &str| -> String {
        let w = w.trim_start_matches('-');
        let (first, rest) = w.split_once('-').unwrap_or((w, ""));
        let marker = matches!(first, "critical" | "high" | "medium" | "low" | "warning" | "info")
            || (first.len() <= 5 && (first.starts_with('p') || first.starts_with("sev")) && first.chars().any(|c| c.is_ascii_digit()));
        if marker && !rest.is_empty() { rest.to_owned() } else { w.to_owned() }
    };
    let w2 = without_marker(w);
    graph
        .entry_points
        .iter()
        .position(|e| e.id == w || e.id.trim_matches('-') == w)
        .or_else(|| graph.entry_points.iter().position(|e| e.title.eq_ignore_ascii_case(w)))
        .or_else(|| graph.entry_points.iter().position(|e| e.id == w2))
}

impl Operator for AnswersOperator {
    fn choose_entry(&mut self, graph: &Graph) -> Answer<usize> {
        if let Some(e) = self.answers.entry.clone() {
            return find_entry(graph, &e).ok_or_else(|| Stop::NoAnswer {
                question: format!("no entry point `{e}`"),
                options: graph.entry_points.iter().map(|e| e.id.clone()).collect(),
            });
        }
        if graph.entry_points.len() == 1 {
            return Ok(0);
        }
        match self.fallback.as_mut() {
            Some(f) => f.choose_entry(graph),
            None => Self::no_answer("which problem? (--entry ID)".into(), graph.entry_points.iter().map(|e| e.id.clone()).collect()),
        }
    }

    fn param(&mut self, request: &ParamRequest<'_>) -> Answer<String> {
        if let Some(v) = self.answers.params.get(&request.param.name) {
            return Ok(v.clone());
        }
        match self.fallback.as_mut() {
            Some(f) => f.param(request),
            None => {
                Self::no_answer(format!("a value for parameter {} (--param {}=VALUE)", request.param.name, request.param.name), Vec::new())
            }
        }
    }

    fn pick_value(&mut self, request: &ParamRequest<'_>) -> Answer<Option<usize>> {
        // A value in the file is the answer; only a person at the terminal picks from results.
        match self.fallback.as_mut() {
            Some(f) if !self.answers.params.contains_key(&request.param.name) => f.pick_value(request),
            _ => Ok(None),
        }
    }

    fn confirm(&mut self, step: &Step, gate: &Gate, impact: Option<&str>) -> Answer<bool> {
        if let Some(a) = self.answers.confirm.get(&step.id) {
            return Ok(match (a, gate) {
                (ConfirmAnswer::Yes(b), Gate::YesNo) => *b,
                (ConfirmAnswer::Word(w), Gate::Word(expected)) => w == expected,
                (ConfirmAnswer::Word(w), Gate::YesNo) => matches!(w.as_str(), "yes" | "y"),
                (ConfirmAnswer::Yes(_), Gate::Word(_)) => false,
            });
        }
        match self.fallback.as_mut() {
            Some(f) => f.confirm(step, gate, impact),
            None => {
                let it = impact.map(|i| format!(" (it {i})")).unwrap_or_default();
                let (q, how) = match gate {
                    Gate::YesNo => (
                        format!("{} is a {} step{it} and needs confirmation", step.id, step.risk.as_str()),
                        "--yes, or `confirm: {id: true}` in --answers".to_owned(),
                    ),
                    Gate::Word(w) => (
                        format!("{} is a {} step{it}; type `{w}` to run it", step.id, step.risk.as_str()),
                        format!("--allow-destructive, or `confirm: {{{}: {w}}}` in --answers", step.id),
                    ),
                };
                Self::no_answer(q, vec![how])
            }
        }
    }

    fn decide(&mut self, step: &Step, menu: &Menu) -> Answer<usize> {
        let visit = self.visits.entry(step.id.clone()).or_insert(0);
        *visit += 1;
        let answer = match self.answers.decisions.get(&step.id) {
            Some(OneOrMany::One(a)) => Some(a.clone()),
            Some(OneOrMany::Many(list)) => list.get(*visit - 1).cloned(),
            None => None,
        };
        if let Some(a) = answer {
            let a_lower = a.to_ascii_lowercase();
            let found = menu.items.iter().position(|item| {
                item.label.eq_ignore_ascii_case(&a)
                    || match &item.action {
                        Action::Retry => a_lower == "retry",
                        Action::Skip => a_lower == "skip",
                        Action::Back => a_lower == "back",
                        Action::Abort => a_lower == "abort",
                        Action::Continue => a_lower == "continue",
                        Action::Branch(_) => item.label.eq_ignore_ascii_case(&a),
                    }
            });
            // The same answer again after its step was declined would loop: stop and ask.
            if let Some(i) = found.filter(|&i| menu.items[i].declined) {
                return Err(Stop::NoAnswer {
                    question: format!("`{}` at {} leads to a step that was declined; answer another option", menu.items[i].label, step.id),
                    options: menu.items.iter().filter(|i| !i.declined).map(|i| i.label.clone()).collect(),
                });
            }
            let retry_used_up = a_lower == "retry" && !menu.items.iter().any(|i| i.action == Action::Retry);
            return found.ok_or_else(|| Stop::NoAnswer {
                question: if retry_used_up {
                    format!("{}; `retry` is no longer one of its options", menu.prompt)
                } else {
                    format!("the answer `{a}` for {} is not one of its options", step.id)
                },
                options: menu.items.iter().map(|i| i.label.clone()).collect(),
            });
        }
        // Only a branch whose condition held is followed; a failure's "retry" is not.
        if let Some(s) = menu.suggested.filter(|&s| self.follow_suggestions && matches!(menu.items[s].action, Action::Branch(_))) {
            return Ok(s);
        }
        match self.fallback.as_mut() {
            Some(f) => f.decide(step, menu),
            None => Self::no_answer(
                menu.prompt.clone(),
                menu.items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| match (menu.suggested == Some(i), &menu.reason, &item.detail) {
                        (true, Some(why), _) => format!("{} (suggested: {why})", item.label),
                        (true, None, _) => format!("{} (suggested)", item.label),
                        (false, _, Some(d)) if d.starts_with("supported:") || d.starts_with("against:") => format!("{} ({d})", item.label),
                        _ => item.label.clone(),
                    })
                    .collect(),
            ),
        }
    }

    fn in_flight(&mut self, step: &Step, menu: &Menu) -> Answer<usize> {
        if let Some(choice) = self.answers.in_flight.get(&step.id) {
            let action = match choice {
                InFlight::Rerun => Action::Retry,
                InFlight::Done => Action::Continue,
                InFlight::Skip => Action::Skip,
            };
            if let Some(i) = menu.items.iter().position(|item| item.action == action) {
                return Ok(i);
            }
        }
        match self.fallback.as_mut() {
            Some(f) => f.in_flight(step, menu),
            None => Self::no_answer(
                format!("{} (answer with `in_flight: {{{}: rerun|done|skip}}` in --answers)", menu.prompt, step.id),
                ["rerun", "done", "skip"].iter().map(|o| (*o).to_owned()).collect(),
            ),
        }
    }

    fn manual(&mut self, step: &Step) -> Answer<ManualResult> {
        if let Some(a) = self.answers.manual.get(&step.id) {
            return Ok(match a {
                ManualAnswer::Word(w) => ManualResult { done: !matches!(w.as_str(), "skip" | "skipped" | "no"), note: None },
                ManualAnswer::Full { done, note } => ManualResult { done: *done, note: note.clone() },
            });
        }
        match self.fallback.as_mut() {
            Some(f) => f.manual(step),
            None => Self::no_answer(format!("manual step {}: done or skip?", step.id), vec!["done".into(), "skip".into()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_by_id_number_title_or_github_anchor() {
        let compiled = runbook_core::compile(runbook_core::Source::new(
            "t.md",
            "# T\n\n## [P2] Refunds stuck\n\n```bash\nls\n```\n\n## 🔴 Database down\n\n```bash\nls\n```\n",
        ));
        let g = &compiled.graph;
        assert_eq!(find_entry(g, "refunds-stuck"), Some(0));
        assert_eq!(find_entry(g, "p2-refunds-stuck"), Some(0));
        assert_eq!(find_entry(g, "#-database-down"), Some(1));
        assert_eq!(find_entry(g, "2"), Some(1));
        assert_eq!(find_entry(g, "nothing"), None);
    }
}
