//! `paperhub-bench backends`: the PostgreSQL backend beside the embedded SQLite one.
//!
//! 1. The same synthetic corpus ingested by the real `paperhub ingest` into a fresh SQLite
//!    data directory and into a fresh PostgreSQL schema, one after the other in one run:
//!    papers/s and peak RSS of each, and their ratio (target: PostgreSQL at least half).
//! 2. Propagation: a `paperhub serve` node on that schema, and single-paper commits made
//!    in-process through the PostgreSQL store; for each, the time from the commit's return to
//!    the paper being found by the node's `/api/v1/search` (p50, p99, max; target p99 < 2 s).
//! 3. With `--model-dir`: hybrid search latency of a PostgreSQL-backed node beside a
//!    SQLite-backed one. SciFact (5,183 abstracts) is ingested and embedded by `paperhub
//!    ingest` into a SQLite data directory, copied by `paperhub copy --to` into a fresh schema
//!    (papers and vectors), and a second node starts on that schema from an empty data
//!    directory (building its index from the database). Both serve; the SciFact queries go to
//!    `/api/v1/search?mode=hybrid&limit=10`, alternating between the nodes, one at a time,
//!    after a warm-up pass: p50 and p99 of each and their ratio (target: within 10%).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use paperhub_core::{PaperMeta, SourceFormat};
use paperhub_store::PaperStore;
use paperhub_store_postgres::PostgresStore;

use crate::{corpus, ingest};

/// Arguments of `paperhub-bench backends`.
#[derive(Debug, Args)]
pub struct BackendsArgs {
    /// Papers in the synthetic corpus.
    #[arg(long, default_value_t = 1_000_000)]
    papers: u64,

    /// Where the corpus and the data directories go.
    #[arg(long, default_value = "bench-data")]
    work_dir: PathBuf,

    /// The PostgreSQL server; a fresh schema is made in it for the run and dropped after.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    database_url: String,

    /// Single-paper commits timed for propagation.
    #[arg(long, default_value_t = 100)]
    rounds: usize,

    /// Seed of the synthetic corpus.
    #[arg(long, default_value_t = 42)]
    seed: u64,

    /// The `paperhub` binary (default: the one beside this binary).
    #[arg(long)]
    paperhub: Option<PathBuf>,

    /// The shared data directory holding `data/` and `seed/`.
    #[arg(long, env = "PAPERHUB_BENCH_SHARED", default_value_os_t = crate::default_shared_dir())]
    shared: PathBuf,

    /// The embedding model: measure hybrid search on a PostgreSQL node beside a SQLite one.
    #[arg(long)]
    model_dir: Option<PathBuf>,

    /// Only the hybrid latency (needs `--model-dir`): no ingest or propagation runs.
    #[arg(long, requires = "model_dir")]
    hybrid_only: bool,

    /// Timed passes over the queries, alternating between the nodes.
    #[arg(long, default_value_t = 3)]
    passes: usize,
}

/// Runs `paperhub-bench backends`.
pub fn run(args: &BackendsArgs) -> anyhow::Result<()> {
    let paperhub = match &args.paperhub {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .context("locating this binary")?
            .with_file_name("paperhub"),
    };
    anyhow::ensure!(paperhub.exists(), "{} not found", paperhub.display());
    std::fs::create_dir_all(&args.work_dir)?;
    let corpus_path = args.work_dir.join(format!("corpus-{}.jsonl", args.papers));
    let papers = if args.hybrid_only {
        0
    } else {
        match corpus::existing(&corpus_path, args.papers, args.seed) {
            Some(info) => info.papers,
            None => corpus::generate(&args.shared, args.papers, args.seed, &corpus_path)?.papers,
        }
    };

    let schema = format!("bench_{}", std::process::id());
    let mut admin =
        postgres::Client::connect(&args.database_url, postgres::NoTls).with_context(|| {
            format!(
                "connecting to {}",
                paperhub_store_postgres::redact_url(&args.database_url)
            )
        })?;
    admin.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))?;
    let separator = if args.database_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!(
        "{}{separator}options=-csearch_path%3D{schema}",
        args.database_url
    );
    let result = if args.hybrid_only {
        Ok(())
    } else {
        measure(args, &paperhub, &corpus_path, papers, &url)
    }
    .and_then(|()| match &args.model_dir {
        Some(model_dir) => hybrid_latency(args, &paperhub, model_dir, &url),
        None => Ok(()),
    });
    let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    result
}

