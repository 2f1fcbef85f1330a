//! The cost of journaling one step: its `step_start` and `step_result` events, each hashed,
//! appended and fsynced, next to the same bytes written without hashing or fsync.

use criterion::{Criterion, criterion_group, criterion_main};
use runbook_engine::journal::Journal;
use serde_json::{Map, Value, json};
use std::hint::black_box;
use std::io::Write;

fn events() -> (Map<String, Value>, Map<String, Value>) {
    let start = json!({
        "step": "login-attempts", "index": 3, "kind": "sql", "risk": "read", "title": "Login attempts in the last hour",
        "command": "SELECT count(*) FILTER (WHERE NOT succeeded) AS failed_1h FROM login_attempts WHERE user_id = $1",
        "target": "clinic_db (postgres://runbook@127.0.0.1:5432/clinic)", "params": {"USER_ID": "c1000000-0000-4000-8000-000000000002"},
    });
    let rows: Vec<Value> =
        (0..20).map(|i| json!({"id": i, "email": format!("user{i}@clinic.example"), "failed": i * 3, "locked": i % 2 == 0})).collect();
    let result = json!({"step": "login-attempts", "ok": true, "elapsed_ms": 3, "result": {"kind": "sql", "row_count": 20, "columns": ["id", "email", "failed", "locked"], "rows": rows}, "checks": [], "captures": {"failed_1h": 12}});
    (start.as_object().cloned().unwrap_or_default(), result.as_object().cloned().unwrap_or_default())
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("runbook-journal-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (start, result) = events();
    let mut group = c.benchmark_group("journal per step");
    let mut j = Journal::create(&dir, "bench").expect("journal");
    group.bench_function("hashed + appended + fsynced (2 events)", |b| {
        b.iter(|| {
            j.append("step_start", start.clone()).expect("append");
            j.append("step_result", result.clone()).expect("append");
        })
    });
    let mut plain = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("plain.jsonl")).expect("file");
    let line = format!("{}\n{}\n", Value::Object(start.clone()), Value::Object(result.clone()));
    group.bench_function("same bytes, plain append, no fsync", |b| b.iter(|| plain.write_all(black_box(line.as_bytes())).expect("write")));
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
