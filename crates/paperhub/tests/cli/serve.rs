//! `paperhub serve` and `paperhub config`: the real binary serving a seeded hub.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

use crate::helpers::Hub;

/// A plain HTTP/1.1 GET; returns the status line and body.
fn get(addr: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

#[test]
fn serve_answers_the_done_when_queries_and_stops_on_sigterm() {
    let hub = Hub::seeded();
    let mut child = hub
        .command()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("PAPERHUB_SERVER__LISTEN", "127.0.0.1:1") // the flag wins over the environment
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    for line in (&mut stderr).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.split("serving on http://").nth(1) {
            addr = Some(rest.split('/').next().unwrap().to_owned());
            break;
        }
    }
    let addr = addr.expect("serve announces its address");
    // Keep reading stderr (request logs) so the server never blocks on a full pipe.
    let logs = std::thread::spawn(move || {
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        rest
    });

    let (status, body) = get(
        &addr,
        "/api/v1/search?q=programmable+gradient+information&limit=1",
    );
    assert!(status.contains("200"), "{status}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    let first = &body["results"][0];
    assert!(
        first["title"].as_str().unwrap().starts_with("YOLOv9"),
        "{body}"
    );
    let (status, page) = get(&addr, first["url"].as_str().unwrap());
    assert!(status.contains("200"));
    assert!(page.contains(
        "YOLOv9: Learning What You Want to Learn Using Programmable Gradient Information"
    ));

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "a graceful stop exits 0: {status:?}");
    let logs = logs.join().unwrap();
    assert!(logs.contains("shutting down"), "{logs}");
}

#[test]
fn config_default_prints_the_example_and_config_shows_the_settings_in_effect() {
    let hub = Hub::new();
    let example = hub.ok(&["config", "--default"]);
    assert!(example.contains("[server]") && example.contains("listen = \"127.0.0.1:8080\""));
    let file = hub.dir.path().join("paperhub.toml");
    std::fs::write(
        &file,
        "[server]\nlisten = \"127.0.0.1:9999\"\nlog_format = \"json\"\n",
    )
    .unwrap();
    let shown = hub.ok(&["config", "--config", file.to_str().unwrap()]);
    assert!(
        shown.contains("listen = \"127.0.0.1:9999\"") && shown.contains("log_format = \"json\""),
        "{shown}"
    );
    std::fs::write(&file, "[server]\nlisten = \"nowhere\"\n").unwrap();
    let out = hub.run(&["config", "--config", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(crate::helpers::stderr(&out).contains("server.listen"));
    for command in ["serve", "config"] {
        let help = hub.ok(&[command, "--help"]);
        assert!(help.contains("--config"), "{help}");
    }
}
