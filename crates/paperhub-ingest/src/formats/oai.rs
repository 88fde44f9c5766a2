//! OAI-PMH responses (`ListRecords`, `GetRecord`) from arXiv's `oai2` endpoint.
//!
//! Three metadata formats are read: `arXivRaw` (every version with its date), `arXiv`
//! (structured author names) and `oai_dc` (Dublin Core). Records whose header says
//! `status="deleted"` are reported by identifier, not as papers. An `<error code="…">` answer
//! is reported as an [`OaiError`]; `noRecordsMatch` only means there is nothing to harvest.

use std::io::BufRead;

use chrono::{DateTime, NaiveDate, Utc};
use paperhub_core::{ArxivId, InvalidPaper, PaperMeta, SourceFormat};

use super::atom::{fault_to_error, start_error_reason};
use super::split_authors;
use super::xml::{Node, XmlStream};
use crate::error::RecordError;

/// An OAI-PMH error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OaiError {
    /// The error code, e.g. `noRecordsMatch`, `badResumptionToken`, `badArgument`.
    pub code: String,
    /// The repository's message.
    pub message: String,
}

impl OaiError {
    /// Whether the error only says that no records match (an empty result, not a failure).
    pub fn is_no_records_match(&self) -> bool {
        self.code == "noRecordsMatch"
    }
}

impl std::fmt::Display for OaiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OAI-PMH error {}: {}", self.code, self.message)
    }
}

/// One parsed OAI-PMH response page.
#[derive(Debug, Clone, Default)]
pub struct OaiPage {
    /// One item per live `<record>`, in order.
    pub records: Vec<Result<PaperMeta, RecordError>>,
    /// Identifiers (`oai:arXiv.org:…`) of records marked deleted.
    pub deleted: Vec<String>,
    /// The token for the next page; `None` when the list is complete (no token, or an empty one).
    pub resumption_token: Option<String>,
    /// The `completeListSize` the repository announced.
    pub complete_list_size: Option<u64>,
    /// The OAI-PMH error the repository answered with, if any.
    pub error: Option<OaiError>,
}

/// Parses a whole OAI-PMH response held in memory.
///
/// Returns `Err` only when the document is not an OAI-PMH response at all; rejected records
/// and a document cut short are items in [`OaiPage::records`].
pub fn parse_response(xml: &[u8], origin: &str) -> Result<OaiPage, RecordError> {
    let mut stream = OaiStream::new(xml, origin);
    stream
        .start()
        .map_err(|e| RecordError::new(origin, "byte 0", e))?;
    let mut page = OaiPage::default();
    for item in stream.by_ref() {
        match item {
            OaiItem::Record(record) => page.records.push(record),
            OaiItem::Deleted(id) => page.deleted.push(id),
            OaiItem::Error(error) => page.error = Some(error),
        }
    }
    page.resumption_token = stream.resumption_token.take();
    page.complete_list_size = stream.complete_list_size;
    Ok(page)
}

fn captured(name: &str) -> bool {
    matches!(name, "record" | "error" | "resumptionToken")
}

/// What an OAI-PMH document holds, item by item.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every item is a record; boxing would allocate once per record for nothing"
)]
pub(crate) enum OaiItem {
    Record(Result<PaperMeta, RecordError>),
    Deleted(String),
    Error(OaiError),
}

/// Records of an OAI-PMH document, read as they are parsed.
pub(crate) struct OaiStream<R: BufRead> {
    xml: XmlStream<R>,
    origin: String,
    records: usize,
    pub resumption_token: Option<String>,
    pub complete_list_size: Option<u64>,
}

impl<R: BufRead> OaiStream<R> {
    pub fn new(source: R, origin: &str) -> Self {
        Self {
            xml: XmlStream::new(source, captured),
            origin: origin.to_owned(),
            records: 0,
            resumption_token: None,
            complete_list_size: None,
        }
    }

    /// Reads up to `<OAI-PMH>`; the error says what was found instead.
    pub fn start(&mut self) -> Result<(), String> {
        self.xml
            .start("OAI-PMH")
            .map_err(|e| start_error_reason(e, "an OAI-PMH response", "OAI-PMH"))
    }
}

