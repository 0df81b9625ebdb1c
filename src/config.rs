//! Configuration: `config.toml`, then `KOTACERDAS_*` environment variables, then CLI flags.
//!
//! Raw settings are deserialised with figment (which remembers where every value came from) and
//! then parsed once into [`Config`], the validated form the rest of the program trusts. A bad
//! value is an error naming the key and the file or variable it came from. Besides the
//! configuration itself it reads only the users file (`[access] users_file`, unless `[access]
//! users = "database"`), which is configuration too: a broken one stops start-up like a bad
//! key. It does not read any data files; it only says where they are.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::value::magic::RelativePathBuf;
use figment::{Figment, Metadata};
use serde::{Deserialize, Serialize};

mod evaluation;
mod object_store;

pub use evaluation::{DatabaseSettings, EvaluationConfig, EvaluationSettings};
pub use object_store::ObjectStoreSettings;

use crate::auth::{
    AccessSettings, FailureLimit, GateSettings, HashParams, LoginLimits, Scope, SecureCookies,
    UserSource, Users, UsersError,
};
use crate::ingest::remote::SourceConfig;
use crate::region::RegionCode;
use crate::score::Granularity;

/// The file read when no `--config` is given. Missing is fine: defaults apply.
pub const DEFAULT_CONFIG_FILE: &str = "config.toml";

/// Prefix of environment overrides: `KOTACERDAS_SERVER__BIND=0.0.0.0:8080`.
pub const ENV_PREFIX: &str = "KOTACERDAS_";

/// Errors in the configuration, each naming the key and where its value came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file given explicitly does not exist.
    #[error("configuration file {0} does not exist")]
    Missing(PathBuf),
    /// figment could not parse or deserialise a value (its message names key and source).
    #[error("invalid configuration: {0}")]
    Parse(#[from] Box<figment::Error>),
    /// A value deserialised but is not acceptable.
    #[error("invalid configuration: key `{key}` in {origin}: {message}")]
    Invalid {
        /// Dotted key, e.g. `server.bind`.
        key: &'static str,
        /// The file or environment variable the value came from.
        origin: String,
        /// What is wrong with it.
        message: String,
    },
    /// The users file is unreadable or breaks a rule (the message names the file and user).
    #[error("invalid configuration: {0}")]
    Users(#[from] UsersError),
}

/// Raw settings as written in `config.toml` (all keys optional there; defaults below).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// `[server]`
    pub server: ServerSettings,
    /// `[paths]`
    pub paths: PathSettings,
    /// `[scoring]`
    pub scoring: ScoringSettings,
    /// `[ingest]`
    pub ingest: IngestSettings,
    /// `[access]`
    pub access: AccessRaw,
    /// `[[sources]]`: remote sources of activity data.
    pub sources: Vec<SourceConfig>,
    /// `[cache]`
    pub cache: CacheSettings,
    /// `[log]`
    pub log: LogSettings,
    /// `[schedule]`
    pub schedule: ScheduleSettings,
    /// `[database]`
    pub database: DatabaseSettings,
    /// `[evaluation]`
    pub evaluation: EvaluationSettings,
    /// `[object_store]`
    pub object_store: ObjectStoreSettings,
}

/// `[cache]` section: the in-memory response cache in front of charts and score JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// Bytes of response bodies kept, in MiB; 0 turns the cache off.
    pub max_mb: u64,
    /// `Cache-Control: max-age` of cached responses, in seconds.
    pub max_age_secs: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            max_mb: 64,
            max_age_secs: 60,
        }
    }
}

/// `[log]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` (human-readable) or `json` (one object per line, for log collectors).
    pub format: String,
    /// A tracing filter, e.g. `info` or `info,kotacerdas=debug`; `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: "text".into(),
            level: "info,tower_http=warn".into(),
        }
    }
}

