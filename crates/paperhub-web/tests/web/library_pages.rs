//! The library's pages over plain HTTP: saving from a paper's page, a tag's page with its
//! recommendations and reasons, a thumbs-down and a reset, import by upload (the bad entry
//! named by its line) and export as a download, a member's text shown escaped, another
//! member's tag answered 404, and a paper opened marked seen.

use crate::helpers::{decode, found, TestApp};
use crate::sessions::Browser;

/// The hub ids a page's recommendation forms name, in order.
fn recommended_ids(html: &str) -> Vec<String> {
    html.split("<li class=\"recommendation\">")
        .skip(1)
        .filter_map(|item| {
            let at = item.find("name=\"id\" value=\"")? + "name=\"id\" value=\"".len();
            Some(item[at..].split('"').next()?.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_member_saves_from_a_paper_page_trains_a_tag_with_a_thumbs_down_and_resets_it() {
    let app = TestApp::seeded().await;
    let papers = found(&app, "from scratch", 2).await;
    let mut ada = Browser::new(&app);
    ada.sign_up("ada@example.org", "Ada").await;
    let tag = "<b>scratch & co";

    // Not signed in, the library sends the visitor to log in.
    let mut stranger = Browser::new(&app);
    let answer = stranger.get("/library").await;
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (303, Some("/login"))
    );

    // Save two papers from their pages: back to the paper, which says where it is now.
    for (id, _) in &papers {
        let page = ada.get(&format!("/papers/{id}")).await;
        assert!(page.body.contains("form class=\"save-to-tag\""));
        let answer = ada
            .post(
                "/library/label",
                &[
                    ("tag", tag),
                    ("id", id),
                    ("action", "save"),
                    ("back", "paper"),
                ],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(
            answer.location.as_deref(),
            Some(format!("/papers/{id}#library").as_str())
        );
    }
    let page = ada.get(&format!("/papers/{}", papers[0].0)).await;
    assert!(
        decode(&page.body).contains("href=\"/library/tags/%3Cb%3Escratch%20&%20co\""),
        "the tag's link, escaped: {}",
        page.body
    );
    assert!(!page.body.contains("<b>scratch"), "the tag name is text");

    // The library lists the tag, escaped, with its counts.
    let library = ada.get("/library").await;
    assert_eq!(library.status, 200);
    assert!(decode(&library.body).contains(tag), "{}", library.body);
    assert!(!library.body.contains("<b>scratch"), "the tag name is text");
    assert!(library.body.contains("2 saved"));
    assert!(library.body.contains("Recommended for you"));

    // The tag's page: its papers, and recommendations with why.
    let tag_url = "/library/tags/%3Cb%3Escratch%20&%20co";
    let page = ada.get(tag_url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let text = decode(&page.body);
    assert!(text.contains("Saved (2)"), "{text}");
    for (_, title) in &papers {
        assert!(text.contains(title.as_str()), "{title}");
    }
    let recommended = recommended_ids(&page.body);
    assert_eq!(recommended.len(), 10, "{text}");
    assert!(recommended
        .iter()
        .all(|id| papers.iter().all(|(p, _)| p != id)));
    assert_eq!(page.body.matches("<p class=\"why\">").count(), 10);
    assert!(
        papers
            .iter()
            .any(|(_, title)| text.contains(&format!(">{title}</a> (0."))),
        "a recommendation names the saved paper it is near, with the similarity: {text}"
    );

    // A thumbs-down: never recommended for the tag again, listed as not for me.
    let rejected = recommended[0].clone();
    let answer = ada
        .post(
            "/library/label",
            &[("tag", tag), ("id", &rejected), ("action", "reject")],
        )
        .await;
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (303, Some(tag_url))
    );
    let page = ada.get(tag_url).await;
    assert!(!recommended_ids(&page.body).contains(&rejected));
    assert!(decode(&page.body).contains("Not for me (1)"));

    // Another member asks for Ada's tag: there is no such tag, for them.
    let mut grace = Browser::new(&app);
    grace.sign_up("grace@example.org", "Grace").await;
    assert_eq!(grace.get(tag_url).await.status, 404);
    let answer = grace.post(&format!("{tag_url}/reset"), &[]).await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        grace
            .get(&format!("{tag_url}/export?format=bibtex"))
            .await
            .status,
        404
    );

    // Reset forgets the thumbs-down; the paper may come back.
    let answer = ada.post(&format!("{tag_url}/reset"), &[]).await;
    assert_eq!(answer.status, 303);
    let page = ada.get(tag_url).await;
    assert!(!decode(&page.body).contains("Not for me ("));
    assert!(recommended_ids(&page.body).contains(&rejected));

    // Opening a paper marks it seen for Ada, not for Grace.
    let seen = &recommended[1];
    ada.get(&format!("/papers/{seen}")).await;
    let accounts = app.hub.accounts().list().unwrap();
    let id = paperhub_core::PaperId::parse(seen).unwrap();
    let seen_by = |email: &str| {
        let account = accounts
            .iter()
            .find(|a| a.email.to_string() == email)
            .unwrap();
        app.hub.library().seen(account, &[&id]).unwrap()[0]
    };
    assert!(seen_by("ada@example.org"));
    assert!(!seen_by("grace@example.org"));

    // Deleting the tag takes it off the library.
    let answer = ada.post(&format!("{tag_url}/delete"), &[]).await;
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (303, Some("/library"))
    );
    assert_eq!(ada.get(tag_url).await.status, 404);
}

#[tokio::test]
async fn an_uploaded_bib_file_is_imported_its_bad_line_named_and_the_tag_downloads_again() {
    let app = TestApp::seeded().await;
    let papers = found(&app, "from scratch", 2).await;
    let mut ada = Browser::new(&app);
    ada.sign_up("ada@example.org", "Ada").await;
    let bib = format!(
        "@article{{first,\n  title = {{{}}}\n}}\n\
         @misc{{broken,\n  title = {{never closed,\n\n\
         @misc{{second, title = {{{}}}}}\n",
        papers[0].1, papers[1].1
    );
    let answer = ada
        .post_file(
            "/library/import",
            &[("tag", "zotero")],
            ("my.bib", bib),
            true,
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let text = decode(&answer.body);
    assert!(
        text.contains("3 entries in the file: 2 found on the hub, 2 newly saved, 1 not imported"),
        "{text}"
    );
    assert!(
        text.contains("<li>line 4"),
        "the broken entry named by its line: {text}"
    );
    assert!(text.contains("Saved (2)"), "{text}");

    // A 3 MiB upload (one entry with a long abstract) is under the import's limit of 4 MiB.
    let big = format!(
        "@misc{{big, title = {{{}}}, abstract = {{{}}}}}\n",
        papers[0].1,
        "long words ".repeat(3 * 1024 * 1024 / 11)
    );
    let answer = ada
        .post_file("/library/import", &[("tag", "big")], ("big.bib", big), true)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        decode(&answer.body).contains("1 entries in the file: 1 found on the hub, 1 newly saved")
    );

    // A file that is not BibTeX or CSL-JSON: the library page again, saying why; no tag.
    let answer = ada
        .post_file(
            "/library/import",
            &[("tag", "junk")],
            ("junk.txt", "just some words".into()),
            true,
        )
        .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("role=\"alert\""), "{}", answer.body);
    assert_eq!(ada.get("/library/tags/junk").await.status, 404);

    // Export, as a download of the member's own session.
    let answer = ada.get("/library/tags/zotero/export?format=bibtex").await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body.matches("@misc{").count() + answer.body.matches("@article{").count(),
        2,
        "{}",
        answer.body
    );
    assert!(answer.body.contains(&papers[0].1), "{}", answer.body);
    let answer = ada.get("/library/tags/zotero/export?format=word").await;
    assert_eq!(answer.status, 400);
}
