//! Search by meaning with the real model, end to end.

use crate::helpers::{path_str, shared, stderr, Hub, SEED};

#[test]
fn a_question_in_other_words_finds_the_machine_unlearning_papers_first() {
    let hub = Hub::new().with_model();
    let summary = hub.json(&[
        "--quiet",
        "ingest",
        path_str(&shared(SEED)),
        "--date",
        "2025-06-05",
    ]);
    assert_eq!(
        summary["embedded"], 118,
        "ingest embeds the new papers: {summary}"
    );
    assert_eq!(hub.json(&["stats"])["embedded"], 118);
    let result = hub.json(&[
        "search",
        "how to make a trained model forget some of its training data",
        "--limit",
        "3",
    ]);
    assert_eq!(
        result["mode"], "hybrid",
        "hybrid is the default with the model installed"
    );
    for hit in result["results"].as_array().unwrap() {
        let title = hit["title"].as_str().unwrap().to_lowercase();
        assert!(
            title.contains("unlearning") || title.contains("forget"),
            "{result}"
        );
    }
    let semantic = hub.json(&[
        "search",
        "how to make a trained model forget some of its training data",
        "--mode",
        "semantic",
        "--limit",
        "1",
    ]);
    assert!(
        semantic["results"][0]["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("unlearning"),
        "{semantic}"
    );
    let yolo = hub.json(&[
        "search",
        "programmable gradient information",
        "--limit",
        "1",
    ]);
    let id = yolo["results"][0]["id"].as_str().unwrap().to_owned();
    assert!(
        yolo["results"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("YOLOv9"),
        "{yolo}"
    );
    let similar = hub.json(&["similar", &id, "--limit", "3"]);
    assert_eq!(similar["similar"].as_array().unwrap().len(), 3);
    assert_ne!(similar["similar"][0]["id"], id);
    // Nothing left to embed; a second ingest embeds nothing.
    let again = hub.json(&[
        "--quiet",
        "ingest",
        path_str(&shared(SEED)),
        "--date",
        "2025-06-05",
    ]);
    assert_eq!(again["embedded"], 0);
}

#[test]
fn without_the_model_keyword_search_works_and_meaning_says_how_to_install_it() {
    let hub = Hub::seeded();
    assert_eq!(hub.json(&["search", "unlearning"])["mode"], "keyword");
    let out = hub.run(&["search", "unlearning", "--mode", "semantic"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("paperhub model install"),
        "{}",
        stderr(&out)
    );
    // Similar papers fall back to shared title words, and say how to get them by meaning.
    let yolo = hub.json(&[
        "search",
        "programmable gradient information",
        "--limit",
        "1",
    ]);
    let id = yolo["results"][0]["id"].as_str().unwrap().to_owned();
    let out = hub.run(&["similar", &id, "--json", "--limit", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("paperhub model install"),
        "{}",
        stderr(&out)
    );
    let similar: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(similar["method"], "keyword", "{similar}");
    let ids: Vec<&str> = similar["similar"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{similar}");
    assert!(!ids.contains(&similar["id"].as_str().unwrap()), "{similar}");
    // The hub checks the limits, for the command line as for the API.
    let out = hub.run(&["search", "unlearning", "--limit", "500"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("limit must be from 1 to 100"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn above_the_exact_search_limit_an_hnsw_index_is_built_saved_and_reopened() {
    let hub = Hub::new().with_model();
    // 118 papers against a limit of 100: search by meaning goes approximate.
    let run = |args: &[&str]| -> serde_json::Value {
        let out = hub
            .command()
            .env("PAPERHUB_SEARCH__EXACT_SEARCH_MAX", "100")
            .args(args)
            .arg("--json")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    };
    run(&[
        "--quiet",
        "ingest",
        path_str(&shared(SEED)),
        "--date",
        "2025-06-05",
    ]);
    let saved = hub
        .data_dir()
        .join("index/vector/all-MiniLM-L6-v2/hnsw.json");
    let question = "how to make a trained model forget some of its training data";
    for round in ["built", "reopened"] {
        let semantic = run(&["search", question, "--mode", "semantic", "--limit", "1"]);
        assert!(
            semantic["results"][0]["title"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("unlearning"),
            "{round}: {semantic}"
        );
        assert!(saved.is_file(), "{round}: the index is saved");
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
        assert_eq!(meta["vectors"], 118, "{round}: {meta}");
    }
    let yolo = run(&[
        "search",
        "programmable gradient information",
        "--limit",
        "1",
    ]);
    let id = yolo["results"][0]["id"].as_str().unwrap().to_owned();
    let similar = run(&["similar", &id, "--limit", "3"]);
    assert_eq!(similar["similar"].as_array().unwrap().len(), 3);
    assert_ne!(similar["similar"][0]["id"], id);
    // A bad limit is an error that names the setting.
    let out = hub
        .command()
        .env("PAPERHUB_SEARCH__EXACT_SEARCH_MAX", "lots")
        .args(["search", question])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out)
            .to_lowercase()
            .contains("search.exact_search_max"),
        "{}",
        stderr(&out)
    );
}
