//! Opening inputs: finding files, gunzipping, telling formats apart, counting bytes for
//! progress, and handing each file to its format's streaming reader.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::NaiveDate;
use flate2::read::MultiGzDecoder;
use paperhub_core::{PaperMeta, SourceFormat};

use crate::error::{IngestError, RecordError};
use crate::formats::arxiv_json;
use crate::formats::atom::AtomStream;
use crate::formats::beir;
use crate::formats::csv::{Columns, CsvStream};
use crate::formats::lines::JsonLines;
use crate::formats::listing::ListingStream;
use crate::formats::oai::{OaiItem, OaiStream};

/// How much of a file is looked at to tell its format.
const HEAD_BYTES: usize = 64 * 1024;
/// Read buffer size.
const BUFFER_BYTES: usize = 256 * 1024;

/// Options for reading files.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Force a format instead of detecting it from the content.
    pub format: Option<SourceFormat>,
    /// The day a listing page lists (sets `listed_on` on every listing record; overrides the
    /// page's own date line).
    pub date: Option<NaiveDate>,
}

/// Files under `paths`: files as given; directories walked recursively, sorted, taking only
/// files whose names end like an input (`.xml`, `.atom`, `.json`, `.jsonl`, `.ndjson`, `.csv`,
/// `.txt`, each optionally `.gz`), and skipping hidden files and directories (names starting
/// with `.`). A README or a qrels `.tsv` beside the data is not mistaken for papers.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IngestError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| IngestError::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(path, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IngestError> {
    let io = |source| IngestError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        let meta = std::fs::metadata(&path).map_err(|source| IngestError::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(&path, out)?;
        } else if looks_like_input(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether a file found in a directory walk has an input's extension.
fn looks_like_input(path: &Path) -> bool {
    const EXTENSIONS: [&str; 7] = [
        ".xml", ".atom", ".json", ".jsonl", ".ndjson", ".csv", ".txt",
    ];
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    EXTENSIONS.iter().any(|ext| name.ends_with(ext))
}

fn skip_bom_and_space(head: &[u8]) -> &[u8] {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    &head[start..]
}

fn first_line(head: &[u8]) -> &[u8] {
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    &head[..end]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn csv_header_matches(head: &[u8]) -> bool {
    let line = first_line(head);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    let mut record = ::csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => record.len() >= 2 && Columns::find(record.iter()).is_ok(),
        _ => false,
    }
}

/// Whether `head` is text (valid UTF-8, except perhaps a character cut at its end; no NULs).
fn is_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// Detects the format from the first bytes (after gunzip): Atom `<feed`, OAI `<OAI-PMH`, JSON
/// lines with `"_id"` and `"title"` = beir, JSON with `"id"` and `"abstract"` = arxiv-json, CSV (a header with
/// a title/titles column and an abstract/summary/summaries column), else listing text.
///
/// `None` for other XML or JSON, a `.csv`/`.tsv` file without those columns, binary data, or
/// nothing at all.
pub fn detect_format(head: &[u8], path: &Path) -> Option<SourceFormat> {
    let text = skip_bom_and_space(head);
    if text.is_empty() {
        return None;
    }
    if text.starts_with(b"<") {
        if contains(text, b"<feed") {
            return Some(SourceFormat::Atom);
        }
        if contains(text, b"<OAI-PMH") {
            return Some(SourceFormat::Oai);
        }
        return None;
    }
    if text.starts_with(b"{") {
        let line = first_line(text);
        // BEIR queries files have `_id` and `text` too, but no `title`.
        if contains(line, b"\"_id\"") && contains(line, b"\"title\"") {
            return Some(SourceFormat::Beir);
        }
        if contains(line, b"\"id\"") && contains(line, b"\"abstract\"") {
            return Some(SourceFormat::ArxivJson);
        }
        return None;
    }
    if csv_header_matches(text) {
        return Some(SourceFormat::Csv);
    }
    let name = path.to_string_lossy().to_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".csv")
        || name.ends_with(".tsv")
        || name.ends_with(".json")
        || name.ends_with(".jsonl")
    {
        return None;
    }
    is_text(text).then_some(SourceFormat::Listing)
}

