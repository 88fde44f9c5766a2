//! One module per source format, plus what they share: streaming XML and capped line reading.

pub mod arxiv_json;
pub mod atom;
pub mod beir;
pub mod csv;
pub(crate) mod lines;
pub mod listing;
pub mod oai;
pub(crate) mod xml;

/// Splits an author string (`A, B, and C`, `A and B`) into names.
pub(crate) fn split_authors(s: &str) -> Vec<String> {
    let s = paperhub_core::text::collapse_whitespace(s);
    let mut out = Vec::new();
    for part in s.split([',', ';']) {
        let part = part.trim();
        let part = part.strip_prefix("and ").unwrap_or(part);
        for name in part.split(" and ") {
            let name = name.trim();
            if !name.is_empty() {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// Splits a category list: space-separated (`cs.CV cs.LG`) or a Python list (`['cs.CV', 'cs.LG']`).
pub(crate) fn split_categories(s: &str) -> Vec<String> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner
            .split(',')
            .map(|c| c.trim().trim_matches(['\'', '"']).trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
    }
    s.split_whitespace().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn author_strings_split_on_commas_and_and() {
        assert_eq!(
            split_authors("D.V. Shetty, S.J. Yennello, and G.A. Souliotis"),
            ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
        );
        assert_eq!(
            split_authors("Ileana Streinu and Louis\n  Theran"),
            ["Ileana Streinu", "Louis Theran"]
        );
        assert!(split_authors("  ").is_empty());
    }

    #[test]
    fn categories_come_space_separated_or_as_a_python_list() {
        assert_eq!(
            split_categories("['cs.CV', 'cs.LG', 'eess.IV']"),
            ["cs.CV", "cs.LG", "eess.IV"]
        );
        assert_eq!(split_categories("hep-ph  hep-th"), ["hep-ph", "hep-th"]);
    }

    proptest! {
        #[test]
        fn split_authors_never_yields_empty_names(s in "\\PC{0,60}") {
            prop_assert!(split_authors(&s).iter().all(|a| !a.is_empty()));
        }
    }
}
