//! `paperhub similar ID`

use std::process::ExitCode;

use clap::Args;
use paperhub_hub::MODEL_MISSING;
use serde_json::json;

use crate::app::Context;

/// Arguments of `paperhub similar`.
#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// Hub id, arXiv id (any spelling) or source id.
    id: String,

    /// How many papers.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    limit: u64,

    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `paperhub similar`.
pub fn run(ctx: &Context, args: SimilarArgs) -> anyhow::Result<ExitCode> {
    if !ctx.model_installed() {
        anyhow::bail!("{MODEL_MISSING}");
    }
    let hub = ctx.open_hub_with_model()?;
    let Some((paper, similar)) = hub.similar(&args.id, args.limit as usize)? else {
        eprintln!("no paper `{}` (try `paperhub search`)", args.id);
        return Ok(ExitCode::from(1));
    };
    if args.json {
        let results: Vec<_> = similar
            .iter()
            .map(|h| json!({"id": h.paper.id, "source_id": h.paper.meta.source_id, "title": h.paper.meta.title, "score": h.score}))
            .collect();
        println!(
            "{}",
            json!({"id": paper.id, "title": paper.meta.title, "similar": results})
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("papers like {}  [{}]\n", paper.meta.title, paper.id);
    for (rank, hit) in similar.iter().enumerate() {
        println!(
            "{:>3}. {}  [{}]  {:.3}",
            rank + 1,
            hit.paper.meta.title,
            hit.paper.id,
            hit.score
        );
    }
    Ok(ExitCode::SUCCESS)
}
