//! arXiv identifiers in both styles, parsed and normalised.
//!
//! - new style (April 2007 on): `YYMM.NNNN` until December 2014, `YYMM.NNNNN` from January 2015;
//! - old style: `archive[.SC]/YYMMNNN`, e.g. `hep-th/9901001`; the subject class (`math.GT/…`)
//!   is not part of the canonical id and is dropped.
//!
//! Both may carry a version (`v2`) and arrive as `arXiv:…`, an abstract or PDF URL, or an OAI
//! identifier (`oai:arXiv.org:…`). The version is kept apart from the id, so that every version
//! of a paper has one id.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// A normalised arXiv identifier, without version, plus the version if the input named one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ArxivId {
    id: String,
    version: Option<u32>,
}

/// Why a string is not an arXiv identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArxivIdError {
    #[error("empty arXiv id")]
    Empty,
    #[error(
        "`{0}` is not an arXiv id (expected e.g. 2310.02980, hep-th/9901001, arXiv:2310.02980v2)"
    )]
    Malformed(String),
    #[error("`{0}` has an impossible date (month must be 01-12, new-style ids start in 0704)")]
    BadDate(String),
    #[error("`{0}`: new-style ids have 4 digits after the dot until 1412 and 5 from 1501")]
    BadNumberWidth(String),
    #[error("`{0}`: versions start at v1")]
    BadVersion(String),
}

fn new_style() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(\d{2})(\d{2})\.(\d{4,5})(?:v(\d+))?$").expect("invariant: valid regex")
    })
}

fn old_style() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^([a-z]+(?:-[a-z]+)*)(?:\.[A-Za-z]{2})?/(\d{2})(\d{2})(\d{3})(?:v(\d+))?$")
            .expect("invariant: valid regex")
    })
}

/// Strips the wrappers an id arrives in: `arXiv:`, URLs, OAI identifiers, a `.pdf` suffix.
fn strip_wrappers(input: &str) -> &str {
    let mut s = input.trim();
    for prefix in ["oai:arXiv.org:", "oai:arxiv.org:"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest;
        }
    }
    for scheme in ["https://", "http://"] {
        if let Some(rest) = s.strip_prefix(scheme) {
            s = rest;
        }
    }
    for host in ["www.arxiv.org/", "arxiv.org/", "export.arxiv.org/"] {
        if let Some(rest) = s.strip_prefix(host) {
            s = rest;
            for path in ["abs/", "pdf/", "html/"] {
                if let Some(rest) = s.strip_prefix(path) {
                    s = rest;
                }
            }
            // A URL's query and fragment (`?context=cs`, `#S2`) are not part of the id.
            s = s.split(['?', '#']).next().unwrap_or(s);
        }
    }
    if s.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("arxiv:")) {
        s = &s[6..];
    }
    s.strip_suffix(".pdf").unwrap_or(s).trim_end_matches('/')
}

fn parse_version(raw: Option<regex::Match<'_>>, input: &str) -> Result<Option<u32>, ArxivIdError> {
    match raw {
        None => Ok(None),
        Some(m) => match m.as_str().parse::<u32>() {
            Ok(0) | Err(_) => Err(ArxivIdError::BadVersion(input.to_owned())),
            Ok(v) => Ok(Some(v)),
        },
    }
}

impl ArxivId {
    /// Parses any of the accepted spellings; see the module docs.
    pub fn parse(input: &str) -> Result<Self, ArxivIdError> {
        let s = strip_wrappers(input);
        if s.is_empty() {
            return Err(ArxivIdError::Empty);
        }
        if let Some(c) = new_style().captures(s) {
            let yy: u32 = c[1].parse().expect("invariant: two digits");
            let mm: u32 = c[2].parse().expect("invariant: two digits");
            if !(1..=12).contains(&mm) || (yy * 100 + mm) < 704 {
                return Err(ArxivIdError::BadDate(input.to_owned()));
            }
            let width = c[3].len();
            let yymm = yy * 100 + mm;
            if (yymm <= 1412 && width != 4) || (yymm >= 1501 && width != 5) {
                return Err(ArxivIdError::BadNumberWidth(input.to_owned()));
            }
            let version = parse_version(c.get(4), input)?;
            return Ok(Self {
                id: format!("{}{}.{}", &c[1], &c[2], &c[3]),
                version,
            });
        }
        if let Some(c) = old_style().captures(s) {
            let yy: u32 = c[2].parse().expect("invariant: two digits");
            let mm: u32 = c[3].parse().expect("invariant: two digits");
            // Old-style ids ran from 1991-08 to 2007-03.
            let valid_year = yy >= 91 || yy <= 7;
            if !(1..=12).contains(&mm) || !valid_year {
                return Err(ArxivIdError::BadDate(input.to_owned()));
            }
            let version = parse_version(c.get(5), input)?;
            let id = format!("{}/{}{}{}", &c[1], &c[2], &c[3], &c[4]);
            return Ok(Self { id, version });
        }
        Err(ArxivIdError::Malformed(input.to_owned()))
    }

