//! The JSON API.

use crate::helpers::{Model, TestApp};

#[tokio::test]
async fn search_finds_yolov9_for_programmable_gradient_information() {
    let app = TestApp::seeded().await;
    for mode in ["keyword", "semantic", "hybrid"] {
        let body = app
            .json(
                &format!("/api/v1/search?q=programmable+gradient+information&limit=1&mode={mode}"),
                200,
            )
            .await;
        if mode == "semantic" {
            // The hashing test embedder knows words, not meaning: only check the shape.
            assert_eq!(body["results"].as_array().unwrap().len(), 1);
            continue;
        }
        let first = &body["results"][0];
        assert!(
            first["title"].as_str().unwrap().starts_with("YOLOv9"),
            "{mode}: {first}"
        );
        assert!(first["id"].is_string() && first["score"].is_number());
        assert!(
            first.get("source_id").is_some(),
            "source_id is always present"
        );
        assert_eq!(body["mode"], mode);
        assert_eq!(body["limit"], 1);
        assert_eq!(body["next_offset"], 1);
        let id = first["id"].as_str().unwrap();
        let paper = app.json(&format!("/api/v1/papers/{id}"), 200).await;
        assert_eq!(paper["title"], first["title"]);
    }
}

#[tokio::test]
async fn search_reports_the_mode_that_ran_not_the_one_asked() {
    let app = TestApp::seeded().await;
    let default = app.json("/api/v1/search?q=gradient&limit=1", 200).await;
    assert_eq!(
        default["mode"], "hybrid",
        "hybrid is the default with a model"
    );
    // Filters alone rank nothing by meaning: they list the newest papers, by keyword.
    let filters = app
        .json("/api/v1/search?from=2025-06-05&mode=hybrid&limit=3", 200)
        .await;
    assert_eq!(filters["mode"], "keyword", "{filters}");
    assert_eq!(filters["results"].as_array().unwrap().len(), 3);
    let bad = app.json("/api/v1/search?q=x&limit=101", 400).await;
    assert_eq!(bad["error"]["code"], "limit_out_of_range");
    let bad = app.json("/api/v1/search?q=x+date:soon", 400).await;
    assert_eq!(bad["error"]["code"], "invalid_query");
}

#[tokio::test]
async fn search_results_carry_snippets_as_plain_parts_and_page_consistently() {
    let app = TestApp::seeded().await;
    let body = app
        .json("/api/v1/search?q=transformer&mode=keyword&limit=5", 200)
        .await;
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    let parts = results[0]["snippet"].as_array().unwrap();
    assert!(parts.iter().any(|p| p["highlight"] == true), "{parts:?}");
    let next = body["next_offset"].as_u64().unwrap();
    assert_eq!(next, 5);
    let page2 = app
        .json(
            &format!("/api/v1/search?q=transformer&mode=keyword&limit=5&offset={next}"),
            200,
        )
        .await;
    let first_ids: Vec<&str> = results.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for r in page2["results"].as_array().unwrap() {
        assert!(
            !first_ids.contains(&r["id"].as_str().unwrap()),
            "pages overlap"
        );
    }
}

#[tokio::test]
async fn papers_of_a_day_week_and_month_page_with_totals() {
    let app = TestApp::seeded().await;
    let latest = app.json("/api/v1/papers?limit=10", 200).await;
    assert_eq!(latest["span"], "2025-06-05", "the latest day by default");
    assert_eq!(latest["total"], 118);
    assert_eq!(latest["papers"].as_array().unwrap().len(), 10);
    assert_eq!(latest["next_offset"], 10);
    assert_eq!(latest["previous"], "2025-06-04");
    assert_eq!(latest["next"], serde_json::Value::Null);
    let last = app
        .json("/api/v1/papers?date=2025-06-05&limit=10&offset=110", 200)
        .await;
    assert_eq!(last["papers"].as_array().unwrap().len(), 8);
    assert_eq!(last["next_offset"], serde_json::Value::Null);
    let week = app
        .json("/api/v1/papers?week=2025-W23&limit=100", 200)
        .await;
    assert_eq!(week["total"], 120);
    assert_eq!(
        (week["from"].as_str(), week["until"].as_str()),
        (Some("2025-06-02"), Some("2025-06-08"))
    );
    assert_eq!(week["previous"], "2025-W22");
    let month = app.json("/api/v1/papers?month=2025-06", 200).await;
    assert_eq!(month["total"], 120);
    let before = app.json("/api/v1/papers?date=2025-06-04", 200).await;
    assert_eq!(before["total"], 2);
    assert_eq!(before["next"], "2025-06-05");
}

