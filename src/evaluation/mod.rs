//! The smart-city evaluation round: an admin opens a round (year, instrument, cohort, deadline,
//! who assesses which region); each region's team fills its self-assessment form with evidence
//! and submits it; the assigned evaluator verifies every answer, may return the form once, and
//! finalises it; the results are scored, ranked and reported.
//!
//! - [`instrument`]: the instrument file (dimensions, weights per year, pillars, items) and
//!   answers to its items;
//! - [`score`]: items → sub-dimensions → pillars → evaluation dimensions → Indeks Pencapaian,
//!   ranks and change since the previous round;
//! - [`store`]: the rows in the database (rounds, forms, answers, evidence, the audit trail,
//!   the masterplan register) and nothing else;
//! - [`workflow`]: what may happen to a form and when (the state machine, the deadline,
//!   optimistic locking, the audit trail);
//! - [`verification`]: the evaluator's side: verify, return once, finalise;
//! - [`evidence`]: evidence files by content hash, behind a small trait, and the types accepted;
//! - [`form_evidence`]: adding evidence to a form and removing it from a draft;
//! - [`masterplan`]: the register per region and its realisation from the activity log;
//! - [`results`]: a round's results, ranked, with each region's previous round;
//! - [`recap`]: the region's evaluation report and the national recap (PDF, xlsx, CSV);
//! - [`charts`]: the chart models of a round (pillar radar, dimension bars, cohort bars and map).
//!
//! It decides nothing about HTTP, and nothing about which regions a caller may see: the server's
//! access extractor does that before calling in. What a role may do to a form (a steward fills,
//! the evaluator assigned to the region verifies) is a rule of the workflow, checked here inside
//! the transaction that changes the form, so an assignment changed a moment earlier counts.

pub mod charts;
pub mod evidence;
pub mod form_evidence;
pub mod instrument;
pub mod masterplan;
pub mod recap;
pub mod results;
pub mod score;
pub mod store;
pub mod verification;
pub mod workflow;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::db::DbError;
use crate::i18n::Lang;

pub use form_evidence::EvidenceInput;
pub use instrument::{AnswerType, Instrument, Item, Value};
pub use workflow::{Actor, Evaluation};

/// The instrument shipped as an example, under `data/frameworks/`.
pub const EXAMPLE_INSTRUMENT: &str = "evaluasi_smart_city_contoh.toml";

/// Where a form is in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormStatus {
    /// Being filled by the region's team (drafts saved).
    Draft,
    /// Submitted: locked for the region, open to its evaluator.
    Submitted,
    /// Returned once by the evaluator for correction: the region may edit again.
    Returned,
    /// Finalised by the evaluator: scored and ranked, nothing changes any more.
    Finalised,
}

impl FormStatus {
    /// The name stored and sent in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            FormStatus::Draft => "draft",
            FormStatus::Submitted => "submitted",
            FormStatus::Returned => "returned",
            FormStatus::Finalised => "finalised",
        }
    }

    /// The name shown to a person.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            FormStatus::Draft => lang.pick("Draf", "Draft"),
            FormStatus::Submitted => lang.pick("Dikirim", "Submitted"),
            FormStatus::Returned => {
                lang.pick("Dikembalikan untuk perbaikan", "Returned for correction")
            }
            FormStatus::Finalised => lang.pick("Final", "Finalised"),
        }
    }

    /// Whether the region's team may edit the form.
    pub fn editable_by_region(self) -> bool {
        matches!(self, FormStatus::Draft | FormStatus::Returned)
    }
}

impl fmt::Display for FormStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FormStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<FormStatus, String> {
        match s {
            "draft" => Ok(FormStatus::Draft),
            "submitted" => Ok(FormStatus::Submitted),
            "returned" => Ok(FormStatus::Returned),
            "finalised" => Ok(FormStatus::Finalised),
            other => Err(format!("unknown form status {other:?}")),
        }
    }
}

