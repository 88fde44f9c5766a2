//! The mail rules, through a postman that records what it is handed (or fails as told):
//! who gets a digest, what it holds, that no paper goes twice to one subscriber, double
//! opt-in, retries and pauses.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use paperhub_app::{
    Content, Delivery, DeliveryError, DeliveryRules, Hub, Letter, NoObserver, Postman,
};
use paperhub_core::{Frequency, PaperMeta, Role};

use crate::parts;

/// Records every letter; fails the next calls as queued.
#[derive(Default)]
struct Recorder {
    letters: Mutex<Vec<Letter>>,
    failures: Mutex<VecDeque<DeliveryError>>,
}

impl Postman for Recorder {
    fn deliver(&self, letter: &Letter) -> Result<(), DeliveryError> {
        if let Some(failure) = self.failures.lock().unwrap().pop_front() {
            return Err(failure);
        }
        self.letters.lock().unwrap().push(letter.clone());
        Ok(())
    }
}

impl Recorder {
    fn taken(&self) -> Vec<Letter> {
        std::mem::take(&mut *self.letters.lock().unwrap())
    }
}

fn listed(id: &str, title: &str, text: &str, day: chrono::NaiveDate) -> PaperMeta {
    PaperMeta {
        arxiv_id: Some(paperhub_core::ArxivId::parse(id).unwrap()),
        title: title.into(),
        abstract_text: text.into(),
        authors: vec!["Ada Lovelace".into()],
        listed_on: Some(day),
        ..Default::default()
    }
    .normalized()
    .unwrap()
}

/// A hub of today's papers, two of them upvoted, and a delivery through `postman`.
fn hub_with_papers(postman: Arc<Recorder>) -> (Hub, Delivery, chrono::NaiveDate) {
    hub_with(parts(), postman)
}

/// [`hub_with_papers`] on the parts `p`.
fn hub_with(p: crate::Parts, postman: Arc<Recorder>) -> (Hub, Delivery, chrono::NaiveDate) {
    let today = Utc::now().date_naive();
    let papers = vec![
        listed(
            "2506.00001",
            "Never Train from Scratch",
            "Pretraining before fine-tuning.",
            today,
        ),
        listed(
            "2506.00002",
            "Graph Neural Networks at Scale",
            "Message passing on graphs.",
            today,
        ),
        listed(
            "2506.00003",
            "Machine Unlearning",
            "Forgetting data on request.",
            today,
        ),
        listed(
            "2506.00004",
            "Spectral Graph Theory",
            "Eigenvalues of graphs.",
            today,
        ),
    ];
    p.hub
        .ingest(papers.into_iter().map(Ok), 10, &mut NoObserver)
        .unwrap();
    let voter = p
        .hub
        .accounts()
        .add_account(
            "voter@example.org",
            "correct horse battery staple",
            Role::Member,
            None,
        )
        .unwrap();
    p.hub.vote(&voter, "2506.00001", true).unwrap();
    p.hub.vote(&voter, "2506.00002", true).unwrap();
    let mut rules = DeliveryRules::new("https://papers.example.org");
    rules.rate_per_sec = 0;
    rules.workers = 1;
    rules.retry_base = Duration::ZERO;
    rules.retry_max = Duration::ZERO;
    let delivery = Delivery::new(p.hub.clone(), postman, rules);
    (p.hub, delivery, today)
}

/// Signs up `email` and confirms the address through the mail the hub sends.
fn confirmed_member(
    hub: &Hub,
    delivery: &Delivery,
    postman: &Recorder,
    email: &str,
) -> paperhub_app::Account {
    hub.accounts()
        .sign_up(email, "correct horse battery staple", None)
        .unwrap();
    delivery.deliver("", None, &|_| {}).unwrap();
    let letters = postman.taken();
    let Some(Content::ConfirmEmail { confirm_url, .. }) = letters.last().map(|l| &l.content) else {
        panic!("no email confirmation: {letters:?}");
    };
    let token = confirm_url.split("/account/confirm?token=").nth(1).unwrap();
    hub.accounts().confirm_email(token, Utc::now()).unwrap()
}

