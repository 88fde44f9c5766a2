//! `paperhub embed`

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use paperhub_app::{Hub, MODEL_MISSING};

use crate::assembly::Context;
use crate::progress::Progress;

/// Papers embedded per batch (and per commit).
pub const EMBED_BATCH: usize = 64;

/// Arguments of `paperhub embed`.
#[derive(Debug, Args)]
pub struct EmbedArgs {}

/// Embeds every paper without a vector, with progress; returns how many.
pub fn embed_missing(ctx: &Context, hub: &Hub) -> anyhow::Result<u64> {
    let progress = Progress::new(ctx.quiet, "embedding papers");
    let done = hub
        .embed_missing(EMBED_BATCH, |done, total| {
            progress.records(done, Some(total))
        })
        .context("embedding papers")?;
    progress.finish((done > 0).then(|| format!("embedded {done} papers")));
    Ok(done)
}

/// Runs `paperhub embed`.
pub fn run(ctx: &Context, _args: EmbedArgs) -> anyhow::Result<ExitCode> {
    if !ctx.model_installed() {
        anyhow::bail!("{MODEL_MISSING}");
    }
    let hub = ctx.open_hub_with_model()?;
    let done = embed_missing(ctx, &hub)?;
    if done == 0 && !ctx.quiet {
        eprintln!("every paper already has a vector");
    }
    Ok(ExitCode::SUCCESS)
}
