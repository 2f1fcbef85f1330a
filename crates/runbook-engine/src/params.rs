//! Parameter values: given on the command line or in an answers file, taken from an earlier
//! capture, the environment or a secret file, or asked of the operator, and checked against the
//! parameter's pattern. Secret values are remembered as secret so no reporter prints them.

use crate::operator::{Operator, ParamRequest, Stop};
use crate::result::{ErrorKind, StepError};
use crate::value_choices::ValueChoice;
use runbook_core::model::{Graph, Parameter, Step};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Default, Clone)]
pub struct ParamValues {
    values: HashMap<String, String>,
    secret: HashSet<String>,
    /// Secret values no parameter holds any more (a capture taken again): still masked.
    former_secrets: Vec<String>,
}

/// Why a parameter has no value.
#[derive(Debug)]
pub enum ParamError {
    Stop(Stop),
    Invalid(StepError),
}

impl ParamValues {
    pub fn new(given: impl IntoIterator<Item = (String, String)>) -> Self {
        ParamValues { values: given.into_iter().collect(), secret: HashSet::new(), former_secrets: Vec::new() }
    }

    pub fn get(&self, name: &str) -> Option<&String> {
        self.values.get(name)
    }

    pub fn all(&self) -> &HashMap<String, String> {
        &self.values
    }

    pub fn is_secret(&self, name: &str) -> bool {
        self.secret.contains(name)
    }

    pub fn secret_values(&self) -> Vec<&str> {
        let current = self.secret.iter().filter_map(|n| self.values.get(n)).map(String::as_str);
        current.chain(self.former_secrets.iter().map(String::as_str)).filter(|v| !v.is_empty()).collect()
    }

    /// Non-secret values, for expressions (`params.USER_ID`).
    pub fn public(&self) -> Map<String, Value> {
        self.values.iter().filter(|(k, _)| !self.secret.contains(*k)).map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()
    }

    pub fn set(&mut self, name: &str, value: String) {
        self.values.insert(name.to_owned(), value);
    }

    /// A secret value learnt while running (a captured token): masked everywhere from now on.
    pub fn set_secret(&mut self, name: &str, value: String) {
        self.secret.insert(name.to_owned());
        if let Some(old) = self.values.insert(name.to_owned(), value).filter(|old| !old.is_empty()) {
            self.former_secrets.push(old);
        }
    }

    /// Marks every parameter the graph says is secret, and loads declared secrets from the
    /// environment or their file.
    pub fn load_secrets(&mut self, graph: &Graph) -> Result<(), StepError> {
        for p in &graph.parameters {
            if p.secret {
                self.secret.insert(p.name.clone());
            }
        }
        // A value given for a name that says it is secret (`--param DB_PASSWORD=…`) is one even
        // when no step of the runbook uses it: it may still turn up in a result.
        for name in self.values.keys() {
            if graph.parameter(name).is_none() && runbook_core::build::is_secret_name(name) {
                self.secret.insert(name.clone());
            }
        }
        for s in &graph.secrets {
            self.secret.insert(s.name.clone());
            if self.values.contains_key(&s.name) {
                continue;
            }
            if let Some(v) = s.env.as_deref().and_then(|e| std::env::var(e).ok()).filter(|v| !v.is_empty()) {
                self.values.insert(s.name.clone(), v);
            } else if let Some(path) = &s.file {
                let v = std::fs::read_to_string(path)
                    .map_err(|e| StepError::new(ErrorKind::Parameter, format!("cannot read secret {} from {path}: {e}", s.name)))?;
                self.values.insert(s.name.clone(), v.trim_end_matches(['\n', '\r']).to_owned());
            }
        }
        Ok(())
    }

    /// In a rehearsal, secrets without a value get the mask: nothing will send them.
    pub fn stand_in_for_secrets(&mut self, graph: &Graph) {
        for p in graph.parameters.iter().filter(|p| p.secret) {
            self.secret.insert(p.name.clone());
            self.values.entry(p.name.clone()).or_insert_with(|| crate::events::SECRET_MASK.to_owned());
        }
    }

