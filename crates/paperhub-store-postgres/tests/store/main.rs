//! PostgreSQL store: the shared conformance suite on a fresh schema per check, and what is
//! particular to PostgreSQL (schema versions, bad URLs, notifications, copies to and from
//! SQLite).

use std::time::{Duration, Instant};

use paperhub_core::PaperMeta;
use paperhub_store::{PaperStore, Store, StoreError};
use paperhub_store_postgres::PostgresStore;
use paperhub_store_sqlite::SqliteStore;
use paperhub_test_support::PgSchema;

fn paper(title: &str) -> PaperMeta {
    PaperMeta {
        title: title.into(),
        abstract_text: "An abstract.".into(),
        ..Default::default()
    }
    .normalized()
    .unwrap()
}

/// A store on a fresh schema; the schema lives as long as the store (both leak for the test).
fn fresh() -> Option<PostgresStore> {
    let schema = PgSchema::fresh()?;
    let store = PostgresStore::open(&schema.url()).unwrap();
    std::mem::forget(schema);
    Some(store)
}

#[test]
fn postgres_store_passes_the_conformance_suite() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    drop(schema);
    let schemas = std::sync::Mutex::new(Vec::new());
    paperhub_store::conformance::run_all(|| {
        let schema = PgSchema::fresh().expect("the server answered a moment ago");
        let store = PostgresStore::open(&schema.url()).unwrap();
        schemas.lock().unwrap().push(schema);
        store
    });
}

#[test]
fn a_database_from_a_newer_paperhub_is_refused_with_a_clear_error() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    drop(PostgresStore::open(&schema.url()).unwrap());
    let mut client = postgres::Client::connect(&schema.url(), postgres::NoTls).unwrap();
    client
        .batch_execute("INSERT INTO paperhub_schema (version, name) VALUES (99, 'from the future')")
        .unwrap();
    let error = PostgresStore::open(&schema.url())
        .err()
        .expect("must refuse");
    assert!(
        matches!(
            error.downcast_ref::<StoreError>(),
            Some(StoreError::SchemaTooNew { found: 99, .. })
        ),
        "{error:#}"
    );
    let message = format!("{error:#}");
    assert!(
        message.contains("schema version 99") && message.contains("upgrade paperhub"),
        "{message}"
    );
}

#[test]
fn an_unreachable_database_fails_at_open_naming_the_url_without_its_password() {
    // A closed port on loopback: refused at once.
    let url = "postgres://hub:s3cret@127.0.0.1:9/paperhub";
    let error = format!(
        "{:#}",
        PostgresStore::open(url)
            .err()
            .expect("nothing listens there")
    );
    assert!(
        error.contains("postgres://hub:***@127.0.0.1:9/paperhub"),
        "{error}"
    );
    assert!(!error.contains("s3cret"), "the password is masked: {error}");
    assert!(
        error.to_lowercase().contains("refused") || error.contains("connect"),
        "names the cause: {error}"
    );

    let error = format!(
        "{:#}",
        PostgresStore::open("postgres://[bad")
            .err()
            .expect("malformed")
    );
    assert!(error.contains("postgres://[bad"), "{error}");
}

#[test]
fn a_wrong_database_name_fails_at_open_with_the_servers_answer() {
    let Some(_schema) = PgSchema::fresh() else {
        return;
    };
    let base = paperhub_test_support::postgres_base_url();
    let url = match base.rfind('/') {
        Some(i) => format!("{}/no_such_database_here", &base[..i]),
        None => return,
    };
    let error = format!(
        "{:#}",
        PostgresStore::open(&url).err().expect("no such database")
    );
    assert!(error.contains("no_such_database_here"), "{error}");
    assert!(
        error.contains("does not exist"),
        "the server's reason: {error}"
    );
}

#[test]
fn a_commit_on_one_connection_wakes_a_watcher_on_another() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    let writer = PostgresStore::open(&schema.url()).unwrap();
    let reader = PostgresStore::open(&schema.url()).unwrap();
    let mut watcher = reader.watch().unwrap();
    assert!(
        !watcher.wait(Duration::from_millis(50)).unwrap(),
        "nothing yet"
    );
    let started = Instant::now();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        writer.upsert_batch(&[paper("Noticed at once")]).unwrap();
        writer
    });
    assert!(
        watcher.wait(Duration::from_secs(10)).unwrap(),
        "woken by the commit"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    thread.join().unwrap();
    assert_eq!(
        reader.changes_since(0, 10).unwrap().len(),
        1,
        "and the change is there to read"
    );
}

#[test]
fn a_watcher_is_not_woken_by_another_schemas_commits() {
    let (Some(ours), Some(theirs)) = (fresh(), fresh()) else {
        return;
    };
    let mut watcher = ours.watch().unwrap();
    theirs.upsert_batch(&[paper("Someone else's")]).unwrap();
    assert!(!watcher.wait(Duration::from_millis(300)).unwrap());
}

#[test]
fn a_hub_copies_from_sqlite_to_postgres_and_back_with_equal_checksums() {
    let Some(pg) = fresh() else { return };
    let sqlite = SqliteStore::open_in_memory().unwrap();
    sqlite
        .upsert_batch(&[paper("One"), paper("Two"), paper("Three")])
        .unwrap();
    sqlite.put_embeddings_for_test();
    paperhub_store::copy::copy_store(&sqlite, &pg, |_, _, _| {}).unwrap();
    let a = paperhub_store::copy::content_report(&sqlite, |_| {}).unwrap();
    let b = paperhub_store::copy::content_report(&pg, |_| {}).unwrap();
    assert_eq!(a, b);
    let back = SqliteStore::open_in_memory().unwrap();
    paperhub_store::copy::copy_store(&pg, &back, |_, _, _| {}).unwrap();
    assert_eq!(
        paperhub_store::copy::content_report(&back, |_| {}).unwrap(),
        a
    );
}

trait ForTest {
    fn put_embeddings_for_test(&self);
}

impl ForTest for SqliteStore {
    fn put_embeddings_for_test(&self) {
        use paperhub_store::EmbeddingStore;
        let todo = self.papers_to_embed("m", 0, 10).unwrap();
        let items: Vec<_> = todo
            .iter()
            .map(|p| (p.key, p.seq, vec![0.25, p.key as f32]))
            .collect();
        self.put_embeddings("m", &items).unwrap();
    }
}