#[test]
fn a_members_digest_adds_their_picks_and_saved_searches_and_marks_them_seen() {
    let postman = Arc::new(Recorder::default());
    let (hub, delivery, today) = hub_with(crate::semantic_parts(), postman.clone());
    hub.ingest(
        [listed(
            "2506.00005",
            "Spectra of Random Graph Laplacians",
            "Eigenvalues of random graphs and their Laplacians.",
            today,
        )]
        .into_iter()
        .map(Ok),
        10,
        &mut NoObserver,
    )
    .unwrap();
    hub.embed_missing(10, |_, _| {}).unwrap();
    let ada = confirmed_member(&hub, &delivery, &postman, "ada@example.org");
    let library = hub.library();
    library
        .label(&ada, "theory", "2506.00004", paperhub_store::Label::Saved)
        .unwrap();
    library
        .save_search(
            &ada,
            "forgetting",
            &paperhub_app::SearchRequest::new("forgetting").mode(paperhub_app::SearchMode::Keyword),
        )
        .unwrap();
    // An account holding an address it never confirmed gets no picks in that address's mail.
    let (carol, _) = hub
        .accounts()
        .sign_up("carol@example.org", "correct horse battery staple", None)
        .unwrap();
    library
        .label(&carol, "theory", "2506.00004", paperhub_store::Label::Saved)
        .unwrap();
    postman.taken();
    import(
        &hub,
        "email,frequency,topics\nada@example.org,daily,\ncarol@example.org,daily,\nbob@example.org,daily,\n",
    );
    let picked = library.recommendations(&ada, None, 10, true).unwrap();
    assert!(!picked.is_empty(), "the tag has recommendations");

    run(&delivery, Frequency::Daily, today);
    let letters = postman.taken();
    let to = |email: &str| {
        letters
            .iter()
            .find(|l| l.to.as_str() == email)
            .map(digest)
            .unwrap_or_else(|| panic!("no digest to {email}: {letters:?}"))
    };
    let mine = to("ada@example.org")
        .personal
        .as_ref()
        .expect("a member's digest has their picks");
    assert_eq!(mine.account_id, ada.id);
    assert!(!mine.recommended.is_empty(), "{mine:?}");
    assert!(
        mine.recommended.iter().all(|p| !p.why.is_empty()),
        "each pick says why: {mine:?}"
    );
    assert!(
        !titles(&mine.recommended).contains(&"Spectral Graph Theory"),
        "never a paper of the tag"
    );
    assert_eq!(mine.alerts.len(), 1);
    assert_eq!(mine.alerts[0].topic, "forgetting");
    assert_eq!(titles(&mine.alerts[0].papers), ["Machine Unlearning"]);
    assert!(to("bob@example.org").personal.is_none(), "not a member");
    assert!(
        to("carol@example.org").personal.is_none(),
        "an unconfirmed account's picks stay out of the mail"
    );

    let mailed: Vec<paperhub_core::PaperId> = to("ada@example.org")
        .papers()
        .map(|p| {
            let id = p.url.rsplit('/').next().unwrap();
            paperhub_core::PaperId::parse(id).unwrap()
        })
        .collect();
    let refs: Vec<&paperhub_core::PaperId> = mailed.iter().collect();
    assert!(
        library.seen(&ada, &refs).unwrap().iter().all(|s| *s),
        "what was mailed shows as seen"
    );
    let unseen = library.recommendations(&ada, None, 10, true).unwrap();
    assert!(
        unseen
            .iter()
            .all(|r| !titles(&mine.recommended).contains(&r.paper.meta.title.as_str())),
        "a mailed pick is not picked again"
    );
}

