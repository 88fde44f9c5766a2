//! `paperhub-bench trending`: `/trending` requests per second on a big hub with many votes.
//!
//! A synthetic BEIR corpus of `--papers` papers (the `corpus` recipe; reused when already
//! written) is ingested by `paperhub ingest` into a fresh SQLite data directory; `--members`
//! accounts cast `--votes` upvotes straight into its store, spread over the papers with a
//! skew (a few papers get many votes, most get one or none), timed over the last 30 days;
//! then one `paperhub serve` node (rate limits off) answers `--clients` client threads on
//! kept-alive connections for `--seconds` per route: the trending page of the day, of the
//! week, and the trending API. (The corpus's papers have no listing day, so the daily page of
//! this hub is empty and not measured here; BENCHMARKS.md has it on a listed hub.) Each route runs
//! twice: with the ranking cache (`trending.cache_secs`, the default) and without it
//! (`trending.cache_secs = 0`: every request counts the votes afresh).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use paperhub_store::{AccountStore as _, PaperStore as _, VoteStore as _};

/// Arguments of `paperhub-bench trending`.
#[derive(Debug, Args)]
pub struct TrendingArgs {
    /// Where the corpus and the hub go (the hub is replaced unless `--reuse`).
    #[arg(long, default_value = "../bench-trending")]
    work_dir: PathBuf,

    /// Papers in the hub.
    #[arg(long, default_value_t = 1_000_000)]
    papers: u64,

    /// Upvotes cast.
    #[arg(long, default_value_t = 100_000)]
    votes: usize,

    /// Members casting them.
    #[arg(long, default_value_t = 10_000)]
    members: usize,

    /// Client threads, each with its own connection.
    #[arg(long, default_value_t = 32)]
    clients: usize,

    /// Seconds each route is measured.
    #[arg(long, default_value_t = 10)]
    seconds: u64,

    /// Measure the hub already in `<work-dir>/hub` (with its votes) instead of building it.
    #[arg(long)]
    reuse: bool,

    /// The `paperhub` binary (default: the one beside this binary).
    #[arg(long)]
    paperhub: Option<PathBuf>,

    /// The shared data directory holding SciFact.
    #[arg(long, env = "PAPERHUB_BENCH_SHARED", default_value_os_t = crate::default_shared_dir())]
    shared: PathBuf,
}

/// A small deterministic generator (splitmix64), so that every run casts the same votes.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Runs `paperhub-bench trending`.
pub fn run(args: &TrendingArgs) -> anyhow::Result<()> {
    let paperhub = match &args.paperhub {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("paperhub"),
    };
    let dir = args.work_dir.join("hub");
    if !args.reuse {
        build(args, &paperhub, &dir)?;
    }
    for (label, cache) in [
        ("cached rankings (the default)", None),
        ("no cache", Some("0")),
    ] {
        let (mut node, addr) = serve(&paperhub, &dir, cache)?;
        let outcome = measure(args, &addr, label);
        let _ = node.kill();
        let _ = node.wait();
        outcome?;
    }
    Ok(())
}

