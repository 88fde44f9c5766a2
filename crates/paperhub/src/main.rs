//! `paperhub`: the research-paper hub on the command line.
//!
//! `main` reads the settings once (the library's `config.rs`), and the library's
//! `assembly.rs` opens the store they name (SQLite or PostgreSQL) and the tantivy index in the
//! data directory and hands them to [`paperhub_app::Hub`]: this crate is the only one that
//! names concrete backends. Each subcommand lives in `commands/`; progress reporting in the
//! library's `progress.rs`.

mod commands;

use paperhub::{assembly, config, progress};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// paperhub: gather research papers, search them, and serve them as a daily hub.
#[derive(Debug, Parser)]
#[command(name = "paperhub", version, about, long_about = None)]
struct Cli {
    /// A TOML configuration file (see `paperhub config --default`).
    #[arg(long, global = true, env = "PAPERHUB_CONFIG")]
    config: Option<PathBuf>,

    /// The database: postgres://user:password@host/db (shared by several nodes) or sqlite:PATH
    /// [default: paperhub.sqlite3 in the data directory].
    #[arg(
        long,
        global = true,
        env = "PAPERHUB_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,

    /// Directory of the node's local search index (and of the embedded SQLite database).
    #[arg(
        long,
        global = true,
        env = "PAPERHUB_DATA_DIR",
        default_value = "./paperhub-data"
    )]
    data_dir: PathBuf,

    /// Directory of the embedding model (default: `model` in the data directory).
    #[arg(long, global = true, env = "PAPERHUB_MODEL_DIR")]
    model_dir: Option<PathBuf>,

    /// Print only results and errors: no progress, no summaries.
    #[arg(long, short, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Gather papers from files and directories (Atom, OAI-PMH, arXiv JSON lines, listing pages, BEIR, CSV; plain or gzip).
    Ingest(commands::ingest::IngestArgs),
    /// Harvest papers from an OAI-PMH repository (arXiv's is http://export.arxiv.org/oai2), incrementally.
    Harvest(commands::harvest::HarvestArgs),
    /// Search papers by words and meaning (hybrid when the model is installed).
    Search(commands::search::SearchArgs),
    /// Show one paper by hub id, arXiv id or source id.
    Show(commands::show::ShowArgs),
    /// Papers nearest in meaning to one paper (needs the embedding model).
    Similar(commands::similar::SimilarArgs),
    /// Embed every paper that has no vector yet (ingest does this when the model is installed).
    Embed(commands::embed::EmbedArgs),
    /// Count what the hub holds.
    Stats(commands::stats::StatsArgs),
    /// Merge the search index's segments (ingest does this after bulk imports).
    Compact(commands::compact::CompactArgs),
    /// Install or check the embedding model used for search by meaning.
    Model(commands::model::ModelArgs),
    /// Serve the web hub: daily pages, paper pages, search, the JSON API and feeds.
    Serve(commands::serve::ServeArgs),
    /// Print the configuration in effect, or (--default) an example configuration file.
    Config(commands::config::ConfigArgs),
    /// Copy the hub from its database to another (SQLite to PostgreSQL and back), verified.
    Copy(commands::copy::CopyArgs),
    /// Manage accounts: add, list, roles, bans, API tokens.
    User(commands::user::UserArgs),
    /// Import and export digest subscribers (CSV).
    Subscribers(commands::subscribers::SubscribersArgs),
    /// Mail a period's digest to its subscribers, exactly once.
    Digest(commands::digest::DigestArgs),
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    // For the configuration's precedence (flags > environment > file > defaults), only
    // values typed as flags count as flags: the environment is read with the file.
    let typed = |name: &str| matches.value_source(name) == Some(ValueSource::CommandLine);
    let flags = config::Flags {
        data_dir: typed("data_dir").then(|| cli.data_dir.clone()),
        model_dir: if typed("model_dir") {
            cli.model_dir.clone()
        } else {
            None
        },
        database_url: if typed("database_url") {
            cli.database_url.clone()
        } else {
            None
        },
        listen: match &cli.command {
            Command::Serve(args) => args.listen.clone(),
            _ => None,
        },
    };
    if let Command::Config(args) = &cli.command {
        if args.default {
            return commands::config::print_default();
        }
    }
    let settings = match config::load(cli.config.as_deref(), &flags) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(2);
        }
    };
    let ctx = assembly::Context::new(settings, cli.quiet);
    let result = match cli.command {
        Command::Ingest(args) => commands::ingest::run(&ctx, args),
        Command::Harvest(args) => commands::harvest::run(&ctx, args),
        Command::Search(args) => commands::search::run(&ctx, args),
        Command::Show(args) => commands::show::run(&ctx, args),
        Command::Similar(args) => commands::similar::run(&ctx, args),
        Command::Embed(args) => commands::embed::run(&ctx, args),
        Command::Stats(args) => commands::stats::run(&ctx, args),
        Command::Compact(args) => commands::compact::run(&ctx, args),
        Command::Model(args) => commands::model::run(&ctx, args),
        Command::Serve(args) => commands::serve::run(&ctx, args),
        Command::Config(args) => commands::config::run(&ctx, args),
        Command::Copy(args) => commands::copy::run(&ctx, args),
        Command::User(args) => commands::user::run(&ctx, args),
        Command::Subscribers(args) => commands::subscribers::run(&ctx, args),
        Command::Digest(args) => commands::digest::run(&ctx, args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
