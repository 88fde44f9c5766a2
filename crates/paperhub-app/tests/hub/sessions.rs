//! Web sessions and password changes, on the real SQLite store.

use paperhub_app::HubError;
use paperhub_core::Role;

use super::parts;

const PASSWORD: &str = "correct horse battery staple";

#[test]
fn a_session_is_new_at_every_log_in_and_ends_alone_or_with_all_the_others() {
    let p = parts();
    let accounts = p.hub.accounts();
    let ada = accounts
        .add_account("ada@example.org", PASSWORD, Role::Member, None)
        .unwrap();
    let day = chrono::Duration::days(1);
    let first = accounts.start_session(&ada, day).unwrap();
    let second = accounts.start_session(&ada, day).unwrap();
    assert_ne!(first, second, "every log-in gets its own secret");
    assert!(first.starts_with(paperhub_app::SESSION_PREFIX));
    let found = accounts.account_for_session(&first).unwrap().unwrap();
    assert_eq!(found.id, ada.id);
    // Only the hash is stored: the secret itself never signs anyone in as a hash would.
    assert!(accounts
        .account_for_session(&paperhub_app::token_hash(&first))
        .unwrap()
        .is_none());
    accounts.end_session(&first).unwrap();
    assert!(accounts.account_for_session(&first).unwrap().is_none());
    assert!(accounts.account_for_session(&second).unwrap().is_some());
    let third = accounts.start_session(&ada, day).unwrap();
    assert_eq!(accounts.end_sessions(&ada).unwrap(), 2);
    assert!(accounts.account_for_session(&second).unwrap().is_none());
    assert!(accounts.account_for_session(&third).unwrap().is_none());
    let expired = accounts
        .start_session(&ada, chrono::Duration::seconds(-1))
        .unwrap();
    assert!(accounts.account_for_session(&expired).unwrap().is_none());
}

#[test]
fn a_changed_password_needs_the_current_one_and_ends_every_session() {
    let p = parts();
    let accounts = p.hub.accounts();
    let ada = accounts
        .add_account("ada@example.org", PASSWORD, Role::Member, None)
        .unwrap();
    let session = accounts
        .start_session(&ada, chrono::Duration::days(1))
        .unwrap();
    let wrong = accounts.change_password(&ada, "not the password", "a new pass phrase for ada");
    assert!(matches!(wrong, Err(HubError::Forbidden(_))), "{wrong:?}");
    assert!(accounts.account_for_session(&session).unwrap().is_some());
    let weak = accounts.change_password(&ada, PASSWORD, "password12");
    assert!(matches!(weak, Err(HubError::Invalid(_))), "{weak:?}");
    accounts
        .change_password(&ada, PASSWORD, "a new pass phrase for ada")
        .unwrap();
    assert!(accounts.account_for_session(&session).unwrap().is_none());
    assert!(accounts
        .sign_in("ada@example.org", PASSWORD)
        .unwrap()
        .is_none());
    assert!(accounts
        .sign_in("ada@example.org", "a new pass phrase for ada")
        .unwrap()
        .is_some());
}