fn build(
    args: &TrendingArgs,
    paperhub: &std::path::Path,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.work_dir)?;
    let corpus = args.work_dir.join(format!("corpus-{}.jsonl", args.papers));
    if crate::corpus::existing(&corpus, args.papers, 42).is_none() {
        eprintln!("trending: writing a corpus of {} papers", args.papers);
        crate::corpus::generate(&args.shared, args.papers, 42, &corpus)?;
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    eprintln!("trending: ingesting {}", corpus.display());
    let status = Command::new(paperhub)
        .arg("--data-dir")
        .arg(dir)
        .args(["--quiet", "ingest"])
        .arg(&corpus)
        .arg("--no-embed")
        .status()?;
    anyhow::ensure!(status.success(), "ingest: {status}");
    eprintln!(
        "trending: {} members casting {} votes",
        args.members, args.votes
    );
    let store = paperhub_store_sqlite::SqliteStore::open(&dir.join("paperhub.sqlite3"))?;
    let members: Vec<u64> = (0..args.members)
        .map(|n| -> anyhow::Result<u64> {
            let email = paperhub_core::Email::parse(&format!("m{n}@bench.example"))?;
            Ok(store
                .create_account(&paperhub_store::NewAccount {
                    email: &email,
                    name: "member",
                    password_hash: "bench",
                    role: paperhub_core::Role::Member,
                })?
                .id)
        })
        .collect::<anyhow::Result<_>>()?;
    let papers = store.stats()?.papers;
    let mut mix = Mix(7);
    let started = Instant::now();
    let mut cast = 0;
    while cast < args.votes {
        // Skewed: the square of a uniform number picks low keys far more often.
        let u = (mix.next() % 1_000_000) as f64 / 1_000_000.0;
        let key = 1 + ((u * u * u) * papers as f64) as u64;
        let member = members[(mix.next() % members.len() as u64) as usize];
        if store.set_vote(member, key, true).is_ok() {
            cast += 1;
        }
    }
    eprintln!(
        "trending: cast {cast} votes in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn serve(
    paperhub: &std::path::Path,
    dir: &std::path::Path,
    cache_secs: Option<&str>,
) -> anyhow::Result<(std::process::Child, String)> {
    let mut command = Command::new(paperhub);
    command
        .arg("--data-dir")
        .arg(dir)
        .arg("--model-dir")
        .arg(dir.join("no-model"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("PAPERHUB_MODEL_DIR")
        .env("PAPERHUB_LOG", "warn")
        .env("PAPERHUB_LIMITS__ENABLED", "false")
        .stderr(std::process::Stdio::piped());
    if let Some(secs) = cache_secs {
        command.env("PAPERHUB_TRENDING__CACHE_SECS", secs);
    }
    let mut node = command.spawn()?;
    let addr = crate::backends::announced_addr(&mut node)?;
    Ok((node, addr))
}

fn measure(args: &TrendingArgs, addr: &str, label: &str) -> anyhow::Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let api = agent
        .get(format!(
            "http://{addr}/api/v1/trending?period=month&limit=30"
        ))
        .call()?
        .body_mut()
        .read_to_string()?;
    let api: serde_json::Value = serde_json::from_str(&api)?;
    let results = api["results"].as_array().context("results")?;
    anyhow::ensure!(results.len() == 30, "{} trending papers", results.len());
    println!(
        "trending ({label}): the month's top paper has {} votes; {} papers in the list",
        results[0]["votes"],
        results.len()
    );
    for path in [
        "/trending?period=day",
        "/trending?period=week",
        "/api/v1/trending?period=week",
    ] {
        let url = format!("http://{addr}{path}");
        let stop = AtomicBool::new(false);
        let started = Instant::now();
        let mut millis: Vec<f64> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..args.clients)
                .map(|_| {
                    let (stop, agent, url) = (&stop, agent.clone(), &url);
                    scope.spawn(move || -> anyhow::Result<Vec<f64>> {
                        let mut times = Vec::new();
                        while !stop.load(Ordering::Relaxed) {
                            let t = Instant::now();
                            let mut response = agent.get(url).call()?;
                            anyhow::ensure!(
                                response.status() == 200,
                                "{url}: {}",
                                response.status()
                            );
                            response.body_mut().read_to_vec()?;
                            times.push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                        Ok(times)
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_secs(args.seconds));
            stop.store(true, Ordering::Relaxed);
            handles
                .into_iter()
                .map(|h| h.join().expect("a client panicked"))
                .collect::<anyhow::Result<Vec<Vec<f64>>>>()
        })?
        .into_iter()
        .flatten()
        .collect();
        let seconds = started.elapsed().as_secs_f64();
        millis.sort_by(f64::total_cmp);
        let at =
            |q: f64| millis[((millis.len() as f64 * q).ceil() as usize).clamp(1, millis.len()) - 1];
        println!(
            "  {path:32} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} requests, {} clients)",
            millis.len() as f64 / seconds,
            at(0.5),
            at(0.99),
            millis.len(),
            args.clients
        );
    }
    Ok(())
}
