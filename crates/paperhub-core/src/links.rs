//! Code repositories mentioned in abstracts and comments.

use std::sync::OnceLock;

use regex::Regex;

fn code_url() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)\b(?:https?://)?(?:www\.)?(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|huggingface\.co)/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)",
        )
        .expect("invariant: valid regex")
    })
}

/// Repository URLs (GitHub, GitLab, Bitbucket, Codeberg, Hugging Face) found in `texts`,
/// normalised to `https://host/owner/repo`, in order of first mention, without duplicates.
pub fn code_links<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for text in texts {
        // Every host above is followed by `.com/`, `.org/` or `.co/`: most abstracts have none.
        if !(text.contains(".com/") || text.contains(".org/") || text.contains(".co/")) {
            continue;
        }
        // Sources wrap long URLs across lines ("https://github.com/ab-\ncd"); join them back.
        let joined = text.replace("-\n", "-").replace("/\n", "/");
        for caps in code_url().captures_iter(&joined) {
            let host = caps[1].to_ascii_lowercase();
            let owner = &caps[2];
            let repo = caps[3]
                .trim_end_matches(['.', ',', ';', ':'])
                .trim_end_matches(".git");
            if repo.is_empty() || owner.starts_with('.') {
                continue;
            }
            let url = format!("https://{host}/{owner}/{repo}");
            if !found.iter().any(|u| u.eq_ignore_ascii_case(&url)) {
                found.push(url);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_repositories_and_trims_trailing_punctuation() {
        let abstract_text = "Code is available at https://github.com/WongKinYiu/yolov9. \
            See also gitlab.com/group/project, and (https://github.com/WongKinYiu/yolov9).";
        assert_eq!(
            code_links([abstract_text]),
            vec![
                "https://github.com/WongKinYiu/yolov9",
                "https://gitlab.com/group/project"
            ]
        );
    }

    #[test]
    fn ignores_bare_hosts_and_other_sites() {
        assert!(code_links(["see github.com and https://example.com/a/b"]).is_empty());
        assert_eq!(
            code_links(["", "comments: code at https://github.com/a/b.git"]),
            vec!["https://github.com/a/b"]
        );
    }
}
