//! paperhub's domain: what a paper is and the rules that hold for it, and who its people are.
//!
//! This crate owns the paper model ([`NewPaper`], [`Paper`]), identifiers ([`ArxivId`],
//! [`PaperId`]), the text rules applied to everything gathered (whitespace, TeX accents,
//! simple markup: [`text`]) and the mining of code links from abstracts and comments
//! ([`links`]), and accounts' logins and roles ([`account`]). It does no I/O: parsing file formats lives in `paperhub-ingest`, storage in
//! `paperhub-store*`, indexing in `paperhub-search`.

pub mod account;
pub mod arxiv_id;
pub mod links;
pub mod paper;
pub mod subscription;
pub mod text;

pub use account::{Email, InvalidEmail, Role};
pub use arxiv_id::{ArxivId, ArxivIdError};
pub use paper::{Identity, InvalidPaper, Links, Paper, PaperId, PaperMeta, SourceFormat};
pub use subscription::{Frequency, InvalidFrequency};
