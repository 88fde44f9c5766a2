//! `paperhub search QUERY` and `paperhub search --queries FILE`.

use std::io::{BufRead, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use clap::Args;
use paperhub_app::{Hub, SearchHit, SearchMode, SearchRequest, SearchResults};
use paperhub_search::Snippet;
use serde_json::json;

use crate::assembly::Context;
use crate::commands::ingest::parse_day;

/// Arguments of `paperhub search`.
#[derive(Debug, Args)]
#[command(
    after_help = "Query syntax: words (stemmed), \"exact phrases\", +required, -excluded, title:word, \
author:name or author:\"First Last\", category:cs.CV, date:2024-01-01..2024-12-31 (either end optional)."
)]
pub struct SearchArgs {
    /// What to look for.
    #[arg(required_unless_present = "queries")]
    query: Option<String>,

    /// Run every query in FILE (one per line) and print one JSON line per query.
    #[arg(long, conflicts_with = "query")]
    queries: Option<PathBuf>,

    /// How many results, 1 to 100 [default: 10].
    #[arg(long)]
    limit: Option<usize>,

    /// Skip this many results (the next page), at most 10000.
    #[arg(long)]
    offset: Option<usize>,

    /// How to search [default: hybrid when the embedding model is installed, else keyword].
    #[arg(long, value_parser = mode_parser())]
    mode: Option<SearchMode>,

    /// Only papers with this author.
    #[arg(long)]
    author: Option<String>,

    /// Only papers in this category (e.g. cs.CV).
    #[arg(long)]
    category: Option<String>,

    /// Only papers listed on or after this day (YYYY-MM-DD).
    #[arg(long, value_parser = parse_day)]
    from: Option<NaiveDate>,

    /// Only papers listed on or before this day (YYYY-MM-DD).
    #[arg(long, value_parser = parse_day)]
    until: Option<NaiveDate>,

    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The modes, as the hub spells them, listed in `--help`.
fn mode_parser() -> impl clap::builder::TypedValueParser<Value = SearchMode> {
    PossibleValuesParser::new(SearchMode::ALL.map(SearchMode::as_str)).map(|mode| {
        mode.parse::<SearchMode>()
            .expect("invariant: the possible values are the modes")
    })
}

impl SearchArgs {
    /// The arguments as the hub's one search request, for the query `text`.
    fn request(&self, text: &str, snippets: bool) -> SearchRequest {
        SearchRequest {
            q: text.to_owned(),
            mode: self.mode,
            author: self.author.clone(),
            category: self.category.clone(),
            from: self.from,
            until: self.until,
            limit: self.limit,
            offset: self.offset,
            snippets,
        }
    }
}

/// Runs `paperhub search`.
pub fn run(ctx: &Context, args: SearchArgs) -> anyhow::Result<ExitCode> {
    // The hub decides the mode; only a search by keyword alone is spared loading the model.
    let hub = if args.mode == Some(SearchMode::Keyword) {
        ctx.open_hub()?
    } else {
        ctx.open_hub_with_model()?
    };
    if let Some(file) = &args.queries {
        return run_batch(&hub, &args, file);
    }
    let text = args
        .query
        .as_deref()
        .expect("invariant: clap requires a query without --queries");
    let SearchResults {
        mode, hits, offset, ..
    } = hub.search(&args.request(text, true))?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.json {
        let results: Vec<_> = hits.iter().map(hit_json).collect();
        writeln!(
            out,
            "{}",
            json!({ "query": text, "mode": mode.as_str(), "results": results })
        )?;
    } else if hits.is_empty() {
        writeln!(out, "no papers match `{text}`")?;
    } else {
        let color = std::io::stdout().is_terminal();
        for (rank, hit) in hits.iter().enumerate() {
            print_hit(&mut out, offset + rank + 1, hit, color)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_batch(hub: &Hub, args: &SearchArgs, file: &PathBuf) -> anyhow::Result<ExitCode> {
    let input = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for (number, line) in std::io::BufReader::new(input).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}: reading", file.display(), number + 1))?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let found = hub
            .search(&args.request(text, false))
            .with_context(|| format!("{}:{}", file.display(), number + 1))?;
        let results: Vec<_> = found
            .hits
            .iter()
            .map(|h| {
                json!({
                    "id": h.paper.id,
                    "source_id": h.paper.meta.source_id,
                    "title": h.paper.meta.title,
                    "score": h.score,
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            json!({ "query": text, "mode": found.mode.as_str(), "results": results })
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn hit_json(hit: &SearchHit) -> serde_json::Value {
    let meta = &hit.paper.meta;
    json!({
        "id": hit.paper.id,
        "source_id": meta.source_id,
        "arxiv_id": meta.arxiv_id.as_ref().map(|a| a.as_str()),
        "title": meta.title,
        "authors": meta.authors,
        "listed_on": hit.paper.listed_on,
        "categories": meta.categories,
        "score": hit.score,
        "snippet": hit.snippet.as_ref().map(|s| marked(s, "<mark>", "</mark>")),
    })
}

/// The snippet with its highlights wrapped in `open`/`close`.
fn marked(snippet: &Snippet, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(snippet.fragment.len() + 16);
    let mut at = 0;
    for range in &snippet.highlights {
        out.push_str(&snippet.fragment[at..range.start]);
        out.push_str(open);
        out.push_str(&snippet.fragment[range.clone()]);
        out.push_str(close);
        at = range.end;
    }
    out.push_str(&snippet.fragment[at..]);
    out
}

fn print_hit(
    out: &mut impl Write,
    rank: usize,
    hit: &SearchHit,
    color: bool,
) -> std::io::Result<()> {
    let meta = &hit.paper.meta;
    let (bold, reset) = if color {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    writeln!(
        out,
        "{rank:>3}. {bold}{}{reset}  [{}]  score {:.2}",
        meta.title, hit.paper.id, hit.score
    )?;
    let mut line = Vec::new();
    if !meta.authors.is_empty() {
        let shown: Vec<&str> = meta.authors.iter().take(4).map(String::as_str).collect();
        let more = if meta.authors.len() > 4 {
            " et al."
        } else {
            ""
        };
        line.push(format!("{}{more}", shown.join(", ")));
    }
    if let Some(day) = hit.paper.listed_on {
        line.push(day.to_string());
    }
    if !meta.categories.is_empty() {
        line.push(meta.categories.join(" "));
    }
    if !line.is_empty() {
        writeln!(out, "     {}", line.join(" · "))?;
    }
    if let Some(snippet) = &hit.snippet {
        let (open, close) = if color {
            ("\x1b[1;33m", "\x1b[0m")
        } else {
            ("*", "*")
        };
        writeln!(out, "     {}", marked(snippet, open, close))?;
    }
    writeln!(out)
}
