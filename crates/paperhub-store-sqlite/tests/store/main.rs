//! SQLite store: the shared conformance suite, plus what is particular to SQLite.

use paperhub_core::PaperMeta;
use paperhub_store::PaperStore;
use paperhub_store_sqlite::SqliteStore;

#[test]
fn sqlite_store_passes_the_conformance_suite() {
    paperhub_store::conformance::run_all(|| SqliteStore::open_in_memory().unwrap());
}

#[test]
fn a_database_file_keeps_papers_across_reopening_and_migrates_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paperhub.sqlite3");
    let paper = PaperMeta {
        title: "Kept".into(),
        abstract_text: "Across reopening.".into(),
        ..Default::default()
    }
    .normalized()
    .unwrap();
    {
        let store = SqliteStore::open(&path).unwrap();
        store.upsert_batch(std::slice::from_ref(&paper)).unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.stats().unwrap().papers, 1);
    assert_eq!(store.last_seq().unwrap(), 1);
}

#[test]
fn a_database_from_a_newer_paperhub_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paperhub.sqlite3");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let error = format!("{:#}", SqliteStore::open(&path).err().expect("must refuse"));
    assert!(
        error.contains("schema version 99") && error.contains("upgrade paperhub"),
        "{error}"
    );
}
