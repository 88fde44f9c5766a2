//! Health, metrics, ETags, compression, limits and graceful shutdown.

use crate::helpers::TestApp;

#[tokio::test]
async fn health_and_metrics_report_requests_by_route_and_the_papers() {
    let app = TestApp::seeded().await;
    assert_eq!(app.text("/healthz", 200).await, "ok\n");
    app.text("/", 200).await;
    let id = app.json("/api/v1/papers?limit=1", 200).await["papers"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.text(&format!("/papers/{id}"), 200).await;
    app.text("/papers/nope", 404).await;
    let metrics = app.text("/metrics", 200).await;
    assert!(
        metrics.contains(
            r#"paperhub_http_requests_total{method="GET",route="/papers/{id}",status="200"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains(
        r#"paperhub_http_requests_total{method="GET",route="/papers/{id}",status="404"} 1"#
    ));
    assert!(metrics.contains(r#"paperhub_http_request_duration_seconds_bucket{le="#));
    assert!(metrics.contains(r#"route="/api/v1/papers""#));
    assert!(metrics.contains("paperhub_papers 120"), "{metrics}");
    assert!(metrics.contains("# TYPE paperhub_http_request_duration_seconds histogram"));
}

#[tokio::test]
async fn pages_and_feeds_answer_304_to_a_matching_etag() {
    let app = TestApp::seeded().await;
    for path in [
        "/",
        "/feeds/daily.atom",
        "/feeds/daily.rss",
        "/api/v1/papers",
    ] {
        let first = app.get(path).await;
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with("W/\""), "{path}: {etag}");
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"], etag.as_str());
        assert!(again.bytes().await.unwrap().is_empty());
        let stale = app
            .client
            .get(app.url(path))
            .header("if-none-match", "W/\"stale\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 200);
    }
}

#[tokio::test]
async fn responses_are_compressed_for_clients_that_accept_it() {
    let app = TestApp::seeded().await;
    let response = app
        .client
        .get(app.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn oversized_request_bodies_are_refused() {
    let app = TestApp::seeded().await;
    let response = app
        .client
        .get(app.url("/"))
        .body(vec![b'x'; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn the_server_stops_gracefully_when_asked() {
    let app = TestApp::seeded().await;
    let addr = app.addr;
    app.text("/healthz", 200).await;
    app.stop().await.unwrap();
    assert!(
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .is_err(),
        "no longer listening"
    );
}
