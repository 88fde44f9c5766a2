//! The hub's rules across store and index, on the real SQLite store and tantivy index.

mod mail;
mod sessions;
mod submissions;

use std::sync::{Arc, Mutex};

use paperhub_app::{HarvestPlan, Hub, HubError, NoObserver, SearchMode, SearchRequest, SimilarBy};
use paperhub_core::{ArxivId, PaperMeta};
use paperhub_ingest::harvest::{HarvestRequest, Harvester};
use paperhub_search::{KeywordIndex, TantivyIndex, VectorIndex};
use paperhub_store::{AccountStore, PaperStore, VoteStore};
use paperhub_store_sqlite::SqliteStore;

use paperhub_test_support::shared;

fn paper(id: &str, title: &str, text: &str) -> PaperMeta {
    PaperMeta {
        arxiv_id: Some(ArxivId::parse(id).unwrap()),
        title: title.into(),
        abstract_text: text.into(),
        ..Default::default()
    }
    .normalized()
    .unwrap()
}

struct Parts {
    store: Arc<SqliteStore>,
    index: Arc<TantivyIndex>,
    hub: Hub,
}

fn parts() -> Parts {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let index = Arc::new(TantivyIndex::in_ram().unwrap());
    let hub = Hub::new(store.clone(), index.clone());
    Parts { store, index, hub }
}

fn search(hub: &Hub, text: &str) -> Vec<String> {
    let mut request = SearchRequest::new(text).mode(SearchMode::Keyword);
    request.snippets = true;
    hub.search(&request)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.paper.id.to_string())
        .collect()
}

#[test]
fn an_ingest_ends_with_store_and_index_at_the_same_change() {
    let p = parts();
    let records = (1..=25).map(|n| {
        Ok(paper(
            &format!("2401.{n:05}"),
            &format!("Paper {n}"),
            "Gradient methods.",
        ))
    });
    let summary = p.hub.ingest(records, 10, &mut NoObserver).unwrap();
    assert_eq!((summary.added, summary.rejected), (25, 0));
    let stats = p.hub.stats().unwrap();
    assert_eq!((stats.store.papers, stats.indexed), (25, 25));
    assert_eq!(stats.indexed_seq, stats.store_seq);
    assert_eq!(search(&p.hub, "paper 7")[0], "2401.00007");
    // A bulk ingest (all of this hub) merges in the end, not as it goes: it ends compacted,
    // with background merges on again for what comes next.
    assert!(p.index.segments().unwrap() <= paperhub_search::search_threads());
    let more = (26..=30).map(|n| Ok(paper(&format!("2401.{n:05}"), "More", "Text.")));
    p.hub.ingest(more, 1, &mut NoObserver).unwrap();
    p.index.wait_for_merges().unwrap();
    assert_eq!(p.hub.stats().unwrap().indexed, 30);
}

/// New papers are indexed without deleting an earlier version by key (there is none), but a
/// paper changed later, in the same batch or in a later ingest, still replaces its old
/// version: one document per paper, found by its new words only.
#[test]
fn a_changed_paper_replaces_its_indexed_version_in_the_same_and_a_later_ingest() {
    let p = parts();
    let first = vec![
        Ok(paper("2401.00001v1", "Quokka draft", "Marsupials.")),
        Ok(paper("2401.00002v1", "Wombat draft", "Burrows.")),
        // The same paper again in the same batch, newer: stored and indexed once, as it ends.
        Ok(paper("2401.00002v2", "Wombat final", "Burrows.")),
    ];
    let summary = p.hub.ingest(first, 10, &mut NoObserver).unwrap();
    assert_eq!((summary.added, summary.updated), (2, 1));
    // Only the first paper's title still says "draft": the second's was replaced in-batch.
    assert_eq!(search(&p.hub, "draft"), vec!["2401.00001"]);
    let second = vec![Ok(paper("2401.00001v2", "Quokka revised", "Marsupials."))];
    let summary = p.hub.ingest(second, 10, &mut NoObserver).unwrap();
    assert_eq!((summary.added, summary.updated), (0, 1));
    assert!(
        search(&p.hub, "draft").is_empty(),
        "the old titles are gone"
    );
    assert_eq!(search(&p.hub, "quokka"), vec!["2401.00001"]);
    assert_eq!(search(&p.hub, "wombat"), vec!["2401.00002"]);
    let stats = p.hub.stats().unwrap();
    assert_eq!((stats.store.papers, stats.indexed), (2, 2));
}