    /// Makes sure every parameter of `step` has a valid value. `choices` gives the values
    /// earlier results hold for a parameter; returns where each value found here came from.
    pub fn resolve(
        &mut self,
        graph: &Graph,
        step: &Step,
        captures: &Map<String, Value>,
        ops: &mut dyn Operator,
        choices: &dyn Fn(&str) -> Vec<ValueChoice>,
    ) -> Result<Vec<(String, String)>, ParamError> {
        let mut sources = Vec::new();
        for name in &step.params {
            if self.values.contains_key(name) {
                continue;
            }
            let merged = spec(graph, step, name);
            let param = &merged;
            if param.secret {
                self.secret.insert(name.clone());
            }
            let mut offered = param.default.clone();
            match param.source.as_deref() {
                Some(src) if src.starts_with("capture:") => {
                    // A capture that found nothing (`null`) is no value: ask instead.
                    if let Some(v) = captures.get(&src["capture:".len()..]).filter(|v| !v.is_null()) {
                        let v = value_text(v);
                        self.check(param, &v).map_err(ParamError::Invalid)?;
                        self.values.insert(name.clone(), v);
                        sources.push((name.clone(), src.to_owned()));
                        continue;
                    }
                }
                Some(src) if src.starts_with("env:") => {
                    if let Ok(v) = std::env::var(&src["env:".len()..]) {
                        self.check(param, &v).map_err(ParamError::Invalid)?;
                        self.values.insert(name.clone(), v);
                        sources.push((name.clone(), src.to_owned()));
                        continue;
                    }
                }
                Some(src) if src.starts_with("file:") => {
                    if let Ok(v) = std::fs::read_to_string(&src["file:".len()..]) {
                        self.values.insert(name.clone(), v.trim_end_matches(['\n', '\r']).to_owned());
                        sources.push((name.clone(), src.to_owned()));
                        continue;
                    }
                }
                _ => {}
            }
            // A capture with the parameter's own name is a good default.
            if offered.is_none() {
                offered = captures.get(name).or_else(|| captures.get(&name.to_ascii_lowercase())).filter(|v| !v.is_null()).map(value_text);
            }
            let mut problem = None;
            // Secrets are never offered from results (they would be shown).
            let found = if param.secret { Vec::new() } else { choices(name) };
            loop {
                let request = ParamRequest { param, step, default: offered.clone(), problem: problem.clone(), choices: found.clone() };
                let picked = match ops.pick_value(&request) {
                    Ok(p) => p.and_then(|i| found.get(i)),
                    Err(stop) => return Err(ParamError::Stop(stop)),
                };
                let answer = match picked {
                    Some(choice) => Ok(choice.value.clone()),
                    None => ops.param(&request),
                };
                let (value, source) = match answer {
                    Ok(v) => {
                        let source = picked.map_or_else(|| "operator".to_owned(), |c| c.source.clone());
                        (v, source)
                    }
                    // Without anyone to ask, a default is the answer (never a value from a result).
                    Err(Stop::NoAnswer { .. }) if offered.is_some() => (offered.clone().unwrap_or_default(), "default".to_owned()),
                    Err(stop) => return Err(ParamError::Stop(stop)),
                };
                match self.check(param, &value) {
                    Ok(()) => {
                        self.values.insert(name.clone(), value);
                        sources.push((name.clone(), source));
                        break;
                    }
                    Err(e) if problem.is_none() || problem.as_deref() != Some(e.message.as_str()) => problem = Some(e.message),
                    Err(e) => return Err(ParamError::Invalid(e)),
                }
            }
        }
        Ok(sources)
    }

    /// Refuses the step when one of its values would be read as code by a program nested in
    /// its shell code (`psql -c "…"`, `bash -c "…"`, `ssh host '…'`): see
    /// [`crate::bind::refuse_code_values`].
    pub fn refuse_code_values(&self, graph: &Graph, step: &Step) -> Result<(), StepError> {
        crate::bind::refuse_code_values(step, &self.values, &|name| spec(graph, step, name).pattern, &|name| self.is_secret(name))
    }

    fn check(&self, param: &Parameter, value: &str) -> Result<(), StepError> {
        let Some(pattern) = &param.pattern else { return Ok(()) };
        let re = regex::Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| StepError::new(ErrorKind::Parameter, format!("the pattern of {} is invalid: {e}", param.name)))?;
        if re.is_match(value) {
            Ok(())
        } else {
            let shown = if param.secret { crate::events::SECRET_MASK.to_owned() } else { format!("`{value}`") };
            Err(StepError::new(ErrorKind::Parameter, format!("{shown} does not match the pattern of {}: {pattern}", param.name)))
        }
    }
}

