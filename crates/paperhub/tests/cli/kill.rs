//! Killing an ingest at any moment (kill -9) and running it again stores every paper once,
//! with store and index in agreement.

use std::io::Write;
use std::time::Duration;

use crate::helpers::{path_str, shared, Hub};

const PAPERS: usize = 20_000;

/// A BEIR corpus of PAPERS documents made from the real SciFact abstracts.
fn corpus(hub: &Hub) -> std::path::PathBuf {
    let real = std::fs::read_to_string(shared("data/scifact/corpus.jsonl")).unwrap();
    let docs: Vec<serde_json::Value> = real
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let path = hub.dir.path().join("corpus.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for n in 0..PAPERS {
        let doc = &docs[n % docs.len()];
        let line = serde_json::json!({
            "_id": format!("k{n}"),
            "title": format!("{} (copy {n})", doc["title"].as_str().unwrap()),
            "text": doc["text"],
        });
        writeln!(out, "{line}").unwrap();
    }
    out.flush().unwrap();
    path
}

/// Moments to kill at, in milliseconds after the start.
const MOMENTS: [u64; 6] = [150, 400, 700, 1_000, 1_500, 2_500];

/// `n` random moments from 100 ms to 2.5 s, different on every run (the seed is printed).
fn random_moments(n: usize) -> Vec<u64> {
    let mut x = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill moments seeded by {x}");
    (0..n)
        .map(|_| {
            // xorshift64
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            100 + x % 2_400
        })
        .collect()
}

#[test]
fn killing_an_ingest_at_any_moment_and_rerunning_it_stores_each_paper_once() {
    kill_and_rerun(&Hub::new(), &MOMENTS);
}

#[test]
fn killing_an_ingest_into_postgres_and_rerunning_it_stores_each_paper_once_for_every_node() {
    let Some(schema) = paperhub_test_support::PgSchema::fresh() else {
        return;
    };
    let hub = Hub::on_database(&schema.url());
    // Twenty kills, at random moments, then the whole ingest.
    let mut moments = random_moments(20);
    // At least two early enough to land in the middle of an ingest, whatever the draw.
    moments[..2].copy_from_slice(&MOMENTS[..2]);
    kill_and_rerun(&hub, &moments);
    // Another node, its index built from the database alone, holds exactly the same.
    let other = Hub::on_database(&schema.url());
    let stats = other.json(&["stats"]);
    assert_eq!(stats["papers"], PAPERS as u64, "{stats}");
    assert_eq!(stats["indexed"], PAPERS as u64, "{stats}");
    assert_eq!(stats["indexed_seq"], stats["store_seq"]);
}

/// Kills `paperhub ingest` at each of `moments` (ms after its start), checking store and index
/// agree after each, then runs it whole and checks each paper is stored once.
fn kill_and_rerun(hub: &Hub, moments: &[u64]) {
    let corpus = corpus(hub);
    let mut interrupted_mid_way = 0;
    for &delay_ms in moments {
        let mut child = hub
            .command()
            .args([
                "--quiet",
                "ingest",
                "--batch-size",
                "500",
                path_str(&corpus),
            ])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let stats = hub.json(&["stats"]);
        let papers = stats["papers"].as_u64().unwrap();
        assert_eq!(
            stats["indexed"], stats["papers"],
            "after reopening, the index agrees with the store: {stats}"
        );
        if !finished && papers > 0 && papers < PAPERS as u64 {
            interrupted_mid_way += 1;
        }
    }
    assert!(
        interrupted_mid_way >= 2,
        "the kills must land in the middle of ingests ({interrupted_mid_way} did)"
    );
    let summary = hub.json(&["--quiet", "ingest", path_str(&corpus)]);
    assert_eq!(summary["rejected"], 0);
    let stats = hub.json(&["stats"]);
    assert_eq!(stats["papers"], PAPERS as u64, "{stats}");
    assert_eq!(stats["indexed"], PAPERS as u64, "{stats}");
    assert_eq!(stats["indexed_seq"], stats["store_seq"]);
    // Each paper once: a title that appears in one document finds exactly one.
    let hits = hub.json(&["search", "\"copy 12345\"", "--limit", "5"]);
    let results = hits["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{hits}");
    assert_eq!(results[0]["source_id"], "k12345");
}
