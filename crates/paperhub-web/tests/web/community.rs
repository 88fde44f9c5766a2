//! The community's API: sign-up, bearer tokens, upvotes.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{member, Model, TestApp};

const PASSWORD: &str = "correct horse battery staple";

/// The hub id of the YOLOv9 paper of the seed.
async fn yolo(app: &TestApp) -> String {
    let found = app
        .json(
            "/api/v1/search?q=programmable+gradient+information&mode=keyword&limit=1",
            200,
        )
        .await;
    found["results"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sign_up_makes_a_member_with_a_token_and_refuses_weak_passwords_and_taken_emails() {
    let app = TestApp::seeded().await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/accounts",
            None,
            Some(json!({"email": "Ada@Example.org", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["email"], "ada@example.org");
    assert_eq!(body["role"], "member");
    assert!(body["token"].as_str().unwrap().starts_with("ph_"));
    for (request, status, code, says) in [
        (
            json!({"email": "ada@example.org", "password": PASSWORD}),
            409,
            "conflict",
            "already has an account",
        ),
        (
            json!({"email": "grace@example.org", "password": "password1234"}),
            400,
            "invalid_parameter",
            "too easy to guess",
        ),
        (
            json!({"email": "grace@example.org", "password": "short"}),
            400,
            "invalid_parameter",
            "at least 10",
        ),
        (
            json!({"email": "grace", "password": PASSWORD}),
            400,
            "invalid_parameter",
            "not an email address",
        ),
        (
            json!({"email": "grace@example.org"}),
            400,
            "invalid_parameter",
            "password",
        ),
        (
            json!({"email": "g@example.org", "password": PASSWORD, "role": "admin"}),
            400,
            "invalid_parameter",
            "role",
        ),
    ] {
        let (got, body) = app
            .call(
                Method::POST,
                "/api/v1/accounts",
                None,
                Some(request.clone()),
            )
            .await;
        assert_eq!(got, status, "{request}: {body}");
        assert_eq!(body["error"]["code"], code, "{request}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{request}: {message}");
    }
    let accounts = app.hub.accounts().list().unwrap();
    assert_eq!(accounts.len(), 1, "nothing stored for the refused");
    assert!(accounts[0].password_hash.starts_with("$argon2id$"));
}

#[tokio::test]
async fn a_member_upvotes_once_takes_it_back_and_every_answer_counts_exactly() {
    let app = TestApp::seeded().await;
    let id = yolo(&app).await;
    let path = format!("/api/v1/papers/{id}/vote");
    let token = member(&app, "ada@example.org").await;

    let response = app.client.put(app.url(&path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let (status, body) = app.call(Method::PUT, &path, Some("ph_forged"), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );

    for expected in [1, 1] {
        let (status, body) = app.call(Method::PUT, &path, Some(&token), None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["votes"].as_u64(), body["voted"].as_bool()),
            (Some(expected), Some(true))
        );
    }
    assert_eq!(
        app.json(&format!("/api/v1/papers/{id}"), 200).await["votes"],
        1
    );
    let day = app
        .json("/api/v1/papers?date=2025-06-05&limit=100", 200)
        .await;
    let listed = day["papers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id.as_str())
        .unwrap();
    assert_eq!(listed["votes"], 1, "the day's list shows the votes");
    for _ in 0..2 {
        let (status, body) = app.call(Method::DELETE, &path, Some(&token), None).await;
        assert_eq!(
            (status, body["votes"].as_u64(), body["voted"].as_bool()),
            (200, Some(0), Some(false))
        );
    }
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/papers/no-such-paper/vote",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("paper_not_found"))
    );

    // A banned member may read, not vote; a revoked token is no token.
    app.hub
        .accounts()
        .set_banned("ada@example.org", true)
        .unwrap();
    let (status, body) = app.call(Method::PUT, &path, Some(&token), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    app.hub
        .accounts()
        .set_banned("ada@example.org", false)
        .unwrap();
    let listed = app.hub.accounts().tokens_of("ada@example.org").unwrap();
    app.hub
        .accounts()
        .revoke_token("ada@example.org", listed[0].id)
        .unwrap();
    let (status, _) = app.call(Method::PUT, &path, Some(&token), None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_thousand_members_voting_at_once_make_exactly_a_thousand_votes() {
    // A thousand voters from one address: the load the rate limits are off for.
    let app = TestApp::spawn_with(Model::Hashing, Vec::new(), |settings| {
        settings.limits.enabled = false;
    })
    .await;
    let id = yolo(&app).await;
    let path = format!("/api/v1/papers/{id}/vote");
    // The accounts straight into the store (argon2id would take most of the test's time);
    // their tokens as the hub issues them.
    let store = app.hub.store();
    let tokens: Vec<String> = (0..1000)
        .map(|n| {
            let email = paperhub_core::Email::parse(&format!("voter{n}@example.org")).unwrap();
            let account = store
                .create_account(&paperhub_store::NewAccount {
                    email: &email,
                    name: "member",
                    password_hash: "not a password",
                    role: paperhub_core::Role::Member,
                })
                .unwrap();
            let token = format!("ph_{n:064x}");
            store
                .add_token(account.id, &paperhub_app::token_hash(&token), "test")
                .unwrap();
            token
        })
        .collect();
    for round in 0..2 {
        let votes = tokens.iter().map(|token| {
            let request = app.client.put(app.url(&path)).bearer_auth(token);
            async move { request.send().await.unwrap().status().as_u16() }
        });
        let statuses = futures_util::future::join_all(votes).await;
        assert!(
            statuses.iter().all(|&s| s == 200),
            "round {round}: {statuses:?}"
        );
        let paper = app.json(&format!("/api/v1/papers/{id}"), 200).await;
        assert_eq!(
            paper["votes"], 1000,
            "round {round}: the same votes again change nothing"
        );
    }
}

#[tokio::test]
async fn trending_lists_the_voted_papers_with_their_numbers() {
    let app = TestApp::seeded().await;
    let id = yolo(&app).await;
    let tokens = [
        member(&app, "ada@example.org").await,
        member(&app, "grace@example.org").await,
    ];
    for token in &tokens {
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/papers/{id}/vote"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, 200);
    }
    let trending = app.json("/api/v1/trending?period=week", 200).await;
    assert_eq!(trending["period"], "week");
    let first = &trending["results"][0];
    assert_eq!(first["id"], id.as_str(), "{trending}");
    assert_eq!(first["votes"], 2);
    assert!(first["score"].as_f64().unwrap() > 0.0);
    assert_eq!(first["why"]["votes_in_period"], 2);
    assert_eq!(
        first["why"]["formula"],
        "votes_in_period / (age_hours + offset_hours) ^ gravity"
    );
    assert_eq!(
        trending["results"].as_array().unwrap().len(),
        1,
        "only voted papers trend"
    );
    assert_eq!(app.json("/api/v1/trending", 200).await["period"], "day");
    let bad = app.json("/api/v1/trending?period=year", 400).await;
    assert_eq!(bad["error"]["code"], "invalid_parameter");

    // The page and the feeds show the same list; the page says why.
    let title = first["title"].as_str().unwrap().to_owned();
    let page = crate::helpers::decode(&app.text("/trending?period=week", 200).await);
    assert!(page.contains(&title), "the page lists the paper");
    assert!(
        page.contains("2 votes this week / ("),
        "the page gives the numbers"
    );
    assert!(page.contains("votes_in_period / (age_hours + offset_hours) ^ gravity"));
    let empty = app.text("/trending", 200).await;
    assert!(empty.contains(&title), "the day's votes are recent too");
    for feed in [
        "/feeds/trending.atom?period=week",
        "/feeds/trending.rss?period=month",
    ] {
        let xml = app.text(feed, 200).await;
        assert!(xml.contains("trending this"), "{feed}");
        assert!(xml.contains(&id), "{feed} lists the paper");
    }
    app.text("/trending?period=year", 400).await;
}

#[tokio::test]
async fn comments_thread_render_safely_and_only_their_authors_and_moderators_change_them() {
    let app = TestApp::seeded().await;
    let id = yolo(&app).await;
    let (ada, grace) = (
        member(&app, "ada@example.org").await,
        member(&app, "grace@example.org").await,
    );
    let path = format!("/api/v1/papers/{id}/comments");
    let hostile = "**Great** paper <script>alert(1)</script> [x](javascript:alert(1)) \
                   <img src=x onerror=alert(1)>";
    let (status, first) = app
        .call(
            Method::POST,
            &path,
            Some(&ada),
            Some(json!({"body": hostile})),
        )
        .await;
    assert_eq!(status, 201, "{first}");
    let html = first["body_html"].as_str().unwrap();
    assert!(html.contains("<strong>Great</strong>"), "{html}");
    // Every tag is one of the subset's; raw HTML is text; the javascript: link lost its href.
    let tags: Vec<&str> = html
        .split('<')
        .skip(1)
        .map(|rest| {
            rest.split(['>', ' '])
                .next()
                .unwrap()
                .trim_start_matches('/')
        })
        .collect();
    assert!(
        tags.iter().all(|t| ["p", "strong", "a"].contains(t)),
        "{tags:?} in {html}"
    );
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(
        html.contains(r#"<a rel="noopener noreferrer nofollow ugc">x</a>"#),
        "{html}"
    );
    assert_eq!(first["author"], "ada");
    let first_id = first["id"].as_u64().unwrap();
    let (status, reply) = app
        .call(
            Method::POST,
            &path,
            Some(&grace),
            Some(json!({"body": "Agreed", "parent_id": first_id})),
        )
        .await;
    assert_eq!((status, reply["parent_id"].as_u64()), (201, Some(first_id)));
    let reply_id = reply["id"].as_u64().unwrap();

    // Refused: no token, empty, a parent elsewhere, someone else's comment.
    let (status, _) = app
        .call(Method::POST, &path, None, Some(json!({"body": "x"})))
        .await;
    assert_eq!(status, 401);
    let (status, body) = app
        .call(Method::POST, &path, Some(&ada), Some(json!({"body": "  "})))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
    let (status, _) = app
        .call(
            Method::POST,
            &path,
            Some(&ada),
            Some(json!({"body": "x", "parent_id": 999})),
        )
        .await;
    assert_eq!(status, 400);
    let mine = format!("/api/v1/comments/{first_id}");
    let (status, body) = app
        .call(
            Method::PATCH,
            &mine,
            Some(&grace),
            Some(json!({"body": "hijacked"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (status, _) = app.call(Method::DELETE, &mine, Some(&grace), None).await;
    assert_eq!(status, 403);
    let (status, edited) = app
        .call(
            Method::PATCH,
            &mine,
            Some(&ada),
            Some(json!({"body": "*Edited*"})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert!(edited["edited_at"].is_string());
    assert_eq!(
        app.json(&format!("/api/v1/papers/{id}"), 200).await["comment_count"],
        2
    );

    // Moderation: members may not hide; a moderator hides and restores.
    let hidden = format!("/api/v1/comments/{reply_id}/hidden");
    let (status, _) = app.call(Method::PUT, &hidden, Some(&ada), None).await;
    assert_eq!(status, 403);
    app.hub
        .accounts()
        .set_role("ada@example.org", paperhub_core::Role::Moderator)
        .unwrap();
    let (status, _) = app.call(Method::PUT, &hidden, Some(&ada), None).await;
    assert_eq!(status, 204);
    let thread = app.json(&path, 200).await;
    let shown: Vec<_> = thread["comments"].as_array().unwrap().iter().collect();
    assert_eq!(shown.len(), 2, "a hidden comment keeps its place");
    assert_eq!(shown[1]["hidden"], true);
    assert!(
        shown[1]["body"].is_null() && shown[1]["body_html"].is_null(),
        "{thread}"
    );
    assert_eq!(shown[0]["body"], "*Edited*");
    assert_eq!(
        app.json(&format!("/api/v1/papers/{id}"), 200).await["comment_count"],
        1
    );
    let (status, _) = app.call(Method::DELETE, &hidden, Some(&ada), None).await;
    assert_eq!(status, 204);
    let (status, _) = app.call(Method::DELETE, &mine, Some(&ada), None).await;
    assert_eq!(status, 204);
    let thread = app.json(&path, 200).await;
    assert_eq!(thread["comments"][0]["deleted"], true);
    assert!(thread["comments"][0]["body"].is_null());
    assert_eq!(thread["comments"][1]["body"], "Agreed", "restored");

    // A banned member may read, not comment.
    app.hub
        .accounts()
        .set_banned("grace@example.org", true)
        .unwrap();
    let (status, _) = app
        .call(
            Method::POST,
            &path,
            Some(&grace),
            Some(json!({"body": "again"})),
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_daily_list_is_ordered_by_votes_when_asked_in_the_api_and_on_the_page() {
    let app = TestApp::seeded().await;
    let id = yolo(&app).await;
    let listed = app.json("/api/v1/papers?date=2025-06-05", 200).await;
    assert_ne!(
        listed["papers"][0]["id"],
        id.as_str(),
        "not first by listing"
    );
    let token = member(&app, "ada@example.org").await;
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/papers/{id}/vote"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let by_votes = app
        .json("/api/v1/papers?date=2025-06-05&sort=votes", 200)
        .await;
    assert_eq!(by_votes["papers"][0]["id"], id.as_str());
    assert_eq!(by_votes["papers"][0]["votes"], 1);
    assert_eq!(
        by_votes["total"], listed["total"],
        "the same papers, reordered"
    );
    assert_eq!(
        by_votes["papers"][1]["id"], listed["papers"][0]["id"],
        "then the listing's order"
    );
    let page = app.text("/?date=2025-06-05&sort=votes", 200).await;
    let first_card = page.split("<article class=\"paper\">").nth(1).unwrap();
    assert!(first_card.contains("YOLOv9"), "{first_card}");
    assert!(page.contains("<strong>Most upvoted</strong>"));
    let (status, body) = app
        .call(Method::GET, "/api/v1/papers?sort=stars", None, None)
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn the_trending_page_shows_a_vote_at_once_though_it_is_rendered_once_per_ranking() {
    let app = TestApp::seeded().await;
    let id = yolo(&app).await;
    let before = app.text("/trending?period=day", 200).await;
    assert!(before.contains("No paper got a vote"), "nothing voted yet");
    assert_eq!(
        app.text("/trending?period=day", 200).await,
        before,
        "the kept page"
    );
    let token = member(&app, "ada@example.org").await;
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/papers/{id}/vote"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let after = app.text("/trending?period=day", 200).await;
    assert!(after.contains("YOLOv9"), "the vote shows at once");
    assert!(after.contains("▲ 1"), "with its count");
}

#[tokio::test]
async fn the_day_page_kept_for_visitors_shows_a_vote_and_a_new_paper_at_once() {
    let app = TestApp::seeded().await;
    let id = yolo(&app).await;
    let path = "/?date=2025-06-05&sort=votes";
    let before = app.text(path, 200).await;
    assert_eq!(app.text(path, 200).await, before, "the kept page");
    let token = member(&app, "ada@example.org").await;
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/papers/{id}/vote"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let voted = app.text(path, 200).await;
    let first_card = voted.split("<article class=\"paper\">").nth(1).unwrap();
    assert!(
        first_card.contains("YOLOv9") && first_card.contains("▲ 1"),
        "{first_card}"
    );
    // A paper ingested since (the store's change number moves) shows at once too.
    let last_page = app.text("/?date=2025-06-05&page=3", 200).await;
    assert!(!last_page.contains("A Paper Listed Just Now"));
    let fresh = crate::helpers::listed("A Paper Listed Just Now", "Fresh.", "2025-06-05");
    let hub = app.hub.clone();
    tokio::task::spawn_blocking(move || {
        hub.ingest(
            [Ok::<_, paperhub_ingest::RecordError>(
                fresh.normalized().unwrap(),
            )],
            10,
            &mut paperhub_app::NoObserver,
        )
        .unwrap()
    })
    .await
    .unwrap();
    assert!(app
        .text("/?date=2025-06-05&page=3", 200)
        .await
        .contains("A Paper Listed Just Now"));
}