impl<R: BufRead> Iterator for OaiStream<R> {
    type Item = OaiItem;

    fn next(&mut self) -> Option<OaiItem> {
        loop {
            let node = match self.xml.next_node()? {
                Ok(node) => node,
                Err(fault) => {
                    let err = fault_to_error(fault, &mut self.records, "record", &self.origin);
                    return Some(OaiItem::Record(Err(err)));
                }
            };
            match node.name.as_str() {
                "record" => {
                    self.records += 1;
                    let location = format!("record {}", self.records);
                    let header = node.child("header");
                    if header.and_then(|h| h.attr("status")) == Some("deleted") {
                        let id = header
                            .and_then(|h| h.child_text("identifier"))
                            .unwrap_or_default();
                        return Some(OaiItem::Deleted(id.to_owned()));
                    }
                    return Some(OaiItem::Record(record_to_paper(
                        &node,
                        &self.origin,
                        &location,
                    )));
                }
                "error" => {
                    return Some(OaiItem::Error(OaiError {
                        code: node.attr("code").unwrap_or("unknown").to_owned(),
                        message: paperhub_core::text::collapse_whitespace(&node.text),
                    }))
                }
                "resumptionToken" => {
                    let token = node.text.trim();
                    self.resumption_token = (!token.is_empty()).then(|| token.to_owned());
                    self.complete_list_size = node
                        .attr("completeListSize")
                        .and_then(|s| s.trim().parse().ok());
                }
                _ => {}
            }
        }
    }
}

fn record_to_paper(record: &Node, origin: &str, location: &str) -> Result<PaperMeta, RecordError> {
    let invalid = |why: InvalidPaper| RecordError::invalid(origin, location, why);
    let header_id = record
        .child("header")
        .and_then(|h| h.child_text("identifier"));
    let Some(metadata) = record.child("metadata").and_then(|m| m.children.first()) else {
        return Err(RecordError::new(
            origin,
            location,
            "record has no <metadata>",
        ));
    };
    let mut meta = match metadata.name.as_str() {
        "arXivRaw" => arxiv_raw(metadata).map_err(invalid)?,
        "arXiv" => arxiv_format(metadata).map_err(invalid)?,
        "dc" => dublin_core(metadata).map_err(invalid)?,
        other => {
            return Err(RecordError::new(
                origin,
                location,
                format!(
                    "unsupported metadata format <{other}> (expected arXivRaw, arXiv or oai_dc)"
                ),
            ))
        }
    };
    if meta.arxiv_id.is_none() {
        meta.arxiv_id = header_id.and_then(|id| ArxivId::parse(id).ok());
    }
    if meta.arxiv_id.is_none() {
        meta.source_id = header_id.map(str::to_owned);
        meta.source_namespace = Some("oai".to_owned());
    }
    meta.format = Some(SourceFormat::Oai);
    meta.origin = Some(origin.to_owned());
    meta.normalized().map_err(invalid)
}

