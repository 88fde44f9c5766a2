use crate::helpers::{path_str, shared, stderr, Hub, SEED};

#[test]
fn ingesting_the_seed_listing_stores_118_papers_and_again_stores_none() {
    let hub = Hub::new();
    let seed = shared(SEED);
    let first = hub.json(&["ingest", path_str(&seed), "--date", "2025-06-05"]);
    assert_eq!(
        (first["added"].as_u64(), first["rejected"].as_u64()),
        (Some(118), Some(0))
    );
    let again = hub.json(&["ingest", path_str(&seed), "--date", "2025-06-05"]);
    assert_eq!(
        (again["added"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(118))
    );
    let stats = hub.json(&["stats"]);
    assert_eq!(stats["papers"], 118);
    assert_eq!(stats["indexed"], 118, "store and index agree");
    assert_eq!(stats["last_day"], "2025-06-05");
}

#[test]
fn every_real_sample_is_ingested_and_the_error_responses_are_reported_by_file() {
    let hub = Hub::new();
    let out = hub.run(&[
        "ingest",
        path_str(&shared("data/arxiv")),
        path_str(&shared("data/scifact/corpus.jsonl")),
        path_str(&shared("data/corpus")),
    ]);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "rejected records make the exit status non-zero: {err}"
    );
    assert!(
        err.contains(
            "arxivpy_id_abc_s0_m100.xml:entry 1: arXiv API error: incorrect id format for abc"
        ),
        "{err}"
    );
    assert!(err.contains("mikesaelim_ErrorResponseBadVerb.xml"), "{err}");
    let stats = hub.json(&["stats"]);
    // 5,183 SciFact + 993 CSV titles + 724 distinct arXiv papers from Atom, OAI and JSON.
    assert_eq!(stats["with_arxiv_id"], 724);
    assert_eq!(stats["papers"], stats["indexed"]);
    assert!(stats["papers"].as_u64().unwrap() >= 5_183 + 724);
    let again = hub.run(&[
        "--quiet",
        "ingest",
        path_str(&shared("data/arxiv")),
        path_str(&shared("data/scifact/corpus.jsonl")),
        path_str(&shared("data/corpus")),
        "--json",
    ]);
    let summary: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (summary["added"].as_u64(), summary["updated"].as_u64()),
        (Some(0), Some(0)),
        "{summary}"
    );
}

#[test]
fn a_malformed_record_is_reported_with_its_file_and_line_and_the_others_are_stored() {
    let hub = Hub::new();
    let file = hub.dir.path().join("corpus.jsonl");
    std::fs::write(
        &file,
        concat!(
            "{\"_id\": \"1\", \"title\": \"Good one\", \"text\": \"A valid abstract.\"}\n",
            "{\"_id\": \"2\", \"title\": \"Broken\", \"text\": \n",
            "{\"_id\": \"3\", \"title\": \"\", \"text\": \"\"}\n",
            "{\"_id\": \"4\", \"title\": \"Good two\", \"text\": \"Another valid abstract.\"}\n",
        ),
    )
    .unwrap();
    let out = hub.run(&["ingest", path_str(&file)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("corpus.jsonl:line 2:"), "{err}");
    assert!(err.contains("corpus.jsonl:line 3:"), "{err}");
    assert!(
        err.contains("2 added") && err.contains("2 rejected"),
        "{err}"
    );
    assert_eq!(hub.papers(), 2);
}

#[test]
fn a_wrong_forced_format_and_an_empty_file_get_clear_errors_and_store_nothing() {
    let hub = Hub::new();
    let empty = hub.dir.path().join("empty.xml");
    std::fs::write(&empty, "").unwrap();
    let out = hub.run(&["ingest", path_str(&empty)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("empty.xml"), "{}", stderr(&out));
    let out = hub.run(&[
        "ingest",
        "--format",
        "atom",
        path_str(&shared("data/arxiv/jsonl")),
    ]);
    assert!(
        stderr(&out).contains("expected an Atom feed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(hub.papers(), 0);
}

#[test]
fn an_unknown_format_name_lists_the_valid_ones() {
    let hub = Hub::new();
    let out = hub.run(&["ingest", "--format", "bibtex", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("atom, oai, arxiv-json, listing, beir, csv"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_command_has_help() {
    let hub = Hub::new();
    for command in [
        vec!["--help"],
        vec!["ingest", "--help"],
        vec!["harvest", "--help"],
        vec!["search", "--help"],
        vec!["show", "--help"],
        vec!["stats", "--help"],
    ] {
        let out = hub.ok(&command);
        assert!(out.contains("Usage:"), "{command:?}: {out}");
    }
}
