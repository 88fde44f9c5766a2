//! Submissions over the API, answered by the loopback arXiv replaying recorded responses;
//! display names; deleting an account.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Model, TestApp};
use paperhub_test_support::ArxivReplay;

const PASSWORD: &str = "correct horse battery staple";

/// A seeded hub asking `url` for submitted papers, taking any age.
async fn asking(url: String) -> TestApp {
    TestApp::spawn_with(Model::None, Vec::new(), move |settings| {
        settings.arxiv.api_url = url;
        settings.arxiv.timeout_secs = 1;
        settings.submissions.max_age_days = 0;
    })
    .await
}

/// Signs `email` up as `name` and returns its token.
async fn member(app: &TestApp, email: &str, name: &str) -> String {
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/accounts",
            None,
            Some(json!({"email": email, "password": PASSWORD, "name": name})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], name);
    body["token"].as_str().unwrap().to_owned()
}

async fn papers(app: &TestApp) -> u64 {
    app.json("/api/v1/stats", 200).await["papers"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_member_submits_by_url_and_the_paper_is_listed_today_with_its_submitter() {
    let arxiv = ArxivReplay::start();
    let app = asking(arxiv.url()).await;
    let before = papers(&app).await;
    let body = json!({"arxiv_id": "https://arxiv.org/abs/1707.08567v1"});
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/submissions",
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 401, "submitting needs an account");
    let ada = member(&app, "ada@example.org", "Ada").await;
    let (status, paper) = app
        .call(Method::POST, "/api/v1/submissions", Some(&ada), Some(body))
        .await;
    assert_eq!(status, 201, "{paper}");
    let id = paper["id"].as_str().unwrap().to_owned();
    assert_eq!(id, "1707.08567");
    assert_eq!(paper["submitted_by"], "Ada");
    assert_eq!(papers(&app).await, before + 1);
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(paper["listed_on"], today.as_str());
    let listed = app.json(&format!("/api/v1/papers?date={today}"), 200).await;
    assert_eq!(listed["papers"][0]["id"], id.as_str());
    assert_eq!(listed["papers"][0]["submitted_by"], "Ada");

    // Another member submits it again by another spelling: the same paper, not a new one.
    let grace = member(&app, "grace@example.org", "Grace").await;
    let (status, again) = app
        .call(
            Method::POST,
            "/api/v1/submissions",
            Some(&grace),
            Some(json!({"arxiv_id": "arXiv:1707.08567"})),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["id"].as_str(), &again["submitted_by"]),
        (Some(id.as_str()), &json!("Ada"))
    );
    assert_eq!(papers(&app).await, before + 1);
    assert_eq!(arxiv.requests().len(), 1, "{:?}", arxiv.requests());

    // Votes and submitter on the paper and in search results.
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/papers/{id}/vote"),
            Some(&grace),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let shown = app.json(&format!("/api/v1/papers/{id}"), 200).await;
    assert_eq!(
        (shown["votes"].as_u64(), &shown["submitted_by"]),
        (Some(1), &json!("Ada"))
    );
    let title = shown["title"].as_str().unwrap().to_owned();
    let hits = app
        .json(
            &format!(
                "/api/v1/search?mode=keyword&limit=1&q={}",
                title.replace(' ', "+")
            ),
            200,
        )
        .await;
    assert_eq!(hits["results"][0]["id"], id.as_str());
    assert_eq!(hits["results"][0]["votes"], 1);
    assert_eq!(hits["results"][0]["submitted_by"], "Ada");

    // Ada deletes her account: her submission stays, from a deleted account; her token dies.
    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/v1/accounts/me",
            Some(&ada),
            Some(json!({"password": "not her password at all"})),
        )
        .await;
    assert_eq!(status, 403, "a wrong password deletes nothing");
    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/v1/accounts/me",
            Some(&ada),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 204);
    let shown = app.json(&format!("/api/v1/papers/{id}"), 200).await;
    assert_eq!(shown["submitted_by"], "a deleted account");
    assert_eq!(shown["votes"], 1, "Grace's vote stays");
    let (status, _) = app
        .call(Method::GET, "/api/v1/accounts/me", Some(&ada), None)
        .await;
    assert_eq!(status, 401);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_failing_or_slow_arxiv_is_a_502_that_says_so_and_stores_nothing() {
    let arxiv = ArxivReplay::start();
    for how in ["fail", "slow", "malformed"] {
        let app = asking(arxiv.misbehaving_url(how)).await;
        let before = papers(&app).await;
        let ada = member(&app, "ada@example.org", "Ada").await;
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/submissions",
                Some(&ada),
                Some(json!({"arxiv_id": "1605.08386"})),
            )
            .await;
        assert_eq!(status, 502, "{how}: {body}");
        assert_eq!(body["error"]["code"], "upstream_failed");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("nothing was stored"), "{how}: {message}");
        assert_eq!(papers(&app).await, before, "{how}");
        app.stop().await.unwrap();
    }
}

#[tokio::test]
async fn bad_submissions_name_what_is_wrong() {
    let arxiv = ArxivReplay::start();
    let app = asking(arxiv.url()).await;
    let ada = member(&app, "ada@example.org", "Ada").await;
    for (input, status, code) in [
        ("not an id", 400, "invalid_parameter"),
        (
            "http://127.0.0.1:1/abs/1605.08386",
            400,
            "invalid_parameter",
        ),
        ("2301.00001", 404, "not_found"),
    ] {
        let (got, body) = app
            .call(
                Method::POST,
                "/api/v1/submissions",
                Some(&ada),
                Some(json!({"arxiv_id": input})),
            )
            .await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{input}: {body}"
        );
    }
    let (got, body) = app
        .call(
            Method::POST,
            "/api/v1/submissions",
            Some(&ada),
            Some(json!({"id": "x"})),
        )
        .await;
    assert_eq!(got, 400, "{body}");
    // A name out of bounds is refused; a new one is kept.
    let (got, _) = app
        .call(
            Method::PATCH,
            "/api/v1/accounts/me",
            Some(&ada),
            Some(json!({"name": ""})),
        )
        .await;
    assert_eq!(got, 400);
    let (got, me) = app
        .call(
            Method::PATCH,
            "/api/v1/accounts/me",
            Some(&ada),
            Some(json!({"name": "Ada L."})),
        )
        .await;
    assert_eq!((got, &me["name"]), (200, &json!("Ada L.")));
    app.stop().await.unwrap();
}
