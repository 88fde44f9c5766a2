//! `TestApp`: a hub in a temporary directory, served on `127.0.0.1:0`.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::NaiveDate;
use paperhub::assembly::Context;
use paperhub::config::Settings;
use paperhub_app::{Hub, NoObserver};
use paperhub_core::{PaperMeta, SourceFormat};
use paperhub_ingest::{read_file, ReadOptions};
use paperhub_search::HashingEmbedder;
use paperhub_web::{Application, ServerConfig};
use tokio::sync::oneshot;

/// The shared sample data, and the seed listing page (118 papers, listed on 2025-06-05 here).
pub use paperhub_test_support::{shared, SEED};

pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Which embedding model the hub gets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// None: keyword search only.
    None,
    /// The deterministic hashing embedder of the search crate (fast, no files).
    Hashing,
    /// The real model when installed (`PAPERHUB_MODEL_DIR`, as the tests find it), else the
    /// hashing one.
    RealIfInstalled,
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// The hub the server serves, for set-up the API does not offer (bans, many accounts).
    pub hub: Hub,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

/// A listing paper of `day`.
pub fn listed(title: &str, abstract_text: &str, on: &str) -> PaperMeta {
    PaperMeta {
        title: title.into(),
        abstract_text: abstract_text.into(),
        listed_on: Some(day(on)),
        format: Some(SourceFormat::Listing),
        ..Default::default()
    }
}

impl TestApp {
    /// The seed listing on 2025-06-05 and two papers the day before, with the hashing model.
    pub async fn seeded() -> Self {
        Self::spawn(Model::Hashing, Vec::new()).await
    }

    /// The seeded hub plus `extra` papers, with `model`.
    pub async fn spawn(model: Model, extra: Vec<PaperMeta>) -> Self {
        Self::spawn_with(model, extra, |_| {}).await
    }

    /// [`TestApp::spawn`] with settings changed by `configure` (as a configuration file would).
    pub async fn spawn_with(
        model: Model,
        extra: Vec<PaperMeta>,
        configure: impl FnOnce(&mut Settings) + Send + 'static,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_owned();
        let (hub, mut config) =
            tokio::task::spawn_blocking(move || build_hub(&data, model, extra, configure))
                .await
                .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        config.listen = addr;
        let app = Application::with_listener(hub.clone(), config, listener);
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        TestApp {
            addr,
            hub: hub.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GET, expecting `status`, returning the body as text.
    pub async fn text(&self, path: &str, status: u16) -> String {
        let response = self.get(path).await;
        let got = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(got, status, "GET {path}: {body}");
        body
    }

    /// GET, expecting `status`, returning the JSON body.
    pub async fn json(&self, path: &str, status: u16) -> serde_json::Value {
        let body = self.text(path, status).await;
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// Sends `method path` with `token` as bearer (if any) and `body` as JSON (if any);
    /// returns the status and the JSON body (`null` when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let json = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
        };
        (status, json)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.take().unwrap().send(()).unwrap();
        self.server.take().unwrap().await.unwrap()
    }
}

/// The hub of a data directory, opened through the app's one assembly (as `paperhub serve`
/// opens it), with the embedder `model` asks for.
fn build_hub(
    data: &std::path::Path,
    model: Model,
    extra: Vec<PaperMeta>,
    configure: impl FnOnce(&mut Settings),
) -> (Hub, ServerConfig) {
    let mut settings = Settings {
        data_dir: data.to_owned(),
        model_dir: Some(paperhub_test_support::model_dir()),
        ..Settings::default()
    };
    configure(&mut settings);
    let config = settings.server_config().unwrap();
    let ctx = Context::new(settings, true);
    let hub = match model {
        Model::None => ctx.open_hub().unwrap(),
        Model::Hashing => ctx
            .open_hub_with_embedder(Arc::new(HashingEmbedder))
            .unwrap(),
        Model::RealIfInstalled if ctx.model_installed() => ctx.open_hub_with_model().unwrap(),
        Model::RealIfInstalled => {
            eprintln!(
                "(no real model at {}; using the hashing embedder)",
                ctx.model_dir().display()
            );
            ctx.open_hub_with_embedder(Arc::new(HashingEmbedder))
                .unwrap()
        }
    };
    let records = read_file(
        &shared(SEED),
        &ReadOptions {
            date: Some(day("2025-06-05")),
            ..Default::default()
        },
    )
    .unwrap();
    hub.ingest(records, 1_000, &mut NoObserver).unwrap();
    let mut more = vec![
        listed(
            "Scaling Sparse Retrieval for Scientific Search",
            "We index scientific abstracts with learned sparse retrieval and compare it with BM25.",
            "2025-06-04",
        ),
        listed(
            "Gradient Checkpointing Revisited",
            "Recomputing activations trades compute for memory during backpropagation of gradients.",
            "2025-06-04",
        ),
    ];
    more.extend(extra);
    let more: Vec<_> = more
        .into_iter()
        .map(|m| Ok::<_, paperhub_ingest::RecordError>(m.normalized().unwrap()))
        .collect();
    hub.ingest(more, 1_000, &mut NoObserver).unwrap();
    if hub.has_semantic() {
        hub.embed_missing(64, |_, _| {}).unwrap();
    }
    (hub, config)
}

/// `html` with the character references a template escaper writes turned back into text.
pub fn decode(html: &str) -> String {
    [
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(html.to_owned(), |text, (from, to)| text.replace(from, to))
}

/// Signs `email` up and returns its token.
pub async fn member(app: &TestApp, email: &str) -> String {
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/accounts",
            None,
            Some(serde_json::json!({"email": email, "password": "correct horse battery staple"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// The hub ids and titles of the best keyword matches for `q`.
pub async fn found(app: &TestApp, q: &str, limit: usize) -> Vec<(String, String)> {
    let body = app
        .json(
            &format!(
                "/api/v1/search?q={}&mode=keyword&limit={limit}",
                q.replace(' ', "+")
            ),
            200,
        )
        .await;
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
