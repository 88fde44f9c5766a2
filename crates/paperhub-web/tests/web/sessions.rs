//! The web's accounts over plain HTTP, as an attacker would try them: forms without their CSRF
//! token, a planted session cookie, SQL in every parameter, too many sign-ups and log-ins;
//! and the sessions themselves: cookie flags, log-out everywhere, a changed password.

use std::collections::HashMap;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Model, TestApp};

const PASSWORD: &str = "correct horse battery staple";

/// A browser's cookie jar over the test client (the client itself keeps no cookies).
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    jar: HashMap<String, String>,
    /// The `Set-Cookie` headers of the last answer, whole.
    last_set_cookies: Vec<String>,
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) body: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            jar: HashMap::new(),
            last_set_cookies: Vec::new(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let cookie = self
            .jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if cookie.is_empty() {
            request
        } else {
            request.header(COOKIE, cookie)
        };
        let response = request.send().await.unwrap();
        self.last_set_cookies = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for set in &self.last_set_cookies {
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || set.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        Answer {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Answer {
        let request = self.app.client.get(self.app.url(path));
        self.send(request).await
    }

    /// Posts `form` with this browser's CSRF token added.
    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf();
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf", &csrf));
        let request = self.app.client.post(self.app.url(path)).form(&fields);
        self.send(request).await
    }

    /// Posts a `multipart/form-data` form (a file upload): `fields`, this browser's CSRF token
    /// when `with_csrf`, and `file` as the field `file`.
    pub(crate) async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, String),
        with_csrf: bool,
    ) -> Answer {
        let mut form = reqwest::multipart::Form::new();
        if with_csrf {
            form = form.text("csrf", self.csrf());
        }
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        let part = reqwest::multipart::Part::text(file.1).file_name(file.0.to_owned());
        let request = self
            .app
            .client
            .post(self.app.url(path))
            .multipart(form.part("file", part));
        self.send(request).await
    }

    /// Posts `form` as it is.
    pub(crate) async fn post_raw(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let request = self.app.client.post(self.app.url(path)).form(form);
        self.send(request).await
    }

    fn csrf(&self) -> String {
        self.jar.get("paperhub_csrf").cloned().unwrap_or_default()
    }

    fn session(&self) -> Option<String> {
        self.jar.get("paperhub_session").cloned()
    }

    /// Signs up `email` through the form.
    pub(crate) async fn sign_up(&mut self, email: &str, name: &str) -> Answer {
        self.get("/signup").await;
        self.post(
            "/signup",
            &[("email", email), ("name", name), ("password", PASSWORD)],
        )
        .await
    }

    async fn log_in(&mut self, email: &str, password: &str) -> Answer {
        self.get("/login").await;
        self.post("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Whether this browser is signed in: the account page answers instead of sending it to
    /// log in.
    async fn signed_in(&mut self) -> bool {
        self.get("/account").await.status == 200
    }
}

async fn yolo(app: &TestApp) -> String {
    let found = app.json("/api/v1/search?q=YOLOv9&mode=keyword", 200).await;
    found["results"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sign_up_and_log_in_set_a_new_http_only_lax_session_and_log_out_ends_it() {
    let app = TestApp::seeded().await;
    let mut browser = Browser::new(&app);
    let page = browser.get("/signup").await;
    assert_eq!(page.status, 200);
    let first_csrf = browser.csrf();
    assert_eq!(
        first_csrf.len(),
        64,
        "a CSRF cookie comes with the first page"
    );
    assert!(page.body.contains(&first_csrf), "and its forms carry it");
    let made = browser
        .post(
            "/signup",
            &[
                ("email", "ada@example.org"),
                ("name", "Ada"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!((made.status, made.location.as_deref()), (303, Some("/")));
    let session_cookie = browser
        .last_set_cookies
        .iter()
        .find(|c| c.starts_with("paperhub_session="))
        .unwrap()
        .clone();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=1209600"] {
        assert!(session_cookie.contains(flag), "{flag}: {session_cookie}");
    }
    assert!(
        !session_cookie.contains("Secure"),
        "served over http, not Secure"
    );
    assert_ne!(
        browser.csrf(),
        first_csrf,
        "the CSRF token changes at log-in"
    );
    let home = browser.get("/").await;
    assert!(home.body.contains("class=\"viewer\">Ada</a>"), "signed in");
    // The database keeps only the session's hash.
    let secret = browser.session().unwrap();
    assert!(secret.starts_with("ps_"));
    let signed_in = browser.signed_in().await;
    assert!(signed_in);
    let out = browser.post("/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert!(browser.session().is_none(), "the cookie is removed");
    // The old secret no longer signs anyone in, even if it was kept.
    browser.jar.insert("paperhub_session".into(), secret);
    assert!(
        !browser.signed_in().await,
        "the session ended on the server"
    );
}

#[tokio::test]
async fn cookies_are_secure_when_the_hub_is_served_over_https() {
    let app = TestApp::spawn_with(Model::None, Vec::new(), |settings| {
        settings.server.public_url = "https://papers.example.org".into();
    })
    .await;
    let mut browser = Browser::new(&app);
    browser.sign_up("ada@example.org", "Ada").await;
    let session = browser
        .last_set_cookies
        .iter()
        .find(|c| c.starts_with("paperhub_session="))
        .unwrap();
    assert!(session.contains("Secure"), "{session}");
}

#[tokio::test]
async fn every_form_post_without_its_csrf_token_is_refused_403_and_changes_nothing() {
    let app = TestApp::seeded().await;
    let id = yolo(&app).await;
    let mut browser = Browser::new(&app);
    browser.sign_up("ada@example.org", "Ada").await;
    assert!(browser.signed_in().await);
    let vote = format!("/papers/{id}/vote");
    let comment = format!("/papers/{id}/comments");
    let forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/login",
            vec![("email", "ada@example.org"), ("password", PASSWORD)],
        ),
        (
            "/signup",
            vec![("email", "eve@example.org"), ("password", PASSWORD)],
        ),
        (vote.as_str(), vec![("up", "true")]),
        (comment.as_str(), vec![("body", "forged")]),
        ("/submit", vec![("arxiv_id", "1707.08567")]),
        ("/subscribe", vec![("email", "forged@example.org")]),
        ("/account/forgot", vec![("email", "ada@example.org")]),
        (
            "/account/password",
            vec![("current", PASSWORD), ("new", "a forged new pass phrase")],
        ),
        (
            "/library/label",
            vec![("tag", "forged"), ("id", id.as_str()), ("action", "save")],
        ),
        ("/library/tags/forged/reset", vec![]),
        ("/library/tags/forged/delete", vec![]),
        ("/account/logout-everywhere", vec![]),
        ("/logout", vec![]),
    ];
    for (path, fields) in &forms {
        let missing = browser.post_raw(path, fields).await;
        assert_eq!(
            missing.status, 403,
            "{path} without a token: {}",
            missing.body
        );
        assert!(missing.body.contains("CSRF"), "{path}: {}", missing.body);
        let mut wrong = fields.clone();
        wrong.push((
            "csrf",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ));
        assert_eq!(browser.post_raw(path, &wrong).await.status, 403, "{path}");
    }
    assert!(
        browser.signed_in().await,
        "still signed in: no log-out went through"
    );
    let paper = app.json(&format!("/api/v1/papers/{id}"), 200).await;
    assert_eq!(
        (paper["votes"].as_u64(), paper["comment_count"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        app.hub.accounts().list().unwrap().len(),
        1,
        "no forged sign-up"
    );
    assert_eq!(
        app.hub.subscriptions().export(|_| Ok(())).unwrap(),
        0,
        "no forged subscription"
    );
    let forged_import = browser
        .post_file(
            "/library/import",
            &[("tag", "forged")],
            ("forged.bib", "@misc{k, title = {YOLOv9}}".into()),
            false,
        )
        .await;
    assert_eq!(forged_import.status, 403, "{}", forged_import.body);
    let ada = app.hub.accounts().list().unwrap().remove(0);
    assert!(
        app.hub.library().tags(&ada).unwrap().is_empty(),
        "no forged save, import, reset or delete"
    );
    // With the token, the same vote goes through.
    assert_eq!(browser.post(&vote, &[("up", "true")]).await.status, 303);
    let paper = app.json(&format!("/api/v1/papers/{id}"), 200).await;
    assert_eq!(paper["votes"], 1);
}

#[tokio::test]
async fn a_planted_session_cookie_signs_nobody_in_and_log_in_replaces_it() {
    let app = TestApp::seeded().await;
    app.hub
        .accounts()
        .add_account(
            "ada@example.org",
            PASSWORD,
            paperhub_core::Role::Member,
            None,
        )
        .unwrap();
    let mut victim = Browser::new(&app);
    // The attacker's pick of session id, planted in the victim's browser.
    let planted = format!("ps_{}", "ab".repeat(32));
    victim
        .jar
        .insert("paperhub_session".into(), planted.clone());
    assert!(
        !victim.signed_in().await,
        "an id the hub did not make is nobody"
    );
    let logged = victim.log_in("ada@example.org", PASSWORD).await;
    assert_eq!(logged.status, 303);
    let issued = victim.session().unwrap();
    assert_ne!(issued, planted, "log-in sets a new session id");
    assert!(victim.signed_in().await);
    // The attacker, holding the planted id, is not signed in as the victim.
    let mut attacker = Browser::new(&app);
    attacker.jar.insert("paperhub_session".into(), planted);
    assert!(!attacker.signed_in().await);
    // Logging in again gives yet another id, and the one before it ends.
    let before = victim.session().unwrap();
    victim.log_in("ada@example.org", PASSWORD).await;
    assert_ne!(victim.session().unwrap(), before);
    let mut old = Browser::new(&app);
    old.jar.insert("paperhub_session".into(), before);
    assert!(!old.signed_in().await);
}

#[tokio::test]
async fn log_out_everywhere_and_a_changed_password_end_the_other_browsers_sessions() {
    let app = TestApp::seeded().await;
    let mut laptop = Browser::new(&app);
    laptop.sign_up("ada@example.org", "Ada").await;
    let mut phone = Browser::new(&app);
    phone.log_in("ada@example.org", PASSWORD).await;
    assert!(laptop.signed_in().await && phone.signed_in().await);
    let changed = laptop
        .post(
            "/account/password",
            &[("current", PASSWORD), ("new", "a brand new pass phrase")],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert!(
        laptop.signed_in().await,
        "the browser that changed it stays in"
    );
    assert!(!phone.signed_in().await, "the other one is out");
    let wrong = laptop
        .post(
            "/account/password",
            &[
                ("current", "not it at all"),
                ("new", "another new pass phrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 403);
    phone
        .log_in("ada@example.org", "a brand new pass phrase")
        .await;
    assert!(phone.signed_in().await);
    let out = laptop.post("/account/logout-everywhere", &[]).await;
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/login")));
    assert!(!laptop.signed_in().await);
    assert!(!phone.signed_in().await);
}

#[tokio::test]
async fn the_default_limits_refuse_thirty_sign_ups_a_minute_from_one_address_with_retry_after() {
    let app = TestApp::seeded().await;
    let mut refused = 0;
    let mut made = 0;
    for n in 0..30 {
        let response = app
            .client
            .post(app.url("/api/v1/accounts"))
            .json(&json!({"email": format!("bot{n}@example.org"), "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            201 => made += 1,
            429 => {
                refused += 1;
                let retry: u64 = response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=3600).contains(&retry), "{retry}");
                let body: serde_json::Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], "rate_limited");
            }
            other => panic!("sign-up {n}: {other}"),
        }
    }
    assert_eq!((made, refused), (5, 25));
    // The web form shares the address's allowance.
    let mut browser = Browser::new(&app);
    let page = browser.sign_up("web@example.org", "Web").await;
    assert_eq!(page.status, 429);
    assert!(page.body.contains("too many sign-ups"), "{}", page.body);
}

#[tokio::test]
async fn failed_log_ins_make_the_next_attempt_wait_and_the_right_password_then_works() {
    let app = TestApp::seeded().await;
    app.hub
        .accounts()
        .add_account(
            "ada@example.org",
            PASSWORD,
            paperhub_core::Role::Member,
            None,
        )
        .unwrap();
    let mut browser = Browser::new(&app);
    for _ in 0..3 {
        let wrong = browser.log_in("ada@example.org", "guess guess guess").await;
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains("wrong email or password"));
    }
    let waiting = browser.log_in("ada@example.org", PASSWORD).await;
    assert_eq!(
        waiting.status, 429,
        "even the right password waits its turn"
    );
    assert!(waiting.body.contains("failed log-ins"));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let right = browser.log_in("ada@example.org", PASSWORD).await;
    assert_eq!(right.status, 303);
    assert!(browser.signed_in().await);
}

#[tokio::test]
async fn sql_in_every_parameter_is_only_text() {
    let app = TestApp::seeded().await;
    let token = {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/accounts",
                None,
                Some(json!({"email": "ada@example.org", "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, 201);
        body["token"].as_str().unwrap().to_owned()
    };
    let stats = app.json("/api/v1/stats", 200).await;
    let id = yolo(&app).await;
    let payloads = [
        "' OR '1'='1",
        "1; DROP TABLE papers; --",
        "\" OR 1=1 --",
        "x') UNION SELECT email, password_hash FROM accounts --",
    ];
    for sql in payloads {
        let e = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        let q = e(sql);
        let gets = [
            format!("/api/v1/papers?date={q}"),
            format!("/api/v1/papers?week={q}"),
            format!("/api/v1/papers?month={q}"),
            format!("/api/v1/papers?limit={q}"),
            format!("/api/v1/papers/{q}"),
            format!("/api/v1/papers/{q}/similar"),
            format!("/api/v1/papers/{q}/comments"),
            format!("/api/v1/search?q={q}"),
            format!("/api/v1/search?q=yolo&category={q}&author={q}&from={q}"),
            format!("/api/v1/search?q={q}&mode={q}"),
            format!("/api/v1/trending?period={q}"),
            format!("/?date={q}"),
            format!("/papers/{q}"),
            format!("/search?q={q}&author={q}"),
            format!("/trending?period={q}"),
        ];
        for path in &gets {
            let status = app.get(path).await.status().as_u16();
            assert!((200..500).contains(&status), "{path}: {status}");
        }
        let posts = [
            (
                Method::POST,
                "/api/v1/accounts".to_owned(),
                json!({"email": sql, "password": sql}),
            ),
            (
                Method::POST,
                format!("/api/v1/papers/{id}/comments"),
                json!({"body": sql}),
            ),
            (
                Method::POST,
                "/api/v1/submissions".to_owned(),
                json!({"arxiv_id": sql}),
            ),
            (
                Method::PATCH,
                "/api/v1/accounts/me".to_owned(),
                json!({"name": sql}),
            ),
        ];
        for (method, path, body) in posts {
            let (status, answer) = app.call(method, &path, Some(&token), Some(body)).await;
            assert!((200..500).contains(&status), "{path}: {status} {answer}");
        }
        let mut browser = Browser::new(&app);
        let login = browser.log_in(sql, sql).await;
        assert_eq!(login.status, 401, "{sql}");
        let login = browser.log_in("ada@example.org", sql).await;
        assert!(
            login.status == 401 || login.status == 429,
            "{sql}: {}",
            login.status
        );
    }
    let after = app.json("/api/v1/stats", 200).await;
    assert_eq!(after["papers"], stats["papers"], "no paper gone");
    // What was typed is stored as typed.
    let comments = app
        .json(&format!("/api/v1/papers/{id}/comments"), 200)
        .await;
    let bodies: Vec<&str> = comments["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, payloads.to_vec());
    let (_, me) = app
        .call(Method::GET, "/api/v1/accounts/me", Some(&token), None)
        .await;
    assert_eq!(
        me["name"], payloads[2],
        "the last name within 40 characters"
    );
}

#[tokio::test]
async fn on_the_page_authors_delete_their_own_comments_and_moderators_hide_others() {
    let app = TestApp::seeded().await;
    let id = yolo(&app).await;
    let mut ada = Browser::new(&app);
    ada.sign_up("ada@example.org", "Ada").await;
    let posted = ada
        .post(&format!("/papers/{id}/comments"), &[("body", "Mine.")])
        .await;
    assert_eq!(posted.status, 303);
    let at = posted.location.unwrap();
    let comment: u64 = at.rsplit("#comment-").next().unwrap().parse().unwrap();
    let mut grace = Browser::new(&app);
    grace.sign_up("grace@example.org", "Grace").await;
    let page = grace.get(&format!("/papers/{id}")).await.body;
    assert!(
        !page.contains("/delete\""),
        "no delete button on another's comment"
    );
    let delete = format!("/papers/{id}/comments/{comment}/delete");
    let hide = format!("/papers/{id}/comments/{comment}/hidden");
    assert_eq!(grace.post(&delete, &[]).await.status, 403, "not hers");
    assert_eq!(
        grace.post(&hide, &[("hidden", "true")]).await.status,
        403,
        "not a moderator"
    );
    app.hub
        .accounts()
        .set_role("grace@example.org", paperhub_core::Role::Moderator)
        .unwrap();
    assert_eq!(grace.post(&hide, &[("hidden", "true")]).await.status, 303);
    let page = ada.get(&format!("/papers/{id}")).await.body;
    assert!(page.contains("[hidden by a moderator]") && !page.contains("Mine."));
    assert_eq!(grace.post(&hide, &[("hidden", "false")]).await.status, 303);
    assert!(ada
        .get(&format!("/papers/{id}"))
        .await
        .body
        .contains("Mine."));
    assert!(ada
        .get(&format!("/papers/{id}"))
        .await
        .body
        .contains("/delete\""));
    assert_eq!(ada.post(&delete, &[]).await.status, 303);
    let comments = app
        .json(&format!("/api/v1/papers/{id}/comments"), 200)
        .await;
    assert_eq!(comments["comments"][0]["deleted"], true);
}

/// The mails in the hub's outbox, delivered into memory; the first link of each text part that
/// contains `marker`, as a path.
fn mailed_links(app: &TestApp, marker: &str) -> Vec<String> {
    let memory = paperhub_mail::MemoryTransport::default();
    let sender = paperhub_mail::MailSender::new(
        "hub@example.org",
        "https://papers.example.org",
        paperhub_mail::Transport::Memory(memory.clone()),
    )
    .unwrap();
    let mut rules = paperhub_app::DeliveryRules::new("https://papers.example.org");
    rules.rate_per_sec = 0;
    paperhub_app::Delivery::new(app.hub.clone(), std::sync::Arc::new(sender), rules)
        .deliver("", None, &|_| {})
        .unwrap();
    memory
        .kept()
        .iter()
        .filter_map(|mail| {
            let text = String::from_utf8_lossy(&mail.raw).replace("=\r\n", "");
            text.split_whitespace()
                .find(|w| w.contains(marker))
                .map(|w| {
                    w.trim_start_matches("https://papers.example.org")
                        .replace("=3D", "=")
                })
        })
        .collect()
}

#[tokio::test]
async fn a_new_account_confirms_its_address_by_a_posted_link_and_a_reset_link_logs_out_everywhere()
{
    let app = TestApp::seeded().await;
    let mut browser = Browser::new(&app);
    browser.sign_up("ada@example.org", "Ada").await;
    let links = mailed_links(&app, "/account/confirm?token=");
    assert_eq!(links.len(), 1, "{links:?}");
    let page = browser.get(&links[0]).await;
    assert!(page.body.contains("Confirm my address"));
    let ada = app.hub.accounts().account_of("ada@example.org").unwrap();
    assert_eq!(
        app.hub.accounts().email_confirmed_at(&ada).unwrap(),
        None,
        "a GET confirms nothing"
    );
    let confirmed = browser.post_raw(&links[0], &[]).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert!(app
        .hub
        .accounts()
        .email_confirmed_at(&ada)
        .unwrap()
        .is_some());

    // Forgot the password: the same answer for an address without an account.
    let mut other = Browser::new(&app);
    other.get("/account/forgot").await;
    for email in ["nobody@example.org", "ada@example.org"] {
        let asked = other.post("/account/forgot", &[("email", email)]).await;
        assert_eq!(asked.status, 200);
        assert!(asked
            .body
            .contains("a link to choose a new password is on its way"));
    }
    let links = mailed_links(&app, "/account/reset?token=");
    assert_eq!(links.len(), 1, "only the account's address: {links:?}");
    let token = links[0].split("token=").nth(1).unwrap().to_owned();
    let weak = other
        .post_raw(
            "/account/reset",
            &[("token", &token), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("Set the password"), "the form again");
    assert!(browser.signed_in().await, "a refused reset ends nothing");
    let reset = other
        .post_raw(
            "/account/reset",
            &[("token", &token), ("password", "a brand new pass phrase")],
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert!(!browser.signed_in().await, "every session ended");
    let reused = other
        .post_raw(
            "/account/reset",
            &[("token", &token), ("password", "yet another pass phrase")],
        )
        .await;
    assert_eq!(reused.status, 400);
    assert!(reused.body.contains("used already"), "{}", reused.body);
}
