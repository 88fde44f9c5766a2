//! `paperhub harvest --oai URL`

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Args;
use paperhub_app::{HarvestPlan, IngestObserver, IngestSummary};
use paperhub_ingest::harvest::{HarvestRequest, Harvester};
use paperhub_ingest::RecordError;

use crate::assembly::Context;
use crate::commands::ingest::parse_day;
use crate::progress::Progress;

/// Arguments of `paperhub harvest`.
#[derive(Debug, Args)]
pub struct HarvestArgs {
    /// The repository's OAI-PMH base URL.
    #[arg(long = "oai", value_name = "URL")]
    base_url: String,

    /// Harvest records changed on or after this day (YYYY-MM-DD). Left out: continue from
    /// where the last harvest of this URL and set ended.
    #[arg(long, value_parser = parse_day)]
    from: Option<NaiveDate>,

    /// Harvest records changed on or before this day.
    #[arg(long, value_parser = parse_day)]
    until: Option<NaiveDate>,

    /// Only this OAI set (arXiv: `cs`, `physics:hep-th`, …).
    #[arg(long)]
    set: Option<String>,

    /// The metadata format to ask for: arXivRaw (richest, has every version), arXiv or oai_dc.
    #[arg(long, default_value = "arXivRaw")]
    metadata_prefix: String,

    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

struct Reporter<'a> {
    progress: &'a Progress,
}

impl IngestObserver for Reporter<'_> {
    fn rejected(&mut self, error: &RecordError) {
        self.progress.println(&format!("rejected: {error}"));
    }
    fn committed(&mut self, summary: &IngestSummary) {
        self.progress.records(summary.records(), None);
    }
}

/// Runs `paperhub harvest`.
pub fn run(ctx: &Context, args: HarvestArgs) -> anyhow::Result<ExitCode> {
    let hub = ctx.open_hub()?;
    let mut request = HarvestRequest::new(args.base_url);
    request.metadata_prefix = args.metadata_prefix;
    request.from = args.from;
    request.until = args.until;
    request.set = args.set;
    let progress = Progress::new(ctx.quiet, "harvesting");
    let outcome = hub.harvest(
        &Harvester::new(),
        HarvestPlan { request },
        &mut Reporter {
            progress: &progress,
        },
    )?;
    progress.finish(None);
    if args.json {
        println!("{}", serde_json::to_string(&outcome)?);
    }
    if !ctx.quiet {
        let s = &outcome.summary;
        eprintln!(
            "{} pages{}: {} added, {} updated, {} unchanged, {} rejected, {} deleted upstream{}",
            outcome.pages,
            if outcome.resumed { " (resumed)" } else { "" },
            s.added,
            s.updated,
            s.unchanged,
            s.rejected,
            outcome.deleted,
            if outcome.retries > 0 {
                format!(", {} retries after 503", outcome.retries)
            } else {
                String::new()
            },
        );
    }
    Ok(if outcome.summary.rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
