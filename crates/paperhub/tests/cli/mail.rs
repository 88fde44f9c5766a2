//! Mail end to end, against a real SMTP server on loopback (aiosmtpd): subscribing with double
//! opt-in through `serve`, `subscribers import|export`, `digest run` exactly once per
//! subscriber (re-runs, kill -9 at random moments, two runs at once, on SQLite and on
//! PostgreSQL), a server answering 421 or dropping connections, and bad input.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use paperhub_test_support::{smtp::Received, PgSchema, SmtpSink};

use crate::helpers::{path_str, shared, stderr, Hub, Node, SEED};

const PUBLIC_URL: &str = "https://papers.example.org";

/// The settings of a hub mailing through `sink`: no rate limit, short leases and retries.
fn mail_env(sink: &SmtpSink) -> Vec<(&'static str, String)> {
    vec![
        ("PAPERHUB_MAIL__TRANSPORT", "smtp".into()),
        ("PAPERHUB_MAIL__SMTP_URL", sink.url()),
        (
            "PAPERHUB_MAIL__FROM",
            "paperhub <hub@papers.example.org>".into(),
        ),
        ("PAPERHUB_SERVER__PUBLIC_URL", PUBLIC_URL.into()),
        ("PAPERHUB_MAIL__RATE_PER_SEC", "0".into()),
        ("PAPERHUB_MAIL__LEASE_SECS", "2".into()),
        ("PAPERHUB_MAIL__RETRY_BASE_SECS", "1".into()),
        ("PAPERHUB_MAIL__RETRY_MAX_SECS", "2".into()),
        ("PAPERHUB_MAIL__TIMEOUT_SECS", "5".into()),
    ]
}

fn with_mail(mut cmd: Command, sink: &SmtpSink) -> Command {
    for (key, value) in mail_env(sink) {
        cmd.env(key, value);
    }
    cmd
}

/// Runs `paperhub` with mail through `sink`.
fn run(hub: &Hub, sink: &SmtpSink, args: &[&str]) -> std::process::Output {
    let mut cmd = with_mail(hub.command(), sink);
    cmd.args(args).output().unwrap()
}

/// A seeded hub on SQLite (or on a fresh PostgreSQL schema) and an SMTP server.
fn setup(postgres: Option<&PgSchema>) -> (Hub, SmtpSink, tempfile::TempDir) {
    let hub = match postgres {
        Some(schema) => Hub::on_database(&schema.url()),
        None => Hub::new(),
    };
    hub.ok(&[
        "--quiet",
        "ingest",
        path_str(&shared(SEED)),
        "--date",
        "2025-06-05",
    ]);
    let root = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(root.path()).expect("checked by the caller");
    (hub, sink, root)
}

fn aiosmtpd_or_skip() -> bool {
    let probe = tempfile::tempdir().unwrap();
    SmtpSink::start(probe.path()).is_some()
}

