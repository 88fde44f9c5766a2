//! `paperhub digest run`: mail a period's digest to every confirmed subscriber, exactly once,
//! for cron (or `serve`'s scheduler, `mail.schedule`).

use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use paperhub_core::Frequency;

use crate::assembly::Context;
use crate::progress::Progress;

/// Arguments of `paperhub digest`.
#[derive(Debug, Args)]
pub struct DigestArgs {
    #[command(subcommand)]
    command: DigestCommand,
}

#[derive(Debug, Subcommand)]
enum DigestCommand {
    /// Plan the period's digests (one per confirmed subscriber; planning twice, or on two
    /// nodes, plans once) and send them. Exits 0 when every mail of the period was handed to
    /// the mail server (or had nothing new to send), 1 when some still wait for a retry or
    /// failed: a later run sends those that wait, and none twice.
    Run {
        /// `daily` or `weekly`.
        #[arg(long, value_parser = parse_frequency)]
        period: Frequency,
        /// The period's (last) day, YYYY-MM-DD [default: the latest day the hub lists].
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Seconds to keep retrying mails that failed for a while (a server answering 421,
        /// a dropped connection) before exiting.
        #[arg(long, default_value_t = 600)]
        wait_secs: u64,
    },
}

fn parse_frequency(text: &str) -> Result<Frequency, String> {
    text.parse()
        .map_err(|e: paperhub_core::InvalidFrequency| e.to_string())
}

/// Runs `paperhub digest`.
pub fn run(ctx: &Context, args: DigestArgs) -> anyhow::Result<ExitCode> {
    let DigestCommand::Run {
        period,
        date,
        wait_secs,
    } = args.command;
    let hub = ctx.open_hub_with_model()?;
    let sender = ctx.mail_sender()?;
    let delivery = ctx.delivery(&hub, sender.clone())?;
    let date = match date {
        Some(date) => date,
        None => delivery.default_date(Utc::now())?,
    };
    let progress = Progress::new(ctx.quiet, &format!("mailing the {period} digest of {date}"));
    let started = std::time::Instant::now();
    let outcome = delivery.run_digests(
        period,
        date,
        std::time::Duration::from_secs(wait_secs),
        &|counts| {
            progress.records(
                counts.sent + counts.skipped + counts.failed,
                Some(counts.sent + counts.skipped + counts.failed + counts.pending),
            )
        },
    )?;
    let secs = started.elapsed().as_secs_f64();
    let (render_secs, send_secs) = sender.timings();
    let counts = outcome.counts;
    progress.finish(Some(format!(
        "{period} digest of {date}: {} sent, {} with nothing new, {} waiting, {} failed \
         (this run: {} sent in {secs:.1} s; {} planned; searching {:.1} s, rendering {render_secs:.1} s, handing over {send_secs:.1} s)",
        counts.sent,
        counts.skipped,
        counts.pending,
        counts.failed,
        outcome.stats.sent,
        outcome.planned,
        outcome.stats.search_secs,
    )));
    if outcome.complete() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: {} mails of the {period} digest of {date} were not handed over ({} waiting for a retry, {} failed); run it again to send those waiting",
            counts.pending + counts.failed,
            counts.pending,
            counts.failed
        );
        Ok(ExitCode::from(1))
    }
}
