//! `paperhub copy --to URL`: the hub from its database into another, verified.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use paperhub_store::copy::{content_report, copy_store, ContentReport};
use paperhub_store_postgres::redact_url;

use crate::assembly::{Context, Database};
use crate::progress::Progress;

/// Arguments of `paperhub copy`.
#[derive(Debug, Args)]
#[command(
    after_help = "Copies papers (with their keys and change numbers), every model's vectors and the \
harvest checkpoints from the hub's database (--database-url, or the SQLite file in --data-dir) into \
an empty database, then counts and checksums both and prints them. The search index in the data \
directory fits either database, so a node can switch to the copy as it is.\n\n\
Examples:\n  paperhub copy --to postgres://paperhub@db.example/paperhub\n  \
paperhub --database-url postgres://paperhub@db.example/paperhub copy --to sqlite:/srv/hub.sqlite3"
)]
pub struct CopyArgs {
    /// The target database: postgres://… or sqlite:PATH. It must hold no papers.
    #[arg(long)]
    to: String,
}

/// Runs `paperhub copy`.
pub fn run(ctx: &Context, args: CopyArgs) -> anyhow::Result<ExitCode> {
    let from_db = ctx.database()?;
    let to_db = Database::of(Some(&args.to), ctx.data_dir())?;
    if from_db == to_db {
        anyhow::bail!("the target is the hub's own database");
    }
    let from = ctx.open_store()?;
    let to = to_db
        .open()
        .with_context(|| format!("opening the target {}", redact_url(&args.to)))?;
    let progress = Progress::new(ctx.quiet, "copying");
    copy_store(from.as_ref(), to.as_ref(), |_, done, total| {
        progress.records(done, Some(total))
    })
    .with_context(|| format!("copying into {}", redact_url(&args.to)))?;
    progress.finish(None);
    let checking = Progress::new(ctx.quiet, "checking the source");
    let source = content_report(from.as_ref(), |done| checking.records(done, None))?;
    checking.finish(None);
    let checking = Progress::new(ctx.quiet, "checking the target");
    let target = content_report(to.as_ref(), |done| checking.records(done, None))?;
    checking.finish(None);
    print_report("source", from.backend(), &source);
    print_report("target", to.backend(), &target);
    if source != target {
        eprintln!("error: the copy differs from the source");
        return Ok(ExitCode::from(1));
    }
    println!("verified: counts and checksums are equal");
    Ok(ExitCode::SUCCESS)
}

fn print_report(which: &str, backend: &str, r: &ContentReport) {
    println!(
        "{which} ({backend}): papers {}, vectors {}, values {}, last change {}, checksum {}",
        r.papers, r.embeddings, r.states, r.last_seq, r.checksum
    );
}
