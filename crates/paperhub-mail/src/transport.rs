//! Where a message goes: an SMTP server, a directory of `.eml` files, or memory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::transport::smtp::SmtpTransport;
use lettre::Message;
use paperhub_app::DeliveryError;

use crate::MailError;

/// A message a [`MemoryTransport`] kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptMail {
    /// The outbox key.
    pub key: String,
    /// The envelope's recipients.
    pub to: Vec<String>,
    /// The message as it would travel.
    pub raw: Vec<u8>,
}

/// Keeps every message in memory, for tests.
#[derive(Debug, Clone, Default)]
pub struct MemoryTransport {
    kept: Arc<Mutex<Vec<KeptMail>>>,
}

impl MemoryTransport {
    /// The messages kept so far, in the order sent.
    pub fn kept(&self) -> Vec<KeptMail> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// How messages travel.
#[derive(Clone)]
pub enum Transport {
    /// To an SMTP server (pooled connections).
    Smtp(SmtpTransport),
    /// One `{key}.eml` file per message in a directory: a mail sent again replaces its file.
    File(PathBuf),
    /// Into memory.
    Memory(MemoryTransport),
}

impl Transport {
    /// SMTP as `url` says: `smtp://host:port` (plain; STARTTLS when `?tls=required`),
    /// `smtps://host:port` (TLS), with `user:password@` for authentication. `timeout` bounds
    /// each command.
    pub fn smtp(url: &str, timeout: Duration) -> Result<Self, MailError> {
        let builder = SmtpTransport::from_url(url).map_err(|e| {
            MailError::SmtpUrl(format!(
                "`{}` is not an SMTP URL (smtp://host:port, smtps://…, smtp://…?tls=required): {e}",
                redact(url)
            ))
        })?;
        Ok(Transport::Smtp(builder.timeout(Some(timeout)).build()))
    }

    /// `.eml` files in `dir` (made if missing).
    pub fn file(dir: &Path) -> Result<Self, MailError> {
        std::fs::create_dir_all(dir).map_err(|e| MailError::Dir(dir.display().to_string(), e))?;
        Ok(Transport::File(dir.to_owned()))
    }

    /// Hands `message` (the outbox mail `key`) over.
    pub fn send(&self, key: &str, message: &Message) -> Result<(), DeliveryError> {
        match self {
            Transport::Smtp(smtp) => {
                lettre::Transport::send(smtp, message)
                    .map(|_| ())
                    .map_err(|e| {
                        if e.is_permanent() {
                            DeliveryError::Permanent(e.to_string())
                        } else {
                            DeliveryError::Temporary(e.to_string())
                        }
                    })
            }
            Transport::File(dir) => write_eml(dir, key, &message.formatted()).map_err(|e| {
                DeliveryError::Temporary(format!("writing to {}: {e}", dir.display()))
            }),
            Transport::Memory(memory) => {
                memory
                    .kept
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(KeptMail {
                        key: key.to_owned(),
                        to: message
                            .envelope()
                            .to()
                            .iter()
                            .map(|a| a.to_string())
                            .collect(),
                        raw: message.formatted(),
                    });
                Ok(())
            }
        }
    }
}

/// The file name of the mail keyed `key`.
pub fn eml_name(key: &str) -> String {
    let name: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}.eml")
}

/// Writes `raw` as `dir/{key}.eml`, whole or not at all (a temporary file renamed).
fn write_eml(dir: &Path, key: &str, raw: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let name = eml_name(key);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(raw)?;
    file.sync_data()?;
    std::fs::rename(&tmp, dir.join(name))
}

/// `url` without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_are_checked_and_their_passwords_never_shown() {
        assert!(Transport::smtp("smtp://127.0.0.1:2525", Duration::from_secs(5)).is_ok());
        let error = Transport::smtp("ftp://user:hunter2@host", Duration::from_secs(5))
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("user:***@host") && !error.contains("hunter2"),
            "{error}"
        );
    }

    #[test]
    fn file_names_are_safe_and_the_same_for_the_same_key() {
        assert_eq!(
            eml_name("digest:daily:2025-06-05:17"),
            "digest_daily_2025-06-05_17.eml"
        );
        assert_eq!(eml_name("../../etc"), "______etc.eml");
    }
}
