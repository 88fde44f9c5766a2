//! OAI-PMH harvesting with a checkpoint in the store.
//!
//! After each page is committed, the checkpoint records the page's resumption token; a
//! harvest that stops (killed, network gone) resumes from that token when run again with the
//! same dates. A finished harvest records the day it started, so the next harvest without
//! `--from` picks up from there. Pages re-read after a crash are upserted again, which changes
//! nothing: harvesting is idempotent.

use chrono::{NaiveDate, Utc};
use paperhub_ingest::harvest::{HarvestRequest, Harvester};
use paperhub_ingest::HarvestError;
use serde::{Deserialize, Serialize};

use crate::ingest::{IngestObserver, IngestSummary};
use crate::{Hub, HubError, Result};

/// What to harvest: the request, where `from` may be left to the checkpoint.
#[derive(Debug, Clone)]
pub struct HarvestPlan {
    /// Base URL, prefix, set, and the dates (`from` None: continue where the last harvest ended).
    pub request: HarvestRequest,
}

/// What a harvest did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HarvestOutcome {
    /// What happened to the records.
    #[serde(flatten)]
    pub summary: IngestSummary,
    /// Pages fetched.
    pub pages: u64,
    /// Records the repository marked deleted (kept here: a hub does not forget papers).
    pub deleted: u64,
    /// 503 responses waited out.
    pub retries: u32,
    /// Whether the harvest resumed from a saved resumption token.
    pub resumed: bool,
    /// The date the harvest ran from.
    pub from: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Checkpoint {
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
    /// The token of the next page to fetch, while a harvest is under way.
    token: Option<String>,
    /// Where the next harvest without `--from` starts.
    next_from: Option<NaiveDate>,
}

fn checkpoint_name(request: &HarvestRequest) -> String {
    format!(
        "harvest:{}|{}|{}",
        request.base_url,
        request.metadata_prefix,
        request.set.as_deref().unwrap_or("")
    )
}

impl Hub {
    fn load_checkpoint(&self, name: &str) -> Result<Checkpoint> {
        match self.store.get_state(name)? {
            None => Ok(Checkpoint::default()),
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                HubError::Invalid(format!("harvest checkpoint `{name}` is unreadable: {e}"))
            }),
        }
    }

    fn save_checkpoint(&self, name: &str, checkpoint: &Checkpoint) -> Result<()> {
        let json = serde_json::to_string(checkpoint).expect("invariant: a checkpoint serialises");
        Ok(self.store.set_state(name, &json)?)
    }

    /// Harvests `plan` with `harvester`, committing each page and checkpointing after it.
    pub fn harvest(
        &self,
        harvester: &Harvester,
        plan: HarvestPlan,
        observer: &mut dyn IngestObserver,
    ) -> Result<HarvestOutcome> {
        let started = Utc::now().date_naive();
        let mut request = plan.request;
        let name = checkpoint_name(&request);
        let saved = self.load_checkpoint(&name)?;
        if request.from.is_none() {
            request.from = saved.next_from.or(saved.from);
            if request.from.is_none() {
                return Err(HubError::Invalid(format!(
                    "no earlier harvest of {} to continue: give --from YYYY-MM-DD the first time",
                    request.base_url
                )));
            }
        }
        let same_dates = saved.from == request.from && saved.until == request.until;
        let mut resume = saved.token.clone().filter(|_| same_dates);
        let mut outcome = HarvestOutcome {
            from: request.from,
            ..Default::default()
        };
        loop {
            outcome.resumed |= resume.is_some();
            let mut failure: Option<HubError> = None;
            let result = harvester.harvest(&request, resume.as_deref(), |page, next| {
                let stored = (|| -> Result<()> {
                    let mut batch = Vec::with_capacity(page.records.len());
                    for record in page.records {
                        match record {
                            Ok(meta) => batch.push(meta),
                            Err(error) => {
                                outcome.summary.rejected += 1;
                                observer.rejected(&error);
                            }
                        }
                    }
                    self.commit_batch(&batch, &mut outcome.summary)?;
                    observer.committed(&outcome.summary);
                    let checkpoint = Checkpoint {
                        from: request.from,
                        until: request.until,
                        token: next.map(str::to_owned),
                        next_from: saved.next_from,
                    };
                    self.save_checkpoint(&name, &checkpoint)
                })();
                stored.map_err(|e| {
                    let message = e.to_string();
                    failure = Some(e);
                    message.into()
                })
            });
            match result {
                Ok(summary) => {
                    outcome.pages += summary.pages;
                    outcome.deleted += summary.deleted;
                    outcome.retries += summary.retries;
                    break;
                }
                Err(HarvestError::BadResumptionToken { .. }) if resume.is_some() => {
                    // The saved token expired: start the same dates again from the top.
                    resume = None;
                }
                Err(HarvestError::Callback(_)) => {
                    return Err(failure
                        .unwrap_or_else(|| HubError::Invalid("storing a page failed".into())));
                }
                Err(e) => return Err(e.into()),
            }
        }
        let done = Checkpoint {
            from: request.from,
            until: request.until,
            token: None,
            next_from: Some(request.until.map_or(started, |until| until.min(started))),
        };
        self.save_checkpoint(&name, &done)?;
        Ok(outcome)
    }
}
