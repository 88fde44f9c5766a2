//! The behaviour every [`PaperStore`] must show, as functions a backend's tests call with a
//! fresh store: `paperhub_store::conformance::run_all(|| MyStore::open_fresh())`.
//! Each check panics with a message naming the rule it tests.

use chrono::{NaiveDate, TimeZone, Utc};
use paperhub_core::{ArxivId, PaperMeta, SourceFormat};

use crate::{Store, UpsertOutcome};

fn arxiv(id: &str, title: &str) -> PaperMeta {
    PaperMeta {
        arxiv_id: Some(ArxivId::parse(id).expect("test ids are valid")),
        title: title.into(),
        abstract_text: format!("Abstract of {title}."),
        authors: vec!["Ada Lovelace".into()],
        categories: vec!["cs.LG".into()],
        published: Some(Utc.with_ymd_and_hms(2024, 2, 21, 12, 0, 0).unwrap()),
        format: Some(SourceFormat::Atom),
        ..Default::default()
    }
    .normalized()
    .expect("test papers are valid")
}

fn beir(id: &str, title: &str) -> PaperMeta {
    PaperMeta {
        source_id: Some(id.into()),
        source_namespace: Some("beir:scifact".into()),
        title: title.into(),
        abstract_text: "Text.".into(),
        format: Some(SourceFormat::Beir),
        ..Default::default()
    }
    .normalized()
    .expect("test papers are valid")
}

fn listing(title: &str, day: NaiveDate) -> PaperMeta {
    PaperMeta {
        title: title.into(),
        abstract_text: "From the listing page.".into(),
        listed_on: Some(day),
        format: Some(SourceFormat::Listing),
        ..Default::default()
    }
    .normalized()
    .expect("test papers are valid")
}

/// Runs every check, each on a fresh store from `fresh`.
pub fn run_all<S: Store + 'static>(fresh: impl Fn() -> S) {
    upserting_twice_adds_once_then_changes_nothing(&fresh());
    a_newer_version_updates_and_keeps_the_id(&fresh());
    the_same_arxiv_id_from_two_formats_is_one_paper(&fresh());
    a_listed_paper_keeps_its_id_when_its_arxiv_record_arrives(&fresh());
    distinct_source_ids_with_one_title_stay_distinct(&fresh());
    changes_are_numbered_in_order_for_the_index_to_catch_up(&fresh());
    papers_are_found_by_hub_id_arxiv_id_and_source_id(&fresh());
    state_values_persist_and_update(&fresh());
    stats_count_papers_days_and_formats(&fresh());
    accounts_are_unique_by_email_and_keep_their_role_and_ban(&fresh());
    tokens_are_found_by_their_hash_and_revoked_by_their_owner(&fresh());
    sessions_expire_and_end_one_by_one_or_all_at_once(&fresh());
    votes_are_one_per_account_and_paper_and_counted_exactly(&fresh());
    a_span_is_listed_by_votes_with_ties_in_listing_order(&fresh());
    comments_keep_their_thread_edits_and_marks(&fresh());
    submissions_are_one_per_account_and_the_first_is_shown(&fresh());
    a_deleted_account_leaves_its_submissions_and_takes_its_votes_and_comments(&fresh());
    embeddings_are_kept_per_model_and_redone_when_a_paper_changes(&fresh());
    subscriptions_are_confirmed_once_by_a_token_that_expires(&fresh());
    an_import_never_undoes_an_unsubscribe_and_a_request_never_changes_a_confirmed_one(&fresh());
    the_outbox_adds_a_key_once_and_hands_a_mail_to_one_worker(&fresh());
    finished_mails_record_papers_retries_and_permanent_failures(&fresh());
    account_tokens_confirm_an_email_and_reset_a_password_once(&fresh());
    a_library_is_private_all_or_nothing_and_goes_with_its_account(&fresh());
    saved_searches_and_feed_tokens_are_the_members_own(&fresh());
    papers_are_listed_by_day_with_their_neighbouring_days(&fresh());
    a_copy_holds_the_same_papers_vectors_and_values(&fresh(), &fresh());
    a_copy_refuses_a_target_that_holds_papers(&fresh(), &fresh());
    a_copy_refuses_a_hub_with_accounts(&fresh(), &fresh());
    writers_at_the_same_time_never_duplicate_a_paper(std::sync::Arc::new(fresh()));
}

/// A saved search is replaced under its name (keeping when it was first saved); a feed token
/// names one account, a new one revokes the old; both go with their account.
pub fn saved_searches_and_feed_tokens_are_the_members_own(store: &dyn Store) {
    use crate::SavedSearch;
    let (ada, grace) = (
        member(store, "ada@example.org").id,
        member(store, "grace@example.org").id,
    );
    let first = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    let search = SavedSearch {
        name: "detection".into(),
        q: "real-time object detection".into(),
        mode: Some("semantic".into()),
        author: None,
        category: Some("cs.CV".into()),
        from: Some(NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()),
        until: None,
        created_at: first,
    };
    assert!(store.save_search(ada, &search).unwrap(), "new");
    let changed = SavedSearch {
        q: "object detection".into(),
        mode: None,
        created_at: first + chrono::Duration::days(3),
        ..search.clone()
    };
    assert!(!store.save_search(ada, &changed).unwrap(), "replaced");
    let other = SavedSearch {
        name: "agents".into(),
        ..search.clone()
    };
    store.save_search(ada, &other).unwrap();
    let held = store.saved_searches(ada).unwrap();
    assert_eq!(
        held.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["agents", "detection"],
        "by name"
    );
    assert_eq!(
        held[1],
        SavedSearch {
            created_at: first,
            ..changed
        },
        "the new query, the first time it was saved"
    );
    assert!(store.saved_searches(grace).unwrap().is_empty());
    assert!(!store.delete_saved_search(grace, "agents").unwrap());
    assert!(store.delete_saved_search(ada, "agents").unwrap());
    assert!(matches!(
        store.save_search(999_999, &search),
        Err(crate::StoreError::NotFound)
    ));

    let now = Utc.timestamp_opt(1_700_000_500, 0).unwrap();
    assert_eq!(store.feed_token_made(ada).unwrap(), None);
    store.set_feed_token(ada, Some("hash-one"), now).unwrap();
    store
        .set_feed_token(grace, Some("hash-grace"), now)
        .unwrap();
    assert_eq!(store.feed_token_account("hash-one").unwrap(), Some(ada));
    assert_eq!(store.feed_token_account("hash-grace").unwrap(), Some(grace));
    assert_eq!(store.feed_token_made(ada).unwrap(), Some(now));
    store.set_feed_token(ada, Some("hash-two"), now).unwrap();
    assert_eq!(
        store.feed_token_account("hash-one").unwrap(),
        None,
        "a new token revokes the old"
    );
    assert_eq!(store.feed_token_account("hash-two").unwrap(), Some(ada));
    store.set_feed_token(ada, None, now).unwrap();
    assert_eq!(store.feed_token_account("hash-two").unwrap(), None);
    assert!(matches!(
        store.set_feed_token(999_999, Some("x"), now),
        Err(crate::StoreError::NotFound)
    ));

    store
        .set_feed_token(grace, Some("hash-grace"), now)
        .unwrap();
    store.save_search(grace, &search).unwrap();
    store.delete_account(grace).unwrap();
    assert_eq!(store.feed_token_account("hash-grace").unwrap(), None);
    assert!(store.saved_searches(grace).unwrap().is_empty());
}

