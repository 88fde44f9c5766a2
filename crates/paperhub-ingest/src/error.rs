//! What can go wrong while gathering papers.
//!
//! Two levels, on purpose: an [`IngestError`] means a whole input cannot be read at all (the
//! caller reports it and moves on to the next file), a [`RecordError`] means one record in an
//! otherwise readable input was rejected (the caller counts it and keeps going). Harvesting
//! over HTTP has its own [`HarvestError`], since its failures (status codes, OAI error codes,
//! a stale resumption token) call for different reactions.

use std::path::PathBuf;

use paperhub_core::InvalidPaper;

/// One rejected record: where and why.
///
/// Displays as `{origin}:{location}: {reason}`, e.g.
/// `data/x.jsonl:line 17: invalid JSON: expected `,` at column 5`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{location}: {reason}")]
pub struct RecordError {
    /// The file or URL the record came from.
    pub origin: String,
    /// Where in it: `line 17`, `entry 3`, `record 2`, `byte 4096`.
    pub location: String,
    /// Why it was rejected.
    pub reason: String,
}

impl RecordError {
    /// A record error from its parts.
    pub fn new(origin: &str, location: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            origin: origin.to_owned(),
            location: location.into(),
            reason: reason.into(),
        }
    }

    /// A record that [`paperhub_core::PaperMeta::normalized`] refused.
    pub(crate) fn invalid(origin: &str, location: impl Into<String>, why: InvalidPaper) -> Self {
        Self::new(origin, location, why.to_string())
    }
}

/// A whole input that cannot be read at all. Every message names the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The path does not exist or cannot be opened or listed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file (after decompression) holds no bytes.
    #[error("{}: file is empty", path.display())]
    Empty {
        /// The path.
        path: PathBuf,
    },
    /// The content matches none of the formats.
    #[error("{}: cannot tell the format (found {found}); pass a format explicitly", path.display())]
    UnknownFormat {
        /// The path.
        path: PathBuf,
        /// What the file starts with.
        found: String,
    },
    /// A format was forced but the content is something else.
    #[error("{}: expected {expected}, found {found}", path.display())]
    WrongFormat {
        /// The path.
        path: PathBuf,
        /// The format asked for, described (`an Atom feed (<feed>)`).
        expected: &'static str,
        /// What the file holds instead.
        found: String,
    },
    /// The file starts like gzip but cannot be decompressed.
    #[error("{}: broken gzip stream: {source}", path.display())]
    Gzip {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is of the right format but unusable as a whole (a CSV without a title column,
    /// an XML document that declares its own entities).
    #[error("{}: {reason}", path.display())]
    Malformed {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// This crate's result type for whole inputs.
pub type Result<T> = std::result::Result<T, IngestError>;

/// Why an OAI-PMH harvest stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarvestError {
    /// The request could not be made or its body not read (DNS, connection, timeout, body too large).
    #[error("{url}: {source}")]
    Transport {
        /// The URL requested.
        url: String,
        /// The cause.
        source: Box<ureq::Error>,
    },
    /// The server answered with an HTTP error status (after retries, for 503).
    #[error("{url}: HTTP status {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The repository answered with an OAI-PMH error other than `noRecordsMatch`.
    #[error("{url}: OAI-PMH error {code}: {message}")]
    Oai {
        /// The URL requested.
        url: String,
        /// The OAI error code (`badArgument`, `cannotDisseminateFormat`, ...).
        code: String,
        /// The repository's message.
        message: String,
    },
    /// The resumption token is no longer valid (expired, or the list changed): restart the
    /// harvest from its date instead of resuming.
    #[error("{url}: resumption token `{token}` rejected (badResumptionToken): {message}")]
    BadResumptionToken {
        /// The URL requested.
        url: String,
        /// The token sent.
        token: String,
        /// The repository's message.
        message: String,
    },
    /// The response is not an OAI-PMH document.
    #[error("{url}: unreadable response: {source}")]
    Parse {
        /// The URL requested.
        url: String,
        /// What was wrong.
        source: RecordError,
    },
    /// The page callback failed; the token of that page was not passed on as done.
    #[error("storing a harvested page failed: {0}")]
    Callback(#[source] Box<dyn std::error::Error + Send + Sync>),
}
