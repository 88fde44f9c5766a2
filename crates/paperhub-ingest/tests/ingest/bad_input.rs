//! Bad input: each is rejected with a clear error, never a panic, with memory kept flat.

use std::io::Write;

use paperhub_core::SourceFormat;
use paperhub_ingest::{atom, read_file, IngestError, ReadOptions};

use crate::helpers::{gzip, read_all, shared, split, temp_file};

fn open_err(path: &std::path::Path, format: Option<SourceFormat>) -> IngestError {
    read_file(path, &ReadOptions { format, date: None }).expect_err("expected an IngestError")
}

#[test]
fn a_truncated_xml_file_yields_the_entries_before_the_cut_then_one_error() {
    let xml = std::fs::read(shared("data/arxiv/atom/arxivpy2016_q_au_del_maestro.xml")).unwrap();
    let (_dir, path) = temp_file("cut.xml", &xml[..xml.len() * 6 / 10]);
    let items = read_all(&path);
    let (papers, errors) = split(items.clone());
    assert!(papers.len() >= 4, "{}", papers.len());
    assert_eq!(errors.len(), 1);
    assert!(items.last().unwrap().is_err(), "the error comes last");
    let message = errors[0].to_string();
    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("byte") && message.contains("truncated"),
        "{message}"
    );
}

#[test]
fn a_truncated_gzip_file_ends_with_an_error_not_a_panic() {
    let data = gzip(&std::fs::read(shared("data/scifact/corpus.jsonl")).unwrap());
    let (_dir, path) = temp_file("corpus.jsonl.gz", &data[..data.len() / 2]);
    let (papers, errors) = split(read_all(&path));
    assert!(papers.len() > 1000);
    assert!(!errors.is_empty() && errors.len() <= 2, "{errors:?}");
    assert!(
        errors.last().unwrap().reason.contains("read error"),
        "{errors:?}"
    );
    let (_dir, path) = temp_file("tiny.gz", &data[..20]);
    let err = open_err(&path, None);
    assert!(matches!(err, IngestError::Gzip { .. }), "{err}");
}

#[test]
fn a_broken_gzip_header_is_an_error_naming_the_file() {
    let (_dir, path) = temp_file("bad.gz", b"\x1f\x8b\x00\x00garbage that is not deflate");
    let err = open_err(&path, None);
    assert!(matches!(err, IngestError::Gzip { .. }), "{err}");
    assert!(err.to_string().contains("bad.gz"), "{err}");
}

#[test]
fn invalid_utf8_rejects_only_its_line() {
    let good = r#"{"_id": "1", "title": "A title", "text": "Some text here."}"#;
    let mut data = Vec::new();
    data.extend_from_slice(good.as_bytes());
    data.extend_from_slice(b"\n{\"_id\": \"2\", \"title\": \"Bad \xff\xfe\", \"text\": \"x\"}\n\n");
    data.extend_from_slice(good.replace("\"1\"", "\"3\"").as_bytes());
    let (_dir, path) = temp_file("corpus.jsonl", &data);
    let items = read_all(&path);
    assert_eq!(items.len(), 3, "the blank line is skipped");
    let err = items[1].clone().unwrap_err();
    assert_eq!(err.location, "line 2");
    assert!(err.reason.contains("invalid UTF-8"), "{err}");
    assert_eq!(items[2].clone().unwrap().source_id.as_deref(), Some("3"));
}

#[test]
fn a_wrong_forced_format_is_refused_with_what_was_found() {
    let path = shared("data/arxiv/jsonl/kaggle_arxiv-metadata-oai-snapshot_first200.jsonl");
    let err = open_err(&path, Some(SourceFormat::Atom));
    let message = err.to_string();
    assert!(matches!(err, IngestError::WrongFormat { .. }));
    assert!(
        message.contains("expected an Atom feed (<feed>), found arxiv-json content"),
        "{message}"
    );
    assert!(message.starts_with(&path.display().to_string()));
    let err = open_err(
        &shared("data/arxiv/atom/arxivpy_id_abc_s0_m100.xml"),
        Some(SourceFormat::Csv),
    );
    assert!(matches!(err, IngestError::WrongFormat { .. }), "{err}");
}

const BOMB: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1201.4869v1</id>
<title>&lol9;</title><summary>A summary long enough.</summary></entry></feed>"#;