fn import(hub: &Hub, csv: &str) {
    hub.subscriptions()
        .import_csv(csv.as_bytes(), "test.csv", true, Utc::now())
        .unwrap();
}

fn digest(letter: &Letter) -> &paperhub_app::Digest {
    match &letter.content {
        Content::Digest(digest) => digest,
        other => panic!("not a digest: {other:?}"),
    }
}

fn titles(papers: &[paperhub_app::DigestPaper]) -> Vec<&str> {
    papers.iter().map(|p| p.title.as_str()).collect()
}

fn run(
    delivery: &Delivery,
    frequency: Frequency,
    day: chrono::NaiveDate,
) -> paperhub_app::RunOutcome {
    delivery
        .run_digests(frequency, day, Duration::from_secs(5), &|_| {})
        .unwrap()
}

#[test]
fn a_digest_holds_the_trending_papers_and_each_topics_new_ones_and_never_a_paper_twice() {
    let postman = Arc::new(Recorder::default());
    let (hub, delivery, today) = hub_with_papers(postman.clone());
    import(
        &hub,
        "email,frequency,topics\nada@example.org,daily,graphs\nbob@example.org,weekly,\n",
    );
    let outcome = run(&delivery, Frequency::Daily, today);
    assert!(outcome.complete());
    let letters = postman.taken();
    assert_eq!(letters.len(), 1, "only the daily subscriber");
    let letter = &letters[0];
    assert_eq!(letter.to.as_str(), "ada@example.org");
    let d = digest(letter);
    assert_eq!(
        titles(&d.trending),
        vec!["Never Train from Scratch", "Graph Neural Networks at Scale"]
    );
    assert_eq!(d.topics.len(), 1);
    assert_eq!(d.topics[0].topic, "graphs");
    assert_eq!(
        titles(&d.topics[0].papers),
        vec!["Spectral Graph Theory"],
        "a trending paper is not repeated under a topic"
    );
    assert!(d
        .papers()
        .all(|p| p.url.starts_with("https://papers.example.org/papers/")));
    assert!(letter
        .unsubscribe_url
        .as_deref()
        .unwrap()
        .starts_with("https://papers.example.org/subscriptions/unsubscribe?token=pm_"));

    // The same period again: nothing more.
    let again = run(&delivery, Frequency::Daily, today);
    assert_eq!((again.planned, again.stats.sent), (0, 0));
    assert!(postman.taken().is_empty());

    // The next day trends the same papers: already sent to ada, so her digest is empty and
    // not sent.
    let next = run(
        &delivery,
        Frequency::Daily,
        today + chrono::Duration::days(1),
    );
    assert_eq!((next.counts.sent, next.counts.skipped), (0, 1));
    assert!(postman.taken().is_empty(), "an empty digest is not sent");

    // The weekly subscriber without topics gets the trending papers.
    run(&delivery, Frequency::Weekly, today);
    let weekly = postman.taken();
    assert_eq!(weekly.len(), 1);
    assert_eq!(weekly[0].to.as_str(), "bob@example.org");
    assert_eq!(digest(&weekly[0]).trending.len(), 2);
}

