//! The report: `results.json` and the table printed at the end of a run.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde::Serialize;

use crate::baseline::BaselineResult;
use crate::corpus::CorpusInfo;
use crate::ingest::IngestResult;
use crate::latency::LatencyResult;

/// Ingest throughput the issue asks for, papers per second, without embeddings.
const TARGET_PAPERS_PER_SECOND: f64 = 20_000.0;
/// Peak memory of the ingest, MiB.
const TARGET_PEAK_RSS_MIB: f64 = 1024.0;
/// BM25 p99 latency, milliseconds.
const TARGET_P99_MS: f64 = 10.0;

/// The machine a run ran on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical CPUs.
    pub cpus: usize,
    /// CPU model name.
    pub cpu_model: String,
    /// Total memory, GiB.
    pub memory_gib: f64,
    /// Kernel release.
    pub kernel: String,
    /// `git rev-parse HEAD` of the checkout, with `-dirty` when it has changes.
    pub commit: String,
    /// Seconds since the Unix epoch when the run ended.
    pub finished_unix: u64,
}

impl Machine {
    /// Reads `/proc` and asks git.
    pub fn describe(repo: &Path) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")
                    .and_then(|r| r.split_once(':'))
                    .map(|(_, m)| m.trim())
            })
            .unwrap_or("unknown")
            .to_owned();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_kib: f64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|r| r.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(repo)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        };
        let mut commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
        if git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty()) {
            commit.push_str("-dirty");
        }
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            memory_gib: mem_kib / 1024.0 / 1024.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            commit,
            finished_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }
}

/// One target of the issue, checked.
#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    /// What is asked.
    pub target: String,
    /// What was measured.
    pub measured: String,
    /// Whether it was met.
    pub met: bool,
}

/// Everything a run measured; written as `results.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// The machine.
    pub machine: Machine,
    /// The corpus.
    pub corpus: CorpusInfo,
    /// The ingest, unless skipped.
    pub ingest: Option<IngestResult>,
    /// BM25 latency through the hub.
    pub latency: LatencyResult,
    /// The bm25s baseline, unless skipped.
    pub baseline: Option<BaselineResult>,
    /// The targets.
    pub targets: Vec<TargetCheck>,
}

impl Results {
    /// Checks the targets against what was measured.
    pub fn check_targets(&mut self) {
        let mut targets = Vec::new();
        if let Some(ingest) = &self.ingest {
            targets.push(TargetCheck {
                target: format!(
                    "ingest >= {TARGET_PAPERS_PER_SECOND:.0} papers/s without embeddings"
                ),
                measured: format!("{:.0} papers/s", ingest.papers_per_second),
                met: ingest.papers_per_second >= TARGET_PAPERS_PER_SECOND,
            });
            targets.push(TargetCheck {
                target: format!("ingest peak RSS < {TARGET_PEAK_RSS_MIB:.0} MiB while streaming"),
                measured: format!("{:.0} MiB", ingest.peak_rss_mib),
                met: ingest.peak_rss_mib < TARGET_PEAK_RSS_MIB,
            });
        }
        let p99 = self.latency.latency.p99_ms;
        targets.push(TargetCheck {
            target: format!(
                "BM25 p99 < {TARGET_P99_MS} ms at {} papers",
                self.corpus.papers
            ),
            measured: format!("{p99:.2} ms"),
            met: p99 < TARGET_P99_MS,
        });
        if let Some(baseline) = &self.baseline {
            for (name, ours, theirs) in [
                ("p50", self.latency.latency.p50_ms, baseline.latency.p50_ms),
                ("p99", p99, baseline.latency.p99_ms),
            ] {
                targets.push(TargetCheck {
                    target: format!("BM25 {name} faster than bm25s"),
                    measured: format!("{ours:.2} ms vs {theirs:.2} ms ({:.2}x)", theirs / ours),
                    met: ours < theirs,
                });
            }
        }
        self.targets = targets;
    }

