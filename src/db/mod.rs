//! The one place that knows the database: opening it, the dialect differences that remain, and
//! the migrations under `migrations/`.
//!
//! An embedded SQLite file (`<data_dir>/kotacerdas.db`, WAL mode) by default, nothing to
//! install; PostgreSQL when `[database] url` names one, so several instances can share it.
//!
//! **One set of migrations and queries for both**, through sqlx's `Any` driver. Why `Any` rather
//! than a pool per backend behind our own trait: the `Any` driver passes SQL through unchanged
//! and sqlx binds `$1, $2, …` positionally on SQLite as on PostgreSQL (sqlx-sqlite reads the
//! number after `$`), so one query text serves both, and one pool type keeps every query in one
//! code path. The price is `Any`'s small type set (integers, floats, text, bytes), which the
//! schema is written for: `TEXT`, `BIGINT`, `DOUBLE PRECISION`; timestamps as fixed-width UTC
//! RFC 3339 text (it sorts as time does); flags as 0/1; ids from counter rows
//! (`migrations/0002_id_counters.sql`) rather than `SERIAL` or `AUTOINCREMENT`; no
//! `SUM` over integers (PostgreSQL answers `NUMERIC`, which `Any` cannot decode). What is left
//! of the dialect is here: how a write transaction starts (`BEGIN IMMEDIATE` on SQLite, so two
//! writers queue on the busy timeout instead of one failing at its first write; a plain `BEGIN`
//! on PostgreSQL, whose row locks do that job), the SQLite pragmas, and the PostgreSQL schema.
//!
//! Migrations are embedded in the binary and run at start; on PostgreSQL sqlx holds an advisory
//! lock while migrating, so instances starting together take turns. Besides evaluation rounds
//! the database holds login sessions and, when `[access] users = "database"`, the users and
//! their API tokens (`migrations/0003_users_and_sessions.sql`, queried by `auth::store`).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Executor, Transaction};

#[cfg(test)]
pub(crate) mod testing;

/// The database could not be opened, migrated or queried.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Connecting failed (the target is named, without its password).
    #[error("cannot open the database {target}: {source}")]
    Connect {
        /// The file or redacted URL.
        target: String,
        /// The cause.
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A setting is unusable (an unknown URL scheme, a bad schema name).
    #[error("database setting: {0}")]
    Setting(String),
}

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Where the database is. Its `Debug` form hides the password.
#[derive(Clone)]
pub enum Target {
    /// A SQLite file, created when missing.
    Sqlite(PathBuf),
    /// A PostgreSQL URL, and optionally a schema to keep the tables in (created when missing).
    Postgres {
        /// `postgres://user:password@host/db`.
        url: String,
        /// Schema name (letters, digits, `_`), `None` for the connection's default.
        schema: Option<String>,
    },
}

impl Target {
    /// The target for a configured URL (`postgres://…`, `sqlite://FILE`) or, without one, the
    /// SQLite file in `data_dir`.
    pub fn from_settings(
        url: Option<&str>,
        schema: Option<&str>,
        data_dir: &Path,
    ) -> Result<Target, DbError> {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(Target::Sqlite(data_dir.join("kotacerdas.db"))),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(Target::Postgres {
                    url: u.to_string(),
                    schema: schema.map(str::to_string),
                })
            }
            Some(u) if u.starts_with("sqlite:") => Ok(Target::Sqlite(PathBuf::from(
                u.trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:"),
            ))),
            Some(u) => Err(DbError::Setting(format!(
                "database url {:?} is neither postgres://… nor sqlite://FILE",
                redact(u)
            ))),
        }
    }

    /// What to call it in logs and errors: the file, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Target::Sqlite(p) => p.display().to_string(),
            Target::Postgres { url, schema } => match schema {
                Some(s) => format!("{} (schema {s})", redact(url)),
                None => redact(url),
            },
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A URL with any password replaced by `***`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// An open, migrated database: a connection pool and its backend. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    target: Arc<str>,
}