/// `n` subscribers as CSV, each with a topic that the seed's papers of 2025-06-05 answer.
fn csv(hub: &Hub, n: usize, frequency: &str) -> std::path::PathBuf {
    let topics = [
        "continual learning",
        "unlearning",
        "from scratch;pretraining",
    ];
    let mut text = String::from("email,frequency,topics\n");
    for i in 0..n {
        text.push_str(&format!(
            "reader{i}@example.org,{frequency},{}\n",
            topics[i % topics.len()]
        ));
    }
    let path = hub
        .dir
        .path()
        .join(format!("subscribers-{n}-{frequency}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Received mails by recipient: their Message-IDs.
fn by_recipient(mails: &[Received]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for mail in mails {
        map.entry(mail.envelope_to.clone())
            .or_default()
            .push(mail.header("Message-ID").unwrap_or_default().to_owned());
    }
    map
}

/// Checks that each of `n` readers got exactly one digest (one Message-ID) and returns how
/// many messages arrived more than once (the same Message-ID again, after a kill between the
/// server's acceptance and the outbox's record of it).
fn exactly_one_each(sink: &SmtpSink, n: usize) -> usize {
    let mails = sink.received();
    let map = by_recipient(&mails);
    let missing: Vec<usize> = (0..n)
        .filter(|i| !map.contains_key(&format!("reader{i}@example.org")))
        .collect();
    assert!(
        missing.is_empty(),
        "{} readers got no digest: {:?}…",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert_eq!(map.len(), n, "mail went only to the subscribers");
    for (to, ids) in &map {
        let distinct: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(
            distinct.len(),
            1,
            "{to} got {} different digests: {ids:?}",
            distinct.len()
        );
    }
    mails.len() - n
}

#[test]
fn a_digest_run_mails_each_confirmed_subscriber_once_with_both_parts_and_one_click_unsubscribe() {
    if !aiosmtpd_or_skip() {
        return;
    }
    let (hub, sink, _root) = setup(None);
    let list = hub.dir.path().join("list.csv");
    std::fs::write(
        &list,
        "email,frequency,topics\nada@example.org,daily,continual learning;unlearning\nbob@example.org,weekly,from scratch\n",
    )
    .unwrap();
    let out = run(
        &hub,
        &sink,
        &["subscribers", "import", path_str(&list), "--confirmed"],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let daily = ["digest", "run", "--period", "daily", "--date", "2025-06-05"];
    let out = run(&hub, &sink, &daily);
    assert!(out.status.success(), "{}", stderr(&out));
    let mails = sink.received();
    assert_eq!(mails.len(), 1, "only the daily subscriber: {mails:?}");
    let mail = &mails[0];
    assert_eq!(mail.envelope_to, "ada@example.org");
    assert_eq!(
        mail.header("Subject"),
        Some("Trending papers of Jun 5, 2025")
    );
    assert!(mail
        .header("From")
        .unwrap()
        .contains("hub@papers.example.org"));
    let unsubscribe = mail.header("List-Unsubscribe").unwrap();
    assert!(
        unsubscribe.starts_with("<https://papers.example.org/subscriptions/unsubscribe?token=pm_"),
        "{unsubscribe}"
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(mail
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    assert!(
        mail.text.contains("New on \"continual learning\""),
        "{}",
        mail.text
    );
    assert!(
        mail.html
            .contains("<h2>New on &ldquo;continual learning&rdquo;</h2>"),
        "{}",
        mail.html
    );
    let links = mail.links();
    assert!(
        links
            .iter()
            .any(|l| l.starts_with("https://papers.example.org/papers/")),
        "{links:?}"
    );
    assert!(
        links.iter().all(|l| l.starts_with(PUBLIC_URL)),
        "every link absolute: {links:?}"
    );
    assert!(links
        .iter()
        .any(|l| l.contains("/subscriptions/manage?token=pm_")));

    // Running the period again mails nobody twice.
    let out = run(&hub, &sink, &daily);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sink.received().len(), 1);

    // The weekly run: bob only, and ada's papers are not ada's concern.
    let out = run(
        &hub,
        &sink,
        &[
            "digest",
            "run",
            "--period",
            "weekly",
            "--date",
            "2025-06-05",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mails = sink.received();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].envelope_to, "bob@example.org");
    assert_eq!(
        mails[1].header("Subject"),
        Some("Trending papers of the week to Jun 5, 2025")
    );

    let export = String::from_utf8(run(&hub, &sink, &["subscribers", "export"]).stdout).unwrap();
    let mut lines = export.lines();
    assert_eq!(
        lines.next(),
        Some("email,frequency,topics,status,created_at")
    );
    assert!(
        export.contains("ada@example.org,daily,continual learning;unlearning,subscribed,"),
        "{export}"
    );
}

/// Subscribing on the web: a confirmation mail whose link opens a page that confirms nothing
/// until its button is pressed; the token works once; one-click unsubscribe without a session.
#[test]
fn subscribing_through_serve_confirms_by_a_posted_link_once_and_unsubscribes_in_one_click() {
    if !aiosmtpd_or_skip() {
        return;
    }
    let (hub, sink, _root) = setup(None);
    let env = mail_env(&sink);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let node = Node::start_with(&hub, &env);
    let (status, body) = http(
        &node.addr,
        "POST",
        "/api/v1/subscriptions",
        "application/json",
        r#"{"email": "Reader@Example.org", "frequency": "daily", "topics": ["continual learning"]}"#,
    );
    assert_eq!(status, 202, "{body}");
    let confirmation = wait_for_mail(&sink, 1).remove(0);
    assert_eq!(confirmation.envelope_to, "reader@example.org");
    assert!(
        confirmation.header("List-Unsubscribe").is_none(),
        "nothing to unsubscribe from yet"
    );
    let link = confirmation
        .links()
        .into_iter()
        .find(|l| l.contains("/subscriptions/confirm?token="))
        .unwrap_or_else(|| panic!("no confirmation link in\n{}", confirmation.text));
    assert!(
        confirmation.html.contains(&link.replace('&', "&#38;")),
        "the HTML part has it too"
    );
    let path = link.strip_prefix(PUBLIC_URL).unwrap();

    // Opening the link (a mail scanner does) confirms nothing.
    let (status, page) = http(&node.addr, "GET", path, "", "");
    assert_eq!(status, 200);
    assert!(page.contains("Confirm my subscription"), "{page}");
    let status_of = || {
        let export = String::from_utf8(hub.run(&["subscribers", "export"]).stdout).unwrap();
        export
            .lines()
            .find(|l| l.starts_with("reader@example.org,"))
            .map(|l| l.split(',').nth(3).unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(status_of(), "unconfirmed");
    let out = hub.run(&["digest", "run", "--period", "daily", "--date", "2025-06-05"]);
    assert!(out.status.success());
    assert_eq!(sink.received().len(), 1, "nobody unconfirmed gets a digest");

    // A POST to the link confirms, once.
    let (status, page) = http(
        &node.addr,
        "POST",
        path,
        "application/x-www-form-urlencoded",
        "",
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("gets the daily trending papers"), "{page}");
    assert_eq!(status_of(), "subscribed");
    let (status, page) = http(
        &node.addr,
        "POST",
        path,
        "application/x-www-form-urlencoded",
        "",
    );
    assert_eq!(status, 400);
    assert!(page.contains("used already"), "{page}");

    let out = run(
        &hub,
        &sink,
        &["digest", "run", "--period", "daily", "--date", "2025-06-05"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let digest = sink.received().pop().unwrap();
    assert_eq!(
        digest.header("Subject"),
        Some("Trending papers of Jun 5, 2025")
    );
    let url = digest.header("List-Unsubscribe").unwrap();
    let path = url
        .trim_matches(['<', '>'])
        .strip_prefix(PUBLIC_URL)
        .unwrap()
        .to_owned();
    // RFC 8058: a POST with this body, no cookie, no CSRF token, unsubscribes at once.
    let (status, page) = http(
        &node.addr,
        "POST",
        &path,
        "application/x-www-form-urlencoded",
        "List-Unsubscribe=One-Click",
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("is unsubscribed"), "{page}");
    assert_eq!(status_of(), "unsubscribed");
    drop(node);
}

#[test]
fn mails_wait_while_the_server_answers_421_or_drops_connections_and_go_out_once_when_it_recovers() {
    if !aiosmtpd_or_skip() {
        return;
    }
    let (hub, sink, _root) = setup(None);
    let out = run(
        &hub,
        &sink,
        &[
            "subscribers",
            "import",
            path_str(&csv(&hub, 20, "daily")),
            "--confirmed",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    sink.set_mode("421");
    let mut child = with_mail(hub.command(), &sink)
        .args([
            "digest",
            "run",
            "--period",
            "daily",
            "--date",
            "2025-06-05",
            "--wait-secs",
            "60",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(sink.received().is_empty(), "nothing got through a 421");
    sink.set_mode("drop");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        sink.received().is_empty(),
        "nothing got through dropped connections"
    );
    sink.set_mode("ok");
    let started = Instant::now();
    let status = child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        status.success(),
        "the run ends well once the server is back: {log}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(exactly_one_each(&sink, 20), 0, "none doubled");
}

#[test]
fn a_permanent_refusal_is_not_retried_and_the_run_says_it_failed() {
    if !aiosmtpd_or_skip() {
        return;
    }
    let (hub, sink, _root) = setup(None);
    let list = hub.dir.path().join("list.csv");
    std::fs::write(
        &list,
        "email,topics\nbounce@example.org,unlearning\nada@example.org,unlearning\n",
    )
    .unwrap();
    assert!(run(
        &hub,
        &sink,
        &["subscribers", "import", path_str(&list), "--confirmed"]
    )
    .status
    .success());
    let out = run(
        &hub,
        &sink,
        &["digest", "run", "--period", "daily", "--date", "2025-06-05"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "not every mail was handed over: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("1 failed"), "{}", stderr(&out));
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].envelope_to, "ada@example.org");
}

/// kill -9 at random moments of a run, then a run to the end.
fn kill_and_rerun(hub: &Hub, sink: &SmtpSink, subscribers: usize, kills: usize) {
    let out = run(
        hub,
        sink,
        &[
            "subscribers",
            "import",
            path_str(&csv(hub, subscribers, "daily")),
            "--confirmed",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill moments seeded by {seed}");
    let args = ["digest", "run", "--period", "daily", "--date", "2025-06-05"];
    for _ in 0..kills {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let moment = Duration::from_millis(100 + seed % 1_500);
        let mut child = with_mail(hub.command(), sink)
            .args(args)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(moment);
        let _ = child.kill();
        let _ = child.wait();
    }
    let received = sink.received().len();
    eprintln!("{received} mails received before the last run");
    let out = run(hub, sink, &args);
    assert!(
        out.status.success(),
        "the last run completes: {}",
        stderr(&out)
    );
    let repeated = exactly_one_each(sink, subscribers);
    eprintln!("{kills} kills: {repeated} mails arrived a second time under the same Message-ID");
    // Only a mail in flight at a kill (after the server took it, before the outbox recorded
    // it) can arrive twice: at most one per worker per kill.
    assert!(
        repeated <= kills * 2,
        "{repeated} repeats after {kills} kills"
    );
    // A later run sends nothing more.
    let out = run(hub, sink, &args);
    assert!(out.status.success());
    assert_eq!(sink.received().len(), subscribers + repeated);
}

#[test]
fn killing_digest_runs_at_random_moments_on_sqlite_leaves_one_digest_per_subscriber() {
    if !aiosmtpd_or_skip() {
        return;
    }
    let (hub, sink, _root) = setup(None);
    kill_and_rerun(&hub, &sink, 2_000, 20);
}

#[test]
fn killing_digest_runs_at_random_moments_on_postgres_leaves_one_digest_per_subscriber() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    if !aiosmtpd_or_skip() {
        return;
    }
    let (hub, sink, _root) = setup(Some(&schema));
    kill_and_rerun(&hub, &sink, 2_000, 20);
}

/// Two `digest run`s of one period at once share the work: each mail once.
fn two_at_once(first: &Hub, second: &Hub, sink: &SmtpSink) {
    let out = run(
        first,
        sink,
        &[
            "subscribers",
            "import",
            path_str(&csv(first, 2_000, "daily")),
            "--confirmed",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let args = ["digest", "run", "--period", "daily", "--date", "2025-06-05"];
    let spawn = |hub: &Hub| {
        with_mail(hub.command(), sink)
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(first), spawn(second));
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(exactly_one_each(sink, 2_000), 0, "no mail twice");
}

#[test]
fn two_digest_runs_at_once_on_one_sqlite_hub_send_each_mail_once() {
    if !aiosmtpd_or_skip() {
        return;
    }
    let (hub, sink, _root) = setup(None);
    two_at_once(&hub, &hub, &sink);
}

#[test]
fn two_nodes_running_the_digest_at_once_on_one_postgres_send_each_mail_once() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    if !aiosmtpd_or_skip() {
        return;
    }
    let (hub, sink, _root) = setup(Some(&schema));
    let other = Hub::on_database(&schema.url());
    two_at_once(&hub, &other, &sink);
}

#[test]
fn a_bad_subscriber_file_names_its_line_and_stores_nothing() {
    let hub = Hub::new();
    for (text, expected) in [
        (
            "email,topics\nada@example.org,x\nnot-an-address,y\n",
            "line 3",
        ),
        (
            "email,topics\nada@example.org,date:2025-13-40..2025-14-01\n",
            "line 2",
        ),
        ("email,frequency\nada@example.org,hourly\n", "hourly"),
        ("name,topics\nada,x\n", "no `email` column"),
        ("email\nada@example.org\nADA@example.org\n", "twice"),
    ] {
        let path = hub.dir.path().join("bad.csv");
        std::fs::write(&path, text).unwrap();
        let out = hub.run(&["subscribers", "import", path_str(&path), "--confirmed"]);
        assert!(!out.status.success(), "{text}");
        let message = stderr(&out);
        assert!(
            message.contains("bad.csv") && message.contains(expected),
            "{text}: {message}"
        );
        let export = hub.ok(&["subscribers", "export"]);
        assert_eq!(
            export.lines().count(),
            0,
            "nothing stored from {text:?}: {export}"
        );
    }
}

#[test]
fn the_api_refuses_a_malformed_address_or_topic_and_stores_nothing() {
    let hub = Hub::seeded();
    let node = Node::start(&hub);
    for (body, expected) in [
        (
            r#"{"email": "no-at-sign", "topics": []}"#,
            "not an email address",
        ),
        (
            r#"{"email": "ada@example.org", "topics": ["date:2025-13-40..2025-14-01"]}"#,
            "topic 1",
        ),
        (
            r#"{"email": "ada@example.org", "frequency": "hourly"}"#,
            "hourly",
        ),
        (r#"{"email": "ada@example.org", "topics": ["a;b"]}"#, "`;`"),
    ] {
        let (status, answer) = http(
            &node.addr,
            "POST",
            "/api/v1/subscriptions",
            "application/json",
            body,
        );
        assert!(status == 400 || status == 422, "{body}: {status} {answer}");
        assert!(answer.contains(expected), "{body}: {answer}");
    }
    assert_eq!(hub.ok(&["subscribers", "export"]).lines().count(), 0);
    for path in [
        "/subscriptions/manage?token=pm_nope",
        "/subscriptions/unsubscribe?token=pm_nope",
    ] {
        assert_eq!(http(&node.addr, "GET", path, "", "").0, 404, "{path}");
    }
    let (status, page) = http(
        &node.addr,
        "POST",
        "/subscriptions/confirm?token=pc_nope",
        "application/x-www-form-urlencoded",
        "",
    );
    assert_eq!(status, 404, "{page}");
}

/// One HTTP request; the status and body.
fn http(addr: &str, method: &str, path: &str, content_type: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if !content_type.is_empty() {
        request.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}

/// The first `n` mails, once they arrived (within 20 s).
fn wait_for_mail(sink: &SmtpSink, n: usize) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mails = sink.received();
        if mails.len() >= n {
            return mails;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} mails arrived",
            mails.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
