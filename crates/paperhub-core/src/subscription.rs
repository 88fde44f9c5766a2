//! Subscriptions to the hub's email digests: how often ([`Frequency`]) and about what (topics,
//! which are search queries checked where searches are).

use serde::{Deserialize, Serialize};

/// How often a subscriber is mailed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every day's digest.
    #[default]
    Daily,
    /// One digest a week, of the week's papers.
    Weekly,
}

impl Frequency {
    /// Both frequencies.
    pub const ALL: [Frequency; 2] = [Frequency::Daily, Frequency::Weekly];

    /// The frequency as the API and the store spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }
}

impl std::fmt::Display for Frequency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A frequency that is neither `daily` nor `weekly`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("frequency `{0}` is neither `daily` nor `weekly`")]
pub struct InvalidFrequency(pub String);

impl std::str::FromStr for Frequency {
    type Err = InvalidFrequency;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "daily" | "day" => Ok(Frequency::Daily),
            "weekly" | "week" => Ok(Frequency::Weekly),
            _ => Err(InvalidFrequency(text.chars().take(40).collect())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_parse_as_spelled_and_nothing_else() {
        assert_eq!("daily".parse(), Ok(Frequency::Daily));
        assert_eq!(" Weekly ".parse(), Ok(Frequency::Weekly));
        assert!("monthly".parse::<Frequency>().is_err());
        for f in Frequency::ALL {
            assert_eq!(f.as_str().parse(), Ok(f));
        }
    }
}
