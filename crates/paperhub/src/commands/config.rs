//! `paperhub config`: the configuration file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::config::{self, Flags, EXAMPLE};

/// Arguments of `paperhub config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print an example configuration file with every setting at its default.
    #[arg(long)]
    default: bool,

    /// A TOML configuration file to read (without --default: print the settings in effect).
    #[arg(long, env = "PAPERHUB_CONFIG")]
    config: Option<PathBuf>,
}

/// Runs `paperhub config`.
pub fn run(flags: Flags, args: ConfigArgs) -> anyhow::Result<ExitCode> {
    if args.default {
        print!("{EXAMPLE}");
        return Ok(ExitCode::SUCCESS);
    }
    let settings = config::load(args.config.as_deref(), &flags)?;
    settings.server_config()?;
    print!("{}", settings.to_toml()?);
    Ok(ExitCode::SUCCESS)
}
