//! Looking one paper up in the arXiv API (`?id_list=ID`, as arXiv's API documents), for
//! community submissions.
//!
//! The client asks only its configured base URL (`arxiv.api_url`): the id a member typed is
//! parsed into an [`ArxivId`] first and only that id travels, so the hub never fetches a URL a
//! user typed. Every failure is a [`LookupError`] that says, for a person, what went wrong:
//! arXiv unreachable, too slow, answering an error status, a document that is not an Atom
//! feed, an error feed, no such paper, or an entry for another paper than the one asked for.

use std::time::Duration;

use paperhub_core::{ArxivId, PaperMeta};

use crate::formats::atom::{parse_feed, API_ERROR};

/// arXiv's own API endpoint.
pub const ARXIV_API_URL: &str = "https://export.arxiv.org/api/query";

/// The most an answer may weigh: one entry is a few kilobytes.
const BODY_LIMIT: u64 = 2 * 1024 * 1024;

/// Why a lookup found no paper.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// The API could not be reached (connection refused, DNS, a broken connection).
    #[error("the arXiv API at {url} could not be reached: {reason}")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The cause.
        reason: String,
    },
    /// The API did not answer in time.
    #[error("the arXiv API at {url} did not answer within {seconds} s")]
    Timeout {
        /// The URL asked.
        url: String,
        /// The limit.
        seconds: u64,
    },
    /// The API answered with an HTTP error status.
    #[error("the arXiv API at {url} answered HTTP {status}")]
    Status {
        /// The URL asked.
        url: String,
        /// The status.
        status: u16,
    },
    /// The answer is not an arXiv API feed, or its entry cannot be read.
    #[error("the arXiv API at {url} answered something that is not a readable feed: {reason}")]
    Malformed {
        /// The URL asked.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// arXiv refused the id (its error feed), with arXiv's message.
    #[error("arXiv refused `{id}`: {message}")]
    Refused {
        /// The id asked for.
        id: String,
        /// arXiv's message.
        message: String,
    },
    /// arXiv has no paper with this id.
    #[error("arXiv has no paper `{id}`")]
    NotFound {
        /// The id asked for.
        id: String,
    },
}

impl LookupError {
    /// Whether the fault is the API's (unreachable, slow, erroring, malformed) rather than the
    /// id's (refused, unknown): the first is worth trying again later.
    pub fn is_upstream(&self) -> bool {
        matches!(
            self,
            LookupError::Unreachable { .. }
                | LookupError::Timeout { .. }
                | LookupError::Status { .. }
                | LookupError::Malformed { .. }
        )
    }
}

/// A client of the arXiv API at one base URL.
#[derive(Clone)]
pub struct ArxivApi {
    base_url: String,
    timeout: Duration,
    agent: ureq::Agent,
}

impl std::fmt::Debug for ArxivApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArxivApi")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ArxivApi {
    /// A client of the API at `base_url` (e.g. [`ARXIV_API_URL`]) that gives up on an answer
    /// after `timeout`.
    pub fn new(base_url: impl Into<String>, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .user_agent(concat!("paperhub/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            base_url: base_url.into(),
            timeout,
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// The base URL asked.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL that asks for `id` (with its version, if it names one).
    pub fn url_for(&self, id: &ArxivId) -> String {
        let separator = if self.base_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{separator}id_list={}", self.base_url, id)
    }

    /// The paper `id` as arXiv describes it, normalised like every ingested record.
    pub fn lookup(&self, id: &ArxivId) -> Result<PaperMeta, LookupError> {
        let url = self.url_for(id);
        let failed = |error: ureq::Error| match error {
            ureq::Error::Timeout(_) => LookupError::Timeout {
                url: url.clone(),
                seconds: self.timeout.as_secs().max(1),
            },
            other => LookupError::Unreachable {
                url: url.clone(),
                reason: other.to_string(),
            },
        };
        let response = self.agent.get(&url).call().map_err(failed)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(LookupError::Status { url, status });
        }
        let body = response
            .into_body()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_vec()
            .map_err(failed)?;
        let feed = parse_feed(&body, &url).map_err(|e| LookupError::Malformed {
            url: url.clone(),
            reason: e.reason,
        })?;
        let mut records = feed.records.into_iter();
        let Some(record) = records.next() else {
            return Err(LookupError::NotFound { id: id.to_string() });
        };
        let meta = record.map_err(|e| match e.reason.strip_prefix(API_ERROR) {
            Some(message) => LookupError::Refused {
                id: id.to_string(),
                message: message.to_owned(),
            },
            None => LookupError::Malformed {
                url: url.clone(),
                reason: e.to_string(),
            },
        })?;
        match &meta.arxiv_id {
            Some(found) if found.as_str() == id.as_str() => Ok(meta),
            found => Err(LookupError::Malformed {
                url,
                reason: format!(
                    "asked for {} and got an entry for {}",
                    id.as_str(),
                    found.as_ref().map_or("no arXiv id", |f| f.as_str())
                ),
            }),
        }
    }
}
