//! `run --record DIR`: what a live run saw, written as a rehearsal scenario. Outcomes arrive
//! already redacted (the interpreter masks secret values before any reporter sees them) and
//! secret parameters are left out.

use anyhow::{Context, Result};
use runbook_core::Graph;
use runbook_engine::answers::{ManualAnswer, OneOrMany};
use runbook_engine::events::{Event, EventSink, SECRET_MASK};
use runbook_engine::rehearse::{Scenario, fixture_of};
use runbook_engine::result::Outcome;
use std::path::{Path, PathBuf};

pub struct Recorder {
    dir: PathBuf,
    stem: String,
    scenario: Scenario,
    path: Vec<String>,
}

impl Recorder {
    pub fn new(dir: &Path, runbook: &Path) -> Recorder {
        let stem = runbook.file_stem().map_or_else(|| "runbook".to_owned(), |s| s.to_string_lossy().into_owned());
        Recorder { dir: dir.to_owned(), stem, scenario: Scenario::default(), path: Vec::new() }
    }

    pub fn write(mut self, _graph: &Graph) -> Result<PathBuf> {
        self.scenario.expect_path = Some(self.path);
        let entry = self.scenario.entry.clone().unwrap_or_else(|| "run".into());
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        std::fs::create_dir_all(&self.dir).with_context(|| format!("cannot create `{}`", self.dir.display()))?;
        let mut path = self.dir.join(format!("{}-{entry}-{stamp}.yaml", self.stem));
        let mut n = 2;
        while path.exists() {
            path = self.dir.join(format!("{}-{entry}-{stamp}-{n}.yaml", self.stem));
            n += 1;
        }
        let yaml = serde_saphyr::to_string(&self.scenario).map_err(|e| anyhow::anyhow!("cannot write the scenario: {e}"))?;
        let header = format!("# Recorded by `runbook run --record` from {}. Secrets are redacted.\n", self.stem);
        std::fs::write(&path, header + &yaml).with_context(|| format!("cannot write `{}`", path.display()))?;
        Ok(path)
    }
}

impl EventSink for Recorder {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::SessionStarted { entry, .. } => {
                self.scenario.entry = Some((*entry).to_owned());
                self.scenario.description = Some(format!("recorded live run of `{entry}`"));
            }
            Event::StepStarted { step, rendered, .. } => {
                self.path.push(step.id.clone());
                for (k, v) in &rendered.params {
                    if v != SECRET_MASK {
                        self.scenario.params.entry(k.clone()).or_insert(v.clone());
                    }
                }
            }
            Event::StepFinished { step, record } => {
                if let Ok(Outcome::Manual(m)) = &record.outcome {
                    self.scenario.manual.insert(step.id.clone(), ManualAnswer::Full { done: m.done, note: m.note.clone() });
                }
                if let Some(f) = fixture_of(record) {
                    self.scenario.steps.insert(step.id.clone(), f);
                }
            }
            Event::Decision { step, chosen, .. } => {
                let entry = self.scenario.decisions.entry(step.id.clone()).or_insert_with(|| OneOrMany::Many(Vec::new()));
                if let OneOrMany::Many(list) = entry {
                    list.push((*chosen).to_owned());
                }
            }
            _ => {}
        }
    }
}
