//! How mails look (snapshots of both parts) and what travels (headers, parts, links).

use chrono::NaiveDate;
use paperhub_app::{Content, Digest, DigestPaper, Letter, PersonalPicks, Postman, TopicPapers};
use paperhub_core::{Email, Frequency};
use paperhub_mail::{render, MailSender, MemoryTransport, Transport};

fn paper(key: u64, title: &str, votes: u64) -> DigestPaper {
    DigestPaper {
        key,
        title: title.into(),
        authors: "Ada Lovelace, Grace Hopper and 3 more".into(),
        summary: "We train from scratch & compare <b>against</b> pre-trained models.".into(),
        url: format!("https://papers.example.org/papers/2506.0000{key}"),
        votes,
        why: String::new(),
    }
}

fn digest_letter() -> Letter {
    Letter {
        key: "digest:daily:2025-06-05:17".into(),
        to: Email::parse("reader@example.org").unwrap(),
        manage_url: Some("https://papers.example.org/subscriptions/manage?token=pm_x".into()),
        unsubscribe_url: Some(
            "https://papers.example.org/subscriptions/unsubscribe?token=pm_x".into(),
        ),
        content: Content::Digest(Digest {
            frequency: Frequency::Daily,
            date: NaiveDate::from_ymd_opt(2025, 6, 5).unwrap(),
            hub_url: "https://papers.example.org/".into(),
            trending: vec![
                paper(1, "Never Train from Scratch", 12),
                paper(2, "<script>alert(1)</script> Continual Learning", 1),
            ],
            topics: vec![TopicPapers {
                topic: "machine unlearning".into(),
                papers: vec![paper(3, "Forgetting on Purpose", 0)],
            }],
            personal: Some(PersonalPicks {
                account_id: 7,
                recommended: vec![DigestPaper {
                    why: "Near “<i>Replay</i> Buffers” (0.71); shares: replay, rehearsal".into(),
                    ..paper(4, "Rehearsal without Forgetting", 2)
                }],
                alerts: vec![TopicPapers {
                    topic: "sparse <autoencoders>".into(),
                    papers: vec![paper(5, "Dictionary Features at Scale", 0)],
                }],
            }),
        }),
    }
}

#[test]
fn a_digest_renders_as_text_and_html_from_its_templates() {
    let rendered = render::render(&digest_letter()).unwrap();
    assert_eq!(rendered.subject, "Trending papers of Jun 5, 2025");
    insta::assert_snapshot!("digest_text", rendered.text);
    insta::assert_snapshot!("digest_html", rendered.html);
}

#[test]
fn the_html_part_escapes_what_papers_say() {
    let rendered = render::render(&digest_letter()).unwrap();
    assert!(!rendered.html.contains("<script>"), "{}", rendered.html);
    assert!(rendered.html.contains("&#60;script&#62;alert(1)"));
    assert!(!rendered.html.contains("<b>against"));
    assert!(!rendered.html.contains("<i>Replay") && !rendered.html.contains("<autoencoders>"));
    assert!(rendered.html.contains("Picked for you") && rendered.text.contains("Why: Near"));
    assert!(!rendered.html.contains("<img") && !rendered.html.contains("<style"));
}

#[test]
fn a_confirmation_renders_its_link_in_both_parts() {
    let letter = Letter {
        key: "confirm:abc".into(),
        to: Email::parse("reader@example.org").unwrap(),
        manage_url: None,
        unsubscribe_url: None,
        content: Content::ConfirmSubscription {
            confirm_url: "https://papers.example.org/subscriptions/confirm?token=pc_1".into(),
            frequency: Frequency::Weekly,
            topics: vec!["diffusion".into(), "graphs".into()],
            valid_hours: 48,
        },
    };
    let rendered = render::render(&letter).unwrap();
    insta::assert_snapshot!("confirm_text", rendered.text);
    insta::assert_snapshot!("confirm_html", rendered.html);
}

#[test]
fn a_digest_travels_with_one_click_unsubscribe_and_a_stable_message_id() {
    let memory = MemoryTransport::default();
    let sender = MailSender::new(
        "paperhub <hub@papers.example.org>",
        "https://papers.example.org",
        Transport::Memory(memory.clone()),
    )
    .unwrap();
    sender.deliver(&digest_letter()).unwrap();
    sender.deliver(&digest_letter()).unwrap();
    let kept = memory.kept();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].to, vec!["reader@example.org".to_owned()]);
    let raw = String::from_utf8(kept[0].raw.clone()).unwrap();
    let header = |name: &str| {
        raw.lines()
            .find(|l| {
                l.to_ascii_lowercase()
                    .starts_with(&format!("{}:", name.to_ascii_lowercase()))
            })
            .map(|l| l[name.len() + 1..].trim().to_owned())
            .unwrap_or_else(|| panic!("no {name} header in\n{raw}"))
    };
    assert_eq!(
        header("List-Unsubscribe"),
        "<https://papers.example.org/subscriptions/unsubscribe?token=pm_x>"
    );
    assert_eq!(
        header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    assert_eq!(
        header("Message-ID"),
        "<digest.daily.2025-06-05.17@papers.example.org>"
    );
    assert!(header("Content-Type").starts_with("multipart/alternative"));
    assert!(raw.contains("text/plain") && raw.contains("text/html"));
    let again = String::from_utf8(kept[1].raw.clone()).unwrap();
    assert!(
        again.contains("<digest.daily.2025-06-05.17@papers.example.org>"),
        "a mail sent again keeps its id"
    );
    let (render_secs, send_secs) = sender.timings();
    assert!(render_secs > 0.0 && send_secs >= 0.0);
}

#[test]
fn the_file_transport_writes_one_eml_per_mail_and_replaces_it_when_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let sender = MailSender::new(
        "hub@papers.example.org",
        "https://papers.example.org",
        Transport::file(dir.path()).unwrap(),
    )
    .unwrap();
    sender.deliver(&digest_letter()).unwrap();
    sender.deliver(&digest_letter()).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["digest_daily_2025-06-05_17.eml".to_owned()]);
}

#[test]
fn a_bad_sender_address_is_refused_by_name() {
    let error = MailSender::new(
        "not an address",
        "https://x.org",
        Transport::Memory(MemoryTransport::default()),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(error.contains("mail.from"), "{error}");
}

#[test]
fn account_mails_render_their_links_in_both_parts() {
    for (name, content, link) in [
        (
            "confirm_email_text",
            Content::ConfirmEmail {
                confirm_url: "https://papers.example.org/account/confirm?token=pt_1".into(),
                valid_hours: 48,
            },
            "https://papers.example.org/account/confirm?token=pt_1",
        ),
        (
            "reset_password_text",
            Content::ResetPassword {
                reset_url: "https://papers.example.org/account/reset?token=pt_2".into(),
                valid_minutes: 60,
            },
            "https://papers.example.org/account/reset?token=pt_2",
        ),
    ] {
        let letter = Letter {
            key: "k".into(),
            to: Email::parse("reader@example.org").unwrap(),
            manage_url: None,
            unsubscribe_url: None,
            content,
        };
        let rendered = render::render(&letter).unwrap();
        assert!(
            rendered.text.contains(link) && rendered.html.contains(link),
            "{rendered:?}"
        );
        insta::assert_snapshot!(name, rendered.text);
    }
}
