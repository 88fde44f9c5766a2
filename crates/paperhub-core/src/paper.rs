//! The paper model: what every source is turned into, and how a paper keeps one identity.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::arxiv_id::ArxivId;
use crate::links::code_links;
use crate::text::{collapse_whitespace, key_of_normalized_title, normalize_text, normalize_title};

/// Longest title accepted, in bytes.
pub const MAX_TITLE_BYTES: usize = 2_000;
/// Longest abstract (or comment) accepted, in bytes. Real abstracts stay under 6 KB.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Most authors accepted on one paper (large collaborations list a few thousand).
pub const MAX_AUTHORS: usize = 10_000;

/// The formats paperhub gathers papers from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    /// arXiv API responses (Atom 1.0).
    Atom,
    /// OAI-PMH responses (`arXivRaw`, `arXiv`, `oai_dc`).
    Oai,
    /// The arXiv metadata snapshot, JSON lines.
    ArxivJson,
    /// A hub listing page: header lines, then title / blank line / abstract per paper.
    Listing,
    /// A BEIR `corpus.jsonl`.
    Beir,
    /// CSV with title and abstract columns.
    Csv,
    /// A community submission by arXiv id.
    Submission,
}

impl SourceFormat {
    /// Every format, in the order `--format` lists them.
    pub const ALL: [SourceFormat; 7] = [
        SourceFormat::Atom,
        SourceFormat::Oai,
        SourceFormat::ArxivJson,
        SourceFormat::Listing,
        SourceFormat::Beir,
        SourceFormat::Csv,
        SourceFormat::Submission,
    ];

    /// The name used on the command line and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Atom => "atom",
            SourceFormat::Oai => "oai",
            SourceFormat::ArxivJson => "arxiv-json",
            SourceFormat::Listing => "listing",
            SourceFormat::Beir => "beir",
            SourceFormat::Csv => "csv",
            SourceFormat::Submission => "submission",
        }
    }
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = SourceFormat::ALL.iter().map(|f| f.as_str()).collect();
                format!(
                    "unknown format `{s}` (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// Where a paper can be read, and its code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    /// The abstract page (arXiv's, or the source's own).
    pub abs: Option<String>,
    /// The PDF.
    pub pdf: Option<String>,
    /// `https://doi.org/<doi>`.
    pub doi: Option<String>,
    /// Code repositories mentioned in the abstract or comments.
    pub code: Vec<String>,
}

/// Everything known about a paper, as gathered from one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperMeta {
    /// The arXiv id, with the version this record describes when the source says.
    pub arxiv_id: Option<ArxivId>,
    /// The identifier the source gave the paper when it is not an arXiv id (a BEIR `_id`, a DOI).
    pub source_id: Option<String>,
    /// What `source_id` is unique within (`beir:scifact`, `doi`); makes ids from two corpora distinct.
    pub source_namespace: Option<String>,
    /// The paper's DOI, without `https://doi.org/`.
    pub doi: Option<String>,
    /// The title, normalised.
    pub title: String,
    /// Authors in the order the paper lists them.
    pub authors: Vec<String>,
    /// The abstract, normalised.
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    /// arXiv categories, primary first.
    pub categories: Vec<String>,
    /// The authors' comments (pages, figures, venue, code).
    pub comments: Option<String>,
    /// Where it was published, if elsewhere.
    pub journal_ref: Option<String>,
    /// When the first version appeared.
    pub published: Option<DateTime<Utc>>,
    /// When the latest version (this record's) appeared.
    pub updated: Option<DateTime<Utc>>,
    /// The day a listing page shows it on, when the source says (`--date` for listing pages).
    pub listed_on: Option<NaiveDate>,
    /// Links; abstract, PDF and DOI links are derived from the ids when the source gives none.
    pub links: Links,
    /// The format it came in.
    pub format: Option<SourceFormat>,
    /// The file or URL it came from.
    pub origin: Option<String>,
}

/// Why a gathered record is not a paper.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidPaper {
    #[error("field `{0}` is missing or empty")]
    Missing(&'static str),
    #[error("field `{field}` is {len} bytes, over the limit of {limit}")]
    TooLong {
        field: &'static str,
        len: usize,
        limit: usize,
    },
    #[error("{count} authors, over the limit of {limit}")]
    TooManyAuthors { count: usize, limit: usize },
}

fn check_len(field: &'static str, value: &str, limit: usize) -> Result<(), InvalidPaper> {
    if value.len() > limit {
        return Err(InvalidPaper::TooLong {
            field,
            len: value.len(),
            limit,
        });
    }
    Ok(())
}

