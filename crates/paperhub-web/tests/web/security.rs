//! Untrusted paper text is never markup, and links from paper data are only http(s).

use paperhub_core::{Links, PaperMeta, SourceFormat};

use crate::helpers::{day, Model, TestApp};

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
        listed_on: Some(day("2025-06-05")),
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

async fn evil_id(app: &TestApp) -> String {
    let body = app
        .json("/api/v1/search?q=evilness&mode=keyword&limit=1", 200)
        .await;
    assert_eq!(
        body["results"][0]["title"], EVIL_TITLE,
        "stored as text, unchanged"
    );
    body["results"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn hostile_paper_text_is_escaped_on_every_page_and_in_every_feed_and_api_response() {
    for model in [Model::Hashing, Model::None] {
        let app = TestApp::spawn(model, vec![evil_paper()]).await;
        let id = evil_id(&app).await;
        let segment = id.replace('/', "%2F");
        let pages = [
            "/".to_owned(),
            "/?week=2025-W23".into(),
            "/?month=2025-06&page=3".into(),
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
            if body.contains("Evil &lt;script&gt;alert(1)&lt;/script&gt;") {
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
            "/api/v1/papers?date=2025-06-05&limit=100&offset=100".into(),
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
            let links = serde_json::to_string(&body).unwrap().to_ascii_lowercase();
            for bad in ["\"javascript:", "\"data:"] {
                assert!(!links.contains(bad), "{api}: a link starts with {bad}");
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
                .find(|e| e.title().as_str() == EVIL_TITLE)
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
            assert!(channel
                .items()
                .iter()
                .any(|i| i.title() == Some(EVIL_TITLE)));
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
