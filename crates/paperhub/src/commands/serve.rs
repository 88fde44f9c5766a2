//! `paperhub serve`: the web hub.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use paperhub_app::Follower;
use paperhub_web::{Application, LogFormat};

use crate::assembly::Context;

/// How often a node looks at the store when no notification woke it (SQLite, where other
/// processes on the machine may write, sends none; PostgreSQL's are only a shortcut).
const FOLLOW_POLL: Duration = Duration::from_millis(500);

/// Arguments of `paperhub serve`.
#[derive(Debug, Args)]
#[command(
    after_help = "Settings come from, in increasing precedence: built-in defaults, the TOML file \
(--config or PAPERHUB_CONFIG), environment variables (PAPERHUB_DATA_DIR, PAPERHUB_MODEL_DIR, \
PAPERHUB_DATABASE_URL, PAPERHUB_SERVER__LISTEN, …), and flags. `paperhub config --default` \
prints an example file.\n\nSeveral nodes can serve one hub: give each its own --data-dir and the \
same --database-url postgres://…; each keeps its search index in step with the database."
)]
pub struct ServeArgs {
    /// The address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<String>,
}

/// Runs `paperhub serve`.
pub fn run(ctx: &Context, _args: ServeArgs) -> anyhow::Result<ExitCode> {
    // `--listen` is already in the settings (main reads every flag into them).
    let server = ctx.settings.server_config()?;
    init_logs(server.log_format);
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
    // What other processes and nodes commit reaches this node's indexes within a poll, or at
    // once where the database notifies (PostgreSQL).
    let follower = Follower::start(hub.clone(), FOLLOW_POLL);
    let mail = MailThread::start(ctx, &hub)?;
    let served = runtime.block_on(async {
        let app = Application::build(hub.clone(), server).await?;
        let addr = app.local_addr()?;
        tracing::info!(%addr, data_dir = %ctx.data_dir().display(), backend = hub.store().backend(), "serving the hub");
        if !ctx.quiet {
            eprintln!("paperhub is serving on http://{addr}/ (ctrl-c stops it)");
        }
        app.run_until(paperhub_web::shutdown_signal()).await
    });
    follower.stop();
    mail.stop();
    if hub.has_semantic() {
        // The vectors taken in while serving, so that the next start does not load them again.
        if let Err(error) = hub.save_vectors() {
            tracing::warn!(%error, "saving the vector index failed; it catches up on the next start");
        }
    }
    served?;
    Ok(ExitCode::SUCCESS)
}

/// How often the mail thread looks for mails that are due.
const MAIL_POLL: Duration = Duration::from_secs(1);

/// The thread that sends what the outbox holds (confirmations at once, digests and retries
/// when due) and, with `mail.schedule`, plans the digests at their hour.
struct MailThread {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl MailThread {
    fn start(ctx: &Context, hub: &paperhub_app::Hub) -> anyhow::Result<Self> {
        let sender = ctx.mail_sender().context("setting up mail")?;
        let delivery = ctx.delivery(hub, sender)?;
        let schedule = ctx
            .settings
            .mail
            .schedule
            .then_some(ctx.settings.mail.schedule_hour_utc);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("mail".into())
            .spawn(move || {
                while !stopping.load(std::sync::atomic::Ordering::Acquire) {
                    match delivery.tick(chrono::Utc::now(), schedule) {
                        Ok(stats) if stats.sent + stats.failed > 0 => {
                            tracing::info!(
                                sent = stats.sent,
                                failed = stats.failed,
                                retried = stats.retried,
                                "mail handed over"
                            )
                        }
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "sending mail failed; trying again"),
                    }
                    std::thread::sleep(MAIL_POLL);
                }
            })
            .context("starting the mail thread")?;
        Ok(MailThread { stop, thread })
    }

    /// Stops after the mails in hand are finished.
    fn stop(self) {
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        let _ = self.thread.join();
    }
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