    /// The canonical id without version, e.g. `2310.02980` or `hep-th/9901001`.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The version the input named, if any.
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// The same id without a version.
    pub fn unversioned(&self) -> Self {
        Self {
            id: self.id.clone(),
            version: None,
        }
    }

    /// The same id with the given version.
    pub fn with_version(&self, version: Option<u32>) -> Self {
        Self {
            id: self.id.clone(),
            version,
        }
    }

    /// `https://arxiv.org/abs/<id>`.
    pub fn abs_url(&self) -> String {
        format!("https://arxiv.org/abs/{}", self.id)
    }

    /// `https://arxiv.org/pdf/<id>`.
    pub fn pdf_url(&self) -> String {
        format!("https://arxiv.org/pdf/{}", self.id)
    }
}

impl fmt::Display for ArxivId {
    /// Writes the id with its version when known (`2310.02980v2`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(v) => write!(f, "{}v{v}", self.id),
            None => f.write_str(&self.id),
        }
    }
}

impl FromStr for ArxivId {
    type Err = ArxivIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_new_style_with_and_without_prefix_and_version() {
        for input in [
            "2310.02980",
            "arXiv:2310.02980",
            "arxiv:2310.02980v3",
            "https://arxiv.org/abs/2310.02980v3",
            "http://arxiv.org/pdf/2310.02980v3.pdf",
            "oai:arXiv.org:2310.02980",
            "https://arxiv.org/html/2310.02980v3",
            "https://www.arxiv.org/abs/2310.02980?context=cs",
            "https://arxiv.org/abs/2310.02980v3#S2",
        ] {
            let id = ArxivId::parse(input).unwrap();
            assert_eq!(id.as_str(), "2310.02980", "{input}");
        }
        assert_eq!(
            ArxivId::parse("arXiv:2310.02980v3").unwrap().version(),
            Some(3)
        );
        assert_eq!(ArxivId::parse("2310.02980").unwrap().version(), None);
    }

    #[test]
    fn parses_old_style_and_drops_subject_class() {
        let id = ArxivId::parse("hep-th/9901001v2").unwrap();
        assert_eq!((id.as_str(), id.version()), ("hep-th/9901001", Some(2)));
        assert_eq!(
            ArxivId::parse("math.GT/0309136").unwrap().as_str(),
            "math/0309136"
        );
        assert_eq!(
            ArxivId::parse("http://arxiv.org/abs/cond-mat/0601001v1")
                .unwrap()
                .as_str(),
            "cond-mat/0601001"
        );
        assert_eq!(
            ArxivId::parse("quant-ph/0201082v1").unwrap().to_string(),
            "quant-ph/0201082v1"
        );
    }

    #[test]
    fn rejects_malformed_ids_with_a_reason() {
        assert_eq!(ArxivId::parse(""), Err(ArxivIdError::Empty));
        assert!(matches!(
            ArxivId::parse("abc"),
            Err(ArxivIdError::Malformed(_))
        ));
        assert!(matches!(
            ArxivId::parse("0000.0000"),
            Err(ArxivIdError::BadDate(_))
        ));
        assert!(matches!(
            ArxivId::parse("2313.00001"),
            Err(ArxivIdError::BadDate(_))
        ));
        assert!(matches!(
            ArxivId::parse("2310.0298"),
            Err(ArxivIdError::BadNumberWidth(_))
        ));
        assert!(matches!(
            ArxivId::parse("1205.00001"),
            Err(ArxivIdError::BadNumberWidth(_))
        ));
        assert!(matches!(
            ArxivId::parse("2310.02980v0"),
            Err(ArxivIdError::BadVersion(_))
        ));
        assert!(matches!(
            ArxivId::parse("hep-th/9913001"),
            Err(ArxivIdError::BadDate(_))
        ));
    }

    proptest! {
        #[test]
        fn new_style_ids_round_trip(yy in 15u32..=99, mm in 1u32..=12, n in 0u32..100_000, v in proptest::option::of(1u32..50)) {
            let base = format!("{yy:02}{mm:02}.{n:05}");
            let input = match v { Some(v) => format!("arXiv:{base}v{v}"), None => base.clone() };
            let id = ArxivId::parse(&input).unwrap();
            prop_assert_eq!(id.as_str(), base.as_str());
            prop_assert_eq!(id.version(), v);
            prop_assert_eq!(ArxivId::parse(&id.to_string()).unwrap(), id);
        }

        #[test]
        fn old_style_ids_round_trip(archive in "(hep-th|hep-ph|cond-mat|math|astro-ph|quant-ph)", yy in prop_oneof![92u32..=99, 0u32..=6], mm in 1u32..=12, n in 0u32..1000) {
            let base = format!("{archive}/{yy:02}{mm:02}{n:03}");
            let id = ArxivId::parse(&base).unwrap();
            prop_assert_eq!(id.as_str(), base.as_str());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = ArxivId::parse(&s);
        }
    }
}
