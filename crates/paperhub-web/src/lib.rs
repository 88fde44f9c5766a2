//! The web hub: what paperhub serves over HTTP.
//!
//! This crate owns the HTTP side and nothing else: the routes, the server-rendered pages and
//! their templates (`templates/`, escaped by default), the static CSS and script (embedded in
//! the binary), the JSON API under `/api/v1` with its OpenAPI 3.1 document (generated from
//! the handlers), the Atom and RSS feeds, and the middleware (security headers, ETags,
//! compression, timeouts, body limits, request logs and Prometheus metrics).
//!
//! It does not own the use cases, the storage or the index: every handler asks a
//! [`paperhub_app::Hub`], whose calls are synchronous and run on tokio's blocking pool. Which
//! database and index sit behind the hub is the binary's choice (`paperhub serve`); this crate
//! never names them. Reading the configuration file and environment is the binary's job too:
//! it hands over a validated [`ServerConfig`].

mod api;
mod assets;
mod auth;
mod config;
mod days;
mod error;
mod feeds;
mod limits;
mod links;
mod markdown;
mod metrics;
mod middleware;
mod pages;
mod search;
mod session;
mod state;

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context as _;
use axum::Router;
use paperhub_app::Hub;
use tokio::net::TcpListener;

pub use config::{LimitSettings, LogFormat, ServerConfig, ServerSettings};
pub use error::ErrorCode;

/// The hub's web application, bound to its address and ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Binds `config.listen` (port 0 picks a free port) and builds the routes over `hub`.
    pub async fn build(hub: Hub, config: ServerConfig) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        Ok(Self::with_listener(hub, config, listener))
    }

    /// Serves on a listener the caller bound.
    pub fn with_listener(hub: Hub, config: ServerConfig, listener: TcpListener) -> Self {
        Self {
            listener,
            router: router(hub, &config),
        }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listener
            .local_addr()
            .context("reading the listening address")
    }

    /// Serves until `shutdown` completes, then stops accepting connections and lets requests
    /// in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
    }
}

/// Every route of the hub with its middleware.
pub fn router(hub: Hub, config: &ServerConfig) -> Router {
    let state = state::AppState::new(hub, config);
    let (api_router, openapi) = api::router();
    let router = Router::new()
        .merge(pages::router())
        .merge(feeds::router())
        .merge(assets::router())
        .merge(api_router)
        .route(
            "/api/openapi.json",
            axum::routing::get(move || async move { axum::Json(openapi) }),
        )
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .route("/metrics", axum::routing::get(metrics::render))
        .fallback(error::not_found)
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::csrf_cookie,
        ));
    middleware::apply(router, state, config)
}

/// Completes on ctrl-c or, on Unix, SIGTERM: the signals that stop the server gracefully.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
