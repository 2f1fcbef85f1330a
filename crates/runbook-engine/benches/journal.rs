//! The cost of journaling one step: its `step_start` and `step_result` events, each hashed,
//! appended and fsynced, next to the same bytes written without hashing or fsync.

use criterion::{Criterion, criterion_group, criterion_main};
use runbook_core::model::{Risk, StepKind};
use runbook_engine::journal::{Journal, JournalEvent, OutcomeSummary, ResultSummary, StepResultEvent};
use serde_json::{Map, Value, json};
use std::hint::black_box;
use std::io::Write;

fn events() -> (JournalEvent, JournalEvent) {
    let start = JournalEvent::StepStart {
        step: "login-attempts".into(),
        index: 3,
        kind: StepKind::Sql,
        risk: Risk::Read,
        title: "Login attempts in the last hour".into(),
        command: "SELECT count(*) FILTER (WHERE NOT succeeded) AS failed_1h FROM login_attempts WHERE user_id = $1".into(),
        target: Some("clinic_db (postgres://runbook@127.0.0.1:5432/clinic)".into()),
        params: [("USER_ID".to_owned(), "c1000000-0000-4000-8000-000000000002".to_owned())].into(),
    };
    let rows: Vec<Map<String, Value>> = (0..20)
        .map(|i| {
            Map::from_iter([
                ("id".to_owned(), json!(i)),
                ("email".to_owned(), json!(format!("user{i}@clinic.example"))),
                ("failed".to_owned(), json!(i * 3)),
                ("locked".to_owned(), json!(i % 2 == 0)),
            ])
        })
        .collect();
    let result = JournalEvent::StepResult(StepResultEvent {
        step: "login-attempts".into(),
        ok: true,
        elapsed_ms: 3,
        result: ResultSummary::Done(OutcomeSummary::Sql {
            row_count: 20,
            columns: vec!["id".into(), "email".into(), "failed".into(), "locked".into()],
            rows,
            truncated: false,
        }),
        checks: Vec::new(),
        captures: Map::from_iter([("failed_1h".to_owned(), json!(12))]),
    });
    (start, result)
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("runbook-journal-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (start, result) = events();
    let mut group = c.benchmark_group("journal per step");
    let mut j = Journal::create(&dir, "bench").expect("journal");
    group.bench_function("hashed + appended + fsynced (2 events)", |b| {
        b.iter(|| {
            j.append(&start).expect("append");
            j.append(&result).expect("append");
        })
    });
    let mut plain = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("plain.jsonl")).expect("file");
    let line = format!("{}\n{}\n", serde_json::to_string(&start).expect("json"), serde_json::to_string(&result).expect("json"));
    group.bench_function("same bytes, plain append, no fsync", |b| b.iter(|| plain.write_all(black_box(line.as_bytes())).expect("write")));
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
