//! The configuration of every command: one [`Settings`] struct read from, in increasing
//! precedence, the built-in defaults, a TOML file (`--config`), `PAPERHUB_…` environment
//! variables and command-line flags; then validated (the server's part into its
//! [`ServerConfig`]). Every command reads it the same way, in `main`, before it runs.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use paperhub_web::{LimitSettings, ServerConfig, ServerSettings};
use serde::{Deserialize, Serialize};

/// The example configuration file, every setting at its default.
pub const EXAMPLE: &str = include_str!("../../../config/paperhub.example.toml");

/// Everything the configuration file can say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the database and index live.
    pub data_dir: PathBuf,
    /// The embedding model's directory (default: `model` in `data_dir`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_dir: Option<PathBuf>,
    /// The database.
    pub database: DatabaseSettings,
    /// Search.
    pub search: SearchSettings,
    /// The embedding model's arithmetic.
    pub embed: EmbedSettings,
    /// The trending formula.
    pub trending: TrendingSettings,
    /// The arXiv API that submissions are looked up in.
    pub arxiv: ArxivSettings,
    /// Which papers members may submit.
    pub submissions: SubmissionSettings,
    /// Rate limits.
    pub limits: LimitSettings,
    /// Mail: subscriptions' confirmations and digests.
    pub mail: MailSettings,
    /// The HTTP server.
    pub server: ServerSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./paperhub-data"),
            model_dir: None,
            database: DatabaseSettings::default(),
            search: SearchSettings::default(),
            embed: EmbedSettings::default(),
            trending: TrendingSettings::default(),
            arxiv: ArxivSettings::default(),
            submissions: SubmissionSettings::default(),
            limits: LimitSettings::default(),
            mail: MailSettings::default(),
            server: ServerSettings::default(),
        }
    }
}

/// `[database]`: where the papers, vectors, checkpoints (and later accounts) live.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `postgres://user:password@host:port/db` for a shared PostgreSQL (several nodes),
    /// `sqlite:PATH` for a SQLite file elsewhere; absent: the embedded SQLite file
    /// `paperhub.sqlite3` in the data directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl std::fmt::Debug for DatabaseSettings {
    /// The URL's password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field(
                "url",
                &self.url.as_deref().map(paperhub_store_postgres::redact_url),
            )
            .finish()
    }
}

/// `[search]`: how the hub searches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchSettings {
    /// Hubs with at most this many paper vectors search them exactly (in memory); above it,
    /// with the approximate HNSW index saved in the data directory.
    pub exact_search_max: u64,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self {
            exact_search_max: crate::assembly::EXACT_SEARCH_MAX,
        }
    }
}

/// `[embed]`: which of the embedding model's arithmetic paths may run (each only where the
/// CPU has it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbedSettings {
    /// `auto` (AMX tiles, bf16 queries where the CPU has them) or `f32` (f32 everywhere).
    pub precision: paperhub_embed::Precision,
    /// A query's products on the small AVX2/AVX-512 kernels; false: the general product.
    pub few_row_kernels: bool,
    /// A hybrid search's query multiplied in bf16 where the CPU has AVX-512 BF16.
    pub bf16_queries: bool,
}

impl Default for EmbedSettings {
    fn default() -> Self {
        let kernels = paperhub_embed::Kernels::default();
        Self {
            precision: kernels.precision,
            few_row_kernels: kernels.few_row_kernels,
            bf16_queries: kernels.bf16_queries,
        }
    }
}

impl EmbedSettings {
    /// The kernels these settings allow.
    pub fn kernels(&self) -> paperhub_embed::Kernels {
        paperhub_embed::Kernels {
            precision: self.precision,
            few_row_kernels: self.few_row_kernels,
            bf16_queries: self.bf16_queries,
        }
    }
}

/// `[trending]`: the parameters of `votes_in_period / (age_hours + offset_hours) ^ gravity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrendingSettings {
    /// How fast age pulls a paper down (Hacker News: 1.8).
    pub gravity: f64,
    /// Hours added to every age, so that a new paper does not divide by almost nothing.
    pub offset_hours: f64,
    /// Seconds a period's ranking is reused before it is computed again (0: never reused).
    /// A vote, comment or submission through the same node drops it at once.
    pub cache_secs: u64,
}

impl Default for TrendingSettings {
    fn default() -> Self {
        Self {
            gravity: paperhub_app::DEFAULT_GRAVITY,
            offset_hours: paperhub_app::DEFAULT_OFFSET_HOURS,
            cache_secs: paperhub_app::DEFAULT_CACHE_SECS,
        }
    }
}

