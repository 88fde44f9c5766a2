//! `paperhub compact`

use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

use crate::assembly::Context;

/// Arguments of `paperhub compact`.
#[derive(Debug, Args)]
pub struct CompactArgs {
    /// Segments to leave (default: one per core, as searches use a thread per segment).
    #[arg(long)]
    segments: Option<usize>,
}

/// Runs `paperhub compact`.
pub fn run(ctx: &Context, args: CompactArgs) -> anyhow::Result<ExitCode> {
    let hub = ctx.open_hub()?;
    let before = hub.stats()?.index_segments;
    let started = Instant::now();
    hub.compact_to(
        args.segments
            .unwrap_or_else(paperhub_search::search_threads),
    )?;
    if !ctx.quiet {
        let after = hub.stats()?.index_segments;
        eprintln!(
            "index segments: {before} -> {after} ({:.1}s)",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}
