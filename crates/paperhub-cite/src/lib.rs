//! Reference-manager formats, both ways.
//!
//! - Reading ([`read`]): BibTeX (parsed by the `biblatex` crate one entry at a time, so that a
//!   broken entry is reported with its line while the others are still read) and CSL-JSON
//!   (what Zotero, Mendeley and most managers export; parsed by serde). Each entry becomes a
//!   [`Reference`]: what it says about a work (arXiv id, DOI, title) for the hub to match.
//! - Writing ([`write`]): papers as BibTeX, CSL-JSON or RIS, with their arXiv ids and URLs.

mod bibtex;
mod csl;
mod ris;

use std::fmt;
use std::str::FromStr;

use paperhub_core::{ArxivId, Paper};

/// A reference-manager format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// BibTeX (`.bib`), read and written.
    Bibtex,
    /// CSL-JSON (`.json`), read and written.
    CslJson,
    /// RIS (`.ris`), written.
    Ris,
}

impl Format {
    /// Its name as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Bibtex => "bibtex",
            Format::CslJson => "csl-json",
            Format::Ris => "ris",
        }
    }

    /// The media type of a file in it.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Bibtex => "application/x-bibtex; charset=utf-8",
            Format::CslJson => "application/vnd.citationstyles.csl+json; charset=utf-8",
            Format::Ris => "application/x-research-info-systems; charset=utf-8",
        }
    }

    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Bibtex => "bib",
            Format::CslJson => "json",
            Format::Ris => "ris",
        }
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bibtex" | "bib" => Ok(Format::Bibtex),
            "csl-json" | "csl" | "json" => Ok(Format::CslJson),
            "ris" => Ok(Format::Ris),
            other => Err(format!(
                "unknown format `{other}`: use bibtex, csl-json or ris"
            )),
        }
    }
}

/// Where an entry is in what was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A BibTeX entry, by the line (from 1) it starts on, or where it broke.
    Line(usize),
    /// A CSL-JSON item, by its index (from 0) in the array.
    Index(usize),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(line) => write!(f, "line {line}"),
            Position::Index(index) => write!(f, "item {index}"),
        }
    }
}

/// What one entry says about a work, for the hub to match it to a paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Where the entry is.
    pub position: Position,
    /// Its citation key (BibTeX) or id (CSL-JSON).
    pub key: Option<String>,
    /// The arXiv id it names (an `eprint` field, an arxiv.org URL, an arXiv DOI, a note).
    pub arxiv_id: Option<ArxivId>,
    /// Its DOI, without `https://doi.org/`.
    pub doi: Option<String>,
    /// Its title, with BibTeX's braces taken off.
    pub title: Option<String>,
}

/// An entry that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Where it is.
    pub position: Position,
    /// What is wrong with it.
    pub reason: String,
}

/// What a file held: the entries read, and those that could not be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Read {
    /// The entries read, in file order.
    pub references: Vec<Reference>,
    /// The entries that could not be read, in file order.
    pub unreadable: Vec<Unreadable>,
}

/// A file that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CiteError {
    /// It looks like CSL-JSON but is not valid JSON.
    #[error("not valid CSL-JSON at line {line}, column {column}: {message}")]
    Json {
        /// The line of the error, from 1.
        line: usize,
        /// Its column, from 1.
        column: usize,
        /// What serde_json says.
        message: String,
    },
    /// Valid JSON that is neither an array of items nor one item.
    #[error("CSL-JSON must be an array of items (or one item object)")]
    NotCsl,
    /// Nothing in it looks like a reference.
    #[error("no BibTeX entry (`@article{{...}}`) or CSL-JSON array found")]
    Empty,
    /// This format is written, not read.
    #[error("{0} files can be exported, not imported: import BibTeX or CSL-JSON")]
    NotReadable(&'static str),
}

/// Reads BibTeX or CSL-JSON, whichever `text` is (CSL-JSON starts with `[` or `{`).
pub fn read(text: &str) -> Result<Read, CiteError> {
    let text = text.trim_start_matches('\u{feff}');
    match text.trim_start().chars().next() {
        Some('[') | Some('{') => csl::read(text),
        _ => bibtex::read(text),
    }
}

