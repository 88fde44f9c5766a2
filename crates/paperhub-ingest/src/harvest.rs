//! Incremental OAI-PMH harvesting over HTTP (arXiv's `https://export.arxiv.org/oai2`).
//!
//! A harvest is a chain of `ListRecords` pages linked by resumption tokens. The caller stores
//! each page and then persists the token that follows it, so that an interrupted harvest
//! resumes where it stopped. arXiv throttles with `503` and `Retry-After`; those are waited out
//! (up to a cap) and the same request is sent again.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::HarvestError;
use crate::oai::{parse_response, OaiPage};

/// Largest response body accepted.
const BODY_LIMIT: u64 = 256 * 1024 * 1024;
/// How long to wait on a 503 without a usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

/// What to harvest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarvestRequest {
    /// The repository's OAI-PMH endpoint, e.g. `https://export.arxiv.org/oai2`.
    pub base_url: String,
    /// The metadata format: `arXivRaw` (the default), `arXiv` or `oai_dc`.
    pub metadata_prefix: String,
    /// Only records changed on or after this day.
    pub from: Option<NaiveDate>,
    /// Only records changed on or before this day.
    pub until: Option<NaiveDate>,
    /// Only records in this set (`cs`, `physics:hep-th`).
    pub set: Option<String>,
}

impl HarvestRequest {
    /// A request for every `arXivRaw` record of the repository at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            metadata_prefix: "arXivRaw".to_owned(),
            from: None,
            until: None,
            set: None,
        }
    }

    fn separator(&self) -> char {
        if self.base_url.contains('?') {
            '&'
        } else {
            '?'
        }
    }

    /// The URL of the first page.
    pub fn first_url(&self) -> String {
        let mut url = format!(
            "{}{}verb=ListRecords&metadataPrefix={}",
            self.base_url,
            self.separator(),
            encode(&self.metadata_prefix)
        );
        if let Some(from) = self.from {
            url.push_str(&format!("&from={}", from.format("%Y-%m-%d")));
        }
        if let Some(until) = self.until {
            url.push_str(&format!("&until={}", until.format("%Y-%m-%d")));
        }
        if let Some(set) = &self.set {
            url.push_str(&format!("&set={}", encode(set)));
        }
        url
    }

    /// The URL of the page a resumption token names.
    pub fn resume_url(&self, token: &str) -> String {
        format!(
            "{}{}verb=ListRecords&resumptionToken={}",
            self.base_url,
            self.separator(),
            encode(token)
        )
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What a harvest did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HarvestSummary {
    /// Pages fetched and handed to the callback.
    pub pages: u64,
    /// Records that became papers.
    pub records: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Records reported deleted.
    pub deleted: u64,
    /// Requests repeated after a 503.
    pub retries: u32,
    /// The `completeListSize` last announced.
    pub complete_list_size: Option<u64>,
}

/// The error a page callback may return.
pub type CallbackError = Box<dyn std::error::Error + Send + Sync>;

type Sleep = Arc<dyn Fn(Duration) + Send + Sync>;

/// Fetches OAI-PMH pages over HTTP.
#[derive(Clone)]
pub struct Harvester {
    agent: ureq::Agent,
    /// How many times one request is repeated after a 503 before giving up.
    pub max_retries: u32,
    /// The longest wait a `Retry-After` may ask for; longer ones are cut to this.
    pub max_retry_after: Duration,
    sleep: Sleep,
}

impl std::fmt::Debug for Harvester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harvester")
            .field("max_retries", &self.max_retries)
            .field("max_retry_after", &self.max_retry_after)
            .finish_non_exhaustive()
    }
}

impl Default for Harvester {
    fn default() -> Self {
        Self::new()
    }
}

impl Harvester {
    /// A harvester with a 5-minute timeout per request, 5 retries and waits capped at 10 minutes.
    pub fn new() -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_global(Some(Duration::from_secs(300)))
            .user_agent(concat!("paperhub/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: ureq::Agent::new_with_config(config),
            max_retries: 5,
            max_retry_after: Duration::from_secs(600),
            sleep: Arc::new(std::thread::sleep),
        }
    }

    /// Replaces how the harvester waits before a retry (tests record the waits instead).
    pub fn with_sleep(mut self, sleep: impl Fn(Duration) + Send + Sync + 'static) -> Self {
        self.sleep = Arc::new(sleep);
        self
    }