#[test]
fn nobody_unconfirmed_is_mailed_and_a_confirmation_token_works_once_within_48_hours() {
    let postman = Arc::new(Recorder::default());
    let (hub, delivery, today) = hub_with_papers(postman.clone());
    let subscriptions = hub.subscriptions();
    let now = Utc::now();
    subscriptions
        .request("Ada@Example.org", Frequency::Daily, &["graphs".into()], now)
        .unwrap();
    delivery.deliver("", None, &|_| {}).unwrap();
    let letters = postman.taken();
    assert_eq!(letters.len(), 1, "the confirmation, nothing else");
    let Content::ConfirmSubscription { confirm_url, .. } = &letters[0].content else {
        panic!("not a confirmation: {:?}", letters[0]);
    };
    let token = confirm_url
        .split("/subscriptions/confirm?token=")
        .nth(1)
        .unwrap()
        .to_owned();
    run(&delivery, Frequency::Daily, today);
    assert!(postman.taken().is_empty(), "unconfirmed: no digest");

    let late = subscriptions.confirm(&token, now + chrono::Duration::hours(49));
    assert!(late.unwrap_err().to_string().contains("expired"));
    let confirmed = subscriptions.confirm(&token, now).unwrap();
    assert!(confirmed.is_active());
    let reused = subscriptions.confirm(&token, now).unwrap_err().to_string();
    assert!(reused.contains("used already"), "{reused}");

    // A second request for a confirmed address changes nothing and mails nothing.
    subscriptions
        .request("ada@example.org", Frequency::Weekly, &["other".into()], now)
        .unwrap();
    delivery.deliver("", None, &|_| {}).unwrap();
    assert!(postman.taken().is_empty());
    let kept = subscriptions
        .by_manage_token(&confirmed.manage_token)
        .unwrap();
    assert_eq!(
        (kept.frequency, kept.topics),
        (Frequency::Daily, vec!["graphs".to_owned()])
    );

    run(&delivery, Frequency::Daily, today);
    assert_eq!(postman.taken().len(), 1, "confirmed: the digest");

    // Unsubscribed: the next period plans nothing for her.
    assert!(subscriptions.unsubscribe(&kept.manage_token, now).unwrap());
    let next = run(
        &delivery,
        Frequency::Daily,
        today + chrono::Duration::days(1),
    );
    assert_eq!(next.planned, 0);
}

#[test]
fn bad_addresses_and_topics_are_refused_by_name_and_store_nothing() {
    let postman = Arc::new(Recorder::default());
    let (hub, _delivery, _) = hub_with_papers(postman);
    let subscriptions = hub.subscriptions();
    let now = Utc::now();
    for (email, topics, expected) in [
        ("no-at-sign", vec![], "not an email address"),
        (
            "ada@example.org",
            vec!["date:2025-13-40..2025-14-01".to_owned()],
            "topic 1",
        ),
        ("ada@example.org", vec!["x".repeat(201)], "at most 200"),
        (
            "ada@example.org",
            (0..11).map(|i| format!("topic {i}")).collect(),
            "at most 10",
        ),
    ] {
        let error = subscriptions
            .request(email, Frequency::Daily, &topics, now)
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{email} {topics:?}: {error}");
    }
    assert_eq!(
        subscriptions.export(|_| Ok(())).unwrap(),
        0,
        "nothing stored"
    );
}

#[test]
fn temporary_failures_are_retried_and_permanent_ones_pause_the_address() {
    let postman = Arc::new(Recorder::default());
    let (hub, delivery, today) = hub_with_papers(postman.clone());
    import(&hub, "email,topics\nada@example.org,graphs\n");
    postman.failures.lock().unwrap().extend([
        DeliveryError::Temporary("421 busy".into()),
        DeliveryError::Temporary("connection refused".into()),
    ]);
    let outcome = run(&delivery, Frequency::Daily, today);
    assert!(outcome.complete(), "{outcome:?}");
    assert_eq!((outcome.stats.retried, outcome.stats.sent), (2, 1));
    assert_eq!(postman.taken().len(), 1, "sent once, after two retries");

    // Three permanent refusals on three days pause the address.
    for day in 1..=3 {
        postman
            .failures
            .lock()
            .unwrap()
            .push_back(DeliveryError::Permanent("550 no such user".into()));
        // Papers of a new day on a topic of hers, so the digest is not empty.
        let date = today + chrono::Duration::days(day);
        hub.ingest(
            std::iter::once(Ok(listed(
                &format!("2506.1000{day}"),
                &format!("Graphs, day {day}"),
                "More graphs.",
                date,
            ))),
            10,
            &mut NoObserver,
        )
        .unwrap();
        let outcome = run(&delivery, Frequency::Daily, date);
        assert_eq!(
            (outcome.counts.failed, outcome.stats.retried),
            (1, 0),
            "day {day}: not retried"
        );
        assert!(!outcome.complete());
    }
    let next = run(
        &delivery,
        Frequency::Daily,
        today + chrono::Duration::days(4),
    );
    assert_eq!(next.planned, 0, "paused after three permanent failures");
    let mut statuses = Vec::new();
    hub.subscriptions()
        .export(|row| {
            statuses.push(row.status);
            Ok(())
        })
        .unwrap();
    assert_eq!(statuses, vec!["paused"]);
}