impl TrendingSettings {
    /// The rules these settings give, checked.
    pub fn rules(&self) -> anyhow::Result<paperhub_app::TrendingRules> {
        for (name, value) in [
            ("gravity", self.gravity),
            ("offset_hours", self.offset_hours),
        ] {
            if !(value.is_finite() && value > 0.0) {
                anyhow::bail!("trending.{name} must be a number above 0, not {value}");
            }
        }
        Ok(paperhub_app::TrendingRules {
            gravity: self.gravity,
            offset_hours: self.offset_hours,
            cache_secs: self.cache_secs,
        })
    }
}

/// `[arxiv]`: the arXiv API that submitted papers are looked up in, and only there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArxivSettings {
    /// The API's base URL; the hub asks it `?id_list=ID`.
    pub api_url: String,
    /// Longest an answer may take, in seconds, before the member is told it failed.
    pub timeout_secs: u64,
}

impl Default for ArxivSettings {
    fn default() -> Self {
        Self {
            api_url: paperhub_ingest::arxiv_api::ARXIV_API_URL.into(),
            timeout_secs: 10,
        }
    }
}

/// `[submissions]`: which papers members may submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubmissionSettings {
    /// Only papers first published at most this many days ago; 0: any age.
    pub max_age_days: u32,
}

impl Default for SubmissionSettings {
    fn default() -> Self {
        Self {
            max_age_days: paperhub_app::DEFAULT_MAX_AGE_DAYS,
        }
    }
}

impl Settings {
    /// The submission rules these settings give, checked.
    pub fn submission_rules(&self) -> anyhow::Result<paperhub_app::SubmissionRules> {
        let url = self.arxiv.api_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("arxiv.api_url `{url}` must start with http:// or https://");
        }
        if self.arxiv.timeout_secs == 0 {
            anyhow::bail!("arxiv.timeout_secs must be at least 1");
        }
        Ok(paperhub_app::SubmissionRules {
            api: paperhub_ingest::arxiv_api::ArxivApi::new(
                url,
                std::time::Duration::from_secs(self.arxiv.timeout_secs),
            ),
            max_age_days: self.submissions.max_age_days,
        })
    }
}

/// How mail travels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTransport {
    /// One `.eml` file per mail in `mail.dir`: the embedded default, no mail server needed.
    #[default]
    File,
    /// To the SMTP server of `mail.smtp_url`.
    Smtp,
}

/// `[mail]`: how mail is sent, how fast, and what a digest holds.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// `file` or `smtp`.
    pub transport: MailTransport,
    /// `smtp://host:port` (plain, or STARTTLS with `?tls=required`), `smtps://host:port`
    /// (TLS), with `user:password@` for authentication.
    pub smtp_url: String,
    /// Where the file transport writes (default: `mail` in the data directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// The sender: `Name <address>` or an address.
    pub from: String,
    /// Mails handed over per second at most, per process (0: no limit).
    pub rate_per_sec: u32,
    /// Threads sending at once.
    pub workers: usize,
    /// Seconds a worker holds the mails it claimed; a killed run's mails wait this long
    /// before another run takes them.
    pub lease_secs: u64,
    /// Seconds before the first retry of a temporary failure; each next one waits twice as long.
    pub retry_base_secs: u64,
    /// The longest wait between retries, in seconds.
    pub retry_max_secs: u64,
    /// Tries of a mail before it counts as failed.
    pub max_attempts: u32,
    /// Permanent failures (5xx) after which an address is paused.
    pub pause_after_failures: u32,
    /// Seconds an SMTP command may take.
    pub timeout_secs: u64,
    /// Trending papers in a digest at most.
    pub digest_trending: usize,
    /// New papers per topic (and per saved search of a member) in a digest at most.
    pub digest_per_topic: usize,
    /// Recommendations from a member's tags in the member's digest at most.
    pub digest_picks: usize,
    /// The least cosine similarity of a topic's papers (with the embedding model).
    pub topic_min_similarity: f32,
    /// `serve` runs the digests itself, at `schedule_hour_utc` (daily; weekly on Mondays).
    pub schedule: bool,
    /// The hour (UTC) of the scheduled runs.
    pub schedule_hour_utc: u32,
}

impl Default for MailSettings {
    fn default() -> Self {
        let rules = paperhub_app::DeliveryRules::new("");
        Self {
            transport: MailTransport::File,
            smtp_url: "smtp://127.0.0.1:25".into(),
            dir: None,
            from: "paperhub <paperhub@localhost.localdomain>".into(),
            rate_per_sec: rules.rate_per_sec,
            workers: rules.workers,
            lease_secs: rules.lease.as_secs(),
            retry_base_secs: rules.retry_base.as_secs(),
            retry_max_secs: rules.retry_max.as_secs(),
            max_attempts: rules.max_attempts,
            pause_after_failures: rules.pause_after,
            timeout_secs: 20,
            digest_trending: rules.digest.trending,
            digest_per_topic: rules.digest.per_topic,
            digest_picks: rules.digest.picks,
            topic_min_similarity: rules.digest.topic_min_similarity,
            schedule: false,
            schedule_hour_utc: 7,
        }
    }
}