fn clean_optional(value: Option<String>) -> Option<String> {
    value.map(|v| normalize_text(&v)).filter(|v| !v.is_empty())
}

impl PaperMeta {
    /// Checks limits and applies the text rules: titles and abstracts normalised, authors and
    /// categories cleaned, DOI and arXiv links derived, code links mined. Idempotent.
    pub fn normalized(mut self) -> Result<Self, InvalidPaper> {
        // Check sizes before any work, so a 100 MB field costs nothing more.
        check_len("title", &self.title, MAX_TITLE_BYTES * 4)?;
        check_len("abstract", &self.abstract_text, MAX_TEXT_BYTES * 4)?;
        if self.authors.len() > MAX_AUTHORS {
            return Err(InvalidPaper::TooManyAuthors {
                count: self.authors.len(),
                limit: MAX_AUTHORS,
            });
        }
        self.title = normalize_title(&self.title);
        self.abstract_text = normalize_text(&self.abstract_text);
        check_len("title", &self.title, MAX_TITLE_BYTES)?;
        check_len("abstract", &self.abstract_text, MAX_TEXT_BYTES)?;
        if self.title.is_empty() {
            return Err(InvalidPaper::Missing("title"));
        }
        for author in &mut self.authors {
            check_len("authors", author, MAX_TITLE_BYTES)?;
            *author = normalize_text(author);
        }
        self.authors.retain(|a| !a.is_empty());
        self.categories = {
            let mut seen: Vec<String> = Vec::with_capacity(self.categories.len());
            for c in &self.categories {
                let c = collapse_whitespace(c);
                if !c.is_empty() && !seen.contains(&c) {
                    seen.push(c);
                }
            }
            seen
        };
        if let Some(c) = &self.comments {
            check_len("comments", c, MAX_TEXT_BYTES)?;
        }
        self.comments = clean_optional(self.comments.take());
        self.journal_ref = clean_optional(self.journal_ref.take());
        self.source_id = self
            .source_id
            .take()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        self.doi = self
            .doi
            .take()
            .and_then(|d| d.split_whitespace().next().map(str::to_owned))
            .map(|d| d.trim_start_matches("https://doi.org/").to_owned());
        if let Some(id) = &self.arxiv_id {
            self.links.abs.get_or_insert_with(|| id.abs_url());
            self.links.pdf.get_or_insert_with(|| id.pdf_url());
        }
        if let Some(doi) = &self.doi {
            self.links
                .doi
                .get_or_insert_with(|| format!("https://doi.org/{doi}"));
        }
        let mined = code_links([
            self.abstract_text.as_str(),
            self.comments.as_deref().unwrap_or(""),
        ]);
        for url in mined {
            if !self.links.code.contains(&url) {
                self.links.code.push(url);
            }
        }
        Ok(self)
    }

    /// How this record is recognised as a paper already stored; see [`Identity`].
    pub fn identity(&self) -> Identity {
        if let Some(id) = &self.arxiv_id {
            return Identity::Arxiv(id.as_str().to_owned());
        }
        match self.source_key() {
            Some(key) => Identity::Source(key),
            None => Identity::Title(self.title_key()),
        }
    }

    /// `namespace:source_id` for a paper its source identified, or `doi:` and the DOI for a
    /// paper known by nothing else; unique within the hub. (arXiv papers are known by their
    /// arXiv id: arXiv records sometimes share a DOI, an erratum and its paper say.)
    pub fn source_key(&self) -> Option<String> {
        if let Some(source_id) = &self.source_id {
            let namespace = self.source_namespace.as_deref().unwrap_or("source");
            return Some(format!("{namespace}:{source_id}"));
        }
        if self.arxiv_id.is_some() {
            return None;
        }
        self.doi
            .as_ref()
            .map(|doi| format!("doi:{}", doi.to_lowercase()))
    }

    /// The arXiv version this record describes, if known.
    pub fn version(&self) -> Option<u32> {
        self.arxiv_id.as_ref().and_then(ArxivId::version)
    }

    /// The day the hub lists it on: the source's listing day, else the day of first publication.
    pub fn listing_day(&self) -> Option<NaiveDate> {
        self.listed_on
            .or_else(|| self.published.map(|d| d.date_naive()))
    }

    /// The key under which its title matches other spellings of the same title. The title
    /// must have been through [`PaperMeta::normalized`] (every stored or ingested one has).
    pub fn title_key(&self) -> String {
        key_of_normalized_title(&self.title)
    }
}