/// The log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[schedule]` section: background runs of the job. 0 means never.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSettings {
    /// Re-run the job (ingest new files in the activity folder, re-score) every N minutes.
    pub rescore_minutes: u64,
    /// Re-render the standard chart files every N minutes.
    pub render_minutes: u64,
    /// Render the standard chart files once the server listens (the dashboard renders what it
    /// shows on demand, so nobody waits for them).
    pub render_on_start: bool,
    /// Every N seconds, compare the store's live generation with the one the served scores
    /// were made from, and re-score when another instance sharing the store has committed;
    /// 0 = never.
    pub follow_store_seconds: u64,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        ScheduleSettings {
            rescore_minutes: 0,
            render_minutes: 0,
            render_on_start: true,
            follow_store_seconds: 5,
        }
    }
}

/// `[ingest]` section.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSettings {
    /// The former single upload token. Uploads now take a steward's or admin's API token;
    /// a configuration that still sets this is refused with directions, not silently ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Largest upload accepted, in MiB; bigger requests get 413 before being read.
    pub max_upload_mb: u64,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            token: None,
            max_upload_mb: 50,
        }
    }
}

// The old token is a secret: never print it.
impl std::fmt::Debug for IngestSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestSettings")
            .field("token", &self.token.as_ref().map(|_| "(set)"))
            .field("max_upload_mb", &self.max_upload_mb)
            .finish()
    }
}

/// `[access]` section as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessRaw {
    /// Public read-only mode: anonymous callers may view (within `public_scope`).
    pub public: bool,
    /// What anonymous callers see in public mode: `all` or a province / kab/kota code.
    pub public_scope: String,
    /// Where the users are: `file` (the users file) or `database`.
    pub users: String,
    /// The users file (names, roles, scopes, argon2 hashes of passwords and tokens).
    pub users_file: RelativePathBuf,
    /// Seconds a session or a database user's token is trusted before the database is asked
    /// again; 0 = every request asks.
    pub recheck_seconds: u64,
    /// How long a browser login lasts, in hours.
    pub session_hours: u64,
    /// `Secure` session cookies: `auto` (when `X-Forwarded-Proto: https`), `always`, `never`.
    pub secure_cookies: String,
    /// argon2id memory for new hashes, KiB.
    pub argon2_memory_kib: u32,
    /// argon2id passes for new hashes.
    pub argon2_iterations: u32,
    /// argon2id lanes for new hashes.
    pub argon2_parallelism: u32,
    /// Signed-in users scoped to a region may download that region's reports.
    pub own_region_reports: bool,
    /// Failed logins per user name within the window before 429; 0 = no limit.
    pub login_failures_per_name: u32,
    /// Failed logins and token checks per client address within the window; 0 = no limit.
    pub login_failures_per_address: u32,
    /// The failure window, in minutes.
    pub login_window_minutes: u64,
    /// Addresses of reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
    /// argon2 verifications at once; 0 = one per core.
    pub verify_concurrency: usize,
    /// Verifications waiting for a turn at most; more get 503 at once.
    pub verify_queue: usize,
    /// How long a verification waits for a turn before 503, in milliseconds.
    pub verify_wait_ms: u64,
}

impl Default for AccessRaw {
    fn default() -> Self {
        let hash = HashParams::default();
        let limits = LoginLimits::default();
        let gate = GateSettings::default();
        AccessRaw {
            public: false,
            public_scope: "all".into(),
            users: "file".into(),
            users_file: PathBuf::from("users.toml").into(),
            recheck_seconds: crate::auth::DEFAULT_RECHECK_SECS,
            session_hours: 8,
            secure_cookies: "auto".into(),
            argon2_memory_kib: hash.memory_kib,
            argon2_iterations: hash.iterations,
            argon2_parallelism: hash.parallelism,
            own_region_reports: false,
            login_failures_per_name: limits.per_name.max,
            login_failures_per_address: limits.per_address.max,
            login_window_minutes: limits.per_name.window.as_secs() / 60,
            trusted_proxies: Vec::new(),
            verify_concurrency: gate.concurrency,
            verify_queue: gate.queue,
            verify_wait_ms: u64::try_from(gate.wait.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// `[server]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address and port to listen on.
    pub bind: String,
    /// Largest request body accepted by routes other than uploads, in KiB (413 beyond).
    pub max_body_kb: u64,
    /// Requests taking longer than this many seconds are answered with 408.
    pub request_timeout_secs: u64,
}

/// `[paths]` section. Relative paths in a file are relative to that file's folder; relative
/// paths from the environment or flags are relative to the working directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PathSettings {
    /// Folder holding `regions/`, `frameworks/` and `activities/`.
    pub data_dir: RelativePathBuf,
    /// Folder the job renders charts into.
    pub chart_dir: RelativePathBuf,
    /// The framework file (dimensions, indicators, weights).
    pub framework: RelativePathBuf,
    /// The activity store (Parquet generations, manifest, quarantine).
    pub store: RelativePathBuf,
}

/// `[scoring]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScoringSettings {
    /// Period granularity: `year`, `quarter` or `month`.
    pub period: String,
    /// The kabupaten/kota the dashboard opens on (Kemendagri code).
    pub region: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            bind: "127.0.0.1:8080".into(),
            max_body_kb: 64,
            request_timeout_secs: 30,
        }
    }
}

