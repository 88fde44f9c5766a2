//! `paperhub show ID`

use std::process::ExitCode;

use clap::Args;

use crate::assembly::Context;

/// Arguments of `paperhub show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Hub id (`2402.13616`, `t-…`), arXiv id in any spelling (`arXiv:2402.13616v2`) or source id.
    id: String,

    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `paperhub show`.
pub fn run(ctx: &Context, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let hub = ctx.open_hub()?;
    let Some(paper) = hub.find_paper(&args.id)? else {
        eprintln!("no paper `{}` (try `paperhub search`)", args.id);
        return Ok(ExitCode::from(1));
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&paper)?);
        return Ok(ExitCode::SUCCESS);
    }
    let m = &paper.meta;
    println!("{}", m.title);
    println!("id:          {}", paper.id);
    if let Some(a) = &m.arxiv_id {
        println!("arXiv:       {a}");
    }
    if let Some(s) = &m.source_id {
        println!("source id:   {s}");
    }
    if !m.authors.is_empty() {
        println!("authors:     {}", m.authors.join(", "));
    }
    if !m.categories.is_empty() {
        println!("categories:  {}", m.categories.join(" "));
    }
    if let Some(d) = paper.listed_on {
        println!("listed on:   {d}");
    }
    if let Some(d) = m.published {
        println!("published:   {}", d.format("%Y-%m-%d"));
    }
    if let Some(d) = m.updated {
        println!("updated:     {}", d.format("%Y-%m-%d"));
    }
    for (label, link) in [
        ("abstract:", &m.links.abs),
        ("pdf:", &m.links.pdf),
        ("doi:", &m.links.doi),
    ] {
        if let Some(link) = link {
            println!("{label:<12} {link}");
        }
    }
    for code in &m.links.code {
        println!("code:        {code}");
    }
    if let Some(c) = &m.comments {
        println!("comments:    {c}");
    }
    if let Some(j) = &m.journal_ref {
        println!("journal:     {j}");
    }
    println!("\n{}", m.abstract_text);
    Ok(ExitCode::SUCCESS)
}