    /// The table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let c = &self.corpus;
        let _ = writeln!(
            out,
            "\npaperhub-bench: {} papers ({} real SciFact + {} synthetic, {:.0} MB), {} queries",
            c.papers,
            c.real,
            c.papers - c.real,
            c.bytes as f64 / 1e6,
            self.latency.queries
        );
        let _ = writeln!(
            out,
            "machine: {} CPUs, {}, {:.1} GiB RAM, commit {}",
            self.machine.cpus, self.machine.cpu_model, self.machine.memory_gib, self.machine.commit
        );
        let _ = writeln!(
            out,
            "{:<34} {:>12} {:>12} {:>16}",
            "", "paperhub", "bm25s", "paperhub better by"
        );
        let base = self.baseline.as_ref();
        let mut row = |name: &str,
                       ours: Option<f64>,
                       theirs: Option<f64>,
                       lower_is_better: bool,
                       digits: usize| {
            let show = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.digits$}"));
            let ratio = match (ours, theirs) {
                (Some(o), Some(t)) if o > 0.0 && t > 0.0 => {
                    format!("{:.2}x", if lower_is_better { t / o } else { o / t })
                }
                _ => "-".to_owned(),
            };
            let _ = writeln!(
                out,
                "{name:<34} {:>12} {:>12} {ratio:>16}",
                show(ours),
                show(theirs)
            );
        };
        let ingest = self.ingest.as_ref();
        row(
            "ingest+index, papers/s (from file)",
            ingest.map(|i| i.papers_per_second),
            base.map(|b| b.papers_per_second),
            false,
            0,
        );
        row(
            "  bm25s without reading the file",
            None,
            base.map(|b| b.papers_per_second_in_memory),
            false,
            0,
        );
        row(
            "wall seconds",
            ingest.map(|i| i.wall_seconds),
            base.map(|b| b.load_seconds + b.tokenize_seconds + b.index_seconds),
            true,
            1,
        );
        row(
            "peak RSS, MiB",
            ingest.map(|i| i.peak_rss_mib),
            base.map(|b| b.peak_rss_mib),
            true,
            0,
        );
        row(
            "index size, MiB (bm25s: in RAM)",
            ingest.map(|i| i.index_mib),
            base.map(|b| b.index_mib),
            true,
            1,
        );
        row(
            "SQLite size, MiB",
            ingest.map(|i| i.sqlite_mib),
            None,
            true,
            1,
        );
        let l = &self.latency.latency;
        let b = base.map(|b| b.latency);
        row("BM25 p50, ms", Some(l.p50_ms), b.map(|b| b.p50_ms), true, 3);
        row("BM25 p95, ms", Some(l.p95_ms), b.map(|b| b.p95_ms), true, 3);
        row("BM25 p99, ms", Some(l.p99_ms), b.map(|b| b.p99_ms), true, 3);
        row(
            "BM25 mean, ms",
            Some(l.mean_ms),
            b.map(|b| b.mean_ms),
            true,
            3,
        );
        row("BM25 max, ms", Some(l.max_ms), b.map(|b| b.max_ms), true, 3);
        let f = &self.latency.first_pass;
        row(
            "  first pass (cold): p50, ms",
            Some(f.p50_ms),
            None,
            true,
            3,
        );
        row(
            "  first pass (cold): p99, ms",
            Some(f.p99_ms),
            None,
            true,
            3,
        );
        let i = &self.latency.index_only;
        row(
            "  index only (no store): p50, ms",
            Some(i.p50_ms),
            None,
            true,
            3,
        );
        row(
            "  index only (no store): p99, ms",
            Some(i.p99_ms),
            None,
            true,
            3,
        );
        let w = &self.latency.index_only_block_max_wand;
        row(
            "  index only, block-max WAND: p50",
            Some(w.p50_ms),
            None,
            true,
            3,
        );
        row(
            "  index only, block-max WAND: p99",
            Some(w.p99_ms),
            None,
            true,
            3,
        );
        let s = &self.latency.index_only_segment_bounds;
        row(
            "  index only, bounds per segment: p50",
            Some(s.p50_ms),
            None,
            true,
            3,
        );
        row(
            "  index only, bounds per segment: p99",
            Some(s.p99_ms),
            None,
            true,
            3,
        );
        for (shift, top10, top300) in &self.latency.index_only_windows {
            for (k, l) in [(10, top10), (300, top300)] {
                let label = format!("  windows of 2^{shift}, top {k}");
                row(&format!("{label}: p50"), Some(l.p50_ms), None, true, 3);
                row(&format!("{label}: p99"), Some(l.p99_ms), None, true, 3);
            }
        }
        for (label, l) in [
            ("  index only, top 300", &self.latency.index_only_top300),
            (
                "  top 300, block-max WAND",
                &self.latency.index_only_top300_block_max_wand,
            ),
        ] {
            row(&format!("{label}: p50, ms"), Some(l.p50_ms), None, true, 3);
            row(&format!("{label}: p99, ms"), Some(l.p99_ms), None, true, 3);
        }
        row(
            "nDCG@10 (SciFact train qrels)",
            Some(self.latency.ndcg_at_10),
            base.map(|b| b.ndcg_at_10),
            false,
            4,
        );
        if let Some(i) = ingest {
            let _ = writeln!(
                out,
                "index segments after ingest: {}; records added {}, rejected {}",
                i.index_segments, i.added, i.rejected
            );
        }
        let _ = writeln!(out, "targets:");
        for t in &self.targets {
            let _ = writeln!(
                out,
                "  [{}] {}: {}",
                if t.met { "met" } else { "NOT MET" },
                t.target,
                t.measured
            );
        }
        out
    }
}
