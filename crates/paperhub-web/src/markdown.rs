//! Comments' Markdown as HTML: a small subset, parsed by pulldown-cmark and sanitised by
//! ammonia. Raw HTML in a comment is shown as the text it is, links are http(s) only and open
//! with `rel="noopener noreferrer nofollow ugc"`, and nothing else survives.

use std::collections::HashSet;

use pulldown_cmark::{Event, Options, Parser};

/// The tags a rendered comment may hold.
const TAGS: &[&str] = &[
    "p",
    "br",
    "em",
    "strong",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
];

/// `markdown` as sanitised HTML.
pub fn render(markdown: &str) -> String {
    let parser =
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            // Raw HTML is text here, never markup.
            Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
            other => other,
        });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::empty()
        .add_tags(TAGS)
        .add_tag_attributes("a", &["href"])
        .url_schemes(HashSet::from(["http", "https"]))
        .link_rel(Some("noopener noreferrer nofollow ugc"))
        .clean(&html)
        .to_string()
}

/// Whether every tag in `html` is one of [`TAGS`].
#[cfg(test)]
fn only_allowed_tags(html: &str) -> bool {
    html.split('<').skip(1).all(|rest| {
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        TAGS.contains(&name.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::{only_allowed_tags, render};

    #[test]
    fn the_subset_renders() {
        assert_eq!(
            render("**bold** and *it*"),
            "<p><strong>bold</strong> and <em>it</em></p>\n"
        );
        assert!(render("- a\n- b").contains("<li>a</li>"));
        assert!(render("`x < y`").contains("<code>x &lt; y</code>"));
        let link = render("[paper](https://arxiv.org/abs/2402.13616)");
        assert!(
            link.contains(r#"href="https://arxiv.org/abs/2402.13616""#),
            "{link}"
        );
        assert!(
            link.contains(r#"rel="noopener noreferrer nofollow ugc""#),
            "{link}"
        );
    }

    #[test]
    fn no_script_handler_or_javascript_link_survives() {
        for hostile in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<p onclick=\"alert(1)\">x</p>",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "<iframe src=\"https://evil.example\"></iframe>",
        ] {
            let html = render(hostile);
            assert!(only_allowed_tags(&html), "{hostile} -> {html}");
            // A link that survives is http(s); a refused one keeps its text, not its href.
            assert!(
                html.match_indices("<a ").all(|(at, _)| {
                    let rest = &html[at + 3..];
                    rest.starts_with("href=\"http") || rest.starts_with("rel=")
                }),
                "{hostile} -> {html}"
            );
        }
        assert!(
            render("<b>hi</b>").contains("&lt;b&gt;hi&lt;/b&gt;"),
            "raw HTML is text"
        );
    }
}