/// Why an evaluation operation cannot be done. Client errors carry their message in both
/// languages ([`EvaluationError::message`]); [`EvaluationError::status`] is the HTTP status the
/// server answers with.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// The instrument file is unreadable or inconsistent (names the file and the entry).
    #[error("evaluation instrument: {0}")]
    Instrument(String),
    /// An answer is not valid for its item.
    #[error("item {item}: {value:?} is not valid, expected {expected_en}")]
    BadAnswer {
        /// Item id.
        item: String,
        /// What was sent (cut to 60 characters).
        value: String,
        /// What would be valid, Indonesian.
        expected_id: String,
        /// What would be valid, English.
        expected_en: String,
    },
    /// An item id the round's instrument does not have.
    #[error("unknown item {0:?}")]
    UnknownItem(String),
    /// Malformed input other than an answer (a date, a region code, an empty cohort).
    #[error("{en}")]
    Invalid {
        /// Indonesian message.
        id: String,
        /// English message.
        en: String,
    },
    /// The round, form, evidence or entry does not exist.
    #[error("{en}")]
    NotFound {
        /// Indonesian message.
        id: String,
        /// English message.
        en: String,
    },
    /// Someone else saved the form since the caller loaded it.
    #[error("the form was changed by {by} since you opened it (version {current})")]
    Conflict {
        /// The form's version now.
        current: i64,
        /// Who saved last.
        by: String,
    },
    /// The form's state does not allow this (submitted, finalised, returned already).
    #[error("{en}")]
    State {
        /// Indonesian message.
        id: String,
        /// English message.
        en: String,
    },
    /// The round's deadline has passed.
    #[error("the deadline of this round ({0}) has passed; the form can no longer be edited")]
    DeadlinePassed(String),
    /// The caller's role or assignment does not allow this.
    #[error("{en}")]
    Forbidden {
        /// Indonesian message.
        id: String,
        /// English message.
        en: String,
    },
    /// Items still unanswered (submit) or unverified (finalise).
    #[error("{en}: {}", items.join(", "))]
    Incomplete {
        /// Indonesian message.
        id: String,
        /// English message.
        en: String,
        /// The items concerned.
        items: Vec<String>,
    },
    /// An evidence file over the size limit.
    #[error("the file {name:?} is larger than the limit of {limit_mb} MB")]
    TooLarge {
        /// Original file name.
        name: String,
        /// The limit in MB.
        limit_mb: u64,
    },
    /// An evidence file of a type that is not allowed.
    #[error("the file {name:?} ({found}) is not an allowed evidence type")]
    FileType {
        /// Original file name.
        name: String,
        /// What it looks like.
        found: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Reading or writing an evidence file failed.
    #[error("evidence storage: {0}")]
    Io(#[from] std::io::Error),
    /// A document (PDF, workbook, chart) could not be rendered.
    #[error("rendering a document: {0}")]
    Render(String),
}

impl From<sqlx::Error> for EvaluationError {
    fn from(e: sqlx::Error) -> EvaluationError {
        EvaluationError::Db(DbError::Query(e))
    }
}

/// Allowed evidence types, for messages.
pub const ALLOWED_TYPES: &str = "PDF, PNG, JPEG, XLSX, XLS, ODS, CSV, DOCX, ODT";

impl EvaluationError {
    /// A not-found error with both messages.
    pub fn not_found(id: impl Into<String>, en: impl Into<String>) -> EvaluationError {
        EvaluationError::NotFound {
            id: id.into(),
            en: en.into(),
        }
    }

    /// A malformed-input error with both messages.
    pub fn invalid(id: impl Into<String>, en: impl Into<String>) -> EvaluationError {
        EvaluationError::Invalid {
            id: id.into(),
            en: en.into(),
        }
    }

    /// A state error with both messages.
    pub fn state(id: impl Into<String>, en: impl Into<String>) -> EvaluationError {
        EvaluationError::State {
            id: id.into(),
            en: en.into(),
        }
    }

    /// A refusal with both messages.
    pub fn forbidden(id: impl Into<String>, en: impl Into<String>) -> EvaluationError {
        EvaluationError::Forbidden {
            id: id.into(),
            en: en.into(),
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            EvaluationError::BadAnswer { .. }
            | EvaluationError::UnknownItem(_)
            | EvaluationError::Incomplete { .. }
            | EvaluationError::Invalid { .. } => 422,
            EvaluationError::NotFound { .. } => 404,
            EvaluationError::Conflict { .. }
            | EvaluationError::State { .. }
            | EvaluationError::DeadlinePassed(_) => 409,
            EvaluationError::Forbidden { .. } => 403,
            EvaluationError::TooLarge { .. } => 413,
            EvaluationError::FileType { .. } => 415,
            EvaluationError::Instrument(_)
            | EvaluationError::Db(_)
            | EvaluationError::Io(_)
            | EvaluationError::Render(_) => 500,
        }
    }

    /// The message for a person, in `lang`. Server errors say little and point at the log.
    pub fn message(&self, lang: Lang) -> String {
        use EvaluationError as E;
        match (self, lang) {
            (
                E::BadAnswer {
                    item,
                    value,
                    expected_id,
                    ..
                },
                Lang::Id,
            ) => {
                format!(
                    "Butir {item}: jawaban {value:?} tidak valid; yang diterima: {expected_id}."
                )
            }
            (
                E::BadAnswer {
                    item,
                    value,
                    expected_en,
                    ..
                },
                Lang::En,
            ) => {
                format!("Item {item}: the answer {value:?} is not valid; expected {expected_en}.")
            }
            (E::UnknownItem(item), Lang::Id) => {
                format!("Butir {item:?} tidak ada dalam instrumen ronde ini.")
            }
            (E::UnknownItem(item), Lang::En) => {
                format!("Item {item:?} is not in this round's instrument.")
            }
            (E::Invalid { id, en }, _)
            | (E::NotFound { id, en }, _)
            | (E::State { id, en }, _)
            | (E::Forbidden { id, en }, _) => lang.pick(id, en).to_string(),
            (E::Conflict { current, by }, Lang::Id) => format!(
                "Formulir ini sudah diubah oleh {by} sejak Anda membukanya (kini versi {current}). \
                 Isian Anda belum disimpan dan masih ada di bawah: periksa perubahan terbaru, lalu \
                 simpan lagi."
            ),
            (E::Conflict { current, by }, Lang::En) => format!(
                "This form was changed by {by} since you opened it (now version {current}). Your \
                 input was not saved and is kept below: check the latest changes, then save again."
            ),
            (E::DeadlinePassed(d), Lang::Id) => format!(
                "Batas waktu ronde ini ({d}) sudah lewat; formulir tidak dapat diubah lagi. Isian \
                 yang sudah tersimpan tetap ada."
            ),
            (E::DeadlinePassed(d), Lang::En) => format!(
                "The deadline of this round ({d}) has passed; the form can no longer be edited. \
                 What was saved before is kept."
            ),
            (E::Incomplete { id, en, items }, _) => {
                format!("{}: {}.", lang.pick(id, en), items.join(", "))
            }
            (E::TooLarge { name, limit_mb }, Lang::Id) => {
                format!("Berkas {name:?} lebih besar dari batas {limit_mb} MB; tidak disimpan.")
            }
            (E::TooLarge { name, limit_mb }, Lang::En) => format!(
                "The file {name:?} is larger than the limit of {limit_mb} MB; it was not stored."
            ),
            (E::FileType { name, found }, Lang::Id) => format!(
                "Jenis berkas {name:?} ({found}) tidak diterima sebagai bukti dukung; yang \
                 diterima: {ALLOWED_TYPES}."
            ),
            (E::FileType { name, found }, Lang::En) => format!(
                "The file {name:?} ({found}) is not an accepted evidence type; accepted: \
                 {ALLOWED_TYPES}."
            ),
            (E::Instrument(_) | E::Db(_) | E::Io(_) | E::Render(_), _) => {
                tracing::error!("evaluation error: {self:#}");
                lang.pick(
                    "Terjadi kesalahan di server; rinciannya ada di log server.",
                    "internal error; the server log has the details",
                )
                .to_string()
            }
        }
    }
}