impl Default for PathSettings {
    fn default() -> Self {
        PathSettings {
            data_dir: PathBuf::from("data").into(),
            chart_dir: PathBuf::from("charts").into(),
            framework: PathBuf::from("data/frameworks/seven_dimensions.toml").into(),
            store: PathBuf::from("data/store").into(),
        }
    }
}

impl Default for ScoringSettings {
    fn default() -> Self {
        ScoringSettings {
            period: "year".into(),
            region: "35.09".into(),
        }
    }
}

/// Values given on the command line; each one set overrides file and environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--bind`
    pub bind: Option<String>,
    /// `--data-dir`
    pub data_dir: Option<PathBuf>,
    /// `--chart-dir`
    pub chart_dir: Option<PathBuf>,
    /// `--framework`
    pub framework: Option<PathBuf>,
    /// `--store`
    pub store: Option<PathBuf>,
    /// `--period`
    pub period: Option<String>,
    /// `--region`
    pub region: Option<String>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the server listens.
    pub bind: SocketAddr,
    /// Root of the data folder.
    pub data_dir: PathBuf,
    /// Where the job writes charts.
    pub chart_dir: PathBuf,
    /// The framework file.
    pub framework: PathBuf,
    /// The activity store folder; with `object_store`, the local folder beside the bucket
    /// (part cache, quarantine files, results).
    pub store: PathBuf,
    /// The bucket the activity store lives in, when it is on object storage.
    pub object_store: Option<crate::store::Remote>,
    /// Period granularity for scoring.
    pub period: Granularity,
    /// The kabupaten/kota shown by default.
    pub region: RegionCode,
    /// Upload limits.
    pub ingest: IngestSettings,
    /// Users, public mode, sessions, hashing.
    pub access: AccessSettings,
    /// Remote sources.
    pub sources: Vec<SourceConfig>,
    /// Body limit for routes other than uploads, in bytes.
    pub max_body_bytes: usize,
    /// Per-request time limit.
    pub request_timeout: std::time::Duration,
    /// Response cache size and lifetime.
    pub cache: CacheSettings,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter directives.
    pub log_level: String,
    /// Background job intervals.
    pub schedule: ScheduleSettings,
    /// The database of evaluation rounds.
    pub database: crate::db::Target,
    /// Connections in the database pool.
    pub database_connections: u32,
    /// Evaluation rounds.
    pub evaluation: EvaluationConfig,
}

impl Config {
    /// Folder of the reference region files.
    pub fn regions_dir(&self) -> PathBuf {
        self.data_dir.join("regions")
    }

    /// Folder of the activity files the job ingests.
    pub fn activities_dir(&self) -> PathBuf {
        self.data_dir.join("activities")
    }

    /// Where the activity store lives: the store folder, and the bucket when configured.
    pub fn store_location(&self) -> crate::store::Location {
        crate::store::Location {
            dir: self.store.clone(),
            remote: self.object_store.clone(),
        }
    }

