//! Saved searches: any search (words, mode, filters) kept by name. Each is an alert: its new
//! papers go into the member's digest ([`crate::mail`]) and its own private feed.

use chrono::Utc;
use paperhub_core::Paper;
use paperhub_store::{Account, SavedSearch};
use serde::Serialize;

use super::{check_name, Library};
use crate::{HubError, Result, SearchMode, SearchRequest, MAX_LIMIT};

/// The most searches a member may save.
pub const MAX_SAVED_SEARCHES: usize = 100;
/// The longest query a saved search keeps, in characters.
const MAX_QUERY_CHARS: usize = 1_000;

/// A paper an alert found.
#[derive(Debug, Clone, Serialize)]
pub struct AlertPaper {
    /// The paper.
    #[serde(flatten)]
    pub paper: Paper,
    /// Whether the member has seen it.
    pub seen: bool,
}

/// A saved search and what it finds now.
#[derive(Debug, Clone)]
pub struct AlertResults {
    /// The search.
    pub search: SavedSearch,
    /// The mode it ran in.
    pub mode: SearchMode,
    /// Its papers, best first.
    pub papers: Vec<AlertPaper>,
}

/// The search a saved one runs, with no page: the caller sets the limit.
pub fn request_of(search: &SavedSearch) -> SearchRequest {
    SearchRequest {
        q: search.q.clone(),
        mode: search.mode.as_deref().and_then(|m| m.parse().ok()),
        author: search.author.clone(),
        category: search.category.clone(),
        from: search.from,
        until: search.until,
        ..SearchRequest::default()
    }
}

/// `text` trimmed, `None` when that leaves nothing.
fn filled(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

impl Library<'_> {
    /// Saves `request` (its words, mode and filters; its page is not kept) as the member's
    /// search `name`, replacing one saved under that name before. The search is checked as a
    /// search would check it, so a saved search always runs.
    pub fn save_search(
        &self,
        account: &Account,
        name: &str,
        request: &SearchRequest,
    ) -> Result<SavedSearch> {
        let name = check_name("saved search", name)?;
        let q = request.q.trim().to_owned();
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(HubError::Invalid(format!(
                "a saved search's query has at most {MAX_QUERY_CHARS} characters"
            )));
        }
        let search = SavedSearch {
            name,
            q,
            mode: request.mode.map(|m| m.as_str().to_owned()),
            author: filled(&request.author),
            category: filled(&request.category),
            from: request.from,
            until: request.until,
            created_at: Utc::now(),
        };
        let probe = request_of(&search);
        probe.keyword_query(1, 0)?;
        let filtered = search.author.is_some()
            || search.category.is_some()
            || search.from.is_some()
            || search.until.is_some();
        if search.q.is_empty() && !filtered {
            return Err(HubError::Invalid(
                "a saved search needs words or a filter (author, category, dates)".into(),
            ));
        }
        if probe.mode.is_some_and(SearchMode::needs_model) && !self.hub.has_semantic() {
            return Err(HubError::ModelMissing);
        }
        let held = self.store().saved_searches(account.id)?;
        if held.len() >= MAX_SAVED_SEARCHES && !held.iter().any(|s| s.name == search.name) {
            return Err(HubError::OutOfRange(format!(
                "a member keeps at most {MAX_SAVED_SEARCHES} saved searches"
            )));
        }
        self.store().save_search(account.id, &search)?;
        self.saved_search(account, &search.name)
    }

    /// The member's saved searches, by name.
    pub fn saved_searches(&self, account: &Account) -> Result<Vec<SavedSearch>> {
        Ok(self.store().saved_searches(account.id)?)
    }

    /// The member's saved search `name`, or [`HubError::NotFound`] (also for another's).
    pub fn saved_search(&self, account: &Account, name: &str) -> Result<SavedSearch> {
        let name = check_name("saved search", name)?;
        self.store()
            .saved_searches(account.id)?
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| HubError::NotFound(format!("you have no saved search `{name}`")))
    }

    /// Deletes the member's saved search `name`.
    pub fn delete_saved_search(&self, account: &Account, name: &str) -> Result<()> {
        let name = check_name("saved search", name)?;
        if self.store().delete_saved_search(account.id, &name)? {
            Ok(())
        } else {
            Err(HubError::NotFound(format!(
                "you have no saved search `{name}`"
            )))
        }
    }

    /// What the member's saved search `name` finds now: up to `limit` (1 to
    /// [`MAX_LIMIT`]) papers, best first; with `hide_seen`, none the member has seen.
    pub fn run_saved_search(
        &self,
        account: &Account,
        name: &str,
        limit: usize,
        hide_seen: bool,
    ) -> Result<AlertResults> {
        let search = self.saved_search(account, name)?;
        self.alert(account, search, limit, hide_seen)
    }

    /// What the member's saved search `name` finds now (its best [`MAX_LIMIT`]) as
    /// `format`, with arXiv ids and URLs.
    pub fn export_search(
        &self,
        account: &Account,
        name: &str,
        format: paperhub_cite::Format,
        hub_url: &str,
    ) -> Result<String> {
        let found = self.run_saved_search(account, name, MAX_LIMIT, false)?;
        let papers: Vec<Paper> = found.papers.into_iter().map(|p| p.paper).collect();
        Ok(paperhub_cite::write(
            format,
            &papers,
            hub_url.trim_end_matches('/'),
        ))
    }

    /// What `search` finds now, as [`Self::run_saved_search`] says.
    pub(crate) fn alert(
        &self,
        account: &Account,
        search: SavedSearch,
        limit: usize,
        hide_seen: bool,
    ) -> Result<AlertResults> {
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(HubError::OutOfRange(format!(
                "limit must be 1 to {MAX_LIMIT}"
            )));
        }
        let mut request = request_of(&search);
        request.limit = Some(MAX_LIMIT);
        let results = self.hub.search(&request)?;
        let ids: Vec<&paperhub_core::PaperId> = results.hits.iter().map(|h| &h.paper.id).collect();
        let seen = self.seen(account, &ids)?;
        let papers = results
            .hits
            .into_iter()
            .zip(seen)
            .filter(|(_, seen)| !(hide_seen && *seen))
            .take(limit)
            .map(|(hit, seen)| AlertPaper {
                paper: hit.paper,
                seen,
            })
            .collect();
        Ok(AlertResults {
            mode: results.mode,
            search,
            papers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_search_runs_as_the_search_it_was() {
        let search = SavedSearch {
            name: "detection".into(),
            q: "object detection".into(),
            mode: Some("keyword".into()),
            author: Some("Wang".into()),
            category: None,
            from: chrono::NaiveDate::from_ymd_opt(2025, 6, 1),
            until: None,
            created_at: Utc::now(),
        };
        let request = request_of(&search);
        assert_eq!(request.q, "object detection");
        assert_eq!(request.mode, Some(SearchMode::Keyword));
        assert_eq!(request.author.as_deref(), Some("Wang"));
        assert_eq!(request.from, search.from);
        assert_eq!(request.limit, None);
    }
}