/// `paperhub copy`: keys, change numbers, vectors and values arrive as they were, and the
/// content reports of both stores are equal.
pub fn a_copy_holds_the_same_papers_vectors_and_values(from: &dyn Store, to: &dyn Store) {
    let day = NaiveDate::from_ymd_opt(2025, 6, 5).unwrap();
    from.upsert_batch(&[
        arxiv("2402.13616v1", "YOLOv9"),
        listing("A listed paper", day),
        beir("7", "A corpus document"),
    ])
    .unwrap();
    // A superseded change leaves a gap in the numbers: the copy's counter must still match.
    from.upsert_batch(&[arxiv("2402.13616v2", "YOLOv9, revised")])
        .unwrap();
    let todo = from.papers_to_embed("m", 0, 10).unwrap();
    let items: Vec<(u64, u64, Vec<f32>)> = todo
        .iter()
        .map(|p| (p.key, p.seq, vec![p.key as f32, -1.5]))
        .collect();
    from.put_embeddings("m", &items).unwrap();
    from.set_state("harvest:oai", "{\"from\":\"2026-11-01\"}")
        .unwrap();

    crate::copy::copy_store(from, to, |_, _, _| {}).unwrap();
    let a = crate::copy::content_report(from, |_| {}).unwrap();
    let b = crate::copy::content_report(to, |_| {}).unwrap();
    assert_eq!(a, b, "the copy's counts and checksum equal the original's");
    assert_eq!((a.papers, a.embeddings, a.states), (3, 3, 1));
    assert_eq!(to.last_seq().unwrap(), from.last_seq().unwrap());
    let yolo = to.find("2402.13616").unwrap().expect("copied");
    assert_eq!(yolo.meta.title, "YOLOv9, revised");
    assert_eq!(
        to.key_of(&yolo.id).unwrap(),
        from.key_of(&yolo.id).unwrap(),
        "keys are kept, so an index built over one store fits the other"
    );
    assert!(
        to.papers_to_embed("m", 0, 10).unwrap().is_empty(),
        "vectors are current"
    );
    assert_eq!(to.embedding_models().unwrap(), vec!["m".to_string()]);
    // The copy goes on as a store of its own: new papers take numbers after the copied ones.
    let added = to
        .upsert_batch(&[arxiv("2501.00001", "After the copy")])
        .unwrap();
    assert_eq!(added.last_seq, from.last_seq().unwrap() + 1);
    assert!(added.changed[0].key > yolo_key_max(from));
    // A vector written after the copy takes the next change number.
    to.put_embeddings(
        "m",
        &[(added.changed[0].key, added.last_seq, vec![1.0, 1.0])],
    )
    .unwrap();
    assert_eq!(
        to.last_embedding_change("m").unwrap(),
        from.last_embedding_change("m").unwrap() + 1
    );
}

fn yolo_key_max(store: &dyn Store) -> u64 {
    store
        .changes_since(0, 1000)
        .unwrap()
        .iter()
        .map(|p| p.key)
        .max()
        .unwrap_or(0)
}

/// A copy into a database that already holds papers would mix two hubs: refused.
pub fn a_copy_refuses_a_target_that_holds_papers(from: &dyn Store, to: &dyn Store) {
    from.upsert_batch(&[arxiv("2402.13616", "YOLOv9")]).unwrap();
    to.upsert_batch(&[arxiv("2501.00001", "Already here")])
        .unwrap();
    let error = crate::copy::copy_store(from, to, |_, _, _| {}).unwrap_err();
    assert!(matches!(error, crate::StoreError::Conflict(_)), "{error}");
    assert_eq!(to.stats().unwrap().papers, 1, "nothing was written");
}

