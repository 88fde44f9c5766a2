//! `paperhub user`: accounts from the command line, on SQLite and on PostgreSQL.

use std::io::Write;
use std::process::{Output, Stdio};

use crate::helpers::{stderr, Hub};

const PASSWORD: &str = "correct horse battery staple";

/// `paperhub user add EMAIL --password-stdin [extra]` with `password` on stdin.
fn add(hub: &Hub, email: &str, password: &str, extra: &[&str]) -> Output {
    let mut child = hub
        .command()
        .args(["user", "add", email, "--password-stdin"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

/// Adds, refuses, lists, promotes, bans, issues and revokes tokens on `hub`'s database.
fn accounts_are_managed_from_the_command_line(hub: &Hub) {
    let out = add(hub, "Ada@Example.org", PASSWORD, &["--role", "admin"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ada@example.org  admin"));

    // Refused, each saying why, and nothing stored.
    for (email, password, why) in [
        ("grace@example.org", "short", "at least 10"),
        ("grace@example.org", "password1234", "too easy to guess"),
        ("not-an-email", PASSWORD, "not an email address"),
        ("ada@example.org", PASSWORD, "already has an account"),
    ] {
        let out = add(hub, email, password, &[]);
        assert_eq!(out.status.code(), Some(2), "{email}/{password}");
        assert!(stderr(&out).contains(why), "{why}: {}", stderr(&out));
    }
    let out = hub.run(&["user", "add", "x@example.org", "--role", "root"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("member, moderator, admin"),
        "{}",
        stderr(&out)
    );

    // Without --password-stdin a strong password is made and shown once.
    let made = hub.ok(&["user", "add", "grace@example.org"]);
    assert!(made.contains("password (shown once): "), "{made}");

    let list = hub.json(&["user", "list"]);
    let accounts = list["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{list}");
    assert_eq!(accounts[0]["email"], "ada@example.org");
    assert_eq!(accounts[1]["role"], "member");

    assert!(hub
        .ok(&["user", "role", "grace@example.org", "moderator"])
        .contains("moderator"));
    assert!(hub
        .ok(&["user", "ban", "grace@example.org"])
        .contains("banned"));
    let list = hub.json(&["user", "list"]);
    assert_eq!(list["accounts"][1]["banned"], true);
    assert_eq!(list["accounts"][1]["role"], "moderator");
    assert!(!hub
        .ok(&["user", "unban", "grace@example.org"])
        .contains("banned"));

    let out = hub.run(&["user", "ban", "nobody@example.org"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no account for nobody@example.org"));

    // The token is the last line printed; two tokens differ; both are listed, by number.
    let printed = hub.ok(&["user", "token", "ada@example.org", "--label", "laptop"]);
    let token = printed.lines().last().unwrap().to_owned();
    assert!(token.starts_with("ph_") && token.len() == 67, "{printed}");
    let second = hub.ok(&["--quiet", "user", "token", "ada@example.org"]);
    assert_ne!(second.trim(), token);
    let tokens = hub.ok(&["user", "tokens", "ada@example.org"]);
    assert_eq!(tokens.lines().count(), 2, "{tokens}");
    assert!(tokens.contains("laptop"));
    let first_number = tokens.split_whitespace().next().unwrap().to_owned();
    hub.ok(&["user", "revoke", "ada@example.org", &first_number]);
    assert_eq!(
        hub.ok(&["user", "tokens", "ada@example.org"])
            .lines()
            .count(),
        1
    );
    let out = hub.run(&["user", "revoke", "grace@example.org", &first_number]);
    assert_eq!(out.status.code(), Some(2), "not her token");
}

#[test]
fn accounts_are_managed_from_the_command_line_on_sqlite_with_only_hashes_stored() {
    let hub = Hub::new();
    accounts_are_managed_from_the_command_line(&hub);
    let printed = hub.ok(&["--quiet", "user", "token", "ada@example.org"]);
    let token = printed.trim();
    // The database holds argon2id hashes and token hashes, never a password or a token.
    let mut bytes = std::fs::read(hub.data_dir().join("paperhub.sqlite3")).unwrap();
    if let Ok(wal) = std::fs::read(hub.data_dir().join("paperhub.sqlite3-wal")) {
        bytes.extend(wal);
    }
    let db = String::from_utf8_lossy(&bytes);
    assert!(db.contains("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!db.contains(PASSWORD), "no password in the database");
    assert!(!db.contains(token), "no token in the database");
    assert!(!db.contains(&token["ph_".len()..]));
}

#[test]
fn accounts_are_managed_from_the_command_line_on_postgres() {
    let Some(schema) = paperhub_test_support::PgSchema::fresh() else {
        return;
    };
    let hub = Hub::on_database(&schema.url());
    accounts_are_managed_from_the_command_line(&hub);
    // Another node sees the same accounts.
    let other = Hub::on_database(&schema.url());
    assert_eq!(
        other.json(&["user", "list"])["accounts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
