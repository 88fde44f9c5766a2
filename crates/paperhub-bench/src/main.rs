//! `paperhub-bench`: benchmarks that print numbers.
//!
//! It owns the synthetic corpus (real SciFact, arXiv and listing abstracts recombined into as
//! many papers as asked, [`corpus`]), measuring the real `paperhub ingest` binary as a child
//! process ([`ingest`]), BM25 latency and nDCG@10 on the SciFact train queries through the hub
//! opened in-process exactly as the CLI opens it ([`latency`]), the `bm25s` baseline run from
//! `bench/bm25s_baseline.py` ([`baseline`]) and the report ([`report`]). It does not own any
//! of the code it measures.

mod backends;
mod baseline;
mod corpus;
mod embed;
mod fusion;
mod ingest;
mod latency;
mod mail;
mod memory;
mod quality;
mod recommend;
mod recommend_speed;
mod relevance;
mod report;
mod run;
mod trending;
mod vectors;
mod votes;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// paperhub-bench: ingest throughput, memory, index size and BM25 latency at scale, against bm25s.
#[derive(Debug, Parser)]
#[command(name = "paperhub-bench", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// The embedding model's arithmetic, as the setting `embed.precision` of `paperhub`:
    /// `auto` or `f32` (f32 everywhere).
    #[arg(long, global = true, default_value = "auto", value_parser = ["auto", "f32"])]
    embed_precision: String,

    /// Turn the small kernels of a query's products off (`embed.few_row_kernels = false`).
    #[arg(long, global = true)]
    no_few_row_kernels: bool,

    /// Turn bf16 queries off (`embed.bf16_queries = false`).
    #[arg(long, global = true)]
    no_bf16_queries: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a deterministic synthetic BEIR corpus: the real SciFact docs, then recombinations.
    Corpus(corpus::CorpusArgs),
    /// Ingest into SQLite and into PostgreSQL side by side, and the time a commit takes to
    /// reach another node's search.
    Backends(backends::BackendsArgs),
    /// Run the whole benchmark: corpus, ingest, BM25 latency, bm25s baseline, report.
    Run(run::RunArgs),
    /// Embedding speed: paperhub's in-process model against sentence-transformers on PyTorch.
    Embed(embed::EmbedArgs),
    /// Search quality (nDCG@10, recall@100) of keyword, semantic and hybrid search on SciFact,
    /// against bm25s, sentence-transformers and their fusion.
    Quality(quality::QualityArgs),
    /// How hybrid search fuses its rankings: reciprocal rank fusion against convex
    /// combinations of normalised scores, chosen on half the judged queries, measured on the
    /// other half.
    Fusion(fusion::FusionArgs),
    /// Search by meaning at scale on the `run` hub: derived vectors, HNSW build time, size,
    /// memory, recall@10 against exact search, ANN and hybrid latency.
    Vectors(vectors::VectorsArgs),
    /// Whether the vector index of all of arXiv fits in memory: build it over derived
    /// vectors, open it in a fresh process, read that process's memory.
    Memory(memory::MemoryArgs),
    /// Upvotes per second over HTTP on the embedded SQLite hub.
    Votes(votes::VotesArgs),
    /// `/trending` requests per second on a big hub with many votes, cached and not.
    Trending(trending::TrendingArgs),
    /// A digest run to 100,000 subscribers handed to an SMTP server on loopback.
    Mail(mail::MailArgs),
    /// A minimal SMTP server on loopback that takes and counts every message (for `mail`).
    SmtpSink(mail::SinkArgs),
    /// Quality of a tag's recommendations (tags of arXiv categories, each paper held out in
    /// turn), against arxiv-sanity-lite's tf-idf + linear SVM.
    Recommend(recommend::RecommendArgs),
    /// How long a tag's recommendations take over a million papers (index-based against
    /// scoring every paper), and how many of the exact answers they find.
    RecommendSpeed(recommend_speed::RecommendSpeedArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let kernels = paperhub_embed::Kernels {
        precision: if cli.embed_precision == "f32" {
            paperhub_embed::Precision::F32
        } else {
            paperhub_embed::Precision::Auto
        },
        few_row_kernels: !cli.no_few_row_kernels,
        bf16_queries: !cli.no_bf16_queries,
    };
    paperhub_embed::set_kernels(kernels).expect("invariant: nothing ran the model yet");
    KERNELS.set(kernels).expect("invariant: set once, here");
    let result = match cli.command {
        Command::Corpus(args) => corpus::run(&args),
        Command::Backends(args) => backends::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Embed(args) => embed::run(&args),
        Command::Quality(args) => quality::run(&args),
        Command::Fusion(args) => fusion::run(&args),
        Command::Vectors(args) => vectors::run(&args),
        Command::Memory(args) => memory::run(&args),
        Command::Votes(args) => votes::run(&args),
        Command::Trending(args) => trending::run(&args),
        Command::Mail(args) => mail::run(&args),
        Command::SmtpSink(args) => mail::sink(&args),
        Command::Recommend(args) => recommend::run(args),
        Command::RecommendSpeed(args) => recommend_speed::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The app's one assembly for the hub in `data_dir` (the model in `model_dir`), every other
/// setting at its default, quiet; the embedding kernels are this binary's flags.
fn context(
    data_dir: &std::path::Path,
    model_dir: Option<&std::path::Path>,
) -> paperhub::assembly::Context {
    let mut settings = paperhub::config::Settings {
        data_dir: data_dir.to_owned(),
        model_dir: model_dir.map(std::path::Path::to_owned),
        ..paperhub::config::Settings::default()
    };
    let kernels = KERNELS.get().copied().unwrap_or_default();
    settings.embed.precision = kernels.precision;
    settings.embed.few_row_kernels = kernels.few_row_kernels;
    settings.embed.bf16_queries = kernels.bf16_queries;
    paperhub::assembly::Context::new(settings, true)
}

/// The embedding kernels the flags ask for.
static KERNELS: std::sync::OnceLock<paperhub_embed::Kernels> = std::sync::OnceLock::new();

/// The shared data beside the checkout (`../shared`), where the real material and the queries
/// live unless `--shared` says otherwise.
fn default_shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}