impl std::fmt::Debug for MailSettings {
    /// The SMTP URL's password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("transport", &self.transport)
            .field(
                "smtp_url",
                &paperhub_store_postgres::redact_url(&self.smtp_url),
            )
            .field("dir", &self.dir)
            .field("from", &self.from)
            .field("rate_per_sec", &self.rate_per_sec)
            .field("workers", &self.workers)
            .field("schedule", &self.schedule)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// The hub's public URL for mails: `server.public_url`, else `http://` and `server.listen`.
    pub fn mail_public_url(&self) -> String {
        match self.server.public_url.trim() {
            "" => format!("http://{}", self.server.listen),
            url => url.trim_end_matches('/').to_owned(),
        }
    }

    /// The delivery rules these settings give, checked.
    pub fn delivery_rules(&self) -> anyhow::Result<paperhub_app::DeliveryRules> {
        let mail = &self.mail;
        if mail.workers == 0 || mail.max_attempts == 0 || mail.lease_secs == 0 {
            anyhow::bail!("mail.workers, mail.max_attempts and mail.lease_secs must be at least 1");
        }
        if mail.schedule_hour_utc > 23 {
            anyhow::bail!(
                "mail.schedule_hour_utc must be from 0 to 23, not {}",
                mail.schedule_hour_utc
            );
        }
        if !(0.0..=1.0).contains(&mail.topic_min_similarity) {
            anyhow::bail!("mail.topic_min_similarity must be from 0 to 1");
        }
        let mut rules = paperhub_app::DeliveryRules::new(&self.mail_public_url());
        rules.rate_per_sec = mail.rate_per_sec;
        rules.workers = mail.workers;
        rules.lease = std::time::Duration::from_secs(mail.lease_secs);
        rules.retry_base = std::time::Duration::from_secs(mail.retry_base_secs);
        rules.retry_max =
            std::time::Duration::from_secs(mail.retry_max_secs.max(mail.retry_base_secs));
        rules.max_attempts = mail.max_attempts;
        rules.pause_after = mail.pause_after_failures.max(1);
        rules.digest = paperhub_app::DigestRules {
            trending: mail.digest_trending,
            per_topic: mail.digest_per_topic,
            picks: mail.digest_picks,
            topic_min_similarity: mail.topic_min_similarity,
        };
        Ok(rules)
    }
}

/// Settings given as command-line flags; `None` when the flag was not given.
#[derive(Debug, Default, Serialize)]
pub struct Flags {
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--model-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_dir: Option<PathBuf>,
    /// `--database-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// `serve --listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

/// The sections of the settings, each read from `PAPERHUB_<SECTION>__<KEY>`.
const SECTIONS: &[&str] = &[
    "database",
    "search",
    "embed",
    "trending",
    "arxiv",
    "submissions",
    "limits",
    "mail",
    "server",
];

/// Environment variables read as settings: `PAPERHUB_DATA_DIR`, `PAPERHUB_MODEL_DIR`,
/// `PAPERHUB_DATABASE_URL` and `PAPERHUB_<SECTION>__<KEY>`. Other `PAPERHUB_…` variables
/// (`PAPERHUB_CONFIG`, those of the tests) are not settings.
fn env_provider() -> Env {
    Env::prefixed("PAPERHUB_")
        .map(|key| {
            if key.as_str().eq_ignore_ascii_case("database_url") {
                "database__url".into()
            } else {
                key.into()
            }
        })
        .split("__")
        .filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            key == "data_dir"
                || key == "model_dir"
                || SECTIONS.iter().any(|section| {
                    key.starts_with(&format!("{section}."))
                        || key.starts_with(&format!("{section}__"))
                })
        })
}

/// Reads the settings: defaults, then `file`, then the environment, then `flags`.
pub fn load(file: Option<&Path>, flags: &Flags) -> anyhow::Result<Settings> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    if let Some(file) = file {
        if !file.is_file() {
            anyhow::bail!("no configuration file {}", file.display());
        }
        figment = figment.merge(Toml::file_exact(file));
    }
    figment = figment.merge(env_provider());
    let mut settings: Settings = figment
        .extract()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| match file {
            Some(file) => format!(
                "reading the configuration ({} and the environment)",
                file.display()
            ),
            None => "reading the configuration from the environment".into(),
        })?;
    if let Some(dir) = &flags.data_dir {
        settings.data_dir.clone_from(dir);
    }
    if let Some(dir) = &flags.model_dir {
        settings.model_dir = Some(dir.clone());
    }
    if let Some(url) = &flags.database_url {
        settings.database.url = Some(url.clone());
    }
    if let Some(listen) = &flags.listen {
        settings.server.listen.clone_from(listen);
    }
    Ok(settings)
}

