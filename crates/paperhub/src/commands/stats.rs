//! `paperhub stats`

use std::process::ExitCode;

use clap::Args;

use crate::assembly::Context;

/// Arguments of `paperhub stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `paperhub stats`.
pub fn run(ctx: &Context, args: StatsArgs) -> anyhow::Result<ExitCode> {
    let hub = ctx.open_hub()?;
    let mut stats = hub.stats()?;
    if ctx.model_installed() {
        // Counted in the store: loading the model and every vector only to count is waste.
        stats.embedded = Some(hub.store().embedding_count(paperhub_embed::MODEL_ID)?);
    }
    if args.json {
        println!("{}", serde_json::to_string(&stats)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("papers:        {}", stats.store.papers);
    println!("with arXiv id: {}", stats.store.with_arxiv_id);
    println!("indexed:       {}", stats.indexed);
    match (stats.store.first_day, stats.store.last_day) {
        (Some(first), Some(last)) => {
            println!("days:          {} ({first} to {last})", stats.store.days)
        }
        _ => println!("days:          0"),
    }
    match stats.embedded {
        Some(n) => println!("embedded:      {n}"),
        None => println!("embedded:      - (no embedding model: `paperhub model install`)"),
    }
    for (format, count) in &stats.store.by_format {
        println!("  from {format:<11} {count}");
    }
    Ok(ExitCode::SUCCESS)
}
