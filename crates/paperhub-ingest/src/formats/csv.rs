//! CSV files with a header row naming a title column (`title`/`titles`) and an abstract column
//! (`abstract`/`summary`/`summaries`), plus optional `id`/`arxiv_id`, `doi`, `authors`,
//! `categories`/`terms` and `date`/`published` columns. Names match case-insensitively.

use std::io::Read;

use chrono::NaiveDate;
use paperhub_core::{ArxivId, PaperMeta, SourceFormat};

use super::{split_authors, split_categories};
use crate::error::RecordError;

/// Where each known column is.
#[derive(Debug, Clone, Default)]
pub(crate) struct Columns {
    title: usize,
    abstract_text: usize,
    id: Option<usize>,
    doi: Option<usize>,
    authors: Option<usize>,
    categories: Option<usize>,
    date: Option<usize>,
}

impl Columns {
    /// Finds the columns in a header row; `Err` names what is missing.
    pub fn find<'a>(header: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, String> {
        let names: Vec<String> = header
            .into_iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_lowercase()
            })
            .collect();
        let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
        let title = find(&["title", "titles"]);
        let abstract_text = find(&["abstract", "summary", "summaries"]);
        match (title, abstract_text) {
            (Some(title), Some(abstract_text)) => Ok(Self {
                title,
                abstract_text,
                id: find(&["id", "arxiv_id"]),
                doi: find(&["doi"]),
                authors: find(&["authors", "author"]),
                categories: find(&["categories", "terms"]),
                date: find(&["date", "published"]),
            }),
            _ => Err(format!(
                "CSV header ({}) lacks a title column (title, titles) or an abstract column (abstract, summary, summaries)",
                names.join(", ")
            )),
        }
    }
}

/// Rows of a CSV file, read one at a time.
pub(crate) struct CsvStream<R: Read> {
    reader: ::csv::Reader<R>,
    columns: Columns,
    origin: String,
    namespace: String,
    row: ::csv::ByteRecord,
    done: bool,
}

impl<R: Read> CsvStream<R> {
    /// Reads the header row; `Err` says why the file is unusable.
    pub fn new(source: R, origin: &str, namespace: String) -> Result<Self, String> {
        let mut reader = ::csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(source);
        let header = reader
            .byte_headers()
            .map_err(|e| format!("unreadable CSV header: {e}"))?;
        let columns = Columns::find(header.iter())?;
        Ok(Self {
            reader,
            columns,
            origin: origin.to_owned(),
            namespace,
            row: ::csv::ByteRecord::new(),
            done: false,
        })
    }

    fn convert(&self, location: &str) -> Result<PaperMeta, RecordError> {
        let field = |index: Option<usize>, name: &str| -> Result<Option<String>, RecordError> {
            match index.and_then(|i| self.row.get(i)) {
                None => Ok(None),
                Some(bytes) => match std::str::from_utf8(bytes) {
                    Ok(text) => Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty())),
                    Err(e) => Err(RecordError::new(
                        &self.origin,
                        location,
                        format!("column `{name}`: invalid UTF-8 at byte {}", e.valid_up_to()),
                    )),
                },
            }
        };
        let c = &self.columns;
        let mut meta = PaperMeta {
            title: field(Some(c.title), "title")?.unwrap_or_default(),
            abstract_text: field(Some(c.abstract_text), "abstract")?.unwrap_or_default(),
            doi: field(c.doi, "doi")?,
            authors: field(c.authors, "authors")?
                .as_deref()
                .map(split_authors)
                .unwrap_or_default(),
            categories: field(c.categories, "categories")?
                .as_deref()
                .map(split_categories)
                .unwrap_or_default(),
            published: field(c.date, "date")?
                .and_then(|d| NaiveDate::parse_from_str(d.get(..10).unwrap_or(&d), "%Y-%m-%d").ok())
                .map(|d| {
                    d.and_hms_opt(0, 0, 0)
                        .expect("invariant: midnight exists")
                        .and_utc()
                }),
            format: Some(SourceFormat::Csv),
            origin: Some(self.origin.clone()),
            ..PaperMeta::default()
        };
        if let Some(id) = field(c.id, "id")? {
            match ArxivId::parse(&id) {
                Ok(parsed) => meta.arxiv_id = Some(parsed),
                Err(_) => {
                    meta.source_id = Some(id);
                    meta.source_namespace = Some(self.namespace.clone());
                }
            }
        }
        meta.normalized()
            .map_err(|e| RecordError::invalid(&self.origin, location, e))
    }
}

impl<R: Read> Iterator for CsvStream<R> {
    type Item = Result<PaperMeta, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut row = std::mem::take(&mut self.row);
        let read = self.reader.read_byte_record(&mut row);
        self.row = row;
        match read {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                let line = self.row.position().map(|p| p.line()).unwrap_or(0);
                Some(self.convert(&format!("line {line}")))
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                // I/O errors end the file; a malformed row is skipped.
                if matches!(e.kind(), ::csv::ErrorKind::Io(_)) {
                    self.done = true;
                }
                Some(Err(RecordError::new(
                    &self.origin,
                    format!("line {line}"),
                    format!("bad CSV row: {e}"),
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_papers_with_ids_split_by_kind() {
        let data = "ID,Title,Abstract,Authors,Terms,Date,DOI\n\
            2310.02980,First,An abstract that is long,\"A, B and C\",\"['cs.CV', 'cs.LG']\",2023-10-04,10.1/x\n\
            local-7,Second,Another abstract,,cs.AI,,\n";
        let items: Vec<_> = CsvStream::new(data.as_bytes(), "p.csv", "csv:p".into())
            .unwrap()
            .collect();
        let first = items[0].clone().unwrap();
        assert_eq!(first.arxiv_id.unwrap().as_str(), "2310.02980");
        assert_eq!(first.authors, ["A", "B", "C"]);
        assert_eq!(first.categories, ["cs.CV", "cs.LG"]);
        assert_eq!(
            first.published.unwrap().date_naive().to_string(),
            "2023-10-04"
        );
        assert_eq!(first.doi.as_deref(), Some("10.1/x"));
        let second = items[1].clone().unwrap();
        assert_eq!(second.source_id.as_deref(), Some("local-7"));
        assert_eq!(second.source_namespace.as_deref(), Some("csv:p"));
    }

    #[test]
    fn a_row_without_title_is_rejected_with_its_line() {
        let data = "title,summary\n,An abstract\nT,Another\n";
        let items: Vec<_> = CsvStream::new(data.as_bytes(), "p.csv", "csv:p".into())
            .unwrap()
            .collect();
        assert_eq!(
            items[0].clone().unwrap_err().to_string(),
            "p.csv:line 2: field `title` is missing or empty"
        );
        assert!(items[1].is_ok());
    }

    #[test]
    fn a_header_without_an_abstract_column_is_refused() {
        let err = CsvStream::new("title,body\nx,y\n".as_bytes(), "p.csv", "csv:p".into())
            .err()
            .unwrap();
        assert!(err.contains("lacks a title column"), "{err}");
    }
}