fn measure(
    args: &BackendsArgs,
    paperhub: &std::path::Path,
    corpus: &std::path::Path,
    papers: u64,
    url: &str,
) -> anyhow::Result<()> {
    eprintln!("== ingest into SQLite");
    let sqlite = ingest::measure(
        paperhub,
        &args.work_dir.join("backends-sqlite"),
        corpus,
        papers,
        None,
        None,
    )?;
    eprintln!("== ingest into PostgreSQL");
    let pg_dir = args.work_dir.join("backends-postgres");
    let pg = ingest::measure(paperhub, &pg_dir, corpus, papers, None, Some(url))?;
    println!("ingest of {papers} papers (paperhub ingest --no-embed, a fresh store each):");
    for (name, r) in [("sqlite", &sqlite), ("postgres", &pg)] {
        println!(
            "  {name:<9} {:>8.1} s  {:>8.0} papers/s  peak RSS {:>6.0} MiB  added {}",
            r.wall_seconds, r.papers_per_second, r.peak_rss_mib, r.added
        );
    }
    println!(
        "  ratio postgres/sqlite: {:.2} of the rate (target >= 0.50), {:.2} of the peak RSS",
        pg.papers_per_second / sqlite.papers_per_second,
        pg.peak_rss_mib / sqlite.peak_rss_mib
    );

    eprintln!(
        "== propagation: a node on the schema, {} single-paper commits",
        args.rounds
    );
    let node_dir = args.work_dir.join("backends-node");
    if node_dir.exists() {
        std::fs::remove_dir_all(&node_dir)?;
    }
    // The node's index starts as a copy of the ingest's, as a node that has run before.
    copy_dir(&pg_dir.join("index"), &node_dir.join("index"))?;
    let (mut node, addr) = serve(paperhub, &node_dir, Some(url), None)?;
    let store = PostgresStore::open(url)?;
    let mut times = Vec::with_capacity(args.rounds);
    let outcome = (|| -> anyhow::Result<()> {
        for round in 0..args.rounds {
            let word = format!("propagationword{round}x");
            let meta = PaperMeta {
                source_id: Some(format!("prop-{round}")),
                source_namespace: Some("bench:propagation".into()),
                title: format!("The {word} paper"),
                abstract_text: "Committed on one node, searched on another.".into(),
                format: Some(SourceFormat::Beir),
                ..Default::default()
            }
            .normalized()?;
            store.upsert_batch(&[meta])?;
            let committed = Instant::now();
            loop {
                if found(&addr, &word, &format!("prop-{round}"))? {
                    break;
                }
                anyhow::ensure!(
                    committed.elapsed() < Duration::from_secs(30),
                    "round {round}: never searchable"
                );
                std::thread::sleep(Duration::from_millis(2));
            }
            times.push(committed.elapsed().as_secs_f64() * 1000.0);
        }
        Ok(())
    })();
    let _ = node.kill();
    let _ = node.wait();
    outcome?;
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    println!(
        "propagation over {} commits (commit returned -> found by the other node's /api/v1/search): \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 2000 ms)",
        times.len(),
        at(0.50),
        at(0.99),
        times[times.len() - 1]
    );
    Ok(())
}

/// Starts `paperhub serve` on `data_dir` (and `url`, else its SQLite file), with the model in
/// `model_dir` or none; returns it and the address it announced.
pub(crate) fn serve(
    paperhub: &std::path::Path,
    data_dir: &std::path::Path,
    url: Option<&str>,
    model_dir: Option<&std::path::Path>,
) -> anyhow::Result<(std::process::Child, String)> {
    let mut command = Command::new(paperhub);
    command.arg("--data-dir").arg(data_dir);
    if let Some(url) = url {
        command.arg("--database-url").arg(url);
    }
    match model_dir {
        // A directory without the model: the node searches by keyword only.
        None => command.arg("--model-dir").arg(data_dir.join("no-model")),
        Some(dir) => command.arg("--model-dir").arg(dir),
    };
    let mut node = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("PAPERHUB_MODEL_DIR")
        .env("PAPERHUB_LOG", "warn")
        // Load from one address: the rate limits are off, as `limits.enabled` is for.
        .env("PAPERHUB_LIMITS__ENABLED", "false")
        .stderr(Stdio::piped())
        .spawn()?;
    let addr = announced_addr(&mut node)?;
    Ok((node, addr))
}