impl Settings {
    /// The validated server configuration.
    pub fn server_config(&self) -> anyhow::Result<ServerConfig> {
        let mut config = ServerConfig::try_from(self.server.clone())
            .context("checking the [server] settings")?;
        config.limits = self.limits.clone();
        Ok(config)
    }

    /// The settings as a TOML file.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        toml::to_string(self).context("writing the settings as TOML")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_holds_exactly_the_defaults() {
        let parsed: Settings = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment::Jail fixes the closure's error type"
    )]
    fn flags_override_the_environment_which_overrides_the_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "paperhub.toml",
                "data_dir = \"from-file\"\n[server]\nlisten = \"127.0.0.1:1111\"\nrequest_timeout_secs = 5\n",
            )?;
            let file = Path::new("paperhub.toml");
            let settings = load(Some(file), &Flags::default()).unwrap();
            assert_eq!(settings.data_dir, PathBuf::from("from-file"));
            assert_eq!(settings.server.listen, "127.0.0.1:1111");
            assert_eq!(settings.server.request_timeout_secs, 5);

            jail.set_env("PAPERHUB_SERVER__LISTEN", "127.0.0.1:2222");
            jail.set_env("PAPERHUB_DATA_DIR", "from-env");
            jail.set_env("PAPERHUB_CONFIG", "ignored: not a setting");
            let settings = load(Some(file), &Flags::default()).unwrap();
            assert_eq!(settings.server.listen, "127.0.0.1:2222");
            assert_eq!(settings.data_dir, PathBuf::from("from-env"));
            assert_eq!(
                settings.server.request_timeout_secs, 5,
                "the file still counts"
            );

            let flags = Flags {
                listen: Some("127.0.0.1:3333".into()),
                data_dir: Some("from-flag".into()),
                ..Flags::default()
            };
            let settings = load(Some(file), &flags).unwrap();
            assert_eq!(settings.server.listen, "127.0.0.1:3333");
            assert_eq!(settings.data_dir, PathBuf::from("from-flag"));
            Ok(())
        });
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment::Jail fixes the closure's error type"
    )]
    fn the_database_url_comes_from_the_file_the_environment_or_the_flag() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "paperhub.toml",
                "[database]\nurl = \"postgres://file@db/hub\"\n[search]\nexact_search_max = 7\n",
            )?;
            let file = Path::new("paperhub.toml");
            let settings = load(Some(file), &Flags::default()).unwrap();
            assert_eq!(
                settings.database.url.as_deref(),
                Some("postgres://file@db/hub")
            );
            assert_eq!(settings.search.exact_search_max, 7);
            jail.set_env("PAPERHUB_DATABASE_URL", "postgres://env:secret@db/hub");
            let settings = load(Some(file), &Flags::default()).unwrap();
            assert_eq!(
                settings.database.url.as_deref(),
                Some("postgres://env:secret@db/hub")
            );
            assert!(
                !format!("{settings:?}").contains("secret"),
                "Debug masks the password"
            );
            jail.set_env("PAPERHUB_SEARCH__EXACT_SEARCH_MAX", "9");
            let flags = Flags {
                database_url: Some("sqlite:/tmp/x.sqlite3".into()),
                ..Flags::default()
            };
            let settings = load(Some(file), &flags).unwrap();
            assert_eq!(
                settings.database.url.as_deref(),
                Some("sqlite:/tmp/x.sqlite3")
            );
            assert_eq!(settings.search.exact_search_max, 9);
            Ok(())
        });
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment::Jail fixes the closure's error type"
    )]
    fn the_model_arithmetic_is_a_setting_of_the_file_or_the_environment() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(
                load(None, &Flags::default()).unwrap().embed.kernels(),
                paperhub_embed::Kernels::default()
            );
            jail.create_file("paperhub.toml", "[embed]\nfew_row_kernels = false\n")?;
            jail.set_env("PAPERHUB_EMBED__PRECISION", "f32");
            let kernels = load(Some(Path::new("paperhub.toml")), &Flags::default())
                .unwrap()
                .embed
                .kernels();
            assert_eq!(kernels.precision, paperhub_embed::Precision::F32);
            assert!(!kernels.few_row_kernels && kernels.bf16_queries);
            jail.set_env("PAPERHUB_EMBED__PRECISION", "f16");
            let error = format!("{:#}", load(None, &Flags::default()).unwrap_err());
            assert!(error.to_lowercase().contains("embed.precision"), "{error}");
            Ok(())
        });
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment::Jail fixes the closure's error type"
    )]
    fn unknown_settings_are_refused_by_name() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "[server]\nlisten_on = \"x\"\n")?;
            let error = format!(
                "{:#}",
                load(Some(Path::new("bad.toml")), &Flags::default()).unwrap_err()
            );
            assert!(error.contains("listen_on"), "{error}");
            Ok(())
        });
    }
}