#[tokio::test]
async fn errors_are_stable_objects_with_codes() {
    let app = TestApp::seeded().await;
    let cases = [
        ("/api/v1/papers/no-such-paper", 404, "paper_not_found"),
        (
            "/api/v1/papers/no-such-paper/similar",
            404,
            "paper_not_found",
        ),
        ("/api/v1/papers?limit=101", 400, "limit_out_of_range"),
        ("/api/v1/papers?limit=0", 400, "limit_out_of_range"),
        ("/api/v1/search?q=x&offset=10001", 400, "limit_out_of_range"),
        ("/api/v1/papers?limit=many", 400, "invalid_parameter"),
        ("/api/v1/papers?week=2025-W99", 400, "invalid_parameter"),
        (
            "/api/v1/papers?date=2025-06-05&month=2025-06",
            400,
            "invalid_parameter",
        ),
        ("/api/v1/search?q=x&mode=psychic", 400, "invalid_parameter"),
        (
            "/api/v1/search?q=x&from=yesterday",
            400,
            "invalid_parameter",
        ),
        ("/api/v1/search?q=date:2024-13-01..", 400, "invalid_query"),
        ("/api/v1/nothing-here", 404, "route_not_found"),
    ];
    for (path, status, code) in cases {
        let body = app.json(path, status).await;
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn similar_papers_are_by_meaning_with_a_model_and_by_words_without() {
    let app = TestApp::seeded().await;
    let hit = app
        .json(
            "/api/v1/search?q=programmable+gradient+information&mode=keyword&limit=1",
            200,
        )
        .await;
    let id = hit["results"][0]["id"].as_str().unwrap().to_owned();
    let similar = app
        .json(&format!("/api/v1/papers/{id}/similar?limit=3"), 200)
        .await;
    assert_eq!(similar["method"], "semantic");
    let results = similar["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r["id"] != id.as_str()), "not itself");

    let plain = TestApp::spawn(Model::None, Vec::new()).await;
    let similar = plain
        .json(&format!("/api/v1/papers/{id}/similar"), 200)
        .await;
    assert_eq!(similar["method"], "keyword");
    assert!(!similar["results"].as_array().unwrap().is_empty());
    let refused = plain.json("/api/v1/search?q=x&mode=semantic", 400).await;
    assert_eq!(refused["error"]["code"], "model_not_installed");
    let default = plain.json("/api/v1/search?q=gradient", 200).await;
    assert_eq!(
        default["mode"], "keyword",
        "keyword is the default without a model"
    );
}

#[tokio::test]
async fn stats_count_the_hub() {
    let app = TestApp::seeded().await;
    let stats = app.json("/api/v1/stats", 200).await;
    assert_eq!(stats["papers"], 120);
    assert_eq!(stats["last_day"], "2025-06-05");
    assert_eq!(stats["search_by_meaning"], true);
    assert_eq!(stats["embedded"], 120);
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_describes_every_api_route() {
    let app = TestApp::seeded().await;
    let doc = app.json("/api/openapi.json", 200).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        "/api/v1/accounts",
        "/api/v1/accounts/me",
        "/api/v1/submissions",
        "/api/v1/subscriptions",
        "/api/v1/papers",
        "/api/v1/papers/{id}/vote",
        "/api/v1/papers/{id}/comments",
        "/api/v1/comments/{id}",
        "/api/v1/comments/{id}/hidden",
        "/api/v1/papers/{id}",
        "/api/v1/papers/{id}/similar",
        "/api/v1/search",
        "/api/v1/stats",
        "/api/v1/trending",
        "/api/v1/library/tags",
        "/api/v1/library/tags/{tag}",
        "/api/v1/library/tags/{tag}/papers/{id}",
        "/api/v1/library/tags/{tag}/rejections/{id}",
        "/api/v1/library/tags/{tag}/reset",
        "/api/v1/library/tags/{tag}/recommendations",
        "/api/v1/library/tags/{tag}/export",
        "/api/v1/library/tags/{tag}/import",
        "/api/v1/library/recommendations",
        "/api/v1/library/papers/{id}/note",
        "/api/v1/library/seen",
        "/api/v1/library/searches",
        "/api/v1/library/searches/{name}",
        "/api/v1/library/searches/{name}/results",
        "/api/v1/library/searches/{name}/export",
        "/api/v1/library/picks",
        "/api/v1/library/feed-token",
    ];
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    documented.sort_unstable();
    let mut sorted = expected.to_vec();
    sorted.sort_unstable();
    assert_eq!(
        documented, sorted,
        "every API route, and nothing else, is documented"
    );
    // And every documented route that reads answers (is really routed).
    let id = app.json("/api/v1/papers?limit=1", 200).await["papers"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in documented {
        if paths[path].get("get").is_none() {
            continue;
        }
        // A route that needs a bearer token answers 401 without one: it is routed.
        let expected = if paths[path]["get"].get("security").is_some() {
            401
        } else {
            200
        };
        let path = path.replace("{id}", &id);
        let response = app.get(&format!("{path}?q=gradient")).await;
        assert_eq!(response.status(), expected, "{path}");
    }
    assert!(doc["components"]["schemas"]["ErrorResponse"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer",
        "the votes' bearer tokens are described"
    );
    assert!(paths["/api/v1/papers/{id}/vote"]["put"].is_object());
    assert!(paths["/api/v1/papers/{id}/vote"]["delete"].is_object());
}