#[test]
fn a_new_account_confirms_its_address_and_a_reset_link_sets_a_password_once_ending_every_session() {
    let postman = Arc::new(Recorder::default());
    let (hub, delivery, _) = hub_with_papers(postman.clone());
    let accounts = hub.accounts();
    let (ada, _token) = accounts
        .sign_up("ada@example.org", "correct horse battery staple", None)
        .unwrap();
    assert_eq!(accounts.email_confirmed_at(&ada).unwrap(), None);
    delivery.deliver("", None, &|_| {}).unwrap();
    let letters = postman.taken();
    let Content::ConfirmEmail { confirm_url, .. } = &letters[0].content else {
        panic!("not an email confirmation: {letters:?}");
    };
    assert_eq!(letters[0].to.as_str(), "ada@example.org");
    let token = confirm_url.split("/account/confirm?token=").nth(1).unwrap();
    assert_eq!(
        accounts.confirm_email(token, Utc::now()).unwrap().id,
        ada.id
    );
    assert!(accounts.email_confirmed_at(&ada).unwrap().is_some());
    let again = accounts
        .confirm_email(token, Utc::now())
        .unwrap_err()
        .to_string();
    assert!(again.contains("used already"), "{again}");

    // A reset for an address without an account mails nothing, and says nothing either.
    accounts
        .request_password_reset("nobody@example.org", Utc::now())
        .unwrap();
    delivery.deliver("", None, &|_| {}).unwrap();
    assert!(postman.taken().is_empty());

    let session = accounts
        .start_session(&ada, chrono::Duration::days(1))
        .unwrap();
    accounts
        .request_password_reset("ADA@example.org", Utc::now())
        .unwrap();
    delivery.deliver("", None, &|_| {}).unwrap();
    let letters = postman.taken();
    let Content::ResetPassword {
        reset_url,
        valid_minutes,
    } = &letters[0].content
    else {
        panic!("not a reset: {letters:?}");
    };
    assert_eq!(*valid_minutes, 60);
    let token = reset_url.split("/account/reset?token=").nth(1).unwrap();
    let late = accounts
        .reset_password(
            token,
            "a brand new pass phrase",
            Utc::now() + chrono::Duration::minutes(61),
        )
        .unwrap_err()
        .to_string();
    assert!(late.contains("expired"), "{late}");
    let weak = accounts
        .reset_password(token, "password1", Utc::now())
        .unwrap_err()
        .to_string();
    assert!(weak.contains("characters"), "{weak}");
    assert!(
        accounts.account_for_session(&session).unwrap().is_some(),
        "a refused reset changes nothing"
    );
    accounts
        .reset_password(token, "a brand new pass phrase", Utc::now())
        .unwrap();
    assert!(
        accounts.account_for_session(&session).unwrap().is_none(),
        "every session ended"
    );
    assert!(accounts
        .sign_in("ada@example.org", "a brand new pass phrase")
        .unwrap()
        .is_some());
    assert!(accounts
        .sign_in("ada@example.org", "correct horse battery staple")
        .unwrap()
        .is_none());
    let reused = accounts
        .reset_password(token, "yet another pass phrase", Utc::now())
        .unwrap_err()
        .to_string();
    assert!(reused.contains("used already"), "{reused}");
}
