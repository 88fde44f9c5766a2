//! `paperhub-bench mail`: a digest run to `--subscribers` confirmed subscribers with
//! `--topics` topics each, rendered and handed to an SMTP server on loopback.
//!
//! The hub holds the seed listing's 118 papers, listed today, a few of them upvoted (so the
//! day trends); each subscriber's topics are drawn from a pool of `--topic-pool` queries made
//! of the seed's title words (subscribers share topics, as they do on a real hub, and each
//! distinct topic is searched once per run). The subscribers are imported as one CSV
//! (`subscribers import --confirmed`'s path). The SMTP server runs in its own process: this
//! binary's `smtp-sink` (a minimal SMTP server that takes and counts every message) or, with
//! `--python`, aiosmtpd (the tests' server, `paperhub-test-support/smtp/sink.py`, which writes
//! every message to a file). Printed: wall time, mails/s and per core, the run's peak RSS, and
//! the share of the workers' time in searching, rendering and handing over by SMTP.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use paperhub_core::Frequency;

/// Arguments of `paperhub-bench mail`.
#[derive(Debug, Args)]
pub struct MailArgs {
    /// Where the hub goes (replaced).
    #[arg(long, default_value = "../bench-mail")]
    work_dir: PathBuf,

    /// Confirmed subscribers.
    #[arg(long, default_value_t = 100_000)]
    subscribers: usize,

    /// Topics per subscriber.
    #[arg(long, default_value_t = 3)]
    topics: usize,

    /// Distinct topics the subscribers' are drawn from.
    #[arg(long, default_value_t = 500)]
    topic_pool: usize,

    /// Sending threads (`mail.workers`).
    #[arg(long, default_value_t = 4)]
    workers: usize,

    /// Search the topics by meaning too (hybrid), with the model in this directory.
    #[arg(long)]
    model_dir: Option<PathBuf>,

    /// Hand the mails to aiosmtpd run by this Python (with aiosmtpd installed) instead of
    /// the built-in SMTP sink.
    #[arg(long)]
    python: Option<PathBuf>,

    /// The shared data directory holding the seed listing.
    #[arg(long, env = "PAPERHUB_BENCH_SHARED", default_value_os_t = crate::default_shared_dir())]
    shared: PathBuf,
}

/// Arguments of `paperhub-bench smtp-sink`.
#[derive(Debug, Args)]
pub struct SinkArgs {}

/// The seed listing page.
const SEED: &str = "seed/000_446ad54c0b8c9ae7.txt";