/// Two writers at once (two ingests on clones of one hub, as two requests of a server would
/// run). The index records the store's change number with each commit; unserialised, a
/// second ingest that runs between the first one's last store batch and its index commit
/// commits the higher number first, and the first ingest's commit then records the lower
/// one: the index claims to lag the store although it holds every paper (and, with a crash
/// at the wrong moment, the reverse: a number past a batch still on its way). Here the second
/// ingest starts from the first one's progress callback after its last batch, exactly in
/// that window, and gets 300 ms to finish there if nothing holds it back.
#[test]
fn a_second_ingest_waits_for_the_first_to_commit_its_index() {
    struct StartSecondAtTheEnd {
        hub: Hub,
        second: Option<std::thread::JoinHandle<u64>>,
    }
    impl paperhub_app::IngestObserver for StartSecondAtTheEnd {
        fn rejected(&mut self, _: &paperhub_ingest::RecordError) {}
        fn committed(&mut self, summary: &paperhub_app::IngestSummary) {
            if summary.added == 30 && self.second.is_none() {
                let hub = self.hub.clone();
                self.second = Some(std::thread::spawn(move || {
                    let records = (1..=5).map(|n| {
                        Ok(paper(
                            &format!("2402.{n:05}"),
                            &format!("Second {n}"),
                            "Later.",
                        ))
                    });
                    hub.ingest(records, 10, &mut NoObserver).unwrap().added
                }));
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
        }
    }
    let p = parts();
    let mut observer = StartSecondAtTheEnd {
        hub: p.hub.clone(),
        second: None,
    };
    let first = (1..=30).map(|n| {
        Ok(paper(
            &format!("2401.{n:05}"),
            &format!("First {n}"),
            "Earlier.",
        ))
    });
    assert_eq!(p.hub.ingest(first, 10, &mut observer).unwrap().added, 30);
    assert_eq!(observer.second.take().unwrap().join().unwrap(), 5);
    let stats = p.hub.stats().unwrap();
    assert_eq!((stats.store.papers, stats.indexed), (35, 35));
    assert_eq!(
        stats.indexed_seq, stats.store_seq,
        "the index recorded the change number the store ended at"
    );
}

#[test]
fn an_index_that_missed_a_committed_batch_catches_up() {
    let p = parts();
    p.hub
        .ingest(
            [Ok(paper("2401.00001", "First", "Indexed normally."))],
            10,
            &mut NoObserver,
        )
        .unwrap();
    // A crash after the store committed and before the index did: only the store has these.
    p.store
        .upsert_batch(&[
            paper("2401.00002", "Second", "Missed by the index."),
            paper("2401.00001v2", "First, revised", "Changed."),
        ])
        .unwrap();
    assert_eq!(p.index.num_docs().unwrap(), 1);
    assert!(search(&p.hub, "missed").is_empty());
    let repaired = p.hub.catch_up(|_, _| {}).unwrap();
    assert_eq!(repaired, 2);
    assert_eq!(
        p.index.num_docs().unwrap(),
        2,
        "the revised paper replaced its old document"
    );
    assert_eq!(search(&p.hub, "missed"), vec!["2401.00002"]);
    assert_eq!(search(&p.hub, "revised"), vec!["2401.00001"]);
    assert!(
        search(&p.hub, "\"indexed normally\"").is_empty(),
        "the old text is gone"
    );
    assert_eq!(
        p.hub.catch_up(|_, _| {}).unwrap(),
        0,
        "nothing left to repair"
    );
}

#[test]
fn rejected_records_are_counted_and_the_rest_stored() {
    let p = parts();
    let bad = paperhub_ingest::RecordError::new("x.jsonl", "line 2", "invalid JSON");
    let summary = p
        .hub
        .ingest(
            [
                Ok(paper("2401.00001", "Good", "Fine.")),
                Err(bad),
                Ok(paper("2401.00003", "Also good", "Fine.")),
            ],
            10,
            &mut NoObserver,
        )
        .unwrap();
    assert_eq!((summary.added, summary.rejected), (2, 1));
}

#[test]
fn papers_are_found_by_any_spelling_of_their_arxiv_id() {
    let p = parts();
    p.hub
        .ingest(
            [Ok(paper("2402.13616v2", "YOLOv9", "PGI."))],
            10,
            &mut NoObserver,
        )
        .unwrap();
    for spelling in [
        "2402.13616",
        "arXiv:2402.13616v1",
        "https://arxiv.org/abs/2402.13616",
    ] {
        assert_eq!(
            p.hub
                .find_paper(spelling)
                .unwrap()
                .expect(spelling)
                .id
                .as_str(),
            "2402.13616"
        );
    }
}

/// A loopback OAI-PMH server replaying recorded arXiv pages; the second page fails once.
fn replay_server() -> (String, Arc<Mutex<Vec<String>>>, std::thread::JoinHandle<()>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let base = format!("http://{}/oai2", server.server_addr().to_ip().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let first =
        std::fs::read_to_string(shared("data/arxiv/oai/litpuvn_ListRecords_arXivRaw.xml")).unwrap();
    let second = std::fs::read_to_string(shared(
        "data/arxiv/oai/mikesaelim_ListRecordsResponse.xml",
    ))
    .unwrap()
    .replace(
        "<resumptionToken cursor=\"0\" completeListSize=\"58011\">726959|1001</resumptionToken>",
        "<resumptionToken cursor=\"1001\" completeListSize=\"58011\"/>",
    );
    let no_records = std::fs::read_to_string(shared(
        "data/arxiv/oai/mikesaelim_ErrorResponseNoRecordsMatch.xml",
    ))
    .unwrap();
    let handle = std::thread::spawn(move || {
        let mut failed_once = false;
        for request in server.incoming_requests() {
            let url = request.url().to_owned();
            log.lock().unwrap().push(url.clone());
            let (status, body) = if url.contains("resumptionToken=1403493%7C1001") {
                if failed_once {
                    (200, second.clone())
                } else {
                    failed_once = true;
                    (500, "internal error".to_owned())
                }
            } else if url.contains("from=2016-10-20") {
                (200, first.clone())
            } else if url.contains("verb=ListRecords") {
                (200, no_records.clone())
            } else if url.contains("/stop") {
                let _ = request.respond(tiny_http::Response::from_string("bye"));
                return;
            } else {
                (400, "unexpected".to_owned())
            };
            let _ =
                request.respond(tiny_http::Response::from_string(body).with_status_code(status));
        }
    });
    (base, seen, handle)
}

#[test]
fn a_harvest_resumes_from_its_checkpoint_and_the_next_one_continues_from_its_end() {
    let p = parts();
    let (base, seen, server) = replay_server();
    let mut request = HarvestRequest::new(base.clone());
    request.from = chrono::NaiveDate::from_ymd_opt(2016, 10, 20);
    let harvester = Harvester::new();

    let error = p
        .hub
        .harvest(
            &harvester,
            HarvestPlan {
                request: request.clone(),
            },
            &mut NoObserver,
        )
        .unwrap_err();
    assert!(error.to_string().contains("500"), "{error}");
    assert_eq!(
        p.hub.stats().unwrap().store.papers,
        387,
        "the first page was committed before the failure"
    );

    let outcome = p
        .hub
        .harvest(&harvester, HarvestPlan { request }, &mut NoObserver)
        .unwrap();
    assert!(
        outcome.resumed,
        "the second run starts from the saved resumption token"
    );
    assert_eq!((outcome.summary.added, outcome.pages), (6, 1));
    assert_eq!(p.hub.stats().unwrap().store.papers, 393);

    // No --from: continue from where the last harvest ended; nothing new there.
    let outcome = p
        .hub
        .harvest(
            &harvester,
            HarvestPlan {
                request: HarvestRequest::new(base.clone()),
            },
            &mut NoObserver,
        )
        .unwrap();
    assert_eq!(outcome.summary.records(), 0);
    assert_eq!(outcome.from, Some(chrono::Utc::now().date_naive()));

    let urls = seen.lock().unwrap().clone();
    assert_eq!(
        urls.iter()
            .filter(|u| u.contains("from=2016-10-20"))
            .count(),
        1,
        "{urls:?}"
    );
    assert_eq!(
        urls.iter()
            .filter(|u| u.contains("resumptionToken=1403493%7C1001"))
            .count(),
        2,
        "{urls:?}"
    );
    let _ = ureq::get(&format!("{base}/stop")).call();
    server.join().unwrap();
}

fn semantic_parts() -> Parts {
    let p = parts();
    let hub = p.hub.clone().with_semantic(
        Arc::new(paperhub_search::HashingEmbedder),
        Arc::new(paperhub_search::FlatIndex::new(64)),
    );
    Parts { hub, ..p }
}

fn search_mode(hub: &Hub, text: &str, mode: SearchMode) -> Vec<String> {
    let found = hub.search(&SearchRequest::new(text).mode(mode)).unwrap();
    assert_eq!(found.mode, mode, "`{text}` ran as asked");
    found
        .hits
        .into_iter()
        .map(|h| h.paper.id.to_string())
        .collect()
}

fn three_papers(hub: &Hub) {
    let records = [
        paper(
            "2401.00001",
            "Machine unlearning",
            "Forgetting training data in neural networks.",
        ),
        paper(
            "2401.00002",
            "Continual learning",
            "Learning new tasks without forgetting old ones.",
        ),
        paper(
            "2401.00003",
            "Object detection",
            "Real-time detection of objects in images.",
        ),
    ];
    hub.ingest(records.into_iter().map(Ok), 10, &mut NoObserver)
        .unwrap();
}

#[test]
fn embedding_is_resumable_and_redoes_changed_papers() {
    let p = semantic_parts();
    three_papers(&p.hub);
    assert_eq!(p.hub.embed_missing(2, |_, _| {}).unwrap(), 3);
    assert_eq!(
        p.hub.embed_missing(2, |_, _| {}).unwrap(),
        0,
        "nothing left"
    );
    assert_eq!(p.hub.stats().unwrap().embedded, Some(3));
    p.hub
        .ingest(
            [Ok(paper(
                "2401.00003v2",
                "Object detection, revised",
                "Faster.",
            ))],
            10,
            &mut NoObserver,
        )
        .unwrap();
    assert_eq!(
        p.hub.embed_missing(2, |_, _| {}).unwrap(),
        1,
        "the changed paper is embedded again"
    );
    // A hub opened afresh on the same store finds the vectors without embedding again.
    let reopened = Hub::new(p.store.clone(), p.index.clone()).with_semantic(
        Arc::new(paperhub_search::HashingEmbedder),
        Arc::new(paperhub_search::FlatIndex::new(64)),
    );
    assert_eq!(reopened.load_vectors(|_, _| {}).unwrap(), 3);
    assert_eq!(reopened.embed_missing(2, |_, _| {}).unwrap(), 0);
}

#[test]
fn semantic_and_hybrid_modes_rank_by_meaning_and_honour_filters() {
    let p = semantic_parts();
    three_papers(&p.hub);
    p.hub.embed_missing(10, |_, _| {}).unwrap();
    let semantic = search_mode(&p.hub, "forgetting training data", SearchMode::Semantic);
    assert_eq!(semantic[0], "2401.00001");
    assert_eq!(semantic.len(), 3, "every paper has some similarity");
    let hybrid = search_mode(&p.hub, "forgetting training data", SearchMode::Hybrid);
    assert_eq!(hybrid[0], "2401.00001");
    let filtered = search_mode(&p.hub, "forgetting date:..2000-01-01", SearchMode::Semantic);
    assert!(
        filtered.is_empty(),
        "filters narrow search by meaning too: {filtered:?}"
    );
}

#[test]
fn similar_papers_exclude_the_paper_itself() {
    let p = semantic_parts();
    three_papers(&p.hub);
    p.hub.embed_missing(10, |_, _| {}).unwrap();
    let similar = p.hub.similar_papers("2401.00001", 5).unwrap().unwrap();
    assert_eq!(similar.paper.id.as_str(), "2401.00001");
    assert_eq!(similar.by, SimilarBy::Semantic);
    let ids: Vec<&str> = similar.hits.iter().map(|h| h.paper.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(!ids.contains(&"2401.00001"));
    assert!(p.hub.similar_papers("9999.99999", 5).unwrap().is_none());
}

#[test]
fn without_a_model_similar_papers_are_those_sharing_title_words() {
    let p = parts();
    three_papers(&p.hub);
    p.hub
        .ingest(
            [Ok(paper(
                "2401.00004",
                "Machine unlearning at scale",
                "Removing data from large models.",
            ))],
            10,
            &mut NoObserver,
        )
        .unwrap();
    let similar = p.hub.similar_papers("2401.00001", 5).unwrap().unwrap();
    assert_eq!(similar.by, SimilarBy::Keyword);
    assert_eq!(similar.hits[0].paper.id.as_str(), "2401.00004");
    assert!(similar
        .hits
        .iter()
        .all(|h| h.paper.id.as_str() != "2401.00001"));
    assert!(matches!(
        p.hub.similar_papers("2401.00001", 0),
        Err(HubError::OutOfRange(_))
    ));
}

#[test]
fn the_hub_decides_the_default_mode_and_reports_the_mode_that_ran() {
    let p = parts();
    three_papers(&p.hub);
    assert_eq!(p.hub.default_mode(), SearchMode::Keyword, "no model");
    assert_eq!(
        p.hub
            .search(&SearchRequest::new("forgetting"))
            .unwrap()
            .mode,
        SearchMode::Keyword
    );
    let s = semantic_parts();
    three_papers(&s.hub);
    s.hub.embed_missing(10, |_, _| {}).unwrap();
    assert_eq!(s.hub.default_mode(), SearchMode::Hybrid, "with the model");
    assert_eq!(
        s.hub
            .search(&SearchRequest::new("forgetting"))
            .unwrap()
            .mode,
        SearchMode::Hybrid
    );
    // Filters alone rank nothing by meaning: the hybrid asked for runs, and says so, as keyword.
    let filters_alone = SearchRequest {
        category: Some("cs.LG".into()),
        ..SearchRequest::new("").mode(SearchMode::Hybrid)
    };
    let found = s.hub.search(&filters_alone).unwrap();
    assert_eq!(found.mode, SearchMode::Keyword);
    // One more result than the page is looked for, to say whether another page follows.
    let page = s
        .hub
        .search(
            &SearchRequest::new("forgetting")
                .mode(SearchMode::Keyword)
                .limit(1),
        )
        .unwrap();
    assert_eq!((page.hits.len(), page.has_more), (1, true));
    let last = SearchRequest {
        offset: Some(1),
        ..SearchRequest::new("forgetting")
            .mode(SearchMode::Keyword)
            .limit(5)
    };
    let last = s.hub.search(&last).unwrap();
    assert_eq!((last.hits.len(), last.has_more, last.offset), (1, false, 1));
}

#[test]
fn a_bad_search_request_is_a_typed_error_naming_what_is_wrong() {
    let p = parts();
    three_papers(&p.hub);
    let error = |request: SearchRequest| p.hub.search(&request).unwrap_err();
    let zero = error(SearchRequest::new("x").limit(0));
    assert!(matches!(zero, HubError::OutOfRange(_)), "{zero}");
    assert!(zero.to_string().contains("limit"), "{zero}");
    let deep = error(SearchRequest {
        offset: Some(10_001),
        ..SearchRequest::new("x")
    });
    assert!(
        matches!(deep, HubError::OutOfRange(ref m) if m.contains("offset")),
        "{deep}"
    );
    let date = error(SearchRequest::new("x date:last-tuesday"));
    assert!(matches!(date, HubError::InvalidQuery(_)), "{date}");
    let backwards = error(SearchRequest {
        from: chrono::NaiveDate::from_ymd_opt(2025, 2, 1),
        until: chrono::NaiveDate::from_ymd_opt(2025, 1, 1),
        ..SearchRequest::new("x")
    });
    assert!(matches!(backwards, HubError::Invalid(_)), "{backwards}");
    assert!(matches!(
        "vector".parse::<SearchMode>(),
        Err(HubError::Invalid(ref m)) if m.contains("keyword, semantic, hybrid")
    ));
}

#[test]
fn search_by_meaning_without_a_model_says_how_to_install_it() {
    let p = parts();
    three_papers(&p.hub);
    let request = SearchRequest::new("forgetting").mode(SearchMode::Semantic);
    let error = p.hub.search(&request).unwrap_err();
    assert!(matches!(error, HubError::ModelMissing), "{error}");
    let error = error.to_string();
    assert!(error.contains("paperhub model install"), "{error}");
    assert_eq!(
        search_mode(&p.hub, "forgetting", SearchMode::Keyword).len(),
        2,
        "keyword search still works"
    );
}

#[test]
fn a_saved_vector_index_catches_up_with_only_the_vectors_written_since() {
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        Arc::new(
            paperhub_search::HnswIndex::open(
                dir.path(),
                64,
                paperhub_search::HnswParams::default(),
            )
            .unwrap(),
        )
    };
    let p = parts();
    let vectors = open();
    let hub = p
        .hub
        .clone()
        .with_semantic(Arc::new(paperhub_search::HashingEmbedder), vectors.clone());
    three_papers(&hub);
    assert_eq!(hub.embed_missing(2, |_, _| {}).unwrap(), 3);
    let saved = vectors.saved_change();
    assert!(saved > 0, "embedding saves the index");
    drop(hub);
    drop(vectors);

    // A paper changes and is embedded again by a hub with an index kept only in memory: the
    // saved index does not hold that vector yet.
    let memory_hub = p.hub.clone().with_semantic(
        Arc::new(paperhub_search::HashingEmbedder),
        Arc::new(paperhub_search::FlatIndex::new(64)),
    );
    memory_hub
        .ingest(
            [Ok(paper(
                "2401.00003v2",
                "Unlearning, revised",
                "How to make a model forget what it was trained on.",
            ))],
            10,
            &mut NoObserver,
        )
        .unwrap();
    assert_eq!(memory_hub.embed_missing(2, |_, _| {}).unwrap(), 1);

    let vectors = open();
    assert_eq!(vectors.saved_change(), saved, "reopened from disk");
    assert_eq!(vectors.len(), 3);
    let reopened = Hub::new(p.store.clone(), p.index.clone())
        .with_semantic(Arc::new(paperhub_search::HashingEmbedder), vectors.clone());
    let mut reported = Vec::new();
    assert_eq!(
        reopened
            .load_vectors(|done, total| reported.push((done, total)))
            .unwrap(),
        1,
        "only the vector written since the save is added"
    );
    assert_eq!(reported.last(), Some(&(1, 1)));
    assert_eq!(vectors.len(), 3, "replaced, not added");
    let semantic = search_mode(
        &reopened,
        "forget what it was trained on",
        SearchMode::Semantic,
    );
    assert_eq!(semantic[0], "2401.00003", "the new vector is searched");
}

/// The model id, dimensions and document vectors of the hashing embedder, for the test
/// embedders below that change only how queries are embedded.
macro_rules! hashing_embedder_basics {
    () => {
        fn model_id(&self) -> &str {
            paperhub_search::HashingEmbedder.model_id()
        }

        fn dimensions(&self) -> usize {
            paperhub_search::HashingEmbedder.dimensions()
        }

        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
            paperhub_search::HashingEmbedder.embed(texts)
        }
    };
}

/// The hashing embedder, recording whether each query was to use every core, and holding the
/// first query until a second one has been embedded.
struct RecordingEmbedder {
    all_cores: Mutex<Vec<bool>>,
    first_and_second: std::sync::Barrier,
}

impl paperhub_search::Embedder for RecordingEmbedder {
    hashing_embedder_basics!();

    fn embed_query(&self, text: &str, all_cores: bool) -> Result<Vec<f32>, String> {
        let nth = {
            let mut calls = self.all_cores.lock().unwrap();
            calls.push(all_cores);
            calls.len()
        };
        if nth <= 2 {
            self.first_and_second.wait();
        }
        Ok(self.embed(&[text])?.remove(0))
    }
}

#[test]
fn a_query_uses_every_core_only_while_no_other_search_runs() {
    use paperhub_search::Embedder as _;
    let p = parts();
    let embedder = Arc::new(RecordingEmbedder {
        all_cores: Mutex::new(Vec::new()),
        first_and_second: std::sync::Barrier::new(2),
    });
    let hub = p.hub.clone().with_semantic(
        embedder.clone(),
        Arc::new(paperhub_search::FlatIndex::new(64)),
    );
    three_papers(&hub);
    hub.embed_missing(10, |_, _| {}).unwrap();
    assert_eq!(embedder.model_id(), "hashing-test-embedder");

    // The first search waits inside the model until the second has been embedded too.
    let first = {
        let hub = hub.clone();
        std::thread::spawn(move || search_mode(&hub, "forgetting", SearchMode::Semantic))
    };
    let started = std::time::Instant::now();
    while embedder.all_cores.lock().unwrap().is_empty() {
        assert!(
            started.elapsed().as_secs() < 30,
            "the first search never reached the model"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let second = search_mode(&hub, "forgetting", SearchMode::Hybrid);
    let first = first.join().unwrap();
    assert!(
        !first.is_empty() && !second.is_empty(),
        "{first:?} {second:?}"
    );
    // Alone again.
    search_mode(&hub, "detection", SearchMode::Semantic);
    assert_eq!(
        *embedder.all_cores.lock().unwrap(),
        [true, false, true],
        "alone: every core; beside another search: one thread"
    );
}

/// The hashing embedder, batching up to 4 candidates queries a pass, each pass slow enough for
/// other searches to hand theirs in meanwhile; counts the queries of its largest pass.
#[derive(Default)]
struct BatchingEmbedder {
    largest: std::sync::atomic::AtomicUsize,
}

impl paperhub_search::Embedder for BatchingEmbedder {
    hashing_embedder_basics!();

    fn embed_candidates_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        self.largest
            .fetch_max(texts.len(), std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(5));
        self.embed(texts)
    }

    fn candidates_batch(&self) -> usize {
        4
    }
}

#[test]
fn hybrid_searches_at_the_same_time_share_passes_of_the_model_and_rank_as_alone() {
    let p = parts();
    let embedder = Arc::new(BatchingEmbedder::default());
    let hub = p.hub.clone().with_semantic(
        embedder.clone(),
        Arc::new(paperhub_search::FlatIndex::new(64)),
    );
    three_papers(&hub);
    hub.embed_missing(10, |_, _| {}).unwrap();
    let queries = [
        "forgetting training data",
        "learning new tasks",
        "detection of objects",
        "neural networks",
    ];
    // Alone, each search embeds its own query.
    let alone: Vec<Vec<String>> = queries
        .iter()
        .map(|q| search_mode(&hub, q, SearchMode::Hybrid))
        .collect();
    assert!(alone.iter().all(|ids| !ids.is_empty()), "{alone:?}");
    assert_eq!(
        embedder.largest.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a search alone does not wait for others"
    );
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let hub = hub.clone();
            std::thread::spawn(move || {
                (0..10)
                    .map(|i| {
                        let n = (t + i) % queries.len();
                        (n, search_mode(&hub, queries[n], SearchMode::Hybrid))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for thread in threads {
        for (n, ids) in thread.join().unwrap() {
            assert_eq!(ids, alone[n], "{}", queries[n]);
        }
    }
    let largest = embedder.largest.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (2..=4).contains(&largest),
        "80 searches on 8 threads: largest pass {largest} queries"
    );
}

#[test]
fn trending_ranks_by_recent_votes_over_age_and_says_why() {
    let p = parts();
    let today = chrono::Utc::now().date_naive();
    let listed = |id: &str, title: &str, days_ago: i64| PaperMeta {
        listed_on: Some(today - chrono::Duration::days(days_ago)),
        ..paper(id, title, "An abstract.")
    };
    p.hub
        .ingest(
            [
                Ok(listed("2401.00001", "Fresh", 0)),
                Ok(listed("2401.00002", "Older but more voted", 3)),
                Ok(listed("2401.00003", "Nobody voted", 0)),
            ],
            10,
            &mut NoObserver,
        )
        .unwrap();
    let accounts: Vec<_> = (0..3)
        .map(|n| {
            p.store
                .create_account(&paperhub_store::NewAccount {
                    email: &paperhub_core::Email::parse(&format!("m{n}@example.org")).unwrap(),
                    name: "member",
                    password_hash: "h",
                    role: paperhub_core::Role::Member,
                })
                .unwrap()
        })
        .collect();
    for account in &accounts[..2] {
        p.hub.vote(account, "2401.00001", true).unwrap();
    }
    for account in &accounts {
        p.hub.vote(account, "2401.00002", true).unwrap();
    }
    let now = chrono::Utc::now();
    let trending = p.hub.trending(paperhub_app::Period::Week, 10, now).unwrap();
    let ids: Vec<&str> = trending.iter().map(|t| t.paper.id.as_str()).collect();
    assert_eq!(
        ids,
        ["2401.00001", "2401.00002"],
        "two votes today outrank three on a paper of three days ago; no votes, no place"
    );
    for t in &trending {
        let why = &t.why;
        assert_eq!(why.formula, paperhub_app::FORMULA);
        assert_eq!((why.gravity, why.offset_hours), (1.8, 2.0));
        let score =
            why.votes_in_period as f64 / (why.age_hours + why.offset_hours).powf(why.gravity);
        assert!(
            (t.score - score).abs() < 1e-12,
            "the why gives the score: {why:?}"
        );
        assert_eq!(t.votes, why.votes_in_period, "every vote is recent");
    }
    assert_eq!(trending[1].why.votes_in_period, 3);
    assert!(trending[1].why.age_hours >= 72.0);
    // Gravity is a setting: without it, votes alone rank.
    let flat = p
        .hub
        .clone()
        .with_trending(paperhub_app::TrendingRules {
            gravity: 1e-9,
            offset_hours: 2.0,
            ..Default::default()
        })
        .trending(paperhub_app::Period::Day, 10, now)
        .unwrap();
    assert_eq!(flat[0].paper.id.as_str(), "2401.00002");
    // Votes older than the period do not count.
    let later = now + chrono::Duration::days(2);
    assert!(p
        .hub
        .trending(paperhub_app::Period::Day, 10, later)
        .unwrap()
        .is_empty());
    assert!(matches!(
        "year".parse::<paperhub_app::Period>(),
        Err(HubError::Invalid(_))
    ));
}

#[test]
fn a_ranking_is_reused_for_its_cache_time_and_dropped_by_a_vote_through_the_hub() {
    let p = parts();
    let today = chrono::Utc::now().date_naive();
    p.hub
        .ingest(
            [
                Ok(PaperMeta {
                    listed_on: Some(today),
                    ..paper("2401.00001", "One", "An abstract.")
                }),
                Ok(PaperMeta {
                    listed_on: Some(today),
                    ..paper("2401.00002", "Two", "An abstract.")
                }),
            ],
            10,
            &mut NoObserver,
        )
        .unwrap();
    let member = |n: usize| {
        p.store
            .create_account(&paperhub_store::NewAccount {
                email: &paperhub_core::Email::parse(&format!("m{n}@example.org")).unwrap(),
                name: "member",
                password_hash: "h",
                role: paperhub_core::Role::Member,
            })
            .unwrap()
    };
    let (ada, grace) = (member(0), member(1));
    p.hub.vote(&ada, "2401.00001", true).unwrap();
    let now = chrono::Utc::now();
    let day = paperhub_app::Period::Day;
    let ids = |hub: &Hub, at| -> Vec<String> {
        hub.trending(day, 10, at)
            .unwrap()
            .iter()
            .map(|t| format!("{}:{}", t.paper.id, t.votes))
            .collect()
    };
    assert_eq!(ids(&p.hub, now), ["2401.00001:1"]);
    // A vote written by another node (straight into the store) shows once the cache time
    // (10 s by default) has passed.
    let two = p.hub.find_paper("2401.00002").unwrap().unwrap().id;
    let key = p.store.key_of(&two).unwrap().unwrap();
    p.store.set_vote(grace.id, key, true).unwrap();
    assert_eq!(
        ids(&p.hub, now + chrono::Duration::seconds(5)),
        ["2401.00001:1"]
    );
    assert_eq!(
        ids(&p.hub, now + chrono::Duration::seconds(11)),
        ["2401.00001:1", "2401.00002:1"]
    );
    // A vote through this hub shows at once.
    let later = now + chrono::Duration::seconds(12);
    assert_eq!(ids(&p.hub, later).len(), 2);
    p.hub.vote(&grace, "2401.00001", true).unwrap();
    assert_eq!(ids(&p.hub, later)[0], "2401.00001:2");
    // Without a cache, every call counts afresh.
    let uncached = p.hub.clone().with_trending(paperhub_app::TrendingRules {
        cache_secs: 0,
        ..Default::default()
    });
    assert_eq!(ids(&uncached, later).len(), 2);
    p.store.set_vote(ada.id, key, true).unwrap();
    assert_eq!(ids(&uncached, later)[1], "2401.00002:2");
}
