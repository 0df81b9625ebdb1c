//! The `[database]` and `[evaluation]` sections: where evaluation rounds are kept (an SQLite
//! file in the data directory unless a PostgreSQL URL is given) and how large an evidence file
//! may be. Parsed once into a [`Target`] and an [`EvaluationConfig`]; the URL, which may hold a
//! password, is never printed.

use std::path::{Path, PathBuf};

use figment::value::magic::RelativePathBuf;
use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::db::Target;

/// `[database]` section: where rounds, forms and the audit trail are kept.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `postgres://user:password@host/db`; unset: the SQLite file `<data_dir>/kotacerdas.db`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// PostgreSQL schema for the tables (created when missing); unset: the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Connections in the pool.
    pub max_connections: u32,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: None,
            schema: None,
            max_connections: 8,
        }
    }
}

// The URL may hold a password: never print it.
impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.url.as_deref().map(crate::db::redact))
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// `[evaluation]` section: evaluation rounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvaluationSettings {
    /// Largest evidence file accepted, in MiB.
    pub max_evidence_mb: u64,
    /// Where evidence files are stored by content hash; unset: `<data_dir>/evidence`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_dir: Option<RelativePathBuf>,
}

impl Default for EvaluationSettings {
    fn default() -> Self {
        EvaluationSettings {
            max_evidence_mb: 20,
            evidence_dir: None,
        }
    }
}

/// The evaluation settings, validated.
#[derive(Debug, Clone)]
pub struct EvaluationConfig {
    /// Largest evidence file, bytes.
    pub max_evidence_bytes: u64,
    /// Evidence files by hash.
    pub evidence_dir: PathBuf,
    /// Where instrument files are looked up (`<data_dir>/frameworks`).
    pub instruments_dir: PathBuf,
}

/// The two sections validated: the database target with its pool size, and the evaluation
/// settings with paths resolved against `data_dir`. `invalid` names the key that is wrong.
pub(super) fn parse(
    db: &DatabaseSettings,
    ev: &EvaluationSettings,
    data_dir: &Path,
    invalid: impl Fn(&'static str, String) -> ConfigError,
) -> Result<((Target, u32), EvaluationConfig), ConfigError> {
    let database = Target::from_settings(db.url.as_deref(), db.schema.as_deref(), data_dir)
        .map_err(|e| invalid("database.url", e.to_string()))?;
    if !(1..=256).contains(&db.max_connections) {
        return Err(invalid(
            "database.max_connections",
            format!("{} is not between 1 and 256", db.max_connections),
        ));
    }
    if !(1..=1024).contains(&ev.max_evidence_mb) {
        return Err(invalid(
            "evaluation.max_evidence_mb",
            format!("{} is not between 1 and 1024 MB", ev.max_evidence_mb),
        ));
    }
    let evaluation = EvaluationConfig {
        max_evidence_bytes: ev.max_evidence_mb * 1024 * 1024,
        evidence_dir: ev
            .evidence_dir
            .as_ref()
            .map_or_else(|| data_dir.join("evidence"), RelativePathBuf::relative),
        instruments_dir: data_dir.join("frameworks"),
    };
    Ok(((database, db.max_connections), evaluation))
}
