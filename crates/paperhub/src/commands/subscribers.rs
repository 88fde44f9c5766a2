//! `paperhub subscribers import|export`: an operator's lists of digest subscribers, as CSV.

use std::process::ExitCode;

use anyhow::Context as _;
use chrono::Utc;
use clap::{Args, Subcommand};

use crate::assembly::Context;

/// Arguments of `paperhub subscribers`.
#[derive(Debug, Args)]
pub struct SubscribersArgs {
    #[command(subcommand)]
    command: SubscribersCommand,
}

#[derive(Debug, Subcommand)]
enum SubscribersCommand {
    /// Import subscribers from a CSV file whose header line names the columns: `email`, and
    /// optionally `frequency` (daily or weekly) and `topics` (search queries separated by `;`).
    /// All rows or none: a bad row is reported by its line and nothing is stored. An address
    /// that unsubscribed stays unsubscribed.
    Import {
        /// The CSV file (`-` for stdin).
        file: std::path::PathBuf,
        /// The list opted in elsewhere: subscribe without a confirmation mail. Without it, each
        /// address not confirmed yet is sent one.
        #[arg(long)]
        confirmed: bool,
    },
    /// Print every subscriber as CSV (email, frequency, topics, status, created_at).
    Export,
}

/// Runs `paperhub subscribers`.
pub fn run(ctx: &Context, args: SubscribersArgs) -> anyhow::Result<ExitCode> {
    let subscriptions = ctx.open_subscriptions()?;
    match args.command {
        SubscribersCommand::Import { file, confirmed } => {
            let source = file.display().to_string();
            let imported = if source == "-" {
                subscriptions.import_csv(std::io::stdin().lock(), "stdin", confirmed, Utc::now())
            } else {
                let reader =
                    std::fs::File::open(&file).with_context(|| format!("opening {source}"))?;
                subscriptions.import_csv(reader, &source, confirmed, Utc::now())
            }?;
            if !ctx.quiet {
                eprintln!(
                    "imported {} subscribers from {source} ({} new){}",
                    imported.rows,
                    imported.new,
                    if confirmed {
                        ""
                    } else {
                        "; confirmation mails queued for those not confirmed"
                    }
                );
            }
        }
        SubscribersCommand::Export => {
            let mut out = csv::Writer::from_writer(std::io::stdout().lock());
            subscriptions.export(|row| {
                out.serialize(row)
                    .map_err(|e| paperhub_app::HubError::Invalid(format!("writing CSV: {e}")))
            })?;
            out.flush().context("writing CSV to stdout")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
