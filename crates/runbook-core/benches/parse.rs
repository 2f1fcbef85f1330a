//! Parse + build + check throughput over real runbooks, next to plain pulldown-cmark event
//! iteration of the same bytes with the same options, in the same run (see BENCHMARKS.md).
//!
//! The corpus is read from `../shared/corpus` (or `RUNBOOK_BENCH_CORPUS`) at run time and is
//! never copied into the project; without it the shipped runbooks are used.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::var_os("RUNBOOK_BENCH_CORPUS").map(PathBuf::from).unwrap_or_else(|| root.join("../shared/corpus"));
    let dir = if dir.is_dir() { dir } else { root.join("runbooks") };
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    files.into_iter().filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p.display().to_string(), t))).collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("pulldown-cmark events", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (_, text) in &files {
                for event in pulldown_cmark::Parser::new_ext(text, runbook_core::document::markdown_options()) {
                    black_box(&event);
                    n += 1;
                }
            }
            n
        })
    });
    group.bench_function("pulldown-cmark events with offsets (into_offset_iter)", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (_, text) in &files {
                for (event, range) in pulldown_cmark::Parser::new_ext(text, runbook_core::document::markdown_options()).into_offset_iter() {
                    black_box((&event, &range));
                    n += 1;
                }
            }
            n
        })
    });
    group.bench_function("runbook document pass (pulldown-cmark with offsets + blocks)", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (_, text) in &files {
                n += black_box(runbook_core::document::parse(text)).nodes.len();
            }
            n
        })
    });
    group.bench_function("runbook compile (parse + build + check)", |b| {
        b.iter(|| {
            let mut steps = 0usize;
            for (name, text) in &files {
                let compiled = runbook_core::compile(runbook_core::Source::new(name.clone(), text.clone()));
                steps += black_box(compiled.graph.steps.len());
            }
            steps
        })
    });
    group.finish();

    // Where the time goes: the SQL steps alone, classified (sqlparser, as the design requires)
    // and just parsed, next to pulldown-cmark over all the bytes.
    let sql: Vec<String> = files
        .iter()
        .flat_map(|(name, text)| runbook_core::compile(runbook_core::Source::new(name.clone(), text.clone())).graph.steps)
        .filter(|s| s.kind == runbook_core::StepKind::Sql)
        .map(|s| runbook_core::build::neutralize(&s.code, &s.placeholders))
        .collect();
    let mut group = c.benchmark_group("corpus-sql-steps");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("sqlparser parse_sql of the {} sql steps", sql.len()), |b| {
        b.iter(|| {
            let dialect = sqlparser::dialect::PostgreSqlDialect {};
            sql.iter().filter(|s| sqlparser::parser::Parser::parse_sql(&dialect, s).is_ok()).count()
        })
    });
    group.bench_function(format!("sqlparser tokenizer only, the {} sql steps", sql.len()), |b| {
        b.iter(|| {
            let dialect = sqlparser::dialect::PostgreSqlDialect {};
            sql.iter().filter_map(|s| sqlparser::tokenizer::Tokenizer::new(&dialect, s).tokenize().ok()).map(|t| t.len()).sum::<usize>()
        })
    });
    group.bench_function(format!("classify_sql of the {} sql steps", sql.len()), |b| {
        b.iter(|| sql.iter().map(|s| black_box(runbook_core::risk::classify_sql(s)).risk as usize).sum::<usize>())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