pub fn run(args: &MailArgs) -> anyhow::Result<()> {
    let data_dir = args.work_dir.join("hub");
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)
            .with_context(|| format!("removing {}", data_dir.display()))?;
    }
    std::fs::create_dir_all(&data_dir)?;
    let today = chrono::Utc::now().date_naive();
    let mut ctx = crate::context(&data_dir, args.model_dir.as_deref());

    // The hub: the seed listed today, ten papers upvoted.
    let hub = ctx.open_hub_with_model()?;
    let seed = args.shared.join(SEED);
    let records = paperhub_ingest::read_file(
        &seed,
        &paperhub_ingest::ReadOptions {
            format: None,
            date: Some(today),
        },
    )
    .with_context(|| format!("reading {}", seed.display()))?;
    hub.ingest(records, 1_000, &mut paperhub_app::NoObserver)?;
    let papers = hub
        .papers_in(paperhub_app::DayRange::Day(today), 200, 0)?
        .papers;
    anyhow::ensure!(!papers.is_empty(), "the seed gave no papers for {today}");
    for member in 0..20u64 {
        let email = paperhub_core::Email::parse(&format!("voter{member}@example.org"))?;
        let account = hub.store().create_account(&paperhub_store::NewAccount {
            email: &email,
            name: "voter",
            password_hash: "x",
            role: paperhub_core::Role::Member,
        })?;
        for paper in papers.iter().take(1 + (member as usize % 10)) {
            let key = hub
                .store()
                .key_of(&paper.id)?
                .context("a listed paper has a key")?;
            hub.store().set_vote(account.id, key, true)?;
        }
    }

    // Subscribers, as one CSV import.
    let words: Vec<String> = papers
        .iter()
        .flat_map(|p| {
            p.meta
                .title
                .split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .filter(|w| w.len() > 4 && w.chars().all(char::is_alphabetic))
        .collect();
    let pool: Vec<String> = (0..args.topic_pool)
        .map(|i| {
            format!(
                "{} {}",
                words[i % words.len()],
                words[(i * 7 + 3) % words.len()]
            )
        })
        .collect();
    let mut csv = String::from("email,frequency,topics\n");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..args.subscribers {
        let topics: Vec<&str> = (0..args.topics)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                pool[(x % pool.len() as u64) as usize].as_str()
            })
            .collect();
        csv.push_str(&format!(
            "reader{i}@example.org,daily,{}\n",
            topics.join(";")
        ));
    }
    let started = Instant::now();
    hub.subscriptions()
        .import_csv(csv.as_bytes(), "bench.csv", true, chrono::Utc::now())?;
    let import_secs = started.elapsed().as_secs_f64();

    // The SMTP server, in its own process.
    let mut server = match &args.python {
        Some(python) => Command::new(python)
            .arg(
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../paperhub-test-support/smtp/sink.py"),
            )
            .arg(args.work_dir.join("inbox"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting aiosmtpd")?,
        None => Command::new(std::env::current_exe()?)
            .arg("smtp-sink")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the SMTP sink")?,
    };
    let mut out = BufReader::new(server.stdout.take().context("piped stdout")?);
    let mut line = String::new();
    out.read_line(&mut line)?;
    let port: u16 = line
        .trim()
        .strip_prefix("ready ")
        .and_then(|p| p.parse().ok())
        .with_context(|| format!("the SMTP server said {line:?}"))?;
    let server_name = if args.python.is_some() {
        "aiosmtpd"
    } else {
        "built-in SMTP sink"
    };

    ctx.settings.mail.transport = paperhub::config::MailTransport::Smtp;
    ctx.settings.mail.smtp_url = format!("smtp://127.0.0.1:{port}");
    ctx.settings.mail.rate_per_sec = 0;
    ctx.settings.mail.workers = args.workers;
    ctx.settings.server.public_url = "https://papers.example.org".into();
    let sender = ctx.mail_sender()?;
    let delivery = ctx.delivery(&hub, sender.clone())?;
    let cpu_before = cpu_secs();
    let started = Instant::now();
    let outcome =
        delivery.run_digests(Frequency::Daily, today, Duration::from_secs(600), &|_| {})?;
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu_before;
    drop(server.stdin.take());
    let mut tail = String::new();
    out.read_to_string(&mut tail)?;
    let _ = server.wait();

    let (render, smtp) = sender.timings();
    let search = outcome.stats.search_secs;
    let busy = wall * args.workers as f64;
    let sent = outcome.stats.sent;
    println!(
        "mail: {} subscribers x {} topics ({} distinct), {} workers, {server_name} on loopback, topics by {}",
        args.subscribers,
        args.topics,
        args.topic_pool,
        args.workers,
        if hub.has_semantic() { "hybrid search" } else { "keyword search" }
    );
    println!("  import of the subscribers (one CSV):   {import_secs:.1} s");
    println!(
        "  digest run:                            {wall:.1} s wall, {sent} sent, {} with nothing new, {} failed",
        outcome.stats.skipped, outcome.stats.failed
    );
    println!(
        "  mails/s:                               {:.0} ({:.0} per core of this process's CPU time: {cpu:.1} s)",
        sent as f64 / wall,
        sent as f64 / cpu.max(1e-9)
    );
    println!(
        "  peak RSS of the run:                   {} MiB",
        peak_rss_mib()
    );
    println!(
        "  workers' time: searching {:.1}% ({search:.1} s), rendering {:.1}% ({render:.1} s), SMTP {:.1}% ({smtp:.1} s), the rest (outbox, composing) {:.1}%",
        100.0 * search / busy,
        100.0 * render / busy,
        100.0 * smtp / busy,
        100.0 * (busy - search - render - smtp).max(0.0) / busy
    );
    if !tail.trim().is_empty() {
        println!("  server: {}", tail.trim());
    }
    anyhow::ensure!(
        outcome.complete(),
        "not every mail was handed over: {:?}",
        outcome.counts
    );
    Ok(())
}

/// This process's user and system CPU seconds.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat: 12 and 13 after the command's `)`.
    (ticks(11) + ticks(12)) / 100.0
}

/// This process's peak resident memory (`VmHWM`), MiB.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

/// `paperhub-bench smtp-sink`: a minimal SMTP server on a free loopback port that takes every
/// message (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), prints `ready PORT`, and when its stdin
/// closes prints how many messages and bytes it took.
pub fn sink(_: &SinkArgs) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("ready {}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    let (messages, bytes) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (m, b) = (messages.clone(), bytes.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (m, b) = (m.clone(), b.clone());
            std::thread::spawn(move || {
                let _ = session(stream, &m, &b);
            });
        }
    });
    let mut rest = String::new();
    let _ = std::io::stdin().read_to_string(&mut rest);
    println!(
        "took {} messages, {} MiB",
        messages.load(Ordering::Relaxed),
        bytes.load(Ordering::Relaxed) / (1 << 20)
    );
    Ok(())
}

fn session(stream: TcpStream, messages: &AtomicU64, bytes: &AtomicU64) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    writer.write_all(b"220 sink ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => writer.write_all(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?,
            "DATA" => {
                writer.write_all(b"354 go ahead\r\n")?;
                let mut size = 0u64;
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    size += line.len() as u64;
                }
                messages.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(size, Ordering::Relaxed);
                writer.write_all(b"250 taken\r\n")?;
            }
            "QUIT" => {
                writer.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => writer.write_all(b"250 OK\r\n")?,
        }
    }
}
