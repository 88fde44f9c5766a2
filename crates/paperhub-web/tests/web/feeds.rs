//! Atom and RSS feeds, read back with the `atom_syndication` and `rss` parsers.

use crate::helpers::TestApp;

#[tokio::test]
async fn the_daily_atom_feed_is_valid_and_lists_the_latest_day() {
    let app = TestApp::seeded().await;
    let response = app.get("/feeds/daily.atom").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let xml = response.text().await.unwrap();
    let feed = atom_syndication::Feed::read_from(xml.as_bytes()).unwrap();
    assert_eq!(feed.title().as_str(), "paperhub: papers of 2025-06-05");
    assert!(feed.id().starts_with("http://127.0.0.1:"));
    assert!(!feed.authors().is_empty());
    let rels: Vec<&str> = feed.links().iter().map(|l| l.rel()).collect();
    assert!(
        rels.contains(&"self") && rels.contains(&"alternate"),
        "{rels:?}"
    );
    let this = feed.links().iter().find(|l| l.rel() == "self").unwrap();
    assert!(this.href().ends_with("/feeds/daily.atom"));
    assert_eq!(feed.entries().len(), 100, "at most 100 papers");
    let entry = &feed.entries()[0];
    assert!(entry.id().contains("/papers/"));
    assert!(entry.summary().is_some() && !entry.links().is_empty());
    assert_eq!(feed.updated().date_naive().to_string(), "2025-06-05");
}

#[tokio::test]
async fn the_daily_rss_feed_is_valid() {
    let app = TestApp::seeded().await;
    let response = app.get("/feeds/daily.rss").await;
    assert_eq!(
        response.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let channel = rss::Channel::read_from(response.bytes().await.unwrap().as_ref()).unwrap();
    assert_eq!(channel.title(), "paperhub: papers of 2025-06-05");
    assert!(channel.link().ends_with("/?date=2025-06-05"));
    assert!(!channel.description().is_empty());
    assert_eq!(channel.items().len(), 100);
    let item = &channel.items()[0];
    assert!(item.title().is_some() && item.link().is_some() && item.guid().is_some());
}

#[tokio::test]
async fn any_search_is_a_feed() {
    let app = TestApp::seeded().await;
    let xml = app
        .text(
            "/feeds/search.atom?q=programmable+gradient+information&mode=keyword",
            200,
        )
        .await;
    let feed = atom_syndication::Feed::read_from(xml.as_bytes()).unwrap();
    assert_eq!(
        feed.title().as_str(),
        "paperhub: search for programmable gradient information"
    );
    assert!(feed.entries()[0].title().as_str().starts_with("YOLOv9"));
    let this = feed.links().iter().find(|l| l.rel() == "self").unwrap();
    assert!(this
        .href()
        .contains("/feeds/search.atom?q=programmable%20gradient%20information"));
    let rss_xml = app.text("/feeds/search.rss?q=gradient", 200).await;
    let channel = rss::Channel::read_from(rss_xml.as_bytes()).unwrap();
    assert!(!channel.items().is_empty());
    let bad = app.json("/feeds/search.rss?q=x&mode=psychic", 400).await;
    assert_eq!(bad["error"]["code"], "invalid_parameter");
}
