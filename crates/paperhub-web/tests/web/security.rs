//! Untrusted paper text is never markup, and links from paper data are only http(s).

use paperhub_core::{Links, PaperMeta, SourceFormat};

use crate::helpers::{day, decode, Model, TestApp};

const EVIL_TITLE: &str = "Evil <script>alert(1)</script> paper <img src=x onerror=alert(2)>";

fn evil_paper() -> PaperMeta {
    PaperMeta {
        title: EVIL_TITLE.into(),
        abstract_text: "Evilness <script>alert(3)</script> and <img src=x onerror=alert(4)> and \
                        <a href=\"javascript:alert(5)\">a link</a> and javascript:alert(6)"
            .into(),
        authors: vec!["Mallory <b onmouseover=alert(7)>".into()],
        categories: vec!["cs.CR\"><script>alert(8)</script>".into()],
        comments: Some("<iframe src=javascript:alert(9)>".into()),
        // The latest day: on the first page of `/` and in the daily feeds.
        listed_on: Some(day("2025-06-06")),
        links: Links {
            abs: Some("javascript:alert(10)".into()),
            pdf: Some("data:text/html,<script>alert(11)</script>".into()),
            doi: Some("JaVaScRiPt:alert(12)".into()),
            code: vec![
                "javascript:alert(13)".into(),
                "https://github.com/ok/ok".into(),
            ],
        },
        format: Some(SourceFormat::Listing),
        ..Default::default()
    }
}

/// Markup the evil paper could inject, as it would appear unescaped.
const INJECTED: [&str; 7] = [
    "<script>alert",
    "<img src=x",
    "<iframe",
    "<b onmouseover",
    "<a href=\"javascript:",
    "href=\"javascript:",
    "href=\"data:",
];

fn assert_inert(what: &str, body: &str) {
    let lower = body.to_ascii_lowercase();
    for bad in INJECTED {
        assert!(!lower.contains(bad), "{what} holds `{bad}` unescaped");
    }
}

/// The evil paper's id and title as stored.
async fn evil_paper_stored(app: &TestApp) -> (String, String) {
    let body = app
        .json("/api/v1/search?q=evilness&mode=keyword&limit=1", 200)
        .await;
    let title = body["results"][0]["title"].as_str().unwrap().to_owned();
    assert!(
        title.contains("<script>alert(1)</script>"),
        "stored as text: {title}"
    );
    (body["results"][0]["id"].as_str().unwrap().to_owned(), title)
}

/// Every string under a `links` key, anywhere in `value`.
fn link_strings(value: &serde_json::Value, under_links: bool, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) if under_links => out.push(s.clone()),
        serde_json::Value::Array(items) => {
            items.iter().for_each(|v| link_strings(v, under_links, out));
        }
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                link_strings(v, under_links || key == "links", out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn hostile_paper_text_is_escaped_on_every_page_and_in_every_feed_and_api_response() {
    for model in [Model::Hashing, Model::None] {
        let app = TestApp::spawn(model, vec![evil_paper()]).await;
        let (id, title) = evil_paper_stored(&app).await;
        let segment = id.replace('/', "%2F");
        let pages = [
            "/".to_owned(),
            "/?week=2025-W23".into(),
            "/?month=2025-06".into(),
            format!("/papers/{segment}"),
            "/search?q=evil+script+alert&mode=keyword".into(),
            "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E".into(),
            "/papers/%3Cscript%3Ealert(1)%3C%2Fscript%3E".into(),
        ];
        let mut shown = 0;
        for page in &pages {
            let response = app.get(page).await;
            let body = response.text().await.unwrap();
            assert_inert(page, &body);
            // Shown, as text: the page holds it escaped, and reads as the title once decoded.
            if decode(&body).contains(&title) {
                shown += 1;
            }
        }
        assert!(
            shown >= 4,
            "the evil title was rendered (escaped) on {shown} pages"
        );
        let paper = app.text(&format!("/papers/{segment}"), 200).await;
        assert!(
            paper.contains("https://github.com/ok/ok"),
            "the good code link stays"
        );
        for n in [10, 11, 12, 13] {
            assert!(
                !paper.contains(&format!("alert({n})\"")),
                "link {n} dropped"
            );
        }

        for api in [
            format!("/api/v1/papers/{segment}"),
            "/api/v1/papers".into(),
            "/api/v1/search?q=evilness".into(),
            format!("/api/v1/papers/{segment}/similar"),
        ] {
            let response = app.get(&api).await;
            assert!(response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"));
            assert_eq!(response.headers()["x-content-type-options"], "nosniff");
            let body: serde_json::Value = response.json().await.unwrap();
            let mut links = Vec::new();
            link_strings(&body, false, &mut links);
            for link in links {
                assert!(
                    link.starts_with("https://") || link.starts_with("http://"),
                    "{api}: {link}"
                );
            }
        }
        let paper = app.json(&format!("/api/v1/papers/{segment}"), 200).await;
        assert_eq!(
            paper["links"]["code"],
            serde_json::json!(["https://github.com/ok/ok"])
        );
        assert!(paper["links"]["abs"].is_null() && paper["links"]["doi"].is_null());

        for feed in ["/feeds/daily.atom", "/feeds/search.atom?q=evilness"] {
            let xml = app.text(feed, 200).await;
            assert_inert(feed, &xml);
            let parsed = atom_syndication::Feed::read_from(xml.as_bytes()).unwrap();
            let entry = parsed
                .entries()
                .iter()
                .find(|e| e.title().as_str() == title)
                .unwrap_or_else(|| panic!("{feed}: the evil paper, read back as plain text"));
            assert_eq!(entry.title().r#type, atom_syndication::TextType::Text);
            for link in entry.links() {
                assert!(link.href().starts_with("http"), "{}", link.href());
            }
        }
        for feed in ["/feeds/daily.rss", "/feeds/search.rss?q=evilness"] {
            let xml = app.text(feed, 200).await;
            assert_inert(feed, &xml);
            let channel = rss::Channel::read_from(xml.as_bytes()).unwrap();
            let item = channel
                .items()
                .iter()
                .find(|i| i.title() == Some(title.as_str()))
                .unwrap_or_else(|| panic!("{feed}: the evil paper"));
            let description = item.description().unwrap();
            assert!(
                !description.contains('<') && description.contains("&lt;script&gt;"),
                "an RSS description is HTML to readers: the abstract is escaped in it"
            );
        }
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::seeded().await;
    for path in [
        "/",
        "/search?q=x",
        "/api/v1/stats",
        "/feeds/daily.atom",
        "/nope",
        "/static/app.js",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers.contains_key("referrer-policy"), "{path}");
    }
}
