use crate::helpers::{path_str, shared, Hub};

#[test]
fn searching_programmable_gradient_information_finds_yolov9_first() {
    let hub = Hub::seeded();
    let result = hub.json(&["search", "programmable gradient information"]);
    let first = &result["results"][0];
    assert!(
        first["title"].as_str().unwrap().starts_with("YOLOv9"),
        "{result}"
    );
    assert!(
        first["snippet"].as_str().unwrap().contains("<mark>"),
        "{first}"
    );
    let id = first["id"].as_str().unwrap();
    let shown = hub.ok(&["show", id]);
    assert!(
        shown.starts_with(
            "YOLOv9: Learning What You Want to Learn Using Programmable Gradient Information"
        ),
        "{shown}"
    );
    assert!(shown.contains("listed on:   2025-06-05"), "{shown}");
}

#[test]
fn a_queries_file_prints_one_json_line_per_query() {
    let hub = Hub::seeded();
    let queries = hub.dir.path().join("queries.txt");
    std::fs::write(
        &queries,
        "programmable gradient information\n\nmachine unlearning\n",
    )
    .unwrap();
    let out = hub.ok(&["search", "--queries", path_str(&queries), "--limit", "3"]);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["query"], "machine unlearning");
    let results = lines[1]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        assert!(
            r["id"].is_string() && r["title"].is_string() && r["score"].is_number(),
            "{r}"
        );
        assert!(r.get("source_id").is_some());
    }
}

#[test]
fn filters_narrow_results_by_day_and_phrases_match_words_together() {
    let hub = Hub::seeded();
    let in_range = hub.json(&[
        "search",
        "\"from scratch\"",
        "--from",
        "2025-06-01",
        "--until",
        "2025-06-30",
    ]);
    let hits = in_range["results"].as_array().unwrap();
    assert!(!hits.is_empty());
    for hit in hits {
        assert!(
            hit["snippet"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("scratch")
                || hit["title"]
                    .as_str()
                    .unwrap()
                    .to_lowercase()
                    .contains("scratch"),
            "{hit}"
        );
    }
    let out_of_range = hub.json(&["search", "\"from scratch\" date:..2024-12-31"]);
    assert_eq!(out_of_range["results"].as_array().unwrap().len(), 0);
}

#[test]
fn beir_documents_keep_their_source_id_in_search_results() {
    let hub = Hub::new();
    hub.ok(&[
        "--quiet",
        "ingest",
        path_str(&shared("data/scifact/corpus.jsonl")),
    ]);
    let result = hub.json(&[
        "search",
        "Microstructural development of human newborn cerebral white matter",
        "--limit",
        "1",
    ]);
    assert_eq!(result["results"][0]["source_id"], "4983", "{result}");
    assert_eq!(hub.json(&["show", "4983"])["source_id"], "4983");
}
