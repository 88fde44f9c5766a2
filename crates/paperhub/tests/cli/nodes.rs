//! Several `paperhub serve` nodes on one PostgreSQL, `paperhub copy` between backends, and
//! what a wrong `database.url` says.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use paperhub_test_support::PgSchema;

use crate::helpers::{path_str, shared, stderr, Hub, Node, SEED};

impl Node {
    fn get_json(&self, path: &str) -> serde_json::Value {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "GET {path}: {head}\n{body}"
        );
        serde_json::from_str(body).unwrap()
    }

    fn finds(&self, query: &str, source_id: &str) -> bool {
        let body = self.get_json(&format!("/api/v1/search?q={query}&mode=keyword&limit=5"));
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["source_id"] == source_id)
    }
}

fn beir_file(hub: &Hub, id: &str, title: &str) -> std::path::PathBuf {
    let path = hub.dir.path().join(format!("{id}.jsonl"));
    let line =
        serde_json::json!({"_id": id, "title": title, "text": "A paper ingested on another node."});
    std::fs::write(&path, format!("{line}\n")).unwrap();
    path
}

#[test]
fn a_paper_ingested_anywhere_is_searchable_on_every_node_of_one_postgres() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    let url = schema.url();
    let first = Hub::on_database(&url);
    first.ok(&[
        "--quiet",
        "ingest",
        path_str(&shared(SEED)),
        "--date",
        "2025-06-05",
    ]);
    let a = Node::start(&first);
    // A node on an empty data directory builds its index from the database.
    let second = Hub::on_database(&url);
    let b = Node::start(&second);
    for node in [&a, &b] {
        let stats = node.get_json("/api/v1/stats");
        assert_eq!(stats["papers"], 118, "{stats}");
        let body = node
            .get_json("/api/v1/search?q=programmable+gradient+information&mode=keyword&limit=1");
        assert!(
            body["results"][0]["title"]
                .as_str()
                .unwrap()
                .starts_with("YOLOv9"),
            "{body}"
        );
    }
    // `paperhub ingest` from a third data directory, against the same database.
    let writer = Hub::on_database(&url);
    for round in 0..3 {
        let id = format!("propagation-{round}");
        let word = format!("zyxquorum{round}");
        let file = beir_file(&writer, &id, &format!("The {word} of distributed hubs"));
        writer.ok(&["--quiet", "ingest", path_str(&file), "--format", "beir"]);
        let committed = Instant::now();
        for node in [&a, &b] {
            while !node.finds(&word, &id) {
                assert!(
                    committed.elapsed() < Duration::from_secs(20),
                    "node {} never saw {id}",
                    node.addr
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        eprintln!(
            "round {round}: searchable on both nodes {:?} after the commit",
            committed.elapsed()
        );
    }
    // A node killed with kill -9 catches up when it starts again.
    drop(b);
    let file = beir_file(
        &writer,
        "while-down",
        "Written while a node was down: qwertyhub",
    );
    writer.ok(&["--quiet", "ingest", path_str(&file), "--format", "beir"]);
    let b = Node::start(&second);
    assert!(b.finds("qwertyhub", "while-down"), "caught up on start");
    let stats = second.json(&["stats"]);
    assert_eq!(stats["papers"], 122, "{stats}");
}

#[test]
fn a_hub_is_copied_from_sqlite_to_postgres_and_back_verified() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    let hub = Hub::seeded();
    let out = hub.ok(&["copy", "--to", &schema.url()]);
    assert!(out.contains("source (sqlite): papers 118"), "{out}");
    assert!(out.contains("target (postgres): papers 118"), "{out}");
    assert!(
        out.contains("verified: counts and checksums are equal"),
        "{out}"
    );
    let checksum = |out: &str, which: &str| -> String {
        out.lines()
            .find(|l| l.starts_with(which))
            .and_then(|l| l.rsplit("checksum ").next())
            .unwrap()
            .to_owned()
    };
    assert_eq!(checksum(&out, "source"), checksum(&out, "target"));

    // The copy serves as a hub of its own.
    let node = Hub::on_database(&schema.url());
    assert_eq!(node.papers(), 118);
    // And back into a new SQLite file.
    let back = hub.dir.path().join("back.sqlite3");
    let target = format!("sqlite:{}", back.display());
    let out2 = node.ok(&["copy", "--to", &target]);
    assert!(out2.contains("target (sqlite): papers 118"), "{out2}");
    assert_eq!(checksum(&out2, "target"), checksum(&out, "source"));
    // Copying again into a database that holds papers is refused, changing nothing.
    let again = hub.run(&["copy", "--to", &schema.url()]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("empty database"),
        "{}",
        stderr(&again)
    );
    assert_eq!(node.papers(), 118);
}

#[test]
fn a_wrong_database_url_fails_at_start_naming_it_without_the_password() {
    let hub = Hub::on_database("postgres://hub:hunter2secret@127.0.0.1:9/paperhub");
    let out = hub.run(&["stats", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("postgres://hub:***@127.0.0.1:9/paperhub"),
        "{err}"
    );
    assert!(!err.contains("hunter2secret"), "{err}");
    assert!(
        err.to_lowercase().contains("refused"),
        "names the cause: {err}"
    );

    let hub = Hub::on_database("mysql://nope@127.0.0.1/x");
    let err = stderr(&hub.run(&["stats"]));
    assert!(err.contains("neither postgres://"), "{err}");
}

/// `PUT path` on `addr` with a bearer token; the status.
fn put(addr: &str, path: &str, token: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_thousand_members_voting_through_two_nodes_of_one_postgres_count_exactly_a_thousand() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    let url = schema.url();
    let first = Hub::on_database(&url);
    let file = beir_file(&first, "voted", "The most voted paper of the day");
    first.ok(&["--quiet", "ingest", path_str(&file), "--format", "beir"]);
    // A thousand members, straight into the database (argon2id for each would be most of the
    // test's time), with tokens as the hub issues them.
    let store = paperhub_store_postgres::PostgresStore::open(&url).unwrap();
    let tokens: Vec<String> = (0..1000)
        .map(|n| {
            use paperhub_store::AccountStore as _;
            let email = paperhub_core::Email::parse(&format!("voter{n}@example.org")).unwrap();
            let account = store
                .create_account(&paperhub_store::NewAccount {
                    email: &email,
                    name: "member",
                    password_hash: "not a password",
                    role: paperhub_core::Role::Member,
                })
                .unwrap();
            let token = format!("ph_{n:064x}");
            store
                .add_token(account.id, &paperhub_app::token_hash(&token), "test")
                .unwrap();
            token
        })
        .collect();
    let a = Node::start(&first);
    let b = Node::start(&Hub::on_database(&url));
    let found = a.get_json("/api/v1/search?q=voted&mode=keyword&limit=1");
    let id = found["results"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/papers/{id}/vote");
    let addrs = [a.addr.clone(), b.addr.clone()];
    for round in 0..2 {
        // Fifty voters at a time, each node taking every other one.
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let handles: Vec<_> = tokens
                .chunks(20)
                .enumerate()
                .map(|(n, chunk)| {
                    let (addrs, path) = (&addrs, &path);
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .enumerate()
                            .map(|(i, token)| put(&addrs[(n + i) % 2], path, token))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        assert!(
            statuses.iter().all(|&s| s == 200),
            "round {round}: {:?}",
            statuses.iter().filter(|&&s| s != 200).collect::<Vec<_>>()
        );
        for node in [&a, &b] {
            let paper = node.get_json(&format!("/api/v1/papers/{id}"));
            assert_eq!(paper["votes"], 1000, "round {round}: {paper}");
        }
    }
}
