//! Measuring the real `paperhub ingest` binary: wall time, peak resident memory, and the size
//! of what it leaves on disk.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;

/// How often the child's peak memory is read.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// How often a progress line is printed while a child runs.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// One `paperhub ingest` run.
#[derive(Debug, Clone, Serialize)]
pub struct IngestResult {
    /// The command run.
    pub command: String,
    /// Papers in the corpus.
    pub papers: u64,
    /// Papers the ingest reported added.
    pub added: u64,
    /// Records it rejected.
    pub rejected: u64,
    /// Process wall time, start to exit (opening, ingesting, committing, closing).
    pub wall_seconds: f64,
    /// The ingest loop's own time, as the binary reports it in `--json`.
    pub ingest_seconds: f64,
    /// `papers / wall_seconds`.
    pub papers_per_second: f64,
    /// Highest `VmHWM` seen in `/proc/<pid>/status`, MiB.
    pub peak_rss_mib: f64,
    /// Size of `data/index`, MiB.
    pub index_mib: f64,
    /// Segments in the keyword index after the ingest.
    pub index_segments: usize,
    /// Size of the SQLite database with its WAL, MiB.
    pub sqlite_mib: f64,
}

/// A child process's wall time and peak memory.
pub struct Watched {
    /// Its standard output.
    pub stdout: String,
    /// Start to exit.
    pub wall_seconds: f64,
    /// Highest `VmHWM`, MiB.
    pub peak_rss_mib: f64,
}

/// Runs `command` to completion, reading its `VmHWM` every [`SAMPLE_EVERY`]. Its standard
/// error passes through; its standard output is collected.
pub fn watch(mut command: Command, label: &str) -> anyhow::Result<Watched> {
    let started = Instant::now();
    let mut child: Child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {label}: {command:?}"))?;
    let stdout = child.stdout.take().expect("invariant: stdout is piped");
    // Read output on a thread so a chatty child never blocks on a full pipe.
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout));
    let status_path = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak_kib = 0u64;
    let mut last_progress = Instant::now();
    let status = loop {
        // Read before reaping: once waited for, /proc/<pid> is gone.
        if let Some(kib) = read_status_kib(&status_path, "VmHWM:") {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if last_progress.elapsed() >= PROGRESS_EVERY {
            last_progress = Instant::now();
            eprintln!(
                "{label}: {:.0}s, peak RSS {:.0} MiB",
                started.elapsed().as_secs_f64(),
                peak_kib as f64 / 1024.0
            );
        }
        std::thread::sleep(SAMPLE_EVERY);
    };
    let wall_seconds = started.elapsed().as_secs_f64();
    let stdout = reader
        .join()
        .expect("invariant: the reader thread does not panic")?;
    anyhow::ensure!(status.success(), "{label} failed ({status}): {command:?}");
    Ok(Watched {
        stdout,
        wall_seconds,
        peak_rss_mib: peak_kib as f64 / 1024.0,
    })
}

/// A `... kB` line of `/proc/<pid>/status`.
fn read_status_kib(path: &Path, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Ingests `corpus` into a fresh `data_dir` with the `paperhub` binary.
pub fn measure(
    paperhub: &Path,
    data_dir: &Path,
    corpus: &Path,
    papers: u64,
    batch_size: Option<usize>,
    database_url: Option<&str>,
) -> anyhow::Result<IngestResult> {
    if data_dir.exists() {
        std::fs::remove_dir_all(data_dir)
            .with_context(|| format!("removing {}", data_dir.display()))?;
    }
    let mut command = Command::new(paperhub);
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("PAPERHUB_DATABASE_URL");
    if let Some(url) = database_url {
        command.arg("--database-url").arg(url);
    }
    command
        .arg("--quiet")
        .arg("ingest")
        .arg(corpus)
        // Ingest alone: the target is without embeddings (`paperhub-bench vectors`
        // gives the papers their vectors).
        .arg("--no-embed")
        .arg("--json");
    if let Some(batch_size) = batch_size {
        command.arg("--batch-size").arg(batch_size.to_string());
    }
    let shown = format!("{command:?}");
    eprintln!("ingest: {shown}");
    let watched = watch(command, "ingest")?;
    let summary: serde_json::Value = serde_json::from_str(watched.stdout.trim())
        .with_context(|| format!("reading the ingest summary {:?}", watched.stdout))?;
    let count = |key: &str| {
        summary
            .get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    let index_dir = data_dir.join("index");
    let sqlite_bytes: u64 = [
        "paperhub.sqlite3",
        "paperhub.sqlite3-wal",
        "paperhub.sqlite3-shm",
    ]
    .iter()
    .map(|name| std::fs::metadata(data_dir.join(name)).map_or(0, |m| m.len()))
    .sum();
    Ok(IngestResult {
        command: shown,
        papers,
        added: count("added"),
        rejected: count("rejected"),
        wall_seconds: watched.wall_seconds,
        ingest_seconds: summary
            .get("seconds")
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(f64::NAN),
        papers_per_second: papers as f64 / watched.wall_seconds,
        peak_rss_mib: watched.peak_rss_mib,
        index_mib: dir_bytes(&index_dir) as f64 / MIB,
        index_segments: segments(&index_dir.join("keyword")),
        sqlite_mib: sqlite_bytes as f64 / MIB,
    })
}

/// Bytes in a mebibyte.
pub const MIB: f64 = 1024.0 * 1024.0;

/// Total size of the files under `dir`, like `du --apparent-size`.
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&entry.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Segments listed in a tantivy index's `meta.json` (0 when unreadable).
pub fn segments(index_dir: &Path) -> usize {
    std::fs::read_to_string(index_dir.join("meta.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|meta| {
            meta.get("segments")
                .and_then(serde_json::Value::as_array)
                .map(Vec::len)
        })
        .unwrap_or(0)
}