/// Several writers (threads here; processes or nodes on a shared database) upserting the same
/// papers at once: each paper is stored once, and the change numbers stay one gap-free
/// sequence in commit order.
pub fn writers_at_the_same_time_never_duplicate_a_paper<S: Store + 'static>(
    store: std::sync::Arc<S>,
) {
    let batch: Vec<PaperMeta> = (0..50)
        .map(|i| arxiv(&format!("2403.{i:05}"), &format!("Paper {i}")))
        .chain((0..50).map(|i| {
            listing(
                &format!("Listed {i}"),
                NaiveDate::from_ymd_opt(2025, 6, 5).unwrap(),
            )
        }))
        .collect();
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            let batch = batch.clone();
            std::thread::spawn(move || {
                for chunk in batch.chunks(25) {
                    store.upsert_batch(chunk).unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("a writer panicked");
    }
    assert_eq!(store.stats().unwrap().papers, 100, "each paper once");
    assert_eq!(store.last_seq().unwrap(), 100, "one number per paper added");
    let changes = store.changes_since(0, 1000).unwrap();
    let seqs: Vec<u64> = changes.iter().map(|p| p.seq).collect();
    assert_eq!(seqs, (1..=100).collect::<Vec<_>>());
}

/// Days: papers between two days (latest day first, listing order within a day), counts,
/// the days before and after a day, and the latest day.
pub fn papers_are_listed_by_day_with_their_neighbouring_days(store: &dyn Store) {
    let day = |d: u32| NaiveDate::from_ymd_opt(2025, 6, d).unwrap();
    assert_eq!(
        store.latest_day().unwrap(),
        None,
        "an empty store has no day"
    );
    store
        .upsert_batch(&[
            listing("First of the 5th", day(5)),
            listing("Second of the 5th", day(5)),
            listing("Only one of the 2nd", day(2)),
            listing("Of the 9th", day(9)),
            beir("1", "A corpus document without a day"),
        ])
        .unwrap();
    let titles = |papers: Vec<crate::StoredPaper>| -> Vec<String> {
        papers.into_iter().map(|p| p.paper.meta.title).collect()
    };
    assert_eq!(
        titles(store.papers_between(day(5), day(5), 10, 0).unwrap()),
        ["First of the 5th", "Second of the 5th"],
        "one day's papers, in the order the listing gave them"
    );
    assert_eq!(
        titles(store.papers_between(day(1), day(30), 10, 0).unwrap()),
        [
            "Of the 9th",
            "First of the 5th",
            "Second of the 5th",
            "Only one of the 2nd"
        ],
        "latest day first"
    );
    assert_eq!(
        titles(store.papers_between(day(1), day(30), 2, 1).unwrap()),
        ["First of the 5th", "Second of the 5th"],
        "offset and limit page through them"
    );
    assert_eq!(store.count_between(day(1), day(30)).unwrap(), 4);
    assert_eq!(store.count_between(day(3), day(4)).unwrap(), 0);
    assert_eq!(
        store.adjacent_days(day(5)).unwrap(),
        (Some(day(2)), Some(day(9)))
    );
    assert_eq!(
        store.adjacent_days(day(7)).unwrap(),
        (Some(day(5)), Some(day(9)))
    );
    assert_eq!(store.adjacent_days(day(2)).unwrap(), (None, Some(day(5))));
    assert_eq!(store.adjacent_days(day(9)).unwrap(), (Some(day(5)), None));
    assert_eq!(store.latest_day().unwrap(), Some(day(9)));
    let stats = store.stats().unwrap();
    assert_eq!(
        (stats.papers, stats.with_arxiv_id, stats.days),
        (5, 0, 3),
        "a paper without a day counts as a paper, not as a day"
    );
    assert_eq!(
        (stats.first_day, stats.last_day),
        (Some(day(2)), Some(day(9)))
    );
}

/// Embeddings: stored per model, listed for loading, and asked for again after a change.
pub fn embeddings_are_kept_per_model_and_redone_when_a_paper_changes(store: &dyn Store) {
    store
        .upsert_batch(&[arxiv("2401.00001v1", "One"), arxiv("2401.00002v1", "Two")])
        .unwrap();
    let todo = store.papers_to_embed("m", 0, 10).unwrap();
    assert_eq!(todo.len(), 2);
    let items: Vec<(u64, u64, Vec<f32>)> = todo
        .iter()
        .map(|p| (p.key, p.seq, vec![p.key as f32, 0.5]))
        .collect();
    store.put_embeddings("m", &items).unwrap();
    assert!(
        store.papers_to_embed("m", 0, 10).unwrap().is_empty(),
        "nothing left to embed"
    );
    assert_eq!(
        store.papers_to_embed("other-model", 0, 10).unwrap().len(),
        2,
        "per model"
    );
    assert_eq!(store.embedding_count("m").unwrap(), 2);
    let loaded = store.embeddings_since("m", 0, 10).unwrap();
    assert_eq!(loaded.len(), 2);
    assert_eq!(
        loaded[0].vector,
        vec![loaded[0].key as f32, 0.5],
        "vectors come back bit for bit"
    );
    assert!(loaded[0].change < loaded[1].change, "oldest change first");
    assert_eq!(
        store.embeddings_since("m", loaded[0].change, 10).unwrap(),
        vec![loaded[1].clone()],
        "paging by change number"
    );
    let last = store.last_embedding_change("m").unwrap();
    assert_eq!(last, loaded[1].change);
    assert_eq!(store.last_embedding_change("other-model").unwrap(), 0);
    // Replacing a vector gives it a new change number, after every other.
    store
        .put_embeddings("m", &[(loaded[0].key, items[0].1, vec![9.0, 9.0])])
        .unwrap();
    let changed = store.embeddings_since("m", last, 10).unwrap();
    assert_eq!(changed.len(), 1, "only the replaced vector is new");
    assert_eq!(changed[0].key, loaded[0].key);
    assert_eq!(changed[0].vector, vec![9.0, 9.0]);
    assert!(changed[0].change > last);
    assert_eq!(
        store.embedding_count("m").unwrap(),
        2,
        "replaced, not added"
    );
    store
        .upsert_batch(&[arxiv("2401.00001v2", "One, revised")])
        .unwrap();
    let again = store.papers_to_embed("m", 0, 10).unwrap();
    assert_eq!(again.len(), 1, "a changed paper is embedded again");
    assert_eq!(again[0].paper.meta.title, "One, revised");
    // Working through them from a key on.
    let todo = store.papers_to_embed("other-model", 0, 1).unwrap();
    assert_eq!(todo.len(), 1, "the limit holds");
    let rest = store
        .papers_to_embed("other-model", todo[0].key, 10)
        .unwrap();
    assert_eq!(
        rest.len(),
        1,
        "the next call starts after the key it is given"
    );
    assert!(rest[0].key > todo[0].key);
    assert!(store
        .papers_to_embed("other-model", rest[0].key, 10)
        .unwrap()
        .is_empty());
}

/// Idempotent upsert.
pub fn upserting_twice_adds_once_then_changes_nothing(store: &dyn Store) {
    let batch = vec![
        arxiv("2402.13616v1", "YOLOv9"),
        beir("4983", "Microstructural development"),
    ];
    let first = store.upsert_batch(&batch).unwrap();
    assert_eq!(
        first.outcomes,
        vec![UpsertOutcome::Added, UpsertOutcome::Added]
    );
    assert_eq!(first.changed.len(), 2);
    assert_eq!(
        first.added,
        vec![true, true],
        "both papers are new to the store"
    );
    let second = store.upsert_batch(&batch).unwrap();
    assert_eq!(
        second.outcomes,
        vec![UpsertOutcome::Unchanged; 2],
        "re-ingest must change nothing"
    );
    assert!(second.changed.is_empty());
    assert_eq!(
        second.last_seq, first.last_seq,
        "an unchanged batch takes no sequence numbers"
    );
    assert_eq!(store.stats().unwrap().papers, 2);
}

/// A newer version replaces the fields and keeps the id; an older one changes nothing.
pub fn a_newer_version_updates_and_keeps_the_id(store: &dyn Store) {
    store
        .upsert_batch(&[arxiv("2402.13616v1", "YOLOv9 draft")])
        .unwrap();
    let v2 = store
        .upsert_batch(&[arxiv("2402.13616v2", "YOLOv9: final title")])
        .unwrap();
    assert_eq!(v2.outcomes, vec![UpsertOutcome::Updated]);
    assert_eq!(v2.changed[0].paper.id.as_str(), "2402.13616");
    assert_eq!(v2.added, vec![false], "an update is not an addition");
    let v1_again = store
        .upsert_batch(&[arxiv("2402.13616v1", "YOLOv9 draft")])
        .unwrap();
    assert_eq!(
        v1_again.outcomes,
        vec![UpsertOutcome::Unchanged],
        "an older version must not win"
    );
    let stored = store.find("2402.13616").unwrap().expect("stored");
    assert_eq!(stored.meta.title, "YOLOv9: final title");
    assert_eq!(stored.meta.version(), Some(2));
    assert_eq!(store.stats().unwrap().papers, 1);
}

/// One arXiv id, two formats: one paper, fields filled from both.
pub fn the_same_arxiv_id_from_two_formats_is_one_paper(store: &dyn Store) {
    store
        .upsert_batch(&[arxiv("1302.2146v2", "The Same-Sign Dilepton Signature")])
        .unwrap();
    let mut oai = arxiv("1302.2146v2", "The Same-Sign Dilepton Signature");
    oai.format = Some(SourceFormat::Oai);
    oai.comments = Some("18 pages, 6 figures".into());
    let result = store.upsert_batch(&[oai]).unwrap();
    assert_eq!(result.outcomes, vec![UpsertOutcome::Updated]);
    assert_eq!(store.stats().unwrap().papers, 1);
    let paper = store.find("1302.2146").unwrap().expect("stored");
    assert_eq!(paper.meta.comments.as_deref(), Some("18 pages, 6 figures"));
}

/// A paper first seen on a listing page (no id) and then with its arXiv id stays one paper.
pub fn a_listed_paper_keeps_its_id_when_its_arxiv_record_arrives(store: &dyn Store) {
    let day = NaiveDate::from_ymd_opt(2025, 6, 5).unwrap();
    let listed = store
        .upsert_batch(&[listing("YOLOv9: Learning What You Want", day)])
        .unwrap();
    let id = listed.changed[0].paper.id.clone();
    assert!(
        id.as_str().starts_with("t-"),
        "a paper without ids gets a title-derived id: {id}"
    );
    let result = store
        .upsert_batch(&[arxiv("2402.13616v1", "YOLOv9 -- learning what you want")])
        .unwrap();
    assert_eq!(result.outcomes, vec![UpsertOutcome::Updated]);
    assert_eq!(result.changed[0].paper.id, id, "the id never changes");
    assert_eq!(
        result.changed[0].paper.listed_on,
        Some(day),
        "the listing day stays"
    );
    assert_eq!(
        store
            .find("2402.13616")
            .unwrap()
            .expect("found by arXiv id")
            .id,
        id
    );
    assert_eq!(store.stats().unwrap().papers, 1);
}

/// Corpus documents are told apart by their source ids, not their titles.
pub fn distinct_source_ids_with_one_title_stay_distinct(store: &dyn Store) {
    let result = store
        .upsert_batch(&[beir("1", "Same title"), beir("2", "Same title")])
        .unwrap();
    assert_eq!(
        result.outcomes,
        vec![UpsertOutcome::Added, UpsertOutcome::Added]
    );
    assert_ne!(result.changed[0].paper.id, result.changed[1].paper.id);
}

/// Every change gets the next sequence number; `changes_since` replays them in order.
pub fn changes_are_numbered_in_order_for_the_index_to_catch_up(store: &dyn Store) {
    assert_eq!(store.last_seq().unwrap(), 0);
    store
        .upsert_batch(&[arxiv("2401.00001v1", "One"), arxiv("2401.00002v1", "Two")])
        .unwrap();
    store
        .upsert_batch(&[arxiv("2401.00001v2", "One, revised")])
        .unwrap();
    assert_eq!(store.last_seq().unwrap(), 3);
    let all = store.changes_since(0, 10).unwrap();
    let seqs: Vec<u64> = all.iter().map(|p| p.seq).collect();
    assert_eq!(
        seqs,
        vec![2, 3],
        "each paper appears once, at its latest change"
    );
    assert_eq!(all[1].paper.meta.title, "One, revised");
    assert_eq!(store.changes_since(2, 10).unwrap().len(), 1);
    assert_eq!(
        store.changes_since(0, 1).unwrap().len(),
        1,
        "limit is honoured"
    );
    let keys: Vec<u64> = all.iter().rev().map(|p| p.key).collect();
    let by_key = store.get_by_keys(&keys).unwrap();
    assert_eq!(
        by_key.iter().map(|p| p.key).collect::<Vec<_>>(),
        keys,
        "order asked is kept"
    );
}

/// Lookups by each kind of id.
pub fn papers_are_found_by_hub_id_arxiv_id_and_source_id(store: &dyn Store) {
    let added = store
        .upsert_batch(&[
            beir("4983", "Microstructural development"),
            arxiv("hep-th/9901001v1", "Strings"),
        ])
        .unwrap();
    let beir_id = added.changed[0].paper.id.clone();
    assert_eq!(
        store
            .get(&beir_id)
            .unwrap()
            .expect("by hub id")
            .meta
            .source_id
            .as_deref(),
        Some("4983")
    );
    assert_eq!(
        store.find("4983").unwrap().expect("by source id").id,
        beir_id
    );
    assert_eq!(store.key_of(&beir_id).unwrap(), Some(added.changed[0].key));
    assert_eq!(
        store
            .find("hep-th/9901001")
            .unwrap()
            .expect("by arXiv id")
            .meta
            .title,
        "Strings"
    );
    assert!(store.find("9999.99999").unwrap().is_none());
}

/// Small persistent values.
pub fn state_values_persist_and_update(store: &dyn Store) {
    assert_eq!(store.get_state("harvest:x").unwrap(), None);
    store.set_state("harvest:x", "a").unwrap();
    store.set_state("harvest:x", "b").unwrap();
    assert_eq!(store.get_state("harvest:x").unwrap().as_deref(), Some("b"));
    store.set_state("harvest:y", "c").unwrap();
    let mut all = store.all_states().unwrap();
    all.sort();
    assert_eq!(
        all,
        vec![
            ("harvest:x".into(), "b".into()),
            ("harvest:y".into(), "c".into())
        ],
        "every value, and none of the store's own bookkeeping"
    );
}

/// Counts.
pub fn stats_count_papers_days_and_formats(store: &dyn Store) {
    let day = NaiveDate::from_ymd_opt(2025, 6, 5).unwrap();
    store
        .upsert_batch(&[
            arxiv("2402.13616", "YOLOv9"),
            listing("Another paper", day),
            beir("1", "Doc"),
        ])
        .unwrap();
    let stats = store.stats().unwrap();
    assert_eq!(stats.papers, 3);
    assert_eq!(stats.with_arxiv_id, 1);
    assert_eq!(
        stats.days, 2,
        "the arXiv paper is listed on its publication day, the listing on its day"
    );
    assert_eq!(stats.last_day, Some(day));
    assert_eq!(stats.by_format.len(), 3);
}

fn email(text: &str) -> paperhub_core::Email {
    paperhub_core::Email::parse(text).expect("test emails are valid")
}

/// A member account of `address` with a stand-in hash.
fn member(store: &dyn Store, address: &str) -> crate::Account {
    store
        .create_account(&crate::NewAccount {
            email: &email(address),
            name: address.split('@').next().unwrap_or(address),
            password_hash: "h",
            role: paperhub_core::Role::Member,
        })
        .expect("a fresh email makes an account")
}

/// Accounts: unique by email, found by id and email, role, ban and password changed in place.
pub fn accounts_are_unique_by_email_and_keep_their_role_and_ban(store: &dyn Store) {
    use paperhub_core::Role;
    let ada = email("ada@example.org");
    let made = store
        .create_account(&crate::NewAccount {
            email: &ada,
            name: "Ada",
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            role: Role::Member,
        })
        .expect("an account is made");
    assert_eq!((&made.email, made.name.as_str()), (&ada, "Ada"));
    assert_eq!((made.role, made.banned), (Role::Member, false));
    let again = store.create_account(&crate::NewAccount {
        email: &ada,
        name: "Ada again",
        password_hash: "other",
        role: Role::Admin,
    });
    assert!(
        matches!(again, Err(crate::StoreError::Conflict(_))),
        "a second account with one email is a conflict: {again:?}"
    );
    let grace = email("grace@example.org");
    let second = store
        .create_account(&crate::NewAccount {
            email: &grace,
            name: "Grace",
            password_hash: "h",
            role: Role::Admin,
        })
        .unwrap();
    assert_ne!(made.id, second.id);
    assert_eq!(store.account(made.id).unwrap().as_ref(), Some(&made));
    assert_eq!(
        store.account_by_email(&grace).unwrap().as_ref(),
        Some(&second)
    );
    assert!(store
        .account_by_email(&email("nobody@example.org"))
        .unwrap()
        .is_none());
    store.set_role(made.id, Role::Moderator).unwrap();
    store.set_banned(made.id, true).unwrap();
    store.set_password_hash(made.id, "new-hash").unwrap();
    store.set_name(made.id, "Ada L.").unwrap();
    let changed = store.account(made.id).unwrap().unwrap();
    assert_eq!(
        (
            changed.role,
            changed.banned,
            changed.password_hash.as_str(),
            changed.name.as_str()
        ),
        (Role::Moderator, true, "new-hash", "Ada L.")
    );
    let ids: Vec<u64> = store.accounts().unwrap().iter().map(|a| a.id).collect();
    assert_eq!(ids, vec![made.id, second.id], "oldest first");
    assert!(matches!(
        store.set_role(999_999, Role::Admin),
        Err(crate::StoreError::NotFound)
    ));
}

/// `paperhub copy` refuses a hub with accounts, until it carries them, and copies nothing.
pub fn a_copy_refuses_a_hub_with_accounts(from: &dyn Store, to: &dyn Store) {
    from.upsert_batch(&[arxiv("2402.13616", "YOLOv9")]).unwrap();
    member(from, "ada@example.org");
    let error = crate::copy::copy_store(from, to, |_, _, _| {}).unwrap_err();
    assert!(error.to_string().contains("accounts"), "{error}");
    assert_eq!(to.stats().unwrap().papers, 0, "nothing was copied");
}

/// API tokens: kept by hash, found with their account, listed, revoked only by their owner.
pub fn tokens_are_found_by_their_hash_and_revoked_by_their_owner(store: &dyn Store) {
    let (ada, grace) = (
        member(store, "ada@example.org"),
        member(store, "grace@example.org"),
    );
    let token = store.add_token(ada.id, "aa11", "laptop").unwrap();
    assert_eq!((token.account_id, token.label.as_str()), (ada.id, "laptop"));
    let (owner, found) = store.account_by_token("aa11").unwrap().unwrap();
    assert_eq!((owner.id, found.id), (ada.id, token.id));
    assert!(store.account_by_token("bb22").unwrap().is_none());
    assert!(
        matches!(
            store.add_token(999_999, "cc33", "x"),
            Err(crate::StoreError::NotFound)
        ),
        "a token of no account is refused"
    );
    assert!(!store.revoke_token(grace.id, token.id).unwrap(), "not hers");
    assert_eq!(store.tokens(ada.id).unwrap().len(), 1);
    assert!(store.revoke_token(ada.id, token.id).unwrap());
    assert!(store.account_by_token("aa11").unwrap().is_none());
    assert!(store.tokens(ada.id).unwrap().is_empty());
}

/// Web sessions: found by their hash until they expire, ended one by one or all at once, and
/// gone with their account.
pub fn sessions_expire_and_end_one_by_one_or_all_at_once(store: &dyn Store) {
    let (ada, grace) = (
        member(store, "ada@example.org"),
        member(store, "grace@example.org"),
    );
    let now = chrono::Utc::now();
    let later = now + chrono::Duration::hours(1);
    store.create_session("s1", ada.id, later).unwrap();
    store.create_session("s2", ada.id, later).unwrap();
    store.create_session("g1", grace.id, later).unwrap();
    store
        .create_session("old", ada.id, now - chrono::Duration::seconds(5))
        .unwrap();
    assert_eq!(
        store.account_by_session("s1", now).unwrap().unwrap().id,
        ada.id
    );
    assert!(
        store.account_by_session("old", now).unwrap().is_none(),
        "expired"
    );
    assert!(
        store.account_by_session("s1", later).unwrap().is_none(),
        "a session is over at its expiry"
    );
    assert!(store.account_by_session("nope", now).unwrap().is_none());
    assert!(matches!(
        store.create_session("x", 999_999, later),
        Err(crate::StoreError::NotFound)
    ));
    assert!(store.end_session("s1").unwrap());
    assert!(!store.end_session("s1").unwrap(), "already ended");
    assert!(store.account_by_session("s1", now).unwrap().is_none());
    assert!(store.account_by_session("s2", now).unwrap().is_some());
    // s2 and the expired one; grace's stays.
    assert_eq!(store.end_sessions(ada.id).unwrap(), 2);
    assert!(store.account_by_session("s2", now).unwrap().is_none());
    assert!(store.account_by_session("g1", now).unwrap().is_some());
    store.delete_account(grace.id).unwrap();
    assert!(store.account_by_session("g1", now).unwrap().is_none());
}

/// Votes: one per account and paper, idempotent both ways, counted by paper id.
pub fn votes_are_one_per_account_and_paper_and_counted_exactly(store: &dyn Store) {
    store
        .upsert_batch(&[arxiv("2402.13616", "YOLOv9"), arxiv("2401.00001", "Other")])
        .unwrap();
    let id = |arxiv_id: &str| store.find(arxiv_id).unwrap().expect("stored").id;
    let (yolo_id, other_id) = (id("2402.13616"), id("2401.00001"));
    let key = |id: &paperhub_core::PaperId| store.key_of(id).unwrap().unwrap();
    let (yolo, other) = (key(&yolo_id), key(&other_id));
    let (ada, grace) = (
        member(store, "ada@example.org").id,
        member(store, "grace@example.org").id,
    );
    assert_eq!(store.set_vote(ada, yolo, true).unwrap(), 1);
    assert_eq!(
        store.set_vote(ada, yolo, true).unwrap(),
        1,
        "a second vote counts once"
    );
    assert_eq!(store.set_vote(grace, yolo, true).unwrap(), 2);
    assert_eq!(
        store.set_vote(grace, other, false).unwrap(),
        0,
        "no vote to take back"
    );
    assert_eq!(
        store
            .vote_counts(&[yolo_id.as_str(), other_id.as_str(), "nothing"])
            .unwrap(),
        vec![2, 0, 0]
    );
    assert_eq!(store.voted(ada, &[yolo, other]).unwrap(), vec![true, false]);
    assert_eq!(store.set_vote(ada, yolo, false).unwrap(), 1, "taken back");
    assert_eq!(
        store.set_vote(ada, yolo, false).unwrap(),
        1,
        "taken back once"
    );
    assert_eq!(store.voted(ada, &[yolo]).unwrap(), vec![false]);
    assert!(matches!(
        store.set_vote(ada, 999_999, true),
        Err(crate::StoreError::NotFound)
    ));
    assert_eq!(
        store.set_vote(999_999, other, true).unwrap(),
        0,
        "an unknown account's vote is not recorded"
    );
    store.set_vote(ada, yolo, true).unwrap();
    store.set_vote(ada, other, true).unwrap();
    assert_eq!(
        store.voted_since(0, 10).unwrap(),
        vec![(yolo, 2), (other, 1)],
        "most voted first"
    );
    assert_eq!(store.voted_since(0, 1).unwrap(), vec![(yolo, 2)]);
    let future = crate::to_unix(chrono::Utc::now()) + 3_600;
    assert!(store.voted_since(future, 10).unwrap().is_empty());
}

/// The daily list by votes: most upvoted first, ties (and unvoted papers) in the listing's
/// order, paged like the listing.
pub fn a_span_is_listed_by_votes_with_ties_in_listing_order(store: &dyn Store) {
    let day = NaiveDate::from_ymd_opt(2025, 6, 5).unwrap();
    let before = NaiveDate::from_ymd_opt(2025, 6, 4).unwrap();
    store
        .upsert_batch(&[
            listing("First", day),
            listing("Second", day),
            listing("Third", day),
            listing("Fourth", day),
            listing("Earlier", before),
        ])
        .unwrap();
    let key = |title: &str| {
        store
            .papers_between(before, day, 10, 0)
            .unwrap()
            .into_iter()
            .find(|p| p.paper.meta.title == title)
            .unwrap()
            .key
    };
    let (ada, grace) = (
        member(store, "ada@example.org").id,
        member(store, "grace@example.org").id,
    );
    store.set_vote(ada, key("Third"), true).unwrap();
    store.set_vote(grace, key("Third"), true).unwrap();
    store.set_vote(ada, key("Earlier"), true).unwrap();
    store.set_vote(grace, key("Second"), true).unwrap();
    let titles = |limit, offset| -> Vec<String> {
        store
            .papers_between_by_votes(before, day, limit, offset)
            .unwrap()
            .into_iter()
            .map(|p| p.paper.meta.title)
            .collect()
    };
    assert_eq!(
        titles(10, 0),
        ["Third", "Second", "Earlier", "First", "Fourth"],
        "two votes, then one each (latest day first), then none in listing order"
    );
    assert_eq!(titles(2, 2), ["Earlier", "First"]);
    assert_eq!(
        store
            .papers_between_by_votes(day, day, 10, 0)
            .unwrap()
            .len(),
        4,
        "the span's papers only"
    );
}

/// Comments: on a paper, replies on the same paper only, edits and marks kept, counts shown.
pub fn comments_keep_their_thread_edits_and_marks(store: &dyn Store) {
    store
        .upsert_batch(&[arxiv("2402.13616", "YOLOv9"), arxiv("2401.00001", "Other")])
        .unwrap();
    let key = |arxiv_id: &str| {
        let id = store.find(arxiv_id).unwrap().expect("stored").id;
        store.key_of(&id).unwrap().unwrap()
    };
    let (yolo, other) = (key("2402.13616"), key("2401.00001"));
    let ada = member(store, "ada@example.org");
    let first = store.add_comment(yolo, ada.id, None, "**Nice**").unwrap();
    assert_eq!(
        first.author.as_deref(),
        Some("ada"),
        "the display name, not the email"
    );
    assert_eq!((first.body.as_str(), first.parent_id), ("**Nice**", None));
    let reply = store
        .add_comment(yolo, ada.id, Some(first.id), "Agreed")
        .unwrap();
    assert_eq!(reply.parent_id, Some(first.id));
    assert!(
        matches!(
            store.add_comment(other, ada.id, Some(first.id), "elsewhere"),
            Err(crate::StoreError::NotFound)
        ),
        "a reply stays on its parent's paper"
    );
    assert!(matches!(
        store.add_comment(999_999, ada.id, None, "x"),
        Err(crate::StoreError::NotFound)
    ));
    store.edit_comment(first.id, "**Very nice**").unwrap();
    store.mark_comment(reply.id, Some(true), None).unwrap();
    let thread = store.comments(yolo).unwrap();
    assert_eq!(thread.len(), 2);
    assert_eq!(thread[0].body, "**Very nice**");
    assert!(thread[0].edited_at.is_some());
    assert!(thread[1].hidden && !thread[1].deleted);
    assert_eq!(
        store.comment_counts(&[yolo, other]).unwrap(),
        vec![1, 0],
        "hidden not counted"
    );
    store
        .mark_comment(reply.id, Some(false), Some(true))
        .unwrap();
    let reply = store.comment(reply.id).unwrap().unwrap();
    assert!(!reply.hidden && reply.deleted);
    assert_eq!(
        store.comment_counts(&[yolo]).unwrap(),
        vec![1],
        "deleted not counted"
    );
    assert!(matches!(
        store.edit_comment(999_999, "x"),
        Err(crate::StoreError::NotFound)
    ));
}

/// Submissions: one per account and paper, the first one shown, unknown papers refused.
pub fn submissions_are_one_per_account_and_the_first_is_shown(store: &dyn Store) {
    store
        .upsert_batch(&[arxiv("2402.13616", "YOLOv9"), arxiv("2401.00001", "Other")])
        .unwrap();
    let key = |arxiv_id: &str| {
        let id = store.find(arxiv_id).unwrap().expect("stored").id;
        store.key_of(&id).unwrap().unwrap()
    };
    let (yolo, other) = (key("2402.13616"), key("2401.00001"));
    let (ada, grace) = (
        member(store, "ada@example.org"),
        member(store, "grace@example.org"),
    );
    let first = store.record_submission(yolo, ada.id).unwrap();
    assert_eq!(
        (
            first.paper_key,
            first.account_id,
            first.submitter.as_deref()
        ),
        (yolo, Some(ada.id), Some("ada"))
    );
    let again = store.record_submission(yolo, grace.id).unwrap();
    assert_eq!(again, first, "the first submitter stays the one shown");
    assert_eq!(store.record_submission(yolo, ada.id).unwrap(), first);
    assert_eq!(
        store.first_submissions(&[other, yolo]).unwrap(),
        vec![None, Some(first)]
    );
    assert!(matches!(
        store.record_submission(999_999, ada.id),
        Err(crate::StoreError::NotFound)
    ));
    assert!(matches!(
        store.record_submission(other, 999_999),
        Err(crate::StoreError::NotFound)
    ));
    assert_eq!(store.first_submissions(&[other]).unwrap(), vec![None]);
}

/// Deleting an account: votes, tokens and comments go (comments as placeholders under which
/// replies stay), submissions stay without a submitter, other accounts are untouched.
pub fn a_deleted_account_leaves_its_submissions_and_takes_its_votes_and_comments(
    store: &dyn Store,
) {
    store
        .upsert_batch(&[arxiv("2402.13616", "YOLOv9")])
        .unwrap();
    let id = store.find("2402.13616").unwrap().expect("stored").id;
    let yolo = store.key_of(&id).unwrap().unwrap();
    let (ada, grace) = (
        member(store, "ada@example.org"),
        member(store, "grace@example.org"),
    );
    store.record_submission(yolo, ada.id).unwrap();
    store.set_vote(ada.id, yolo, true).unwrap();
    store.set_vote(grace.id, yolo, true).unwrap();
    store.add_token(ada.id, "aa11", "laptop").unwrap();
    let said = store.add_comment(yolo, ada.id, None, "mine").unwrap();
    let reply = store
        .add_comment(yolo, grace.id, Some(said.id), "a reply")
        .unwrap();
    store.delete_account(ada.id).unwrap();
    assert!(store.account(ada.id).unwrap().is_none());
    assert!(store.account_by_token("aa11").unwrap().is_none());
    assert_eq!(store.vote_counts(&[id.as_str()]).unwrap(), vec![1]);
    let gone = store.comment(said.id).unwrap().unwrap();
    assert_eq!(
        (
            gone.account_id,
            gone.author,
            gone.deleted,
            gone.body.as_str()
        ),
        (None, None, true, "")
    );
    assert_eq!(
        store.comment(reply.id).unwrap().unwrap().body,
        "a reply",
        "replies stay"
    );
    let kept = store.first_submissions(&[yolo]).unwrap().remove(0).unwrap();
    assert_eq!((kept.account_id, kept.submitter), (None, None));
    assert!(store.account(grace.id).unwrap().is_some());
    assert!(matches!(
        store.delete_account(ada.id),
        Err(crate::StoreError::NotFound)
    ));
}

fn subscribe(
    store: &dyn Store,
    email: &str,
    topics: &[&str],
    confirmed: bool,
) -> crate::Subscription {
    let email = paperhub_core::Email::parse(email).unwrap();
    let topics: Vec<String> = topics.iter().map(|t| (*t).to_owned()).collect();
    store
        .subscribe(
            &crate::NewSubscription {
                email: &email,
                frequency: paperhub_core::Frequency::Daily,
                topics: &topics,
                manage_token: &format!("manage-{email}"),
                confirmed,
            },
            Utc::now(),
        )
        .unwrap()
}

/// Double opt-in: a token confirms its subscription once, and not after it expired.
pub fn subscriptions_are_confirmed_once_by_a_token_that_expires(store: &dyn Store) {
    use crate::{Redeemed, TokenPurpose};
    let now = Utc::now();
    let ada = subscribe(store, "Ada@Example.org", &["diffusion"], false);
    assert_eq!(ada.email.as_str(), "ada@example.org");
    assert!(ada.confirmed_at.is_none() && !ada.is_active());
    assert_eq!(ada.topics, vec!["diffusion".to_owned()]);
    store
        .add_mail_token(
            "t-ada",
            TokenPurpose::ConfirmSubscription,
            ada.id,
            now + chrono::Duration::hours(48),
        )
        .unwrap();
    store
        .add_mail_token(
            "t-old",
            TokenPurpose::ConfirmSubscription,
            ada.id,
            now - chrono::Duration::seconds(1),
        )
        .unwrap();
    assert!(matches!(
        store.confirm_subscription("t-old", now).unwrap(),
        Redeemed::Expired(_)
    ));
    assert!(
        !store.subscription(ada.id).unwrap().unwrap().is_active(),
        "an expired token confirms nothing"
    );
    assert_eq!(
        store.confirm_subscription("nope", now).unwrap(),
        Redeemed::Unknown
    );
    let Redeemed::Done(confirmed) = store.confirm_subscription("t-ada", now).unwrap() else {
        panic!("a good token confirms");
    };
    assert!(confirmed.is_active());
    assert_eq!(
        store.confirm_subscription("t-ada", now).unwrap(),
        Redeemed::Used,
        "single use"
    );
    assert_eq!(
        store
            .subscription_by_manage_token(&ada.manage_token)
            .unwrap()
            .unwrap()
            .id,
        ada.id
    );
    assert!(store.unsubscribe(ada.id, now).unwrap());
    assert!(
        !store.unsubscribe(ada.id, now).unwrap(),
        "already unsubscribed"
    );
    assert!(!store.subscription(ada.id).unwrap().unwrap().is_active());
    store
        .set_preferences(ada.id, paperhub_core::Frequency::Weekly, &["graphs".into()])
        .unwrap();
    let changed = store.subscription(ada.id).unwrap().unwrap();
    assert_eq!(
        (changed.frequency, changed.topics),
        (paperhub_core::Frequency::Weekly, vec!["graphs".to_owned()])
    );
    assert!(matches!(
        store.set_preferences(999_999, paperhub_core::Frequency::Daily, &[]),
        Err(crate::StoreError::NotFound)
    ));
}

/// The merge rule: an import respects an unsubscribe; a request through the form changes an
/// unconfirmed subscription but not a confirmed one; all of an import or none of it.
pub fn an_import_never_undoes_an_unsubscribe_and_a_request_never_changes_a_confirmed_one(
    store: &dyn Store,
) {
    let now = Utc::now();
    let ada = subscribe(store, "ada@example.org", &["a"], true);
    assert!(ada.is_active(), "an import may say the list opted in");
    let again = subscribe(store, "ada@example.org", &["hijack"], false);
    assert_eq!(
        again.topics,
        vec!["a".to_owned()],
        "a stranger's request changes nothing"
    );
    assert!(again.is_active());
    store.unsubscribe(ada.id, now).unwrap();
    let imported = subscribe(store, "ada@example.org", &["b"], true);
    assert!(
        imported.unsubscribed_at.is_some(),
        "an import does not undo an unsubscribe"
    );
    let back = subscribe(store, "ada@example.org", &["c"], false);
    assert!(
        back.unsubscribed_at.is_none() && back.confirmed_at.is_none(),
        "subscribed again, to confirm"
    );
    assert_eq!(back.topics, vec!["c".to_owned()]);
    assert_eq!(
        back.manage_token, ada.manage_token,
        "the links of earlier mails still work"
    );

    let emails: Vec<paperhub_core::Email> = ["x@example.org", "y@example.org"]
        .iter()
        .map(|e| paperhub_core::Email::parse(e).unwrap())
        .collect();
    let rows: Vec<crate::NewSubscription<'_>> = emails
        .iter()
        .map(|email| crate::NewSubscription {
            email,
            frequency: paperhub_core::Frequency::Weekly,
            topics: &[],
            manage_token: "same",
            confirmed: true,
        })
        .collect();
    assert!(
        store.subscribe_all(&rows, now).is_err(),
        "two rows with one secret clash"
    );
    assert!(
        store.subscription_by_email(&emails[0]).unwrap().is_none(),
        "nothing of a failed import is kept"
    );
    let rows: Vec<crate::NewSubscription<'_>> = emails
        .iter()
        .map(|email| crate::NewSubscription {
            email,
            frequency: paperhub_core::Frequency::Weekly,
            topics: &[],
            manage_token: email.as_str(),
            confirmed: true,
        })
        .collect();
    assert_eq!(store.subscribe_all(&rows, now).unwrap(), 2);
    assert_eq!(
        store.subscribe_all(&rows, now).unwrap(),
        0,
        "the second import adds nothing"
    );
    let all = store.subscriptions_after(0, 10).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(
        store.subscriptions_after(all[0].id, 1).unwrap()[0].id,
        all[1].id
    );
}

/// Keys are idempotent; a claimed mail is held by its worker until finished or its lease ends.
pub fn the_outbox_adds_a_key_once_and_hands_a_mail_to_one_worker(store: &dyn Store) {
    use crate::{Finish, NewMail};
    let now = Utc::now();
    let ada = subscribe(store, "ada@example.org", &[], true);
    let _bob = subscribe(store, "bob@example.org", &[], false);
    let added = store
        .enqueue_digests(
            "digest:daily:2025-06-05:",
            paperhub_core::Frequency::Daily,
            "{}",
            now + chrono::Duration::seconds(1),
            now,
        )
        .unwrap();
    assert_eq!(added, 1, "only the confirmed subscriber");
    assert_eq!(
        store
            .enqueue_digests(
                "digest:daily:2025-06-05:",
                paperhub_core::Frequency::Daily,
                "{}",
                now + chrono::Duration::seconds(1),
                now
            )
            .unwrap(),
        0,
        "a run planned twice adds nothing"
    );
    let confirm = NewMail {
        key: "confirm:1",
        kind: "confirm_subscription",
        subscription_id: None,
        recipient: &ada.email,
        payload: "{\"token\":\"x\"}",
    };
    assert_eq!(
        store
            .enqueue(&[confirm.clone(), confirm.clone()], now)
            .unwrap(),
        1
    );
    let lease = now + chrono::Duration::seconds(60);
    let first = store.claim("w1", "digest:", 10, now, lease).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].key, format!("digest:daily:2025-06-05:{}", ada.id));
    assert_eq!(first[0].subscription_id, Some(ada.id));
    assert!(
        store
            .claim("w2", "digest:", 10, now, lease)
            .unwrap()
            .is_empty(),
        "held by w1"
    );
    assert!(
        !store
            .finish(first[0].id, "w2", &Finish::Sent { papers: &[] }, now)
            .unwrap(),
        "not w2's"
    );
    // w1's lease runs out: another worker may take it, and w1 can no longer finish it.
    let stolen = store
        .claim(
            "w2",
            "digest:",
            10,
            lease,
            lease + chrono::Duration::seconds(60),
        )
        .unwrap();
    assert_eq!(stolen.len(), 1);
    assert!(!store
        .finish(first[0].id, "w1", &Finish::Sent { papers: &[] }, lease)
        .unwrap());
    assert!(store
        .finish(first[0].id, "w2", &Finish::Sent { papers: &[] }, lease)
        .unwrap());
    let counts = store.outbox_counts("digest:daily:2025-06-05:").unwrap();
    assert_eq!((counts.pending, counts.sent), (0, 1));
    assert_eq!(
        store.outbox_counts("").unwrap().pending,
        1,
        "the confirmation waits"
    );
    assert!(
        store
            .claim("w3", "digest:", 10, lease, lease)
            .unwrap()
            .is_empty(),
        "sent is done"
    );
    let confirmation = store.claim("w3", "confirm:", 10, now, lease).unwrap();
    assert_eq!(confirmation[0].payload, "{\"token\":\"x\"}");
    store
        .finish(confirmation[0].id, "w3", &Finish::Sent { papers: &[] }, now)
        .unwrap();
    assert_eq!(store.next_due("").unwrap(), None);
    // An unsubscribe drops what was waiting for the address.
    store
        .enqueue_digests(
            "digest:daily:2025-06-06:",
            paperhub_core::Frequency::Daily,
            "{}",
            now + chrono::Duration::seconds(1),
            now,
        )
        .unwrap();
    store.unsubscribe(ada.id, now).unwrap();
    let counts = store.outbox_counts("digest:daily:2025-06-06:").unwrap();
    assert_eq!((counts.pending, counts.skipped), (0, 1));
}