/// Part 3: hybrid search latency, a PostgreSQL-backed node beside a SQLite-backed one.
fn hybrid_latency(
    args: &BackendsArgs,
    paperhub: &std::path::Path,
    model_dir: &std::path::Path,
    url: &str,
) -> anyhow::Result<()> {
    let scifact = args.shared.join("data/scifact");
    let sqlite_dir = args.work_dir.join("hybrid-sqlite");
    let pg_dir = args.work_dir.join("hybrid-postgres");
    for dir in [&sqlite_dir, &pg_dir] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
    }
    let run = |what: &str, command: &mut Command| -> anyhow::Result<()> {
        eprintln!("== {what}");
        let status = command.status()?;
        anyhow::ensure!(status.success(), "{what}: {status}");
        Ok(())
    };
    run(
        "hybrid: ingest and embed SciFact into SQLite",
        Command::new(paperhub)
            .arg("--data-dir")
            .arg(&sqlite_dir)
            .arg("--model-dir")
            .arg(model_dir)
            .arg("--quiet")
            .arg("ingest")
            .arg(scifact.join("corpus.jsonl"))
            .args(["--format", "beir"]),
    )?;
    run(
        "hybrid: copy papers and vectors into the PostgreSQL schema",
        Command::new(paperhub)
            .arg("--data-dir")
            .arg(&sqlite_dir)
            .arg("--quiet")
            .args(["copy", "--to", url]),
    )?;
    let queries = crate::relevance::read_queries(&scifact.join("queries.jsonl"))?;
    let (mut sqlite_node, sqlite_addr) = serve(paperhub, &sqlite_dir, None, Some(model_dir))?;
    let pg = serve(paperhub, &pg_dir, Some(url), Some(model_dir));
    let (mut pg_node, pg_addr) = match pg {
        Ok(node) => node,
        Err(error) => {
            let _ = sqlite_node.kill();
            return Err(error);
        }
    };
    let nodes = [("sqlite", &sqlite_addr), ("postgres", &pg_addr)];
    let outcome = (|| -> anyhow::Result<[Vec<f64>; 2]> {
        let mut times = [Vec::new(), Vec::new()];
        for pass in 0..=args.passes {
            eprintln!(
                "hybrid: {} pass over {} queries",
                if pass == 0 { "warm-up" } else { "timed" },
                queries.len()
            );
            for (n, query) in queries.iter().enumerate() {
                // Alternate which node goes first, so neither always follows the other.
                for turn in 0..2 {
                    let which = (n + pass + turn) % 2;
                    let started = Instant::now();
                    let body = get(nodes[which].1, &hybrid_path(&query.text))?;
                    let millis = started.elapsed().as_secs_f64() * 1000.0;
                    anyhow::ensure!(
                        body.contains("\"mode\":\"hybrid\""),
                        "{}: `{}` did not run hybrid: {}",
                        nodes[which].0,
                        query.text,
                        body.chars().take(300).collect::<String>()
                    );
                    if pass > 0 {
                        times[which].push(millis);
                    }
                }
            }
        }
        Ok(times)
    })();
    for node in [&mut sqlite_node, &mut pg_node] {
        let _ = node.kill();
        let _ = node.wait();
    }
    let mut times = outcome?;
    println!(
        "hybrid search over HTTP (SciFact, {} queries x {} passes, mode=hybrid&limit=10, one at a time, alternating nodes):",
        queries.len(),
        args.passes
    );
    let mut stats = Vec::new();
    for ((name, _), times) in nodes.iter().zip(times.iter_mut()) {
        times.sort_by(f64::total_cmp);
        let at =
            |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "  {name:<9} p50 {:>6.2} ms  p99 {:>6.2} ms  mean {:>6.2} ms",
            at(0.5),
            at(0.99),
            mean
        );
        stats.push((at(0.5), at(0.99), mean));
    }
    println!(
        "  ratio postgres/sqlite: p50 {:.3}, p99 {:.3}, mean {:.3} (target within 0.90-1.10)",
        stats[1].0 / stats[0].0,
        stats[1].1 / stats[0].1,
        stats[1].2 / stats[0].2
    );
    Ok(())
}

/// The API path of a hybrid search for `text`, top 10.
fn hybrid_path(text: &str) -> String {
    let mut q = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() {
            q.push(byte as char);
        } else {
            q.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("/api/v1/search?q={q}&mode=hybrid&limit=10")
}

/// GET `path` from `addr`; the body of a 200 response.
fn get(addr: &str, path: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    anyhow::ensure!(
        response.starts_with("HTTP/1.1 200"),
        "GET {path}: {}",
        response.lines().next().unwrap_or_default()
    );
    Ok(response)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

pub(crate) fn announced_addr(child: &mut std::process::Child) -> anyhow::Result<String> {
    use std::io::BufRead;
    let stderr = child.stderr.take().context("serve's stderr")?;
    let mut lines = std::io::BufReader::new(stderr);
    let mut line = String::new();
    loop {
        line.clear();
        anyhow::ensure!(
            lines.read_line(&mut line)? > 0,
            "serve exited before it listened"
        );
        if let Some(rest) = line.split("serving on http://").nth(1) {
            let addr = rest.split('/').next().unwrap_or_default().to_owned();
            std::thread::spawn(move || {
                let mut rest = String::new();
                let _ = lines.read_to_string(&mut rest);
            });
            return Ok(addr);
        }
    }
}

fn found(addr: &str, word: &str, source_id: &str) -> anyhow::Result<bool> {
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "GET /api/v1/search?q={word}&mode=keyword&limit=1 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response.contains(&format!("\"source_id\":\"{source_id}\"")))
}