    /// Folder of indicator-value files (`values/*.csv` under the data folder).
    pub fn values_dir(&self) -> PathBuf {
        self.data_dir.join("values")
    }

    /// Load from `file` (or [`DEFAULT_CONFIG_FILE`] when `None`, which may be absent), the
    /// environment, and `overrides`, in that order of increasing precedence.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let path = match file {
            Some(p) if !p.exists() => return Err(ConfigError::Missing(p.to_path_buf())),
            Some(p) => p.to_path_buf(),
            None => PathBuf::from(DEFAULT_CONFIG_FILE),
        };
        let mut figment = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(&path))
            // KOTACERDAS_CONFIG names the file; KOTACERDAS_TEST_POSTGRES_URL and
            // KOTACERDAS_TEST_S3_ENDPOINT are the tests' servers, not settings.
            .merge(Env::prefixed(ENV_PREFIX).split("__").ignore(&[
                "config",
                "test_postgres_url",
                "test_s3_endpoint",
            ]));
        let o = overrides;
        for (key, value) in [
            ("server.bind", o.bind.clone()),
            ("scoring.period", o.period.clone()),
            ("scoring.region", o.region.clone()),
        ] {
            if let Some(v) = value {
                figment = figment.merge(Serialized::default(key, v));
            }
        }
        for (key, value) in [
            ("paths.data_dir", &o.data_dir),
            ("paths.chart_dir", &o.chart_dir),
            ("paths.framework", &o.framework),
            ("paths.store", &o.store),
        ] {
            if let Some(v) = value {
                figment = figment.merge(Serialized::default(key, RelativePathBuf::from(v.clone())));
            }
        }
        let settings: Settings = figment.extract().map_err(Box::new)?;
        Self::validate(&figment, settings)
    }

    fn validate(figment: &Figment, s: Settings) -> Result<Config, ConfigError> {
        let invalid = |key: &'static str, message: String| ConfigError::Invalid {
            key,
            origin: origin(figment.find_metadata(key)),
            message,
        };
        let bind = s.server.bind.parse::<SocketAddr>().map_err(|e| {
            invalid(
                "server.bind",
                format!("{:?} is not an address:port ({e})", s.server.bind),
            )
        })?;
        let period = s
            .scoring
            .period
            .parse::<Granularity>()
            .map_err(|e| invalid("scoring.period", e.to_string()))?;
        let region = RegionCode::parse(&s.scoring.region)
            .map_err(|e| invalid("scoring.region", e.to_string()))?;
        if s.ingest.token.is_some() {
            return Err(invalid(
                "ingest.token",
                "the single upload token is gone: uploads take the API token of a steward or \
                 admin (kotacerdas user add NAME --role steward --region CODE, then kotacerdas \
                 user token NAME); remove this key"
                    .into(),
            ));
        }
        let access = Self::validate_access(&s.access, &invalid)?;
        let mut names = std::collections::HashSet::new();
        if let Some(dup) = s
            .sources
            .iter()
            .find(|src| !names.insert(src.name.as_str()))
        {
            return Err(invalid(
                "sources",
                format!("two sources are named {:?}; names must be unique", dup.name),
            ));
        }
        let log_format = match s.log.format.trim() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(invalid(
                    "log.format",
                    format!("{other:?} is not a log format: expected \"text\" or \"json\""),
                ));
            }
        };
        if s.server.request_timeout_secs == 0 {
            return Err(invalid(
                "server.request_timeout_secs",
                "must be at least 1 second".into(),
            ));
        }
        let max_body_bytes =
            usize::try_from(s.server.max_body_kb.saturating_mul(1024)).unwrap_or(usize::MAX);
        let data_dir = s.paths.data_dir.relative();
        let object_store = object_store::parse(&s.object_store, invalid)?;
        let (database, evaluation) =
            evaluation::parse(&s.database, &s.evaluation, &data_dir, invalid)?;
        Ok(Config {
            database: database.0,
            database_connections: database.1,
            evaluation,
            bind,
            max_body_bytes,
            request_timeout: std::time::Duration::from_secs(s.server.request_timeout_secs),
            cache: s.cache,
            log_format,
            log_level: s.log.level,
            schedule: s.schedule,
            data_dir,
            chart_dir: s.paths.chart_dir.relative(),
            framework: s.paths.framework.relative(),
            store: s.paths.store.relative(),
            object_store,
            period,
            region,
            ingest: s.ingest,
            access,
            sources: s.sources,
        })
    }

    fn validate_access(
        a: &AccessRaw,
        invalid: &dyn Fn(&'static str, String) -> ConfigError,
    ) -> Result<AccessSettings, ConfigError> {
        let public_scope =
            Scope::parse(&a.public_scope).map_err(|e| invalid("access.public_scope", e.0))?;
        let secure_cookies = a
            .secure_cookies
            .parse::<SecureCookies>()
            .map_err(|e| invalid("access.secure_cookies", e))?;
        if !(1..=24 * 30).contains(&a.session_hours) {
            return Err(invalid(
                "access.session_hours",
                format!("{} is not between 1 and 720 hours", a.session_hours),
            ));
        }
        let hash_params = HashParams {
            memory_kib: a.argon2_memory_kib,
            iterations: a.argon2_iterations,
            parallelism: a.argon2_parallelism,
        };
        hash_params
            .hasher()
            .map_err(|e| invalid("access.argon2_memory_kib", e.to_string()))?;
        if !(1..=24 * 60).contains(&a.login_window_minutes) {
            return Err(invalid(
                "access.login_window_minutes",
                format!(
                    "{} is not between 1 and 1440 minutes",
                    a.login_window_minutes
                ),
            ));
        }
        let window = std::time::Duration::from_secs(a.login_window_minutes * 60);
        let trusted_proxies = a
            .trusted_proxies
            .iter()
            .map(|p| {
                p.trim().parse::<std::net::IpAddr>().map_err(|_| {
                    invalid(
                        "access.trusted_proxies",
                        format!("{p:?} is not an IP address (e.g. \"127.0.0.1\" or \"::1\")"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !(1..=30_000).contains(&a.verify_wait_ms) {
            return Err(invalid(
                "access.verify_wait_ms",
                format!("{} is not between 1 and 30000 ms", a.verify_wait_ms),
            ));
        }
        let source = a
            .users
            .parse::<UserSource>()
            .map_err(|e| invalid("access.users", e))?;
        if a.recheck_seconds > 3600 {
            return Err(invalid(
                "access.recheck_seconds",
                format!("{} is not between 0 and 3600 seconds", a.recheck_seconds),
            ));
        }
        // With users in the database the file is read only by `kotacerdas user migrate`: a
        // file left behind must not stop start-up, nor be mistaken for the users.
        let users = match source {
            UserSource::File => Users::load(&a.users_file.relative())?,
            UserSource::Database => Users::empty(&a.users_file.relative()),
        };
        Ok(AccessSettings {
            public: a.public.then_some(public_scope),
            session_ttl: std::time::Duration::from_secs(a.session_hours * 3600),
            secure_cookies,
            hash_params,
            source,
            users: std::sync::Arc::new(users),
            recheck: std::time::Duration::from_secs(a.recheck_seconds),
            own_region_reports: a.own_region_reports,
            login_limits: LoginLimits {
                per_name: FailureLimit {
                    max: a.login_failures_per_name,
                    window,
                },
                per_address: FailureLimit {
                    max: a.login_failures_per_address,
                    window,
                },
            },
            trusted_proxies,
            gate: GateSettings {
                concurrency: a.verify_concurrency,
                queue: a.verify_queue,
                wait: std::time::Duration::from_millis(a.verify_wait_ms),
            },
        })
    }
}

/// Describe where a value came from: a file path, an environment variable, or the defaults.
fn origin(meta: Option<&Metadata>) -> String {
    match meta {
        Some(m) => match &m.source {
            Some(src) => src.to_string(),
            None => m.name.to_string(),
        },
        None => "defaults".into(),
    }
}

#[cfg(test)]
mod tests;