/// What a file starts with, for error messages.
fn describe(head: &[u8]) -> String {
    let text = skip_bom_and_space(head);
    if !is_text(text) {
        return "binary data".to_owned();
    }
    let line = String::from_utf8_lossy(first_line(text));
    let mut snippet: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        snippet.push('…');
    }
    match detect_format(head, Path::new("")) {
        Some(format) => format!("{format} content (`{snippet}`)"),
        None => format!("`{snippet}`"),
    }
}

/// Checks a forced format against the content; `Err` holds what was expected.
fn check_forced(format: SourceFormat, head: &[u8]) -> Result<(), &'static str> {
    let text = skip_bom_and_space(head);
    let ok = match format {
        SourceFormat::Atom => contains(text, b"<feed"),
        SourceFormat::Oai => contains(text, b"<OAI-PMH"),
        SourceFormat::ArxivJson | SourceFormat::Beir => text.starts_with(b"{"),
        SourceFormat::Csv => csv_header_matches(text),
        SourceFormat::Listing => {
            !text.starts_with(b"<") && !text.starts_with(b"{") && is_text(text)
        }
        SourceFormat::Submission => false,
    };
    if ok {
        return Ok(());
    }
    Err(match format {
        SourceFormat::Atom => "an Atom feed (<feed>)",
        SourceFormat::Oai => "an OAI-PMH response (<OAI-PMH>)",
        SourceFormat::ArxivJson => "arXiv JSON lines ({\"id\": …, \"abstract\": …})",
        SourceFormat::Beir => "BEIR corpus lines ({\"_id\": …, \"title\": …, \"text\": …})",
        SourceFormat::Csv => "CSV with a title and an abstract column",
        SourceFormat::Listing => "a listing page (plain text)",
        SourceFormat::Submission => "a file format (`submission` is not read from files)",
    })
}

/// Counts the bytes read from the file, for progress bars.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

type Records = Box<dyn Iterator<Item = Result<PaperMeta, RecordError>> + Send>;
type Source = std::io::Chain<Cursor<Vec<u8>>, Box<dyn BufRead + Send>>;

/// Streaming records of one file. Memory stays flat whatever the file size: records are
/// parsed as they are read.
pub struct FileRecords {
    records: Records,
    format: SourceFormat,
    path: PathBuf,
    bytes_read: Arc<AtomicU64>,
    total_bytes: u64,
}

impl std::fmt::Debug for FileRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileRecords")
            .field("format", &self.format)
            .field("path", &self.path)
            .field("bytes_read", &self.bytes_read())
            .field("total_bytes", &self.total_bytes)
            .finish_non_exhaustive()
    }
}

impl FileRecords {
    /// The file's format.
    pub fn format(&self) -> SourceFormat {
        self.format
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of the (compressed) file consumed so far, for progress bars.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    /// Size of the file on disk.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// A handle that reads [`FileRecords::bytes_read`] from another thread, for reading
    /// records on one thread while reporting progress on another.
    pub fn progress(&self) -> ReadProgress {
        ReadProgress(Arc::clone(&self.bytes_read))
    }
}

/// Bytes of a file consumed so far; see [`FileRecords::progress`].
#[derive(Debug, Clone)]
pub struct ReadProgress(Arc<AtomicU64>);

impl ReadProgress {
    /// Bytes of the (compressed) file consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Iterator for FileRecords {
    type Item = Result<PaperMeta, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.records.next()
    }
}