/// Parses an RFC 2822 date (`Tue, 2 Apr 2013 01:50:08 GMT`).
pub(crate) fn rfc2822(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Parses a day (`2013-04-02`) as midnight UTC.
pub(crate) fn day(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let date = NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok()?;
    Some(
        date.and_hms_opt(0, 0, 0)
            .expect("invariant: midnight exists")
            .and_utc(),
    )
}

/// Parses a version label (`v3`).
pub(crate) fn version_number(label: &str) -> Option<u32> {
    label
        .trim()
        .trim_start_matches(['v', 'V'])
        .parse()
        .ok()
        .filter(|v| *v > 0)
}

fn split_categories(s: Option<&str>) -> Vec<String> {
    s.map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn arxiv_raw(m: &Node) -> Result<PaperMeta, InvalidPaper> {
    let versions: Vec<(Option<u32>, Option<DateTime<Utc>>)> = m
        .children_named("version")
        .map(|v| {
            (
                v.attr("version").and_then(version_number),
                v.child_text("date").and_then(rfc2822),
            )
        })
        .collect();
    let last_version = versions.iter().filter_map(|(n, _)| *n).max();
    let arxiv_id = m
        .child_text("id")
        .and_then(|id| ArxivId::parse(id).ok())
        .map(|id| {
            if last_version.is_some() {
                id.with_version(last_version)
            } else {
                id
            }
        });
    Ok(PaperMeta {
        arxiv_id,
        title: m.field("title", "title")?.unwrap_or_default(),
        abstract_text: m.field("abstract", "abstract")?.unwrap_or_default(),
        authors: m
            .child_text("authors")
            .map(split_authors)
            .unwrap_or_default(),
        categories: split_categories(m.child_text("categories")),
        comments: m.field("comments", "comments")?,
        journal_ref: m.child_text("journal-ref").map(str::to_owned),
        doi: m
            .child_text("doi")
            .and_then(|d| d.split_whitespace().next())
            .map(str::to_owned),
        published: versions.first().and_then(|(_, d)| *d),
        updated: versions.last().and_then(|(_, d)| *d),
        ..PaperMeta::default()
    })
}

fn arxiv_format(m: &Node) -> Result<PaperMeta, InvalidPaper> {
    let authors = m
        .child("authors")
        .map(|a| {
            a.children_named("author")
                .map(|author| {
                    [
                        author.child_text("forenames"),
                        author.child_text("keyname"),
                        author.child_text("suffix"),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
                })
                .collect()
        })
        .unwrap_or_default();
    let published = m.child_text("created").and_then(day);
    Ok(PaperMeta {
        arxiv_id: m.child_text("id").and_then(|id| ArxivId::parse(id).ok()),
        title: m.field("title", "title")?.unwrap_or_default(),
        abstract_text: m.field("abstract", "abstract")?.unwrap_or_default(),
        authors,
        categories: split_categories(m.child_text("categories")),
        comments: m.field("comments", "comments")?,
        journal_ref: m.child_text("journal-ref").map(str::to_owned),
        doi: m
            .child_text("doi")
            .and_then(|d| d.split_whitespace().next())
            .map(str::to_owned),
        published,
        updated: m.child_text("updated").and_then(day).or(published),
        ..PaperMeta::default()
    })
}

/// `Berger, Joshua` → `Joshua Berger`.
fn dc_creator(s: &str) -> String {
    match s.split_once(',') {
        Some((last, first)) if !first.trim().is_empty() => {
            format!("{} {}", first.trim(), last.trim())
        }
        _ => s.trim().to_owned(),
    }
}

fn dublin_core(m: &Node) -> Result<PaperMeta, InvalidPaper> {
    let mut meta = PaperMeta {
        title: m.field("title", "title")?.unwrap_or_default(),
        abstract_text: m.field("description", "abstract")?.unwrap_or_default(),
        authors: m
            .children_named("creator")
            .map(|c| dc_creator(&c.text))
            .collect(),
        categories: m
            .children_named("subject")
            .map(|s| s.text.trim().to_owned())
            .collect(),
        published: m.child_text("date").and_then(day),
        ..PaperMeta::default()
    };
    meta.updated = m
        .children_named("date")
        .filter_map(|d| day(&d.text))
        .max()
        .or(meta.published);
    meta.comments = m.children_named("description").skip(1).find_map(|d| {
        d.text
            .trim()
            .strip_prefix("Comment:")
            .map(|c| c.trim().to_owned())
    });
    for identifier in m.children_named("identifier") {
        let id = identifier.text.trim();
        if let Some(doi) = id.strip_prefix("doi:") {
            meta.doi.get_or_insert_with(|| doi.trim().to_owned());
        } else if id.contains("arxiv.org/abs/") {
            if let Ok(parsed) = ArxivId::parse(id) {
                meta.arxiv_id.get_or_insert(parsed);
            }
        }
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(metadata: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2015-01-06T20:49:59Z</responseDate>
<request verb="ListRecords">http://export.arxiv.org/oai2</request>
<ListRecords>
<record><header><identifier>oai:arXiv.org:1302.2146</identifier><datestamp>2013-04-03</datestamp></header>
<metadata>{metadata}</metadata></record>
<record><header status="deleted"><identifier>oai:arXiv.org:0704.0001</identifier></header></record>
<resumptionToken cursor="0" completeListSize="3">123|1001</resumptionToken>
</ListRecords></OAI-PMH>"#
        )
    }

    #[test]
    fn arxiv_format_records_join_forenames_and_keynames() {
        let xml = wrap(
            r#"<arXiv xmlns="http://arxiv.org/OAI/arXiv/">
<id>1302.2146</id><created>2013-02-08</created><updated>2013-04-02</updated>
<authors><author><keyname>Berger</keyname><forenames>Joshua</forenames></author>
<author><keyname>Smith</keyname><forenames>John</forenames><suffix>Jr</suffix></author></authors>
<title>Fermion Masses</title><categories>hep-ph hep-th</categories>
<comments>21 pages</comments><journal-ref>JHEP 1304 (2013) 077</journal-ref>
<doi>10.1007/JHEP04(2013)077</doi><abstract>We study the masses of fermions in a model.</abstract>
</arXiv>"#,
        );
        let page = parse_response(xml.as_bytes(), "o.xml").unwrap();
        let p = page.records[0].clone().unwrap();
        assert_eq!(p.arxiv_id.unwrap().as_str(), "1302.2146");
        assert_eq!(p.authors, ["Joshua Berger", "John Smith Jr"]);
        assert_eq!(p.categories, ["hep-ph", "hep-th"]);
        assert_eq!(p.published.unwrap().date_naive().to_string(), "2013-02-08");
        assert_eq!(p.updated.unwrap().date_naive().to_string(), "2013-04-02");
        assert_eq!(p.doi.as_deref(), Some("10.1007/JHEP04(2013)077"));
        assert_eq!(p.journal_ref.as_deref(), Some("JHEP 1304 (2013) 077"));
        assert_eq!(page.deleted, ["oai:arXiv.org:0704.0001"]);
        assert_eq!(page.resumption_token.as_deref(), Some("123|1001"));
        assert_eq!(page.complete_list_size, Some(3));
    }

    #[test]
    fn dublin_core_records_turn_creators_around_and_find_ids() {
        let xml = wrap(
            r#"<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Fermion Masses</dc:title>
<dc:creator>Berger, Joshua</dc:creator><dc:creator>Perelstein, Maxim</dc:creator>
<dc:subject>High Energy Physics - Phenomenology</dc:subject>
<dc:description>We study the masses of fermions in a model.</dc:description>
<dc:description>Comment: 21 pages</dc:description>
<dc:date>2013-02-08</dc:date><dc:date>2013-04-02</dc:date>
<dc:type>text</dc:type>
<dc:identifier>http://arxiv.org/abs/1302.2146</dc:identifier>
<dc:identifier>doi:10.1007/JHEP04(2013)077</dc:identifier>
</oai_dc:dc>"#,
        );
        let page = parse_response(xml.as_bytes(), "o.xml").unwrap();
        let p = page.records[0].clone().unwrap();
        assert_eq!(p.title, "Fermion Masses");
        assert_eq!(p.authors, ["Joshua Berger", "Maxim Perelstein"]);
        assert_eq!(
            p.abstract_text,
            "We study the masses of fermions in a model."
        );
        assert_eq!(p.comments.as_deref(), Some("21 pages"));
        assert_eq!(p.arxiv_id.unwrap().as_str(), "1302.2146");
        assert_eq!(p.doi.as_deref(), Some("10.1007/JHEP04(2013)077"));
        assert_eq!(p.published.unwrap().date_naive().to_string(), "2013-02-08");
        assert_eq!(p.updated.unwrap().date_naive().to_string(), "2013-04-02");
        assert_eq!(p.categories, ["High Energy Physics - Phenomenology"]);
    }

    #[test]
    fn an_empty_resumption_token_means_the_list_is_complete() {
        let xml = wrap("<arXivRaw><id>1302.2146</id><title>T</title><abstract>A long enough abstract.</abstract></arXivRaw>")
            .replace(r#"<resumptionToken cursor="0" completeListSize="3">123|1001</resumptionToken>"#, r#"<resumptionToken completeListSize="3" cursor="1"/>"#);
        let page = parse_response(xml.as_bytes(), "o.xml").unwrap();
        assert_eq!(page.resumption_token, None);
        assert_eq!(page.complete_list_size, Some(3));
        assert_eq!(page.records.len(), 1);
    }
}