    /// Harvests pages, starting from `resume_token` if given (else a fresh `ListRecords` with
    /// from/until/set).
    ///
    /// For each page calls `on_page(page, next_token)`; the caller stores the records and then
    /// persists `next_token` (`None` = list complete) so a later run can resume. Stops when
    /// the list is complete or `on_page` fails. A 503 is retried after its `Retry-After`
    /// (seconds or HTTP date, capped at `max_retry_after`) up to `max_retries` times; other HTTP
    /// errors and OAI errors other than `noRecordsMatch` end the harvest with an error naming
    /// the URL (`badResumptionToken` has its own variant: restart from the date).
    pub fn harvest(
        &self,
        request: &HarvestRequest,
        resume_token: Option<&str>,
        mut on_page: impl FnMut(OaiPage, Option<&str>) -> Result<(), CallbackError>,
    ) -> Result<HarvestSummary, HarvestError> {
        let mut summary = HarvestSummary::default();
        let mut token = resume_token.map(str::to_owned);
        loop {
            let url = match &token {
                Some(token) => request.resume_url(token),
                None => request.first_url(),
            };
            let page = self.fetch(&url, &mut summary)?;
            if let Some(error) = &page.error {
                if error.code == "badResumptionToken" {
                    return Err(HarvestError::BadResumptionToken {
                        url,
                        token: token.unwrap_or_default(),
                        message: error.message.clone(),
                    });
                }
                if !error.is_no_records_match() {
                    return Err(HarvestError::Oai {
                        url,
                        code: error.code.clone(),
                        message: error.message.clone(),
                    });
                }
            }
            summary.pages += 1;
            summary.records += page.records.iter().filter(|r| r.is_ok()).count() as u64;
            summary.rejected += page.records.iter().filter(|r| r.is_err()).count() as u64;
            summary.deleted += page.deleted.len() as u64;
            summary.complete_list_size = page.complete_list_size.or(summary.complete_list_size);
            let next = page.resumption_token.clone();
            if next.is_some() && next == token {
                // A repository handing out the same token again would loop for ever.
                return Err(HarvestError::Oai {
                    url,
                    code: "repeatedResumptionToken".to_owned(),
                    message: "the repository returned the token it was sent".to_owned(),
                });
            }
            on_page(page, next.as_deref()).map_err(HarvestError::Callback)?;
            match next {
                Some(next) => token = Some(next),
                None => return Ok(summary),
            }
        }
    }

    /// Fetches and parses one page, waiting out 503s.
    fn fetch(&self, url: &str, summary: &mut HarvestSummary) -> Result<OaiPage, HarvestError> {
        let transport = |e: ureq::Error| HarvestError::Transport {
            url: url.to_owned(),
            source: Box::new(e),
        };
        let mut attempts = 0;
        loop {
            let response = self.agent.get(url).call().map_err(transport)?;
            let status = response.status().as_u16();
            if status == 503 && attempts < self.max_retries {
                let wait = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry_after(v, Utc::now()))
                    .unwrap_or(DEFAULT_RETRY_AFTER)
                    .min(self.max_retry_after);
                attempts += 1;
                summary.retries += 1;
                (self.sleep)(wait);
                continue;
            }
            let body = response
                .into_body()
                .with_config()
                .limit(BODY_LIMIT)
                .read_to_vec();
            if !(200..300).contains(&status) {
                // Some repositories send OAI errors with a 4xx status: report the OAI error.
                if let Some(page) = body.ok().and_then(|b| parse_response(&b, url).ok()) {
                    if page.error.is_some() {
                        return Ok(page);
                    }
                }
                return Err(HarvestError::Status {
                    url: url.to_owned(),
                    status,
                });
            }
            let body = body.map_err(transport)?;
            return parse_response(&body, url).map_err(|source| HarvestError::Parse {
                url: url.to_owned(),
                source,
            });
        }
    }
}

/// Reads a `Retry-After` value: seconds, or an HTTP date.
fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((date - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_request_encoded() {
        let mut request = HarvestRequest::new("http://h/oai2");
        request.from = NaiveDate::from_ymd_opt(2024, 1, 2);
        request.until = NaiveDate::from_ymd_opt(2024, 1, 3);
        request.set = Some("physics:hep-th".to_owned());
        assert_eq!(
            request.first_url(),
            "http://h/oai2?verb=ListRecords&metadataPrefix=arXivRaw&from=2024-01-02&until=2024-01-03&set=physics%3Ahep-th"
        );
        assert_eq!(
            request.resume_url("1403493|1001"),
            "http://h/oai2?verb=ListRecords&resumptionToken=1403493%7C1001"
        );
    }

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }
}
