//! Gathering papers: reading every format paperhub ingests and harvesting arXiv over OAI-PMH.
//!
//! This crate owns the formats: arXiv API Atom feeds ([`atom`]), OAI-PMH responses in
//! `arXivRaw`, `arXiv` and `oai_dc` ([`oai`]), the arXiv JSON snapshot, hub listing pages, BEIR
//! corpora and CSV files; telling them apart ([`detect_format`]); streaming files of any size,
//! plain or gzipped ([`read_file`]); incremental harvesting over HTTP ([`harvest`]); and looking one paper up in the arXiv API
//! ([`arxiv_api`]), for submissions. Every
//! record comes out as a [`paperhub_core::PaperMeta`] passed through
//! [`PaperMeta::normalized`](paperhub_core::PaperMeta::normalized), or as a [`RecordError`]
//! saying where and why it was rejected.
//!
//! It does not own what a paper is or the text rules (`paperhub-core`), storing papers or
//! deciding which record wins (`paperhub-store*`), nor scheduling harvests (the jobs and the
//! binary).

pub mod arxiv_api;
mod error;
mod formats;
pub mod harvest;
mod read;

pub use error::{HarvestError, IngestError, RecordError, Result};
pub use formats::{atom, oai};
pub use paperhub_core::SourceFormat;
pub use read::{detect_format, expand_paths, read_file, FileRecords, ReadOptions, ReadProgress};
