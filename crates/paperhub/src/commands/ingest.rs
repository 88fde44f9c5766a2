//! `paperhub ingest PATH...`

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::Args;
use paperhub_app::{IngestObserver, IngestSummary, DEFAULT_BATCH_SIZE};
use paperhub_core::{PaperMeta, SourceFormat};
use paperhub_ingest::{expand_paths, read_file, FileRecords, ReadOptions, RecordError};

use crate::assembly::Context;
use crate::progress::Progress;

/// Arguments of `paperhub ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files and directories to read (directories are walked; gzip files are read as they are).
    #[arg(required = true)]
    paths: Vec<PathBuf>,

    /// The input format; detected from each file's content when left out.
    #[arg(long, value_parser = parse_format)]
    format: Option<SourceFormat>,

    /// The day a listing page lists (YYYY-MM-DD); its papers appear on that day of the hub.
    #[arg(long, value_parser = parse_day)]
    date: Option<NaiveDate>,

    /// Papers committed per transaction.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE)]
    batch_size: usize,

    /// Do not embed the new papers, even when the embedding model is installed (`paperhub
    /// embed` does it later).
    #[arg(long)]
    no_embed: bool,

    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

fn parse_format(s: &str) -> Result<SourceFormat, String> {
    let format: SourceFormat = s.parse()?;
    if format == SourceFormat::Submission {
        return Err("`submission` is not a file format".into());
    }
    Ok(format)
}

pub(crate) fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date: expected YYYY-MM-DD"))
}

/// Most rejected records printed one by one; the rest are counted.
const MAX_PRINTED_REJECTIONS: u64 = 100;

struct Reporter<'a> {
    progress: &'a Progress,
    printed: u64,
}

impl IngestObserver for Reporter<'_> {
    fn rejected(&mut self, error: &RecordError) {
        self.printed += 1;
        if self.printed <= MAX_PRINTED_REJECTIONS {
            self.progress.println(&format!("rejected: {error}"));
        } else if self.printed == MAX_PRINTED_REJECTIONS + 1 {
            self.progress
                .println("rejected: … (more rejected records are counted in the summary)");
        }
    }
    fn committed(&mut self, _: &IngestSummary) {}
}

type Chunk = Vec<Result<PaperMeta, RecordError>>;

/// Parses on a second thread while this one stores and indexes: parsing a JSON line and
/// writing it are similar costs, so two cores ingest nearly twice as fast.
fn read_ahead(records: FileRecords) -> mpsc::Receiver<Chunk> {
    const CHUNK: usize = 1_000;
    let (tx, rx) = mpsc::sync_channel::<Chunk>(8);
    std::thread::spawn(move || {
        let mut chunk = Vec::with_capacity(CHUNK);
        for record in records {
            chunk.push(record);
            if chunk.len() == CHUNK
                && tx
                    .send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                    .is_err()
            {
                return;
            }
        }
        let _ = tx.send(chunk);
    });
    rx
}

/// Runs `paperhub ingest`.
pub fn run(ctx: &Context, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let files = expand_paths(&args.paths)?;
    let embed = !args.no_embed && ctx.model_installed();
    let hub = if embed {
        ctx.open_hub_with_model()?
    } else {
        ctx.open_hub()?
    };
    let options = ReadOptions {
        format: args.format,
        date: args.date,
    };
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    let progress = Progress::new(ctx.quiet, "ingesting");
    let mut reporter = Reporter {
        progress: &progress,
        printed: 0,
    };
    let mut summary = IngestSummary::default();
    let mut failed_files = 0u64;
    let mut done_bytes = 0u64;
    let started = Instant::now();
    for path in &files {
        let records = match read_file(path, &options) {
            Ok(records) => records,
            Err(error) => {
                failed_files += 1;
                progress.println(&format!("rejected: {error}"));
                continue;
            }
        };
        let file_bytes = records.total_bytes();
        let read = records.progress();
        let chunks = read_ahead(records);
        let base = summary.clone();
        let mut seen = 0u64;
        let counted = chunks.into_iter().flatten().inspect(|_| {
            seen += 1;
            if seen.is_multiple_of(1_000) {
                progress.bytes(
                    done_bytes + read.bytes_read(),
                    total_bytes,
                    base.records() + seen,
                );
            }
        });
        let file_summary = hub
            .ingest(counted, args.batch_size, &mut reporter)
            .with_context(|| format!("ingesting {}", path.display()))?;
        summary.absorb(&file_summary);
        done_bytes += file_bytes;
        progress.bytes(done_bytes, total_bytes, summary.records());
    }
    progress.finish(None);
    let compacting = Progress::new(ctx.quiet, "merging the index's segments");
    compacting.spin();
    hub.compact_after_ingest(summary.added + summary.updated)
        .context("merging the search index's segments")?;
    compacting.finish(None);
    let seconds = started.elapsed().as_secs_f64();
    let embedded = if embed {
        crate::commands::embed::embed_missing(ctx, &hub)?
    } else {
        0
    };
    let ok = summary.rejected == 0 && failed_files == 0;
    if args.json {
        let json = serde_json::json!({
            "files": files.len(),
            "failed_files": failed_files,
            "added": summary.added,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "rejected": summary.rejected,
            "embedded": embedded,
            "seconds": seconds,
        });
        println!("{json}");
    }
    if !ctx.quiet {
        let rate = summary.records() as f64 / seconds.max(1e-3);
        eprintln!(
            "{} files{}: {} added, {} updated, {} unchanged, {} rejected ({:.1}s, {rate:.0} records/s)",
            files.len(),
            if failed_files > 0 { format!(" ({failed_files} unreadable)") } else { String::new() },
            summary.added,
            summary.updated,
            summary.unchanged,
            summary.rejected,
            seconds,
        );
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
