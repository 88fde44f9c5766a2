//! `paperhub serve`: the web hub.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use paperhub_web::{Application, LogFormat};

use crate::app::Context;
use crate::config::{self, Flags};

/// Arguments of `paperhub serve`.
#[derive(Debug, Args)]
#[command(
    after_help = "Settings come from, in increasing precedence: built-in defaults, the TOML file \
(--config or PAPERHUB_CONFIG), environment variables (PAPERHUB_DATA_DIR, PAPERHUB_MODEL_DIR, \
PAPERHUB_SERVER__LISTEN, …), and flags. `paperhub config --default` prints an example file."
)]
pub struct ServeArgs {
    /// The address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<String>,

    /// A TOML configuration file.
    #[arg(long, env = "PAPERHUB_CONFIG")]
    config: Option<PathBuf>,
}

/// Runs `paperhub serve`.
pub fn run(ctx: &Context, flags: Flags, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let flags = Flags {
        listen: args.listen,
        ..flags
    };
    let settings = config::load(args.config.as_deref(), &flags)?;
    let server = settings.server_config()?;
    init_logs(server.log_format);
    let ctx = Context {
        data_dir: settings.data_dir.clone(),
        model_dir: settings.model_dir.clone(),
        quiet: ctx.quiet,
    };
    let hub = ctx.open_hub_with_model()?;
    if !hub.has_semantic() {
        tracing::warn!(
            model_dir = %ctx.model_dir().display(),
            "no embedding model: search by meaning and similar papers are off (`paperhub model install`)"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let app = Application::build(hub, server).await?;
        let addr = app.local_addr()?;
        tracing::info!(%addr, data_dir = %ctx.data_dir.display(), "serving the hub");
        if !ctx.quiet {
            eprintln!("paperhub is serving on http://{addr}/ (ctrl-c stops it)");
        }
        app.run_until(paperhub_web::shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

fn init_logs(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PAPERHUB_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if let Err(error) = result {
        eprintln!("warning: request logs are off: {error}");
    }
}