/// The migrations, embedded: one list for both backends.
fn migrator() -> Migrator {
    let migrations = vec![
        Migration::new(
            1,
            Cow::Borrowed("evaluation rounds"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0001_evaluation_rounds.sql")),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("id counters"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0002_id_counters.sql")),
            false,
        ),
        Migration::new(
            3,
            Cow::Borrowed("users and sessions"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0003_users_and_sessions.sql")),
            false,
        ),
    ];
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

fn valid_schema(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

impl Db {
    /// Open `target` with at most `max_connections` connections, and bring its schema up to
    /// date.
    pub async fn open(target: &Target, max_connections: u32) -> Result<Db, DbError> {
        install_default_drivers();
        let describe = target.describe();
        let connect_err = |source| DbError::Connect {
            target: describe.clone(),
            source,
        };
        let (pool, backend) = match target {
            Target::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| connect_err(sqlx::Error::Io(e)))?;
                }
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections.max(1))
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers go on while one writer writes; NORMAL
                            // synchronisation is safe in WAL mode (a power cut may lose the last
                            // commits, never corrupt the file).
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = NORMAL",
                                "PRAGMA foreign_keys = ON",
                                "PRAGMA busy_timeout = 10000",
                            ] {
                                sqlx::query(pragma).execute(&mut *conn).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await
                    .map_err(connect_err)?;
                (pool, Backend::Sqlite)
            }
            Target::Postgres { url, schema } => {
                let schema = match schema {
                    Some(s) if !valid_schema(s) => {
                        return Err(DbError::Setting(format!(
                            "schema {s:?} must be lower-case letters, digits and _"
                        )));
                    }
                    other => other.clone(),
                };
                if let Some(s) = &schema {
                    let once = AnyPoolOptions::new()
                        .max_connections(1)
                        .connect(url)
                        .await
                        .map_err(connect_err)?;
                    once.execute(format!("CREATE SCHEMA IF NOT EXISTS {s}").as_str())
                        .await?;
                    once.close().await;
                }
                let search_path =
                    schema.map(|s| Arc::<str>::from(format!("SET search_path TO {s}")));
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections.max(1))
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(move |conn, _| {
                        let search_path = search_path.clone();
                        Box::pin(async move {
                            if let Some(sql) = search_path {
                                sqlx::query(&sql).execute(&mut *conn).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await
                    .map_err(connect_err)?;
                (pool, Backend::Postgres)
            }
        };
        migrator().run(&pool).await?;
        tracing::info!(database = %describe, backend = ?backend, "database ready");
        Ok(Db {
            pool,
            backend,
            target: describe.into(),
        })
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The file or redacted URL, for logs.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Start a transaction that will write: on SQLite it takes the write lock at once, so a
    /// second writer waits (up to the busy timeout) rather than failing at its first write.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, DbError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Run one statement without parameters (administration, e.g. a test dropping its
    /// PostgreSQL schema).
    pub async fn execute_raw(&self, sql: &str) -> Result<(), DbError> {
        self.pool.execute(sql).await?;
        Ok(())
    }

    /// Close every connection (tests drop their schema afterwards).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Now, as the fixed-width UTC text the schema stores (`2026-11-30T08:45:37.123456Z`).
pub fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_a_log_line() {
        assert_eq!(
            redact("postgres://kc:rahasia@127.0.0.1:5432/kc"),
            "postgres://kc:***@127.0.0.1:5432/kc"
        );
        assert_eq!(redact("postgres://127.0.0.1/kc"), "postgres://127.0.0.1/kc");
    }

    #[test]
    fn the_default_target_is_a_file_in_the_data_dir() {
        let t = Target::from_settings(None, None, Path::new("data")).unwrap();
        assert!(matches!(t, Target::Sqlite(ref p) if p == Path::new("data/kotacerdas.db")));
        let t =
            Target::from_settings(Some("postgres://a:b@h/d"), Some("kc"), Path::new("x")).unwrap();
        assert!(t.describe().contains("***") && t.describe().contains("schema kc"));
        assert!(Target::from_settings(Some("mysql://h/d"), None, Path::new("x")).is_err());
    }

    #[tokio::test]
    async fn a_sqlite_file_is_created_migrated_and_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&Target::Sqlite(dir.path().join("kc.db")), 2)
            .await
            .unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rounds")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(n, 0);
        // Opening again finds the migrations applied.
        db.close().await;
        Db::open(&Target::Sqlite(dir.path().join("kc.db")), 2)
            .await
            .unwrap();
    }
}
