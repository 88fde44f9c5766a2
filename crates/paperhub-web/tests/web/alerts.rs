//! Saved searches as alerts, the member's picks, and private feeds behind a revocable token.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{member, TestApp};

fn ids(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The path (and query) of an absolute URL the API answered.
fn path_of(url: &Value) -> String {
    let url = url.as_str().unwrap();
    let start = url.find("/feeds/").unwrap();
    url[start..].to_owned()
}

async fn feed(app: &TestApp, path: &str) -> (u16, String, String) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let kind = format!("{} | {}", header("content-type"), header("cache-control"));
    (status, kind, response.text().await.unwrap())
}

#[tokio::test]
async fn a_saved_search_is_an_alert_with_its_own_results_picks_and_export() {
    let app = TestApp::seeded().await;
    let ada = member(&app, "ada@example.org").await;
    let (status, saved) = app
        .call(
            Method::PUT,
            "/api/v1/library/searches/attention",
            Some(&ada),
            Some(json!({"q": "linear attention", "mode": "keyword"})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (saved["name"].as_str(), saved["mode"].as_str()),
        (Some("attention"), Some("keyword"))
    );
    let (_, searched) = app
        .call(
            Method::GET,
            "/api/v1/search?q=linear+attention&mode=keyword&limit=5",
            None,
            None,
        )
        .await;
    let (status, results) = app
        .call(
            Method::GET,
            "/api/v1/library/searches/attention/results?limit=5",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(
        ids(&results),
        ids(&searched),
        "it runs as the search it was"
    );
    assert_eq!(results["results"][0]["seen"], false);

    for (body, code) in [
        (json!({"q": "x", "mode": "telepathy"}), "invalid_parameter"),
        (json!({"q": ""}), "invalid_parameter"),
        (json!({"q": "date:2024-13-01.."}), "invalid_query"),
        (json!({"q": "x", "colour": "red"}), "invalid_parameter"),
    ] {
        let (status, error) = app
            .call(
                Method::PUT,
                "/api/v1/library/searches/bad",
                Some(&ada),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (400, Some(code)),
            "{body}: {error}"
        );
    }
    let (_, listed) = app
        .call(Method::GET, "/api/v1/library/searches", Some(&ada), None)
        .await;
    assert_eq!(
        listed["searches"].as_array().unwrap().len(),
        1,
        "a refused search is not saved: {listed}"
    );

    let response = app
        .client
        .get(app.url("/api/v1/library/searches/attention/export?format=bibtex"))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bib = response.text().await.unwrap();
    let (_, all) = app
        .call(
            Method::GET,
            "/api/v1/search?q=linear+attention&mode=keyword&limit=100",
            None,
            None,
        )
        .await;
    assert_eq!(
        bib.lines().filter(|l| l.starts_with('@')).count(),
        ids(&all).len(),
        "every paper the search finds: {bib}"
    );

    // Picks: the tag's recommendations and the saved search's finds, each with why.
    let tagged = &ids(&results)[0];
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/library/tags/reading/papers/{tagged}"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 201);
    let (status, picks) = app
        .call(
            Method::GET,
            "/api/v1/library/picks?limit=6",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 200, "{picks}");
    let whys: Vec<&str> = picks["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["why"].as_str().unwrap())
        .collect();
    assert_eq!(whys.len(), 6);
    assert!(whys.iter().any(|w| w.starts_with("Near “")), "{whys:?}");
    assert!(
        whys.iter()
            .any(|w| w.contains("your saved search “attention”")),
        "{whys:?}"
    );
    let picked = ids(&picks);
    let mut distinct = picked.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), picked.len(), "each paper once");

    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/v1/library/searches/attention",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(
            Method::GET,
            "/api/v1/library/searches/attention/results",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn private_feeds_open_with_the_members_token_mark_what_they_show_and_close_when_revoked() {
    let app = TestApp::seeded().await;
    let ada = member(&app, "ada@example.org").await;
    let grace = member(&app, "grace@example.org").await;
    app.call(
        Method::PUT,
        "/api/v1/library/searches/attention",
        Some(&ada),
        Some(json!({"q": "linear attention", "mode": "keyword"})),
    )
    .await;
    let (_, found) = app
        .call(
            Method::GET,
            "/api/v1/library/searches/attention/results?limit=3",
            Some(&ada),
            None,
        )
        .await;
    let first = ids(&found)[0].clone();
    app.call(
        Method::PUT,
        &format!("/api/v1/library/tags/reading/papers/{first}"),
        Some(&ada),
        None,
    )
    .await;

    let (status, none) = app
        .call(Method::GET, "/api/v1/library/feed-token", Some(&ada), None)
        .await;
    assert_eq!((status, &none["made_at"]), (200, &Value::Null));
    let (status, made) = app
        .call(Method::POST, "/api/v1/library/feed-token", Some(&ada), None)
        .await;
    assert_eq!(status, 201, "{made}");
    let token = made["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("pf_"), "{token}");

    let (status, kind, atom) = feed(&app, &path_of(&made["picks_atom"])).await;
    assert_eq!(status, 200, "{atom}");
    assert!(kind.starts_with("application/atom+xml"), "{kind}");
    assert!(kind.contains("private"), "no shared cache keeps it: {kind}");
    assert!(atom.contains("<entry>"), "{atom}");
    let (status, kind, rss) = feed(&app, &path_of(&made["picks_rss"])).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("application/rss+xml"), "{kind}");
    assert!(rss.contains("<item>"));

    let tag_feed = format!("/feeds/private/{token}/tags/reading.atom");
    let (status, _, tag_atom) = feed(&app, &tag_feed).await;
    assert_eq!(status, 200, "{tag_atom}");
    assert!(
        !tag_atom.contains(&format!("/papers/{first}<")),
        "never the tag's own paper"
    );
    let search_feed = format!("/feeds/private/{token}/searches/attention.rss");
    let (status, _, search_rss) = feed(&app, &search_feed).await;
    assert_eq!(status, 200, "{search_rss}");
    let (_, title) = app
        .call(Method::GET, &format!("/api/v1/papers/{first}"), None, None)
        .await;
    let title = title["title"].as_str().unwrap();
    assert!(
        search_rss.contains(&title.replace('&', "&amp;")),
        "{title} in {search_rss}"
    );

    // What a feed showed is seen everywhere.
    let (_, unseen) = app
        .call(
            Method::GET,
            "/api/v1/library/searches/attention/results?limit=3&hide_seen=true",
            Some(&ada),
            None,
        )
        .await;
    assert!(
        !ids(&unseen).iter().any(|id| ids(&found).contains(id)),
        "the feed's papers are marked seen: {unseen}"
    );

    // Another member's token opens only their own library; a made-up one opens nothing.
    let (_, theirs) = app
        .call(
            Method::POST,
            "/api/v1/library/feed-token",
            Some(&grace),
            None,
        )
        .await;
    let grace_token = theirs["token"].as_str().unwrap();
    for path in [
        format!("/feeds/private/{grace_token}/tags/reading.atom"),
        format!("/feeds/private/{grace_token}/searches/attention.rss"),
        "/feeds/private/pf_0000/picks.atom".to_owned(),
        format!("/feeds/private/{token}/tags/reading.json"),
    ] {
        let (status, _, body) = feed(&app, &path).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, _, _) = feed(&app, &format!("/feeds/private/{grace_token}/picks.atom")).await;
    assert_eq!(status, 200, "grace's own (empty) picks");

    // A new token revokes the old; revoking closes every feed.
    let (_, again) = app
        .call(Method::POST, "/api/v1/library/feed-token", Some(&ada), None)
        .await;
    let new_token = again["token"].as_str().unwrap();
    assert_ne!(new_token, token);
    let (status, _, _) = feed(&app, &tag_feed).await;
    assert_eq!(status, 404, "the old token is revoked");
    let renewed = format!("/feeds/private/{new_token}/tags/reading.atom");
    assert_eq!(feed(&app, &renewed).await.0, 200);
    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/v1/library/feed-token",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(feed(&app, &renewed).await.0, 404, "revoked");
}
