//! The personal library over the API: tags, recommendations with their reasons, thumbs-down
//! and reset, notes, privacy, and import and export of reference files.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{found, member, Model, TestApp};

fn ids(results: &Value) -> Vec<String> {
    results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn post_text(app: &TestApp, path: &str, token: &str, body: String) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}")),
    )
}

#[tokio::test]
async fn a_tag_recommends_other_papers_with_reasons_and_learns_from_a_thumbs_down() {
    let app = TestApp::spawn(Model::RealIfInstalled, Vec::new()).await;
    let ada = member(&app, "ada@example.org").await;
    let saved = found(&app, "linear attention transformer", 3).await;
    assert_eq!(saved.len(), 3);
    for (id, _) in &saved {
        let (status, body) = app
            .call(
                Method::PUT,
                &format!("/api/v1/library/tags/attention/papers/{id}"),
                Some(&ada),
                None,
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["label"], "saved");
    }
    let (status, again) = app
        .call(
            Method::PUT,
            &format!("/api/v1/library/tags/attention/papers/{}", saved[0].0),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(
        (status, again["changed"].as_bool()),
        (200, Some(false)),
        "saving twice changes nothing"
    );

    let (status, first) = app
        .call(
            Method::GET,
            "/api/v1/library/tags/attention/recommendations?limit=5",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 200, "{first}");
    let first_ids = ids(&first);
    assert_eq!(first_ids.len(), 5);
    let saved_ids: Vec<&str> = saved.iter().map(|(id, _)| id.as_str()).collect();
    for result in first["results"].as_array().unwrap() {
        assert!(
            !saved_ids.contains(&result["id"].as_str().unwrap()),
            "never a paper of the tag"
        );
        let nearest = result["why"]["nearest"].as_array().unwrap();
        assert!(
            !nearest.is_empty(),
            "each says which saved papers it is near: {result}"
        );
        for near in nearest {
            assert!(saved_ids.contains(&near["id"].as_str().unwrap()));
        }
        assert!(result["why"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("Near “"));
    }

    // A thumbs-down: never recommended for the tag again, until a reset.
    let rejected = &first_ids[0];
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/library/tags/attention/rejections/{rejected}"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, second) = app
        .call(
            Method::GET,
            "/api/v1/library/tags/attention/recommendations?limit=5",
            Some(&ada),
            None,
        )
        .await;
    assert!(
        !ids(&second).contains(rejected),
        "a rejected paper is not recommended again"
    );
    let (_, tags) = app
        .call(Method::GET, "/api/v1/library/tags", Some(&ada), None)
        .await;
    assert_eq!(tags["tags"][0]["saved"], 3);
    assert_eq!(tags["tags"][0]["rejected"], 1);
    let (status, reset) = app
        .call(
            Method::POST,
            "/api/v1/library/tags/attention/reset",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!((status, reset["cleared"].as_u64()), (200, Some(1)));
    let (_, third) = app
        .call(
            Method::GET,
            "/api/v1/library/tags/attention/recommendations?limit=5",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(
        ids(&third),
        first_ids,
        "a reset forgets what the thumbs-down taught"
    );

    // Seen papers can be hidden; all tags together recommend too.
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/library/seen",
            Some(&ada),
            Some(json!({"ids": [first_ids[1]]})),
        )
        .await;
    assert_eq!(status, 204);
    let (_, unseen) = app
        .call(
            Method::GET,
            "/api/v1/library/tags/attention/recommendations?limit=5&hide_seen=true",
            Some(&ada),
            None,
        )
        .await;
    assert!(!ids(&unseen).contains(&first_ids[1]));
    let (_, marked) = app
        .call(
            Method::GET,
            "/api/v1/library/tags/attention/recommendations?limit=5",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(marked["results"][1]["seen"], true);
    let (status, all) = app
        .call(
            Method::GET,
            "/api/v1/library/recommendations?limit=3",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!((status, ids(&all).len()), (200, 3), "{all}");

    for (path, code) in [
        (
            "/api/v1/library/tags/attention/recommendations?limit=0",
            "limit_out_of_range",
        ),
        (
            "/api/v1/library/tags/attention/recommendations?limit=101",
            "limit_out_of_range",
        ),
        ("/api/v1/library/tags/nothing/recommendations", "not_found"),
    ] {
        let (_, body) = app.call(Method::GET, path, Some(&ada), None).await;
        assert_eq!(body["error"]["code"], code, "{path}");
    }
    // Removing takes it out of the tag.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/library/tags/attention/papers/{}", saved[2].0),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/library/tags/attention/papers/{}", saved[2].0),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 404, "not there any more");
}

#[tokio::test]
async fn another_members_tags_notes_and_exports_answer_404() {
    let app = TestApp::seeded().await;
    let ada = member(&app, "ada@example.org").await;
    let grace = member(&app, "grace@example.org").await;
    let (id, _) = found(&app, "linear attention", 1).await.remove(0);
    app.call(
        Method::PUT,
        &format!("/api/v1/library/tags/private/papers/{id}"),
        Some(&ada),
        None,
    )
    .await;
    let (status, note) = app
        .call(
            Method::PUT,
            &format!("/api/v1/library/papers/{id}/note"),
            Some(&ada),
            Some(json!({"body": "<script>alert(1)</script> read §3"})),
        )
        .await;
    assert_eq!(status, 200, "{note}");
    let (_, mine) = app
        .call(
            Method::GET,
            &format!("/api/v1/library/papers/{id}/note"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(mine["body"], "<script>alert(1)</script> read §3");
    let (_, theirs) = app
        .call(
            Method::GET,
            &format!("/api/v1/library/papers/{id}/note"),
            Some(&grace),
            None,
        )
        .await;
    assert_eq!(theirs["body"], Value::Null, "a note is its author's alone");
    for path in [
        "/api/v1/library/tags/private".to_owned(),
        "/api/v1/library/tags/private/recommendations".to_owned(),
        "/api/v1/library/tags/private/export?format=bibtex".to_owned(),
    ] {
        let (status, body) = app.call(Method::GET, &path, Some(&grace), None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
        let (status, _) = app.call(Method::GET, &path, None, None).await;
        assert_eq!(status, 401, "{path} without a token");
    }
    for (method, path) in [
        (
            Method::DELETE,
            format!("/api/v1/library/tags/private/papers/{id}"),
        ),
        (
            Method::POST,
            "/api/v1/library/tags/private/reset".to_owned(),
        ),
        (Method::DELETE, "/api/v1/library/tags/private".to_owned()),
    ] {
        let (status, _) = app.call(method, &path, Some(&grace), None).await;
        assert_eq!(status, 404, "{path}");
    }
    let (_, tags) = app
        .call(Method::GET, "/api/v1/library/tags", Some(&grace), None)
        .await;
    assert_eq!(tags["tags"], json!([]));
    let (_, tags) = app
        .call(Method::GET, "/api/v1/library/tags", Some(&ada), None)
        .await;
    assert_eq!(
        tags["tags"][0]["saved"], 1,
        "grace's attempts changed nothing of ada's"
    );
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/library/tags/a%2Fb/papers/{id}"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_parameter")),
        "{body}"
    );
}

#[tokio::test]
async fn a_bib_file_imports_its_good_entries_names_the_bad_line_and_exports_again() {
    let app = TestApp::seeded().await;
    let ada = member(&app, "ada@example.org").await;
    let papers = found(&app, "from scratch", 3).await;
    let bib = format!(
        "% from Zotero\n\
         @article{{first,\n  title = {{{}}},\n  year = {{2024}}\n}}\n\
         \n\
         @misc{{broken,\n  title = {{never closed,\n  year = 2020\n\n\
         @misc{{second, title = {{{}}}}}\n\
         @misc{{elsewhere, title = {{A paper this hub does not hold}}, eprint = {{1706.03762}}, archivePrefix = {{arXiv}}}}\n",
        papers[0].1, papers[1].1
    );
    let (status, report) = post_text(&app, "/api/v1/library/tags/scratch/import", &ada, bib).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["entries"], 4);
    assert_eq!(report["added"], 2);
    let matched: Vec<&str> = report["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(matched, [papers[0].0.as_str(), papers[1].0.as_str()]);
    assert_eq!(report["matched"][0]["by"], "title");
    let unmatched = report["unmatched"].as_array().unwrap();
    assert_eq!(unmatched.len(), 2, "{report}");
    assert_eq!(
        unmatched[0]["at"], "line 7",
        "the broken entry is named by its line"
    );
    assert!(unmatched[0]["reason"].as_str().unwrap().contains("broken"));
    assert_eq!(unmatched[1]["key"], "elsewhere");

    // Export in every format, and the BibTeX back into another tag.
    let export = |format: &'static str| {
        let app = &app;
        let ada = ada.clone();
        async move {
            let response = app
                .client
                .get(app.url(&format!(
                    "/api/v1/library/tags/scratch/export?format={format}"
                )))
                .bearer_auth(&ada)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            (kind, response.text().await.unwrap())
        }
    };
    let (kind, bibtex) = export("bibtex").await;
    assert!(kind.starts_with("application/x-bibtex"));
    assert_eq!(
        bibtex.matches("\n@").count() + usize::from(bibtex.starts_with('@')),
        2,
        "{bibtex}"
    );
    assert!(
        bibtex.contains(&format!("/papers/{}", papers[0].0)),
        "a link to each paper: {bibtex}"
    );
    let (_, csl) = export("csl-json").await;
    let items: Value = serde_json::from_str(&csl).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 2);
    let titles: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&papers[0].1.as_str()), "{titles:?}");
    let (_, ris) = export("ris").await;
    assert_eq!(ris.matches("ER  - ").count(), 2, "{ris}");
    let (status, again) = post_text(&app, "/api/v1/library/tags/again/import", &ada, bibtex).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (
            again["added"].as_u64(),
            again["unmatched"].as_array().unwrap().len()
        ),
        (Some(2), 0)
    );
    let (status, csl_again) = post_text(&app, "/api/v1/library/tags/csl/import", &ada, csl).await;
    assert_eq!(
        (status, csl_again["added"].as_u64()),
        (200, Some(2)),
        "{csl_again}"
    );
    let (_, body) = app
        .call(
            Method::GET,
            "/api/v1/library/tags/scratch/export?format=endnote",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(body["error"]["code"], "invalid_parameter");
}

#[tokio::test]
async fn a_huge_or_unreadable_file_is_refused_and_nothing_is_half_imported() {
    let app = TestApp::seeded().await;
    let ada = member(&app, "ada@example.org").await;
    let (title_id, title) = found(&app, "from scratch", 1).await.remove(0);
    let entry = format!("@misc{{k, title = {{{title}}}}}\n");
    let huge = entry.repeat(5 * 1024 * 1024 / entry.len() + 1);
    let response = app
        .client
        .post(app.url("/api/v1/library/tags/big/import"))
        .bearer_auth(&ada)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    // Under the limit, a big file is taken whole: one entry with a 3 MiB abstract (over
    // axum's default body limit of 2 MB).
    let big = format!(
        "@misc{{big, title = {{{title}}}, abstract = {{{}}}}}\n",
        "long words ".repeat(3 * 1024 * 1024 / 11)
    );
    let (status, body) = post_text(&app, "/api/v1/library/tags/bigger/import", &ada, big).await;
    assert_eq!((status, body["added"].as_u64()), (200, Some(1)), "{body}");
    let many = entry.repeat(5_001);
    let (status, body) = post_text(&app, "/api/v1/library/tags/big/import", &ada, many).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("limit_out_of_range")),
        "{body}"
    );
    assert!(body["error"]["message"].as_str().unwrap().contains("5000"));
    for garbage in ["just words".to_owned(), "[{\"id\": 1,".to_owned()] {
        let (status, body) =
            post_text(&app, "/api/v1/library/tags/big/import", &ada, garbage).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_parameter")),
            "{body}"
        );
    }
    let (status, _) = app
        .call(Method::GET, "/api/v1/library/tags/big", Some(&ada), None)
        .await;
    assert_eq!(status, 404, "a refused import leaves no tag behind");
    let (status, _) = post_text(&app, "/api/v1/library/tags/big/import", &ada, entry).await;
    assert_eq!(status, 200);
    let (_, tag) = app
        .call(Method::GET, "/api/v1/library/tags/big", Some(&ada), None)
        .await;
    assert_eq!(tag["papers"][0]["id"], title_id.as_str());
}