/// The parameter `name` as `step` sees it: the step's own spec wins, field by field, over the
/// runbook's.
pub fn spec(graph: &Graph, step: &Step, name: &str) -> Parameter {
    let global = graph.parameter(name).cloned().unwrap_or(Parameter {
        name: name.to_owned(),
        prompt: None,
        pattern: None,
        default: None,
        source: None,
        secret: false,
        declared: false,
    });
    match step.local_params.iter().find(|p| p.name == name) {
        Some(l) => Parameter {
            name: name.to_owned(),
            prompt: l.prompt.clone().or(global.prompt),
            pattern: l.pattern.clone().or(global.pattern),
            default: l.default.clone().or(global.default),
            source: l.source.clone().or(global.source),
            secret: l.secret || global.secret,
            declared: true,
        },
        None => global,
    }
}

/// A parameter's pattern, matched against the whole value.
pub struct Pattern(regex::Regex);

impl Pattern {
    pub fn new(pattern: &str) -> Result<Pattern, String> {
        regex::Regex::new(&format!("^(?:{pattern})$")).map(Pattern).map_err(|e| e.to_string())
    }

    pub fn is_match(&self, v: &str) -> bool {
        self.0.is_match(v)
    }
}

/// A captured value as parameter text: strings as they are, everything else as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::{Answer, Gate, Menu};
    use crate::result::ManualResult;
    use crate::value_choices::ValueChoice;

    /// Picks the first value found, then types `typed` when asked again.
    struct Picker {
        typed: &'static str,
        asked: Vec<Option<String>>,
    }

    impl Operator for Picker {
        fn choose_entry(&mut self, _: &Graph) -> Answer<usize> {
            Ok(0)
        }
        fn param(&mut self, request: &ParamRequest<'_>) -> Answer<String> {
            self.asked.push(request.problem.clone());
            Ok(self.typed.to_owned())
        }
        fn pick_value(&mut self, request: &ParamRequest<'_>) -> Answer<Option<usize>> {
            Ok(if request.problem.is_none() && !request.choices.is_empty() { Some(0) } else { None })
        }
        fn confirm(&mut self, _: &Step, _: &Gate, _: Option<&str>) -> Answer<bool> {
            Ok(false)
        }
        fn decide(&mut self, _: &Step, _: &Menu) -> Answer<usize> {
            Ok(0)
        }
        fn manual(&mut self, _: &Step) -> Answer<ManualResult> {
            Ok(ManualResult { done: true, note: None })
        }
    }

    fn graph() -> Graph {
        let md = "---\nparameters:\n  USER_ID:\n    pattern: \"u-[a-z0-9-]+\"\n---\n# T\n\n## Unlock\n\n```sql\nDELETE FROM login_attempts WHERE user_id = 'USER_ID';\n```\n";
        runbook_core::compile(runbook_core::Source::new("t.md", md)).graph
    }

    fn found(value: &str) -> Vec<ValueChoice> {
        vec![ValueChoice { value: value.to_owned(), context: String::new(), source: "diag row 1, column user_id".into() }]
    }

    #[test]
    fn a_value_picked_from_a_result_meets_the_pattern_like_a_typed_one() {
        let g = graph();
        let step = &g.steps[0];
        let mut values = ParamValues::new(Vec::new());
        let mut ops = Picker { typed: "u-ok-1", asked: Vec::new() };
        // A row holding SQL is data someone wrote: it fails the pattern and the operator is asked.
        let sources = values.resolve(&g, step, &Map::new(), &mut ops, &|_| found("x'; DROP TABLE users; --")).unwrap();
        assert_eq!(values.get("USER_ID").map(String::as_str), Some("u-ok-1"));
        assert_eq!(sources, [("USER_ID".to_owned(), "operator".to_owned())]);
        assert!(ops.asked[0].as_deref().is_some_and(|p| p.contains("does not match the pattern")), "{:?}", ops.asked);
    }

    #[test]
    fn a_picked_value_is_journalled_with_its_row() {
        let g = graph();
        let mut values = ParamValues::new(Vec::new());
        let mut ops = Picker { typed: "unused", asked: Vec::new() };
        let sources = values.resolve(&g, &g.steps[0], &Map::new(), &mut ops, &|_| found("u-locked-42")).unwrap();
        assert_eq!(values.get("USER_ID").map(String::as_str), Some("u-locked-42"));
        assert_eq!(sources, [("USER_ID".to_owned(), "diag row 1, column user_id".to_owned())]);
        assert!(ops.asked.is_empty(), "picked, not typed");
    }
}
