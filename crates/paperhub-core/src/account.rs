//! The people of a hub: who they are (an [`Email`]), what they may do (a [`Role`]).

use serde::{Deserialize, Serialize};

/// An email address as an account's login: trimmed, lower-cased, one `@` between a local part
/// and a dotted domain, no spaces or control characters, at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

/// Why a text is not an [`Email`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an email address: {reason}")]
pub struct InvalidEmail {
    /// The text as given (cut to 80 characters).
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Email {
    /// Checks and normalises `text`.
    pub fn parse(text: &str) -> Result<Self, InvalidEmail> {
        let trimmed = text.trim();
        let invalid = |reason| InvalidEmail {
            text: trimmed.chars().take(80).collect(),
            reason,
        };
        if trimmed.len() > 254 {
            return Err(invalid("longer than 254 characters"));
        }
        if trimmed
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','))
        {
            return Err(invalid("it holds spaces or characters an address cannot"));
        }
        let Some((local, domain)) = trimmed.split_once('@') else {
            return Err(invalid("no `@`"));
        };
        if local.is_empty() || domain.contains('@') {
            return Err(invalid("expected one `@` after a name"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
            return Err(invalid(
                "the domain after `@` needs a dot, as in example.org",
            ));
        }
        Ok(Email(trimmed.to_lowercase()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Email::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What an account may do. Each role may do all the one before it may.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Submit, vote, comment; edit and delete their own comments.
    #[default]
    Member,
    /// Also hide and restore anyone's comments.
    Moderator,
    /// Also manage accounts and roles.
    Admin,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 3] = [Role::Member, Role::Moderator, Role::Admin];

    /// The role as the command line, the API and the database spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text.trim())
            .ok_or_else(|| {
                format!(
                    "role `{}` is not one of member, moderator, admin",
                    text.trim()
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.ORG ").unwrap().as_str(),
            "ada@example.org"
        );
    }

    #[test]
    fn malformed_emails_are_refused_with_their_reason() {
        for (text, reason) in [
            ("ada", "no `@`"),
            ("@example.org", "one `@`"),
            ("ada@@example.org", "one `@`"),
            ("ada@localhost", "needs a dot"),
            ("ada@example..org", "needs a dot"),
            ("ada lovelace@example.org", "spaces"),
            ("<script>@example.org", "characters"),
        ] {
            let error = Email::parse(text).unwrap_err().to_string();
            assert!(error.contains(reason), "{text}: {error}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(Email::parse(&long).unwrap_err().to_string().contains("254"));
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root"
            .parse::<Role>()
            .unwrap_err()
            .contains("member, moderator, admin"));
        assert!(Role::Admin > Role::Moderator && Role::Moderator > Role::Member);
    }
}
