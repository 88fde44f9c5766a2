//! `paperhub similar ID`

use std::process::ExitCode;

use clap::Args;
use paperhub_app::SimilarBy;
use serde_json::json;

use crate::assembly::Context;

/// Arguments of `paperhub similar`.
#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// Hub id, arXiv id (any spelling) or source id.
    id: String,

    /// How many papers, 1 to 100.
    #[arg(long, default_value_t = 10)]
    limit: usize,

    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `paperhub similar`.
pub fn run(ctx: &Context, args: SimilarArgs) -> anyhow::Result<ExitCode> {
    let hub = ctx.open_hub_with_model()?;
    let Some(found) = hub.similar_papers(&args.id, args.limit)? else {
        eprintln!("no paper `{}` (try `paperhub search`)", args.id);
        return Ok(ExitCode::from(1));
    };
    let (paper, similar) = (found.paper, found.hits);
    if found.by == SimilarBy::Keyword && !ctx.quiet {
        eprintln!(
            "papers sharing the most words with its title: the embedding model is not installed \
             (`paperhub model install` finds papers like it in meaning)"
        );
    }
    if args.json {
        let results: Vec<_> = similar
            .iter()
            .map(|h| json!({"id": h.paper.id, "source_id": h.paper.meta.source_id, "title": h.paper.meta.title, "score": h.score}))
            .collect();
        println!(
            "{}",
            json!({"id": paper.id, "title": paper.meta.title, "method": found.by, "similar": results})
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