#[test]
fn an_xml_entity_bomb_is_refused_without_expansion() {
    let (_dir, path) = temp_file("bomb.xml", BOMB.as_bytes());
    let err = open_err(&path, None);
    assert!(matches!(err, IngestError::Malformed { .. }), "{err}");
    assert!(
        err.to_string().contains("declares its own XML entities"),
        "{err}"
    );
    let err = atom::parse_feed(BOMB.as_bytes(), "bomb").unwrap_err();
    assert!(err.reason.contains("entities"), "{err}");
}

#[test]
fn an_undeclared_entity_rejects_its_entry_only() {
    let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom">
<entry><id>http://arxiv.org/abs/1201.4869v1</id><title>&lol9;</title><summary>Summary text.</summary></entry>
<entry><id>http://arxiv.org/abs/1201.4870v1</id><title>Fine &amp; dandy</title><summary>Summary text.</summary></entry>
</feed>"#;
    let feed = atom::parse_feed(xml.as_bytes(), "f.xml").unwrap();
    let err = feed.records[0].clone().unwrap_err();
    assert_eq!(err.location, "entry 1");
    assert!(err.reason.contains("lol9"), "{err}");
    assert_eq!(feed.records[1].clone().unwrap().title, "Fine & dandy");
}

/// Writes `prefix`, `size` bytes of `a`, `suffix` without holding them in memory.
fn write_big(file: &mut std::fs::File, prefix: &str, size: usize, suffix: &str) {
    file.write_all(prefix.as_bytes()).unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..size / chunk.len() {
        file.write_all(&chunk).unwrap();
    }
    file.write_all(suffix.as_bytes()).unwrap();
}

#[test]
fn a_100_mb_json_line_is_rejected_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let mut file = std::fs::File::create(&path).unwrap();
    write_big(
        &mut file,
        r#"{"id":"0704.0001","title":"Big","abstract":""#,
        100 << 20,
        "\"}\n",
    );
    file.write_all(br#"{"id":"0704.0002","title":"Small","abstract":"A normal abstract."}"#)
        .unwrap();
    drop(file);
    let items = read_all(&path);
    assert_eq!(items.len(), 2);
    let err = items[0].clone().unwrap_err();
    assert_eq!(err.location, "line 1");
    assert!(err.reason.starts_with("record is over 8 MiB"), "{err}");
    assert_eq!(items[1].clone().unwrap().title, "Small");
}

#[test]
fn a_100_mb_atom_summary_is_rejected_naming_the_abstract() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xml");
    let mut file = std::fs::File::create(&path).unwrap();
    let head = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1201.4869v1</id><title>Big</title><summary>"#;
    let tail = r#"</summary></entry><entry><id>http://arxiv.org/abs/1201.4870v1</id><title>Small</title><summary>Fine.</summary></entry></feed>"#;
    write_big(&mut file, head, 100 << 20, tail);
    drop(file);
    let items = read_all(&path);
    assert_eq!(items.len(), 2);
    let err = items[0].clone().unwrap_err();
    assert!(
        err.reason.contains("field `abstract` is 104857600 bytes"),
        "{err}"
    );
    assert_eq!(items[1].clone().unwrap().title, "Small");
}

#[test]
fn an_empty_file_is_an_error_naming_it() {
    let (_dir, path) = temp_file("empty.jsonl", b"");
    let err = open_err(&path, None);
    assert!(matches!(err, IngestError::Empty { .. }), "{err}");
    assert!(err.to_string().contains("empty.jsonl"), "{err}");
    let (_dir, path) = temp_file("empty.gz", &gzip(b""));
    assert!(matches!(open_err(&path, None), IngestError::Empty { .. }));
}

#[test]
fn binary_data_is_an_unknown_format() {
    let (_dir, path) = temp_file("blob.bin", b"\x00\x01\x02\x03binary");
    let err = open_err(&path, None);
    assert!(matches!(err, IngestError::UnknownFormat { .. }), "{err}");
    assert!(err.to_string().contains("binary data"), "{err}");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let err = open_err(std::path::Path::new("/nonexistent/feed.xml"), None);
    assert!(matches!(err, IngestError::Io { .. }));
    assert!(
        err.to_string().starts_with("/nonexistent/feed.xml: "),
        "{err}"
    );
}
