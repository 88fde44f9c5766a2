//! `paperhub config`: the configuration file.

use std::process::ExitCode;

use clap::Args;

use crate::assembly::Context;
use crate::config::EXAMPLE;

/// Arguments of `paperhub config`.
#[derive(Debug, Args)]
#[command(
    after_help = "Without --default, prints the settings in effect: the defaults, then the file of \
the global --config (or PAPERHUB_CONFIG), the environment and the flags."
)]
pub struct ConfigArgs {
    /// Print an example configuration file with every setting at its default.
    #[arg(long)]
    pub default: bool,
}

/// `paperhub config --default`.
pub fn print_default() -> ExitCode {
    print!("{EXAMPLE}");
    ExitCode::SUCCESS
}

/// Runs `paperhub config`.
pub fn run(ctx: &Context, args: ConfigArgs) -> anyhow::Result<ExitCode> {
    if args.default {
        return Ok(print_default());
    }
    ctx.settings.server_config()?;
    ctx.database()?;
    print!("{}", ctx.settings.to_toml()?);
    Ok(ExitCode::SUCCESS)
}
