//! The server-rendered pages.

use crate::helpers::{decode, Model, TestApp};

#[tokio::test]
async fn home_lists_the_latest_day_with_navigation_to_the_day_before() {
    let app = TestApp::seeded().await;
    let html = app.text("/", 200).await;
    assert!(
        html.contains("June 5, 2025"),
        "the latest day is the heading"
    );
    assert!(html.contains(
        "YOLOv9: Learning What You Want to Learn Using Programmable Gradient Information"
    ));
    assert!(html.contains("118 papers"));
    assert!(
        html.contains(r#"href="/?date=2025-06-04""#),
        "a link to the previous day"
    );
    assert!(
        html.contains(r#"href="/?week=2025-W23""#) && html.contains(r#"href="/?month=2025-06""#)
    );
    assert!(
        decode(&html).contains(r#"href="/?date=2025-06-05&page=2""#),
        "50 per page"
    );
    assert!(html.contains(r#"<input id="date" name="date" type="date" value="2025-06-05">"#));
    assert!(html.contains(r#"<main id="main">"#) && html.contains(r#"role="search""#));
    assert!(
        html.contains(r#"<label for="q""#),
        "the search box has a label"
    );

    let before = app.text("/?date=2025-06-04", 200).await;
    assert!(before.contains("June 4, 2025") && before.contains("Gradient Checkpointing Revisited"));
    assert!(
        before.contains(r#"href="/?date=2025-06-05""#),
        "and back to the next day"
    );
    let week = app.text("/?week=2025-W23", 200).await;
    assert!(week.contains("Week 23 of 2025") && week.contains("120 papers"));
    let month = app.text("/?month=2025-06&page=3", 200).await;
    assert!(month.contains("June 2025") && month.contains("Gradient Checkpointing Revisited"));
    let empty = app.text("/?date=2024-01-01", 200).await;
    assert!(empty.contains("No papers on this date"));
    let bad = app.text("/?date=2025-13-01", 400).await;
    assert!(bad.contains("expected YYYY-MM-DD"));
}

#[tokio::test]
async fn a_paper_page_shows_everything_and_similar_papers() {
    let app = TestApp::seeded().await;
    let hit = app
        .json(
            "/api/v1/search?q=programmable+gradient+information&mode=keyword&limit=1",
            200,
        )
        .await;
    let url = hit["results"][0]["url"].as_str().unwrap().to_owned();
    let html = app.text(&url, 200).await;
    assert!(html.contains("<h1 id=\"title\">YOLOv9: Learning What You Want to Learn Using Programmable Gradient Information</h1>"));
    assert!(
        html.contains("programmable gradient information (PGI)"),
        "the whole abstract"
    );
    assert!(html.contains("June 5, 2025"));
    assert!(html.contains("Similar papers") && html.contains("Nearest in meaning"));
    assert_eq!(html.matches("<article class=\"paper\">").count(), 5);

    let plain = TestApp::spawn(Model::None, Vec::new()).await;
    let html = plain.text(&url, 200).await;
    assert!(
        html.contains("Similar papers by meaning need the embedding model"),
        "honest about the fallback"
    );
    let missing = app.text("/papers/no-such-paper", 404).await;
    assert!(missing.contains("no paper `no-such-paper`"));
}

#[tokio::test]
async fn search_page_highlights_snippets_and_pages_results() {
    let app = TestApp::seeded().await;
    let html = app.text("/search?q=transformer&mode=keyword", 200).await;
    assert!(html.contains("<mark>"), "highlighted words");
    assert!(html.contains(r#"<option value="keyword" selected>"#));
    assert!(html.contains("Results 1–20 (keyword)"));
    assert!(html.contains("page=2"), "a next page");
    let page2 = app
        .text("/search?q=transformer&mode=keyword&page=2", 200)
        .await;
    assert!(page2.contains("Results 21–"));
    let filtered = app
        .text(
            "/search?q=gradient&mode=keyword&from=2025-06-04&until=2025-06-04",
            200,
        )
        .await;
    assert!(filtered.contains("Gradient Checkpointing Revisited"));
    assert!(!filtered.contains("YOLOv9"), "the day filter narrows");
    let plain = TestApp::spawn(Model::None, Vec::new()).await;
    let refused = plain.text("/search?q=gradient&mode=semantic", 400).await;
    assert!(refused.contains("needs the embedding model"));
    let empty = app.text("/search", 200).await;
    assert!(!empty.contains("No papers match"), "no search yet");
}

#[tokio::test]
async fn the_subscribe_form_asks_for_confirmation_and_shows_bad_input_again() {
    let app = TestApp::seeded().await;
    let home = app.text("/", 200).await;
    assert!(home.contains(r#"<a class="cta" href="/subscribe">Subscribe</a>"#));
    let mut browser = crate::sessions::Browser::new(&app);
    let page = browser.get("/subscribe").await;
    assert!(
        page.body
            .contains(r#"<form method="post" action="/subscribe""#),
        "{}",
        page.body
    );
    let sent = browser
        .post(
            "/subscribe",
            &[
                ("email", "Reader@Example.org"),
                ("frequency", "weekly"),
                ("topics", "continual learning\nunlearning"),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("Check your inbox"), "{}", sent.body);
    let bad = browser
        .post(
            "/subscribe",
            &[("email", "<script>x</script>"), ("topics", "fine")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("not an email address"), "{}", bad.body);
    assert!(!bad.body.contains("<script>x"), "shown escaped");
    let mut rows = Vec::new();
    app.hub
        .subscriptions()
        .export(|row| {
            rows.push(row);
            Ok(())
        })
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].email.as_str(),
            rows[0].status,
            rows[0].topics.as_str()
        ),
        (
            "reader@example.org",
            "unconfirmed",
            "continual learning;unlearning"
        )
    );
}

#[tokio::test]
async fn pages_load_their_style_and_script_from_files_only() {
    let app = TestApp::seeded().await;
    let html = app.text("/", 200).await;
    assert!(html.contains(r#"<script src="/static/app.js" defer></script>"#));
    assert!(!html.contains("<style") && !html.contains("style=") && !html.contains("onclick"));
    let css = app.get("/static/style.css").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css
        .text()
        .await
        .unwrap()
        .contains("prefers-color-scheme: dark"));
    let js = app.get("/static/app.js").await;
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let missing = app.text("/no/such/page", 404).await;
    assert!(missing.contains("404"));
}
