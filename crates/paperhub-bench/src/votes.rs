//! `paperhub-bench votes`: upvotes per second over HTTP on the embedded SQLite hub.
//!
//! The seed listing (118 papers) is ingested by `paperhub ingest` into a fresh data directory,
//! `--members` accounts and their API tokens are written into its store, and a `paperhub
//! serve` node answers `PUT /api/v1/papers/{id}/vote` from `--clients` client threads, each
//! on one kept-alive connection, every member voting for `--papers` papers. Prints votes/s,
//! latency p50/p99, and checks every count afterwards (target: at least 2,000 votes/s on two
//! cores).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use paperhub_store::AccountStore as _;

/// Arguments of `paperhub-bench votes`.
#[derive(Debug, Args)]
pub struct VotesArgs {
    /// Where the hub goes (replaced).
    #[arg(long, default_value = "../bench-votes")]
    work_dir: PathBuf,

    /// Members voting.
    #[arg(long, default_value_t = 2_000)]
    members: usize,

    /// Papers each member votes for.
    #[arg(long, default_value_t = 10)]
    papers: usize,

    /// Client threads, each with its own connection.
    #[arg(long, default_value_t = 32)]
    clients: usize,

    /// The `paperhub` binary (default: the one beside this binary).
    #[arg(long)]
    paperhub: Option<PathBuf>,

    /// The shared data directory holding `seed/`.
    #[arg(long, env = "PAPERHUB_BENCH_SHARED", default_value_os_t = crate::default_shared_dir())]
    shared: PathBuf,
}

/// Runs `paperhub-bench votes`.
pub fn run(args: &VotesArgs) -> anyhow::Result<()> {
    let paperhub = match &args.paperhub {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("paperhub"),
    };
    let dir = args.work_dir.join("hub");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let status = Command::new(&paperhub)
        .arg("--data-dir")
        .arg(&dir)
        .args(["--quiet", "ingest"])
        .arg(args.shared.join("seed/000_446ad54c0b8c9ae7.txt"))
        .args(["--date", "2025-06-05", "--no-embed"])
        .status()?;
    anyhow::ensure!(status.success(), "ingest: {status}");
    eprintln!("votes: {} members and their tokens", args.members);
    let tokens = {
        let store = paperhub_store_sqlite::SqliteStore::open(&dir.join("paperhub.sqlite3"))?;
        (0..args.members)
            .map(|n| -> anyhow::Result<String> {
                let email = paperhub_core::Email::parse(&format!("m{n}@bench.example"))?;
                let account = store.create_account(&paperhub_store::NewAccount {
                    email: &email,
                    name: "member",
                    password_hash: "bench",
                    role: paperhub_core::Role::Member,
                })?;
                let token = format!("ph_{n:064x}");
                store.add_token(account.id, &paperhub_app::token_hash(&token), "bench")?;
                Ok(token)
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let (mut node, addr) = crate::backends::serve(&paperhub, &dir, None, None)?;
    let outcome = measure(args, &addr, &tokens);
    let _ = node.kill();
    let _ = node.wait();
    outcome
}

fn measure(args: &VotesArgs, addr: &str, tokens: &[String]) -> anyhow::Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let listed = agent
        .get(format!(
            "http://{addr}/api/v1/papers?date=2025-06-05&limit=100"
        ))
        .call()?
        .body_mut()
        .read_to_string()?;
    let listed: serde_json::Value = serde_json::from_str(&listed)?;
    let ids: Vec<String> = listed["papers"]
        .as_array()
        .context("papers")?
        .iter()
        .take(args.papers)
        .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    anyhow::ensure!(ids.len() == args.papers, "only {} papers listed", ids.len());
    // Work items: (member, paper); each client takes the next one.
    let total = tokens.len() * ids.len();
    let next = AtomicUsize::new(0);
    eprintln!("votes: {total} votes from {} clients", args.clients);
    let started = Instant::now();
    let mut millis: Vec<f64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..args.clients)
            .map(|_| {
                let (next, ids, agent) = (&next, &ids, agent.clone());
                scope.spawn(move || -> anyhow::Result<Vec<f64>> {
                    let mut times = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= total {
                            return Ok(times);
                        }
                        let (member, paper) = (n / ids.len(), n % ids.len());
                        let t = Instant::now();
                        let response = agent
                            .put(format!("http://{addr}/api/v1/papers/{}/vote", ids[paper]))
                            .header("Authorization", &format!("Bearer {}", tokens[member]))
                            .send_empty()?;
                        anyhow::ensure!(
                            response.status() == 200,
                            "vote {n}: {}",
                            response.status()
                        );
                        times.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a client panicked"))
            .collect::<anyhow::Result<Vec<Vec<f64>>>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    let seconds = started.elapsed().as_secs_f64();
    for id in &ids {
        let paper = agent
            .get(format!("http://{addr}/api/v1/papers/{id}"))
            .call()?
            .body_mut()
            .read_to_string()?;
        let paper: serde_json::Value = serde_json::from_str(&paper)?;
        anyhow::ensure!(
            paper["votes"] == tokens.len() as u64,
            "{id}: {} votes, not {}",
            paper["votes"],
            tokens.len()
        );
    }
    millis.sort_by(f64::total_cmp);
    let at =
        |q: f64| millis[((millis.len() as f64 * q).ceil() as usize).clamp(1, millis.len()) - 1];
    println!(
        "votes over HTTP (SQLite, {} members x {} papers, {} clients on kept-alive connections): \
         {total} votes in {seconds:.2} s = {:.0} votes/s (target >= 2000); latency p50 {:.2} ms, \
         p99 {:.2} ms; every paper counts exactly {} votes",
        tokens.len(),
        ids.len(),
        args.clients,
        total as f64 / seconds,
        at(0.5),
        at(0.99),
        tokens.len()
    );
    Ok(())
}
