//! Links built from paper data, and the hub's own URLs for papers.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// What is escaped in a paper id put in a path segment (old arXiv ids hold a `/`).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\');

/// A paper id as one path segment.
pub fn segment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// The hub's page for a paper, as a path.
pub fn paper_path(id: &str) -> String {
    format!("/papers/{}", segment(id))
}

/// A member's tag page, as a path (the name is the member's text: escaped as a segment).
pub fn tag_path(tag: &str) -> String {
    format!("/library/tags/{}", segment(tag))
}

/// Text as a query-string value: everything but ASCII letters and digits escaped.
pub fn query_value(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `url` if it is an absolute http(s) URL, else nothing: links from paper data must never
/// carry `javascript:`, `data:` or any other scheme into a page or a feed.
pub fn safe_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_links_are_kept() {
        assert_eq!(
            safe_url(" https://github.com/x/y "),
            Some("https://github.com/x/y")
        );
        assert_eq!(safe_url("HTTP://example.org"), Some("HTTP://example.org"));
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>",
            "//evil.example",
            "https://a b",
            "",
        ] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_with_slashes_stay_one_segment() {
        assert_eq!(paper_path("hep-th/9901001"), "/papers/hep-th%2F9901001");
        assert_eq!(paper_path("2402.13616"), "/papers/2402.13616");
    }
}