/// How a paper is recognised across sources, strongest first: its arXiv id, the identifier its
/// source gave it, or (with neither) its normalised title.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A canonical arXiv id without version.
    Arxiv(String),
    /// `namespace:source_id`.
    Source(String),
    /// A [`title_key`](crate::text::title_key).
    Title(String),
}

/// A paper's stable id on the hub, assigned when it is first seen and never changed.
///
/// For a paper first seen with an arXiv id it is that id (`2310.02980`, `hep-th/9901001`);
/// otherwise `s-` or `t-` and 16 hex digits of a hash of its source id or its title.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaperId(String);

impl PaperId {
    /// The id a paper with this identity gets when first seen.
    pub fn for_identity(identity: &Identity) -> Self {
        let hashed = |prefix: &str, key: &str| {
            let digest = Sha256::digest(key.as_bytes());
            let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            format!("{prefix}-{hex}")
        };
        PaperId(match identity {
            Identity::Arxiv(id) => id.clone(),
            Identity::Source(key) => hashed("s", key),
            Identity::Title(key) => hashed("t", key),
        })
    }

    /// Wraps an id read back from storage or a URL. Ids are opaque: no validation beyond
    /// being non-empty and printable.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        (!s.is_empty() && s.len() <= 200 && !s.chars().any(char::is_control))
            .then(|| PaperId(s.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PaperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A paper as the hub holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paper {
    /// Its stable id.
    pub id: PaperId,
    /// The day the hub lists it on.
    pub listed_on: Option<NaiveDate>,
    /// Everything else known about it, merged from every source it came through.
    #[serde(flatten)]
    pub meta: PaperMeta,
}

/// How a record merges into the stored paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Merge {
    /// The record describes a later version: its fields replace ours.
    Replace,
    /// The record describes the same version (or cannot say): it only fills fields we lack.
    Fill,
}

impl PaperMeta {
    /// Merges another record of the same paper into this one and returns whether anything
    /// changed. A record of a later arXiv version (or of a known version when ours is unknown,
    /// or, versions being equal, a later `updated` time) replaces the fields it has; a record
    /// of an older version changes nothing; any other record only fills fields this one lacks. So ingesting the same inputs
    /// again, in any order, converges: the second time changes nothing.
    pub fn merge_from(&mut self, other: &PaperMeta) -> bool {
        let mode = match (self.version(), other.version()) {
            (Some(ours), Some(theirs)) if theirs < ours => return false,
            (Some(ours), Some(theirs)) if theirs > ours => Merge::Replace,
            // A record that knows its version speaks with more authority than one that does
            // not (a listing page, a CSV row); the reverse only fills gaps.
            (None, Some(_)) => Merge::Replace,
            _ => match (self.updated, other.updated) {
                (Some(ours), Some(theirs)) if theirs > ours => Merge::Replace,
                _ => Merge::Fill,
            },
        };
        let before = self.clone();
        fn merge<T: Clone>(mode: Merge, ours: &mut Option<T>, theirs: &Option<T>) {
            if theirs.is_some() && (mode == Merge::Replace || ours.is_none()) {
                ours.clone_from(theirs);
            }
        }
        fn merge_vec<T: Clone>(mode: Merge, ours: &mut Vec<T>, theirs: &[T]) {
            if !theirs.is_empty() && (mode == Merge::Replace || ours.is_empty()) {
                *ours = theirs.to_vec();
            }
        }
        fn merge_text(mode: Merge, ours: &mut String, theirs: &str) {
            if !theirs.is_empty() && (mode == Merge::Replace || ours.is_empty()) {
                *ours = theirs.to_owned();
            }
        }
        match (&self.arxiv_id, &other.arxiv_id) {
            (Some(ours), Some(theirs))
                if ours.version().is_none() && theirs.version().is_some() =>
            {
                self.arxiv_id = Some(theirs.clone());
            }
            _ => merge(mode, &mut self.arxiv_id, &other.arxiv_id),
        }
        merge(mode, &mut self.source_id, &other.source_id);
        merge(mode, &mut self.source_namespace, &other.source_namespace);
        merge(mode, &mut self.doi, &other.doi);
        merge_text(mode, &mut self.title, &other.title);
        merge_vec(mode, &mut self.authors, &other.authors);
        merge_text(mode, &mut self.abstract_text, &other.abstract_text);
        merge_vec(mode, &mut self.categories, &other.categories);
        merge(mode, &mut self.comments, &other.comments);
        merge(mode, &mut self.journal_ref, &other.journal_ref);
        // The first publication is the earliest any source reports, whatever the order.
        self.published = match (self.published, other.published) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        merge(mode, &mut self.updated, &other.updated);
        // The day a paper is listed on is set once: it does not move when a version appears.
        merge(Merge::Fill, &mut self.listed_on, &other.listed_on);
        merge(mode, &mut self.links.abs, &other.links.abs);
        merge(mode, &mut self.links.pdf, &other.links.pdf);
        merge(mode, &mut self.links.doi, &other.links.doi);
        for url in &other.links.code {
            if !self.links.code.contains(url) {
                self.links.code.push(url.clone());
            }
        }
        if *self == before {
            return false;
        }
        // Where a record came from is provenance, not content: it names the source that last
        // changed the paper.
        self.format = other.format.or(before.format);
        self.origin = other.origin.clone().or(before.origin);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(title: &str) -> PaperMeta {
        PaperMeta {
            title: title.into(),
            abstract_text: "An abstract.".into(),
            ..Default::default()
        }
    }

    #[test]
    fn normalisation_derives_links_and_cleans_fields() {
        let mut m = meta("  Deep\n  {Learning} ");
        m.arxiv_id = Some(ArxivId::parse("arXiv:2402.13616v2").unwrap());
        m.doi = Some("10.1000/xyz  10.1000/other".into());
        m.comments = Some("Code: https://github.com/WongKinYiu/yolov9".into());
        m.categories = vec!["cs.CV".into(), " cs.LG ".into(), "cs.CV".into()];
        let m = m.normalized().unwrap();
        assert_eq!(m.title, "Deep Learning");
        assert_eq!(
            m.links.abs.as_deref(),
            Some("https://arxiv.org/abs/2402.13616")
        );
        assert_eq!(m.links.doi.as_deref(), Some("https://doi.org/10.1000/xyz"));
        assert_eq!(m.links.code, vec!["https://github.com/WongKinYiu/yolov9"]);
        assert_eq!(m.categories, vec!["cs.CV", "cs.LG"]);
        assert_eq!(m.clone().normalized().unwrap(), m);
    }

    #[test]
    fn rejects_empty_titles_and_huge_fields_by_name() {
        assert_eq!(meta("  ").normalized(), Err(InvalidPaper::Missing("title")));
        let mut m = meta("t");
        m.abstract_text = "x".repeat(100 * 1024 * 1024);
        assert!(matches!(
            m.normalized(),
            Err(InvalidPaper::TooLong {
                field: "abstract",
                ..
            })
        ));
    }

    #[test]
    fn identity_prefers_arxiv_then_source_then_title() {
        let mut m = meta("A Title");
        assert_eq!(m.identity(), Identity::Title("a title".into()));
        m.source_id = Some("4983".into());
        m.source_namespace = Some("beir:scifact".into());
        assert_eq!(m.identity(), Identity::Source("beir:scifact:4983".into()));
        m.arxiv_id = Some(ArxivId::parse("hep-th/9901001v1").unwrap());
        assert_eq!(m.identity(), Identity::Arxiv("hep-th/9901001".into()));
        assert_eq!(
            PaperId::for_identity(&m.identity()).as_str(),
            "hep-th/9901001"
        );
        let t = PaperId::for_identity(&Identity::Title("a title".into()));
        assert!(t.as_str().starts_with("t-") && t.as_str().len() == 18);
    }

    #[test]
    fn merging_an_older_version_changes_nothing_and_a_newer_one_updates() {
        let mut stored = meta("Old title");
        stored.arxiv_id = Some(ArxivId::parse("2310.02980v2").unwrap());
        let mut older = meta("Older title");
        older.arxiv_id = Some(ArxivId::parse("2310.02980v1").unwrap());
        assert!(!stored.merge_from(&older));
        let mut newer = meta("New title");
        newer.arxiv_id = Some(ArxivId::parse("2310.02980v3").unwrap());
        assert!(stored.merge_from(&newer));
        assert_eq!(stored.title, "New title");
        assert!(
            !stored.merge_from(&newer),
            "merging the same record twice is a no-op"
        );
        let mut same_version = newer.clone();
        same_version.title = "Another spelling".into();
        same_version.comments = Some("12 pages".into());
        assert!(
            stored.merge_from(&same_version),
            "a record of the same version fills gaps"
        );
        assert_eq!(
            (stored.title.as_str(), stored.comments.as_deref()),
            ("New title", Some("12 pages"))
        );
        assert!(
            !stored.merge_from(&newer),
            "and does not flip-flop with the other source"
        );
        let mut same_elsewhere = newer.clone();
        same_elsewhere.origin = Some("another-file.xml".into());
        assert!(
            !stored.merge_from(&same_elsewhere),
            "the same paper from another file is unchanged"
        );
    }
}
