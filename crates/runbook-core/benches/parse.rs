//! Parse + build + check throughput over real runbooks, next to plain pulldown-cmark event
//! iteration of the same bytes with the same options, in the same run (see BENCHMARKS.md).
//!
//! The corpus is read from `../shared/corpus` (or `RUNBOOK_BENCH_CORPUS`) at run time and is
//! never copied into the project; without it the shipped runbooks are used.

use criterion::{Criterion, Throughput, criterion_group};
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

/// `RUNBOOK_BENCH_ROUNDS=N` compiles the corpus N times and prints the CPU time per round
/// instead of running criterion: on a shared, busy machine the process's CPU time (and
/// `perf stat -e instructions`) moves much less than wall-clock throughput.
fn main() {
    if let Some(rounds) = std::env::var("RUNBOOK_BENCH_ROUNDS").ok().and_then(|n| n.parse::<u32>().ok()) {
        let files = corpus();
        let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
        // This thread's CPU time in ns (the scheduler's run time: unlike wall time, a busy
        // machine does not add to it).
        let cpu = || {
            let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
            stat.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0)
        };
        let (start, wall) = (cpu(), std::time::Instant::now());
        let mut steps = 0usize;
        for _ in 0..rounds {
            for (name, text) in &files {
                steps += black_box(runbook_core::compile(runbook_core::Source::new(name.clone(), text.clone()))).graph.steps.len();
            }
        }
        let cpu_s = (cpu() - start) as f64 / 1e9 / f64::from(rounds);
        // `RUNBOOK_BENCH_STAGES=1`: the compile's stages timed apart (as `compile` runs them).
        if std::env::var_os("RUNBOOK_BENCH_STAGES").is_some() {
            let mut times = [0u64; 4];
            for _ in 0..rounds {
                for (name, text) in &files {
                    let source = runbook_core::Source::new(name.clone(), text.clone());
                    let _scope = runbook_core::prose::scope(&source.text);
                    let t = cpu();
                    let mut document = runbook_core::document::parse(&source.text);
                    times[0] += cpu() - t;
                    let t = cpu();
                    let outline = runbook_core::outline::outline(&source, &document);
                    runbook_core::outline::apply(&outline, &mut document);
                    times[1] += cpu() - t;
                    let t = cpu();
                    let mut diagnostics = Vec::new();
                    let graph = runbook_core::build::build(&source, &document, &outline, &mut diagnostics);
                    times[2] += cpu() - t;
                    let t = cpu();
                    runbook_core::check::check(&graph, &mut diagnostics);
                    runbook_core::check::lost_commands(&source, &document, &graph, &mut diagnostics);
                    times[3] += cpu() - t;
                    black_box((graph, diagnostics));
                }
            }
            for (stage, t) in ["document", "outline", "build", "check"].iter().zip(times) {
                println!("{stage:10} {:8.3} ms CPU per round", t as f64 / 1e6 / f64::from(rounds));
            }
        }
        // `RUNBOOK_BENCH_FILES=1`: each file's time too, slowest first (time per byte shows
        // where a rule grows faster than the text).
        if std::env::var_os("RUNBOOK_BENCH_FILES").is_some() {
            let mut times: Vec<(f64, usize, &str)> = files
                .iter()
                .map(|(name, text)| {
                    let t = std::time::Instant::now();
                    for _ in 0..rounds {
                        black_box(runbook_core::compile(runbook_core::Source::new(name.clone(), text.clone())));
                    }
                    (t.elapsed().as_secs_f64() * 1e3 / f64::from(rounds), text.len(), name.as_str())
                })
                .collect();
            times.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (ms, len, name) in times {
                println!("{ms:8.3} ms {len:8} B {:6.1} MiB/s  {name}", len as f64 / 1024.0 / 1024.0 / (ms / 1e3));
            }
        }
        let wall_s = wall.elapsed().as_secs_f64() / f64::from(rounds);
        let mib = bytes as f64 / 1024.0 / 1024.0;
        println!(
            "compile: {:.2} ms CPU ({:.1} MiB/s), {:.2} ms wall ({:.1} MiB/s) per round, {} rounds, {steps} steps",
            cpu_s * 1e3,
            mib / cpu_s,
            wall_s * 1e3,
            mib / wall_s,
            rounds
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