/// Reads up to `HEAD_BYTES` (fewer at the end of the input).
fn read_head(source: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    source.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Opens one file (plain or gzip, told apart by its magic bytes) and streams its records.
pub fn read_file(path: &Path, options: &ReadOptions) -> Result<FileRecords, IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let total_bytes = file.metadata().map_err(io)?.len();
    let bytes_read = Arc::new(AtomicU64::new(0));
    let mut raw = BufReader::with_capacity(
        BUFFER_BYTES,
        CountingReader {
            inner: file,
            count: bytes_read.clone(),
        },
    );
    let gzip = raw.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let mut source: Box<dyn BufRead + Send> = if gzip {
        Box::new(BufReader::with_capacity(
            BUFFER_BYTES,
            MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    let head = read_head(&mut source).map_err(|source| {
        if gzip {
            IngestError::Gzip {
                path: path.to_owned(),
                source,
            }
        } else {
            IngestError::Io {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    if head.is_empty() {
        return Err(IngestError::Empty {
            path: path.to_owned(),
        });
    }
    let format = match options.format {
        Some(format) => {
            check_forced(format, &head).map_err(|expected| IngestError::WrongFormat {
                path: path.to_owned(),
                expected,
                found: describe(&head),
            })?;
            format
        }
        None => detect_format(&head, path).ok_or_else(|| IngestError::UnknownFormat {
            path: path.to_owned(),
            found: describe(&head),
        })?,
    };
    let origin = path.display().to_string();
    let reader: Source = Cursor::new(head).chain(source);
    let malformed = |reason: String| IngestError::Malformed {
        path: path.to_owned(),
        reason,
    };
    let records: Records = match format {
        SourceFormat::Atom => {
            let mut stream = AtomStream::new(reader, &origin);
            stream.start().map_err(malformed)?;
            Box::new(stream)
        }
        SourceFormat::Oai => {
            let mut stream = OaiStream::new(reader, &origin);
            stream.start().map_err(malformed)?;
            Box::new(oai_records(stream, origin.clone()))
        }
        SourceFormat::ArxivJson => Box::new(JsonLines::new(
            reader,
            &origin,
            Box::new(arxiv_json::parse_line),
        )),
        SourceFormat::Beir => {
            let namespace = beir::namespace(path);
            let parse = move |line: &str, origin: &str, location: &str| {
                beir::parse_line(line, origin, location, &namespace)
            };
            Box::new(JsonLines::new(reader, &origin, Box::new(parse)))
        }
        SourceFormat::Listing => Box::new(ListingStream::new(reader, &origin, options.date)),
        SourceFormat::Csv => {
            let stem = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = stem.strip_suffix(".gz").unwrap_or(&stem);
            let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
            Box::new(CsvStream::new(reader, &origin, format!("csv:{stem}")).map_err(malformed)?)
        }
        SourceFormat::Submission => {
            return Err(malformed(
                "the `submission` format is not read from files".to_owned(),
            ))
        }
    };
    Ok(FileRecords {
        records,
        format,
        path: path.to_owned(),
        bytes_read,
        total_bytes,
    })
}

/// The papers of an OAI-PMH file: deleted records are left out, an error answer other than
/// `noRecordsMatch` becomes a rejected record.
fn oai_records<R: BufRead>(
    stream: OaiStream<R>,
    origin: String,
) -> impl Iterator<Item = Result<PaperMeta, RecordError>> {
    stream.filter_map(move |item| match item {
        OaiItem::Record(record) => Some(record),
        OaiItem::Deleted(_) => None,
        OaiItem::Error(e) if e.is_no_records_match() => None,
        OaiItem::Error(e) => Some(Err(RecordError::new(&origin, "response", e.to_string()))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_by_their_first_bytes() {
        let p = Path::new("x");
        assert_eq!(
            detect_format(b"<?xml version='1.0'?>\n<feed xmlns=''>", p),
            Some(SourceFormat::Atom)
        );
        assert_eq!(
            detect_format(b"\xEF\xBB\xBF <OAI-PMH>", p),
            Some(SourceFormat::Oai)
        );
        assert_eq!(
            detect_format(b"{\"_id\": \"1\", \"title\": \"\"}\n", p),
            Some(SourceFormat::Beir)
        );
        assert_eq!(
            detect_format(b"{\"id\":\"0704.0001\",\"abstract\":\"x\"}", p),
            Some(SourceFormat::ArxivJson)
        );
        assert_eq!(
            detect_format(b"titles,summaries,terms\n", p),
            Some(SourceFormat::Csv)
        );
        assert_eq!(
            detect_format(b"ID,Title,Abstract\n", p),
            Some(SourceFormat::Csv)
        );
        assert_eq!(
            detect_format(b"new\n\nJun 5\n", p),
            Some(SourceFormat::Listing)
        );
        assert_eq!(detect_format(b"<html></html>", p), None);
        assert_eq!(detect_format(b"{\"a\": 1}", p), None);
        assert_eq!(detect_format(b"a,b\n1,2\n", Path::new("x.csv")), None);
        assert_eq!(detect_format(b"\x00\x01binary", p), None);
        assert_eq!(detect_format(b"   ", p), None);
    }
}