/// Sent papers are remembered per subscriber; a retry waits; permanent failures pause.
pub fn finished_mails_record_papers_retries_and_permanent_failures(store: &dyn Store) {
    use crate::Finish;
    let now = Utc::now();
    let ada = subscribe(store, "ada@example.org", &[], true);
    let lease = now + chrono::Duration::seconds(60);
    let plan = |day: &str| {
        store
            .enqueue_digests(
                &format!("digest:daily:{day}:"),
                paperhub_core::Frequency::Daily,
                "{}",
                now + chrono::Duration::seconds(1),
                now,
            )
            .unwrap()
    };
    plan("d1");
    let mail = store
        .claim("w", "digest:daily:d1:", 1, now, lease)
        .unwrap()
        .remove(0);
    store
        .finish(mail.id, "w", &Finish::Sent { papers: &[7, 9] }, now)
        .unwrap();
    assert_eq!(store.already_sent(ada.id, &[5, 7, 9]).unwrap(), vec![7, 9]);

    plan("d2");
    let mail = store
        .claim("w", "digest:daily:d2:", 1, now, lease)
        .unwrap()
        .remove(0);
    let at = now + chrono::Duration::seconds(30);
    store
        .finish(
            mail.id,
            "w",
            &Finish::Retry {
                at,
                error: "421 busy",
            },
            now,
        )
        .unwrap();
    assert!(
        store
            .claim("w", "digest:daily:d2:", 1, now, lease)
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    assert_eq!(
        store.next_due("digest:daily:d2:").unwrap(),
        Some(crate::from_unix(crate::to_unix(at)))
    );
    let again = store
        .claim(
            "w",
            "digest:daily:d2:",
            1,
            at,
            at + chrono::Duration::seconds(60),
        )
        .unwrap();
    assert_eq!(again[0].attempts, 1);
    let mut held = again;
    for (n, day) in [(1, "d2"), (2, "d3"), (3, "d4")] {
        if day != "d2" {
            plan(day);
            let key = format!("digest:daily:{day}:");
            held = store
                .claim("w", &key, 1, at, at + chrono::Duration::seconds(60))
                .unwrap();
        }
        let mail = held.remove(0);
        store
            .finish(
                mail.id,
                "w",
                &Finish::Failed {
                    error: "550 no such user",
                    permanent: true,
                    pause_after: 3,
                },
                at,
            )
            .unwrap();
        let sub = store.subscription(ada.id).unwrap().unwrap();
        assert_eq!(sub.failures, n);
        assert_eq!(
            sub.paused_at.is_some(),
            n >= 3,
            "paused at the third permanent failure"
        );
    }
    assert_eq!(plan("d5"), 0, "a paused subscription gets no digest");
    assert_eq!(store.outbox_counts("digest:").unwrap().failed, 3);
}

/// An account's tokens: an email confirmed once; a password reset once, ending every session
/// and spending the account's other reset tokens.
pub fn account_tokens_confirm_an_email_and_reset_a_password_once(store: &dyn Store) {
    use crate::{Redeemed, TokenPurpose};
    let now = Utc::now();
    let hour = chrono::Duration::hours(1);
    let ada = member(store, "ada@example.org");
    assert_eq!(store.email_confirmed_at(ada.id).unwrap(), None);
    store
        .add_mail_token("e1", TokenPurpose::ConfirmEmail, ada.id, now + hour)
        .unwrap();
    assert_eq!(
        store.confirm_subscription("e1", now).unwrap(),
        Redeemed::Unknown,
        "a token serves its own purpose only"
    );
    assert_eq!(
        store
            .token_subject("e1", TokenPurpose::ConfirmEmail, now)
            .unwrap(),
        Redeemed::Done(ada.id)
    );
    assert_eq!(
        store.confirm_account_email("e1", now).unwrap(),
        Redeemed::Done(ada.id)
    );
    assert!(store.email_confirmed_at(ada.id).unwrap().is_some());
    assert_eq!(
        store.confirm_account_email("e1", now).unwrap(),
        Redeemed::Used
    );

    store.create_session("s1", ada.id, now + hour).unwrap();
    store
        .add_mail_token("r1", TokenPurpose::ResetPassword, ada.id, now + hour)
        .unwrap();
    store
        .add_mail_token("r2", TokenPurpose::ResetPassword, ada.id, now + hour)
        .unwrap();
    store
        .add_mail_token("r-old", TokenPurpose::ResetPassword, ada.id, now - hour)
        .unwrap();
    assert!(matches!(
        store.reset_password("r-old", "hash-x", now).unwrap(),
        Redeemed::Expired(_)
    ));
    assert_eq!(
        store.account(ada.id).unwrap().unwrap().password_hash,
        ada.password_hash,
        "unchanged"
    );
    assert_eq!(
        store.reset_password("r1", "hash-new", now).unwrap(),
        Redeemed::Done(ada.id)
    );
    assert_eq!(
        store.account(ada.id).unwrap().unwrap().password_hash,
        "hash-new"
    );
    assert!(
        store.account_by_session("s1", now).unwrap().is_none(),
        "every session ended"
    );
    assert_eq!(
        store.reset_password("r1", "hash-again", now).unwrap(),
        Redeemed::Used
    );
    assert_eq!(
        store.reset_password("r2", "hash-again", now).unwrap(),
        Redeemed::Used,
        "a reset spends the account's other reset links"
    );
    assert_eq!(
        store.account(ada.id).unwrap().unwrap().password_hash,
        "hash-new"
    );
}

/// A member's tags, notes and seen marks: labels replace each other, a batch with an unknown
/// paper writes nothing, another member sees none of it, and it goes with the account.
pub fn a_library_is_private_all_or_nothing_and_goes_with_its_account(store: &dyn Store) {
    use crate::Label;
    store
        .upsert_batch(&[
            arxiv("2402.13616", "YOLOv9"),
            arxiv("2401.00001", "Other"),
            arxiv("2401.00002", "Third"),
        ])
        .unwrap();
    let key = |arxiv_id: &str| {
        let id = store.find(arxiv_id).unwrap().expect("stored").id;
        store.key_of(&id).unwrap().unwrap()
    };
    let (yolo, other, third) = (key("2402.13616"), key("2401.00001"), key("2401.00002"));
    let mut with_doi = arxiv("2401.00003", "With a DOI");
    with_doi.doi = Some("10.1234/Example.5".into());
    store.upsert_batch(&[with_doi]).unwrap();
    let by_doi = store
        .find_by_doi("10.1234/example.5")
        .unwrap()
        .expect("found by DOI");
    assert_eq!(by_doi.meta.title, "With a DOI", "DOIs compare without case");
    assert!(store.find_by_doi("10.1234/other").unwrap().is_none());
    let titled = store
        .find_by_title(&arxiv("2312.99999", "YOLOv9").title_key())
        .unwrap();
    assert_eq!(titled.len(), 1, "found by its title: {titled:?}");
    assert!(store.find_by_title("no such title").unwrap().is_empty());
    let (ada, grace) = (
        member(store, "ada@example.org").id,
        member(store, "grace@example.org").id,
    );
    assert_eq!(
        store
            .label_papers(ada, "vision", &[yolo, other], Label::Saved)
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .label_papers(ada, "vision", &[yolo], Label::Saved)
            .unwrap(),
        0,
        "saving again changes nothing"
    );
    assert_eq!(
        store
            .label_papers(ada, "vision", &[third], Label::Rejected)
            .unwrap(),
        1
    );
    assert!(
        matches!(
            store.label_papers(ada, "vision", &[third, 999_999], Label::Saved),
            Err(crate::StoreError::NotFound)
        ),
        "an unknown paper fails the batch"
    );
    let entries = store
        .tag_entries(ada, "vision")
        .unwrap()
        .expect("the tag exists");
    let labels: Vec<(u64, Label)> = entries.iter().map(|e| (e.paper_key, e.label)).collect();
    assert_eq!(entries.len(), 3);
    assert!(
        labels.contains(&(third, Label::Rejected)),
        "nothing of the failed batch was written: {labels:?}"
    );
    assert!(matches!(
        store.label_papers(999_999, "vision", &[yolo], Label::Saved),
        Err(crate::StoreError::NotFound)
    ));
    store
        .label_papers(ada, "reading", &[yolo], Label::Saved)
        .unwrap();
    let tags = store.tags(ada).unwrap();
    let names: Vec<(&str, u64, u64)> = tags
        .iter()
        .map(|t| (t.name.as_str(), t.saved, t.rejected))
        .collect();
    assert_eq!(names, vec![("reading", 1, 0), ("vision", 2, 1)]);
    assert_eq!(
        store.tags_of(ada, yolo).unwrap(),
        vec![
            ("reading".to_owned(), Label::Saved),
            ("vision".to_owned(), Label::Saved)
        ]
    );
    assert!(
        store.tags(grace).unwrap().is_empty(),
        "tags are the member's own"
    );
    assert_eq!(store.tag_entries(grace, "vision").unwrap(), None);
    assert!(!store.unlabel_paper(grace, "vision", yolo).unwrap());
    assert!(store.unlabel_paper(ada, "vision", yolo).unwrap());
    assert!(!store.unlabel_paper(ada, "vision", yolo).unwrap());
    assert_eq!(
        store.clear_label(ada, "vision", Label::Rejected).unwrap(),
        1
    );
    let left: Vec<u64> = store
        .tag_entries(ada, "vision")
        .unwrap()
        .unwrap()
        .iter()
        .map(|e| e.paper_key)
        .collect();
    assert_eq!(left, vec![other]);
    store.label_papers(ada, "empty", &[], Label::Saved).unwrap();
    assert_eq!(
        store.tag_entries(ada, "empty").unwrap(),
        Some(vec![]),
        "an empty tag exists"
    );
    assert!(store.delete_tag(ada, "empty").unwrap());
    assert_eq!(store.tag_entries(ada, "empty").unwrap(), None);

    store
        .set_note(ada, yolo, Some("  read section 3  "))
        .unwrap();
    store.set_note(ada, yolo, Some("read section 4")).unwrap();
    assert_eq!(
        store.notes(ada, &[yolo, other]).unwrap(),
        vec![Some("read section 4".to_owned()), None]
    );
    assert_eq!(
        store.notes(grace, &[yolo]).unwrap(),
        vec![None],
        "notes are private"
    );
    store.set_note(ada, other, Some("x")).unwrap();
    store.set_note(ada, other, Some("   ")).unwrap();
    assert_eq!(
        store.notes(ada, &[other]).unwrap(),
        vec![None],
        "an empty note removes it"
    );
    assert!(matches!(
        store.set_note(ada, 999_999, Some("x")),
        Err(crate::StoreError::NotFound)
    ));

    store.mark_seen(ada, &[yolo, 999_999]).unwrap();
    store.mark_seen(ada, &[yolo]).unwrap();
    assert_eq!(store.seen(ada, &[yolo, other]).unwrap(), vec![true, false]);
    assert_eq!(store.seen(grace, &[yolo]).unwrap(), vec![false]);

    store.delete_account(ada).unwrap();
    assert!(
        store.tags(ada).unwrap().is_empty(),
        "the library goes with its account"
    );
    assert_eq!(store.notes(ada, &[yolo]).unwrap(), vec![None]);
    assert_eq!(store.seen(ada, &[yolo]).unwrap(), vec![false]);
}
