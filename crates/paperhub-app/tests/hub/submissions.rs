//! Submissions by arXiv id, answered by the loopback arXiv API replaying recorded responses.

use std::sync::Arc;
use std::time::Duration;

use paperhub_app::{Hub, HubError, SearchMode, SearchRequest, SubmissionRules};
use paperhub_ingest::arxiv_api::ArxivApi;
use paperhub_search::TantivyIndex;
use paperhub_store::{Account, AccountStore, PaperStore};
use paperhub_store_sqlite::SqliteStore;
use paperhub_test_support::ArxivReplay;

struct Submitting {
    store: Arc<SqliteStore>,
    hub: Hub,
    arxiv: ArxivReplay,
}

/// A hub whose submissions go to the loopback arXiv at `url(arxiv)`, taking papers of any age
/// unless `max_age_days` says otherwise.
fn hub_asking(url: impl Fn(&ArxivReplay) -> String, max_age_days: u32) -> Submitting {
    let arxiv = ArxivReplay::start();
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let index = Arc::new(TantivyIndex::in_ram().unwrap());
    let hub = Hub::new(store.clone(), index).with_submissions(SubmissionRules {
        api: ArxivApi::new(url(&arxiv), Duration::from_secs(1)),
        max_age_days,
    });
    Submitting { store, hub, arxiv }
}

fn member(store: &SqliteStore, name: &str) -> Account {
    store
        .create_account(&paperhub_store::NewAccount {
            email: &paperhub_core::Email::parse(&format!("{name}@example.org")).unwrap(),
            name,
            password_hash: "h",
            role: paperhub_core::Role::Member,
        })
        .unwrap()
}

#[test]
fn a_submitted_paper_is_fetched_once_listed_today_searchable_and_never_duplicated() {
    let s = hub_asking(ArxivReplay::url, 0);
    let (ada, grace) = (member(&s.store, "ada"), member(&s.store, "grace"));
    let submitted = s
        .hub
        .submit(&ada, "https://arxiv.org/abs/1605.08386v1")
        .unwrap();
    assert!(submitted.added);
    assert_eq!(submitted.paper.id.as_str(), "1605.08386");
    assert_eq!(
        submitted.paper.meta.title,
        "Heat-bath random walks with Markov bases"
    );
    assert_eq!(
        submitted.paper.listed_on,
        Some(chrono::Utc::now().date_naive()),
        "a submitted paper joins today's list"
    );
    assert_eq!(submitted.first.submitter.as_deref(), Some("ada"));
    assert_eq!(
        s.arxiv.requests(),
        ["/api/query?id_list=1605.08386v1"],
        "only the parsed id went to the configured API"
    );
    let found = s
        .hub
        .search(&SearchRequest::new("heat-bath random walks").mode(SearchMode::Keyword))
        .unwrap();
    assert_eq!(found.hits[0].paper.id.as_str(), "1605.08386");

    // The same paper again, in other spellings and by another member: recorded, not fetched.
    for spelling in ["arXiv:1605.08386", "https://arxiv.org/pdf/1605.08386v1.pdf"] {
        let again = s.hub.submit(&grace, spelling).unwrap();
        assert!(!again.added, "{spelling}");
        assert_eq!(again.paper.id, submitted.paper.id);
        assert_eq!(again.first.submitter.as_deref(), Some("ada"));
    }
    assert_eq!(s.arxiv.requests().len(), 1, "no second fetch");
    assert_eq!(s.store.stats().unwrap().papers, 1);
    let community = s.hub.community(&[&submitted.paper.id]).unwrap();
    assert_eq!(community[0].submitted_by.as_deref(), Some("ada"));
}

#[test]
fn what_is_not_an_arxiv_id_is_refused_before_anything_is_fetched() {
    let s = hub_asking(ArxivReplay::url, 0);
    let ada = member(&s.store, "ada");
    for input in [
        "abc",
        "http://evil.example/abs/1605.08386",
        "https://arxiv.org.evil.example/abs/1605.08386",
        "file:///etc/passwd",
        "",
    ] {
        let error = s.hub.submit(&ada, input).unwrap_err();
        assert!(matches!(error, HubError::Invalid(_)), "{input}: {error}");
        assert!(error.to_string().contains("arXiv id"), "{input}: {error}");
    }
    assert!(s.arxiv.requests().is_empty(), "{:?}", s.arxiv.requests());
    assert_eq!(s.store.stats().unwrap().papers, 0);
}

#[test]
fn a_failing_slow_or_malformed_api_gives_a_clear_error_and_stores_nothing() {
    for (how, expect) in [
        ("fail", "HTTP 503"),
        ("slow", "did not answer within 1 s"),
        ("malformed", "not a readable feed"),
        ("html", "not a readable feed"),
    ] {
        let s = hub_asking(|a| a.misbehaving_url(how), 0);
        let ada = member(&s.store, "ada");
        let error = s.hub.submit(&ada, "1605.08386").unwrap_err();
        assert!(matches!(error, HubError::Upstream(_)), "{how}: {error:?}");
        assert!(error.to_string().contains(expect), "{how}: {error}");
        assert_eq!(s.store.stats().unwrap().papers, 0, "{how}: nothing stored");
        assert_eq!(s.store.last_seq().unwrap(), 0, "{how}: no change at all");
    }
}

#[test]
fn unknown_refused_too_old_and_banned_submissions_store_nothing() {
    let s = hub_asking(ArxivReplay::url, 14);
    let mut ada = member(&s.store, "ada");
    let unknown = s.hub.submit(&ada, "2301.00001").unwrap_err();
    assert!(matches!(unknown, HubError::NotFound(_)), "{unknown:?}");
    assert!(unknown.to_string().contains("no paper `2301.00001`"));
    let old = s.hub.submit(&ada, "1605.08386").unwrap_err();
    assert!(matches!(old, HubError::Invalid(_)), "{old:?}");
    assert!(
        old.to_string().contains("2016-05-26") && old.to_string().contains("up to 14 days"),
        "{old}"
    );
    ada.banned = true;
    let banned = s.hub.submit(&ada, "1605.08386").unwrap_err();
    assert!(matches!(banned, HubError::Forbidden(_)), "{banned:?}");
    assert_eq!(s.store.stats().unwrap().papers, 0);
}