/// Reads `text` as `format`.
pub fn read_as(format: Format, text: &str) -> Result<Read, CiteError> {
    let text = text.trim_start_matches('\u{feff}');
    match format {
        Format::Bibtex => bibtex::read(text),
        Format::CslJson => csl::read(text),
        Format::Ris => Err(CiteError::NotReadable("RIS")),
    }
}

/// Writes `papers` as `format`; `hub_url` (without a trailing slash) makes each paper's link
/// on the hub when it has no arXiv id.
pub fn write(format: Format, papers: &[Paper], hub_url: &str) -> String {
    match format {
        Format::Bibtex => bibtex::write(papers, hub_url),
        Format::CslJson => csl::write(papers, hub_url),
        Format::Ris => ris::write(papers, hub_url),
    }
}

/// The arXiv id named in a text: `arXiv:2402.13616`, `arxiv.org/abs/2402.13616v2`, the arXiv
/// DOI `10.48550/arXiv.2402.13616`, or an old-style `hep-th/9901001`.
pub(crate) fn arxiv_in(text: &str) -> Option<ArxivId> {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        regex::Regex::new(
            r"(?i)(?:arxiv(?:\.org/(?:abs|pdf)/|[:.]\s*|\s+)|^\s*)((?:\d{4}\.\d{4,5}|[a-z][a-z.-]+/\d{7})(?:v\d+)?)",
        )
        .expect("the arXiv id pattern is valid")
    });
    pattern
        .captures_iter(text)
        .find_map(|c| ArxivId::parse(&c[1]).ok())
}

/// A DOI as a reference manager writes it, without `https://doi.org/` or `doi:`.
pub(crate) fn clean_doi(doi: &str) -> Option<String> {
    let doi = doi.trim();
    let lower = doi.to_ascii_lowercase();
    let start = [
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "doi:",
    ]
    .iter()
    .find(|p| lower.starts_with(*p))
    .map_or(0, |p| p.len());
    let doi = doi[start..].trim();
    doi.starts_with("10.").then(|| doi.to_owned())
}

/// The link to a paper: its arXiv abstract page, or its page on the hub.
pub(crate) fn paper_url(paper: &Paper, hub_url: &str) -> String {
    match &paper.meta.arxiv_id {
        Some(id) => id.unversioned().abs_url(),
        None => format!("{hub_url}/papers/{}", paper.id.as_str()),
    }
}

/// The year (and month, day) a paper was published, or listed on the hub.
pub(crate) fn paper_date(paper: &Paper) -> Option<chrono::NaiveDate> {
    paper
        .meta
        .published
        .map(|d| d.date_naive())
        .or(paper.meta.listed_on)
        .or(paper.listed_on)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arxiv_ids_are_found_in_the_ways_managers_write_them() {
        for (text, id) in [
            ("arXiv:2402.13616", "2402.13616"),
            ("arXiv preprint arXiv:2402.13616v2", "2402.13616"),
            ("http://arxiv.org/abs/2402.13616", "2402.13616"),
            ("https://arxiv.org/pdf/2402.13616v1", "2402.13616"),
            ("10.48550/arXiv.2402.13616", "2402.13616"),
            ("2402.13616", "2402.13616"),
            ("arXiv:hep-th/9901001", "hep-th/9901001"),
        ] {
            assert_eq!(
                arxiv_in(text).map(|a| a.as_str().to_owned()),
                Some(id.to_owned()),
                "{text}"
            );
        }
        assert_eq!(arxiv_in("Nature 521, 436"), None);
        assert_eq!(arxiv_in("https://example.org/2402.13616"), None);
    }

    #[test]
    fn dois_lose_their_resolver() {
        assert_eq!(
            clean_doi("https://doi.org/10.1/x").as_deref(),
            Some("10.1/x")
        );
        assert_eq!(clean_doi(" doi:10.1/x ").as_deref(), Some("10.1/x"));
        assert_eq!(clean_doi("not a doi"), None);
    }

    #[test]
    fn formats_are_named_as_the_api_names_them() {
        for format in [Format::Bibtex, Format::CslJson, Format::Ris] {
            assert_eq!(format.name().parse::<Format>().unwrap(), format);
        }
        assert!("endnote".parse::<Format>().unwrap_err().contains("bibtex"));
    }
}
