//! The evaluation's rows in the database: reading and writing rounds, forms, answers, evidence
//! records, the audit trail and the masterplan register, with portable SQL (see `crate::db`).
//!
//! Every function takes a connection (`&mut *transaction` for writes, a pooled connection for
//! reads), so the caller decides the transaction's extent. Nothing here checks a rule of the
//! workflow: `workflow` does, and calls these.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{EvaluationError, FormStatus};
use crate::region::RegionCode;

type Result<T> = std::result::Result<T, EvaluationError>;

/// A round.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    /// Id, 1, 2, …
    pub id: i64,
    /// Evaluation year.
    pub year: i32,
    /// Title, e.g. "Evaluasi Smart City 2025".
    pub title: String,
    /// SHA-256 of the instrument file the round was opened with.
    pub instrument_sha256: String,
    /// Last day the regions may edit (inclusive, Western Indonesian Time).
    pub deadline: NaiveDate,
    /// The admin who opened it.
    pub opened_by: String,
    /// When.
    pub opened_at: String,
}

/// A region's form in a round.
#[derive(Debug, Clone, Serialize)]
pub struct Form {
    /// Round id.
    pub round_id: i64,
    /// The kab/kota.
    pub region: RegionCode,
    /// The evaluator assigned, if any.
    pub evaluator: Option<String>,
    /// Where it is in the workflow.
    pub status: FormStatus,
    /// Optimistic-locking version: every change adds one.
    pub version: i64,
    /// Whether it was returned for correction (at most once).
    pub returned: bool,
    /// The evaluator's note when returning it.
    pub return_note: Option<String>,
    /// Last change, and by whom.
    pub updated_at: String,
    /// Who changed it last.
    pub updated_by: String,
    /// When it was (last) submitted.
    pub submitted_at: Option<String>,
    /// When it was finalised.
    pub finalised_at: Option<String>,
    /// Who finalised it.
    pub finalised_by: Option<String>,
}

/// How an evaluator dealt with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verification {
    /// The self-assessed value stands.
    Accepted,
    /// The evaluator set another value.
    Changed,
}

/// One item's answer, self-assessed and verified.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Answer {
    /// Item id.
    pub item: String,
    /// Self-assessed value, canonical text (`3`, `yes`, `12.5`).
    pub value: Option<String>,
    /// The region's note.
    pub note: Option<String>,
    /// Verified value, once verified.
    pub verified_value: Option<String>,
    /// Accepted or changed, once verified.
    pub verification: Option<Verification>,
    /// The evaluator's note.
    pub verifier_note: Option<String>,
}

/// A piece of evidence: a stored file or a link.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Id (random, 16 hex digits).
    pub id: String,
    /// Item it supports.
    pub item: String,
    /// `file` or `link`.
    pub kind: String,
    /// SHA-256 of a file.
    pub sha256: Option<String>,
    /// Original file name.
    pub file_name: Option<String>,
    /// Media type, as checked.
    pub media_type: Option<String>,
    /// Size in bytes.
    pub size_bytes: Option<i64>,
    /// The link.
    pub url: Option<String>,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub added_at: String,
}

/// One entry of the audit trail: who changed what, when, from what to what.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// Order within the form.
    pub seq: i64,
    /// When (UTC).
    pub at: String,
    /// Who.
    pub actor: String,
    /// `answer`, `verify`, `evidence`, `status`, `assign`.
    pub action: String,
    /// Item concerned, if any.
    pub item: Option<String>,
    /// Field changed (`value`, `note`, `verified_value`, `status`, …).
    pub field: Option<String>,
    /// Before.
    pub old_value: Option<String>,
    /// After.
    pub new_value: Option<String>,
}

fn region(row: &AnyRow, col: &str) -> Result<RegionCode> {
    let s: String = row.try_get(col)?;
    RegionCode::parse(&s).map_err(|e| {
        EvaluationError::Db(crate::db::DbError::Setting(format!("stored region: {e}")))
    })
}

fn round_from(row: &AnyRow) -> Result<Round> {
    let deadline: String = row.try_get("deadline")?;
    Ok(Round {
        id: row.try_get("id")?,
        year: i32::try_from(row.try_get::<i64, _>("year")?).unwrap_or_default(),
        title: row.try_get("title")?,
        instrument_sha256: row.try_get("instrument_sha256")?,
        deadline: NaiveDate::parse_from_str(&deadline, "%Y-%m-%d").unwrap_or_default(),
        opened_by: row.try_get("opened_by")?,
        opened_at: row.try_get("opened_at")?,
    })
}

const FORM_COLUMNS: &str = "round_id, region, evaluator, status, version, returned, return_note, \
                            updated_at, updated_by, submitted_at, finalised_at, finalised_by";

fn form_from(row: &AnyRow) -> Result<Form> {
    let status: String = row.try_get("status")?;
    Ok(Form {
        round_id: row.try_get("round_id")?,
        region: region(row, "region")?,
        evaluator: row.try_get("evaluator")?,
        status: status
            .parse()
            .map_err(|e: String| EvaluationError::Db(crate::db::DbError::Setting(e)))?,
        version: row.try_get("version")?,
        returned: row.try_get::<i64, _>("returned")? != 0,
        return_note: row.try_get("return_note")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
        submitted_at: row.try_get("submitted_at")?,
        finalised_at: row.try_get("finalised_at")?,
        finalised_by: row.try_get("finalised_by")?,
    })
}

/// Store an instrument's text under its hash (once).
pub async fn put_instrument(
    c: &mut AnyConnection,
    sha256: &str,
    id: &str,
    version: &str,
    file_name: &str,
    source: &str,
    now: &str,
) -> Result<()> {
    let known: Option<String> =
        sqlx::query_scalar("SELECT sha256 FROM instruments WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&mut *c)
            .await?;
    if known.is_none() {
        sqlx::query(
            "INSERT INTO instruments (sha256, id, version, file_name, source, loaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(sha256)
        .bind(id)
        .bind(version)
        .bind(file_name)
        .bind(source)
        .bind(now)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// An instrument's TOML text by hash.
pub async fn instrument_source(c: &mut AnyConnection, sha256: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT source FROM instruments WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&mut *c)
            .await?,
    )
}

/// The next id for `counter` (`rounds` or `masterplan`), taken from its row in `id_counters`
/// inside the caller's write transaction. The row stays locked until that transaction ends, so
/// two admins at once on PostgreSQL get two ids (reading `MAX(id) + 1` gave both the same one),
/// and a rolled-back insert only leaves a gap.
pub async fn next_id(c: &mut AnyConnection, counter: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "UPDATE id_counters SET last_id = last_id + 1 WHERE name = $1 RETURNING last_id",
    )
    .bind(counter)
    .fetch_one(&mut *c)
    .await?)
}

/// Insert a round with the next id; returns the id.
pub async fn insert_round(c: &mut AnyConnection, r: &Round) -> Result<i64> {
    let id = next_id(c, "rounds").await?;
    sqlx::query(
        "INSERT INTO rounds (id, year, title, instrument_sha256, deadline, opened_by, opened_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(i64::from(r.year))
    .bind(&r.title)
    .bind(&r.instrument_sha256)
    .bind(r.deadline.format("%Y-%m-%d").to_string())
    .bind(&r.opened_by)
    .bind(&r.opened_at)
    .execute(&mut *c)
    .await?;
    Ok(id)
}

/// Change a round's deadline.
pub async fn set_deadline(c: &mut AnyConnection, round: i64, deadline: NaiveDate) -> Result<()> {
    sqlx::query("UPDATE rounds SET deadline = $1 WHERE id = $2")
        .bind(deadline.format("%Y-%m-%d").to_string())
        .bind(round)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// One round.
pub async fn round(c: &mut AnyConnection, id: i64) -> Result<Option<Round>> {
    sqlx::query("SELECT * FROM rounds WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?
        .as_ref()
        .map(round_from)
        .transpose()
}

/// Every round, newest first.
pub async fn rounds(c: &mut AnyConnection) -> Result<Vec<Round>> {
    sqlx::query("SELECT * FROM rounds ORDER BY year DESC, id DESC")
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(round_from)
        .collect()
}

/// Insert a new draft form.
pub async fn insert_form(
    c: &mut AnyConnection,
    round: i64,
    region: &RegionCode,
    evaluator: Option<&str>,
    actor: &str,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO forms (round_id, region, evaluator, status, version, returned, updated_at, \
         updated_by) VALUES ($1, $2, $3, 'draft', 1, 0, $4, $5)",
    )
    .bind(round)
    .bind(region.as_str())
    .bind(evaluator)
    .bind(now)
    .bind(actor)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// One form.
pub async fn form(c: &mut AnyConnection, round: i64, region: &RegionCode) -> Result<Option<Form>> {
    sqlx::query(&format!(
        "SELECT {FORM_COLUMNS} FROM forms WHERE round_id = $1 AND region = $2"
    ))
    .bind(round)
    .bind(region.as_str())
    .fetch_optional(&mut *c)
    .await?
    .as_ref()
    .map(form_from)
    .transpose()
}

/// Every form of a round, by region.
pub async fn forms(c: &mut AnyConnection, round: i64) -> Result<Vec<Form>> {
    sqlx::query(&format!(
        "SELECT {FORM_COLUMNS} FROM forms WHERE round_id = $1 ORDER BY region"
    ))
    .bind(round)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(form_from)
    .collect()
}

/// Every finalised form of `region` in any round.
pub async fn finalised_forms_of(c: &mut AnyConnection, region: &RegionCode) -> Result<Vec<Form>> {
    sqlx::query(&format!(
        "SELECT {FORM_COLUMNS} FROM forms WHERE region = $1 AND status = 'finalised'"
    ))
    .bind(region.as_str())
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(form_from)
    .collect()
}

/// Take the form for a change: lock its row and move it to the next version, when it is still
/// at `expected` (or at any version when `expected` is `None`). Returns the new version, or
/// `None` when the form moved on (someone else saved first).
pub async fn bump(
    c: &mut AnyConnection,
    round: i64,
    region: &RegionCode,
    expected: Option<i64>,
    actor: &str,
    now: &str,
) -> Result<Option<i64>> {
    let done = match expected {
        Some(v) => {
            sqlx::query(
                "UPDATE forms SET version = version + 1, updated_at = $1, updated_by = $2 \
                 WHERE round_id = $3 AND region = $4 AND version = $5",
            )
            .bind(now)
            .bind(actor)
            .bind(round)
            .bind(region.as_str())
            .bind(v)
            .execute(&mut *c)
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE forms SET version = version + 1, updated_at = $1, updated_by = $2 \
                 WHERE round_id = $3 AND region = $4",
            )
            .bind(now)
            .bind(actor)
            .bind(round)
            .bind(region.as_str())
            .execute(&mut *c)
            .await?
        }
    };
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    Ok(Some(
        sqlx::query_scalar("SELECT version FROM forms WHERE round_id = $1 AND region = $2")
            .bind(round)
            .bind(region.as_str())
            .fetch_one(&mut *c)
            .await?,
    ))
}

/// Set a form's status fields.
pub async fn set_status(c: &mut AnyConnection, form: &Form) -> Result<()> {
    sqlx::query(
        "UPDATE forms SET status = $1, returned = $2, return_note = $3, submitted_at = $4, \
         finalised_at = $5, finalised_by = $6, evaluator = $7 WHERE round_id = $8 AND region = $9",
    )
    .bind(form.status.as_str())
    .bind(i64::from(form.returned))
    .bind(form.return_note.as_deref())
    .bind(form.submitted_at.as_deref())
    .bind(form.finalised_at.as_deref())
    .bind(form.finalised_by.as_deref())
    .bind(form.evaluator.as_deref())
    .bind(form.round_id)
    .bind(form.region.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Every answer of a form, by item.
pub async fn answers(
    c: &mut AnyConnection,
    round: i64,
    region: &RegionCode,
) -> Result<Vec<Answer>> {
    let rows = sqlx::query(
        "SELECT item, value, note, verified_value, verification, verifier_note FROM answers \
         WHERE round_id = $1 AND region = $2 ORDER BY item",
    )
    .bind(round)
    .bind(region.as_str())
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let verification: Option<String> = r.try_get("verification")?;
            Ok(Answer {
                item: r.try_get("item")?,
                value: r.try_get("value")?,
                note: r.try_get("note")?,
                verified_value: r.try_get("verified_value")?,
                verification: match verification.as_deref() {
                    Some("accepted") => Some(Verification::Accepted),
                    Some("changed") => Some(Verification::Changed),
                    _ => None,
                },
                verifier_note: r.try_get("verifier_note")?,
            })
        })
        .collect()
}

/// Write one answer row whole (insert or replace).
pub async fn put_answer(
    c: &mut AnyConnection,
    round: i64,
    region: &RegionCode,
    a: &Answer,
) -> Result<()> {
    let verification = a.verification.map(|v| match v {
        Verification::Accepted => "accepted",
        Verification::Changed => "changed",
    });
    let updated = sqlx::query(
        "UPDATE answers SET value = $1, note = $2, verified_value = $3, verification = $4, \
         verifier_note = $5 WHERE round_id = $6 AND region = $7 AND item = $8",
    )
    .bind(a.value.as_deref())
    .bind(a.note.as_deref())
    .bind(a.verified_value.as_deref())
    .bind(verification)
    .bind(a.verifier_note.as_deref())
    .bind(round)
    .bind(region.as_str())
    .bind(&a.item)
    .execute(&mut *c)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO answers (round_id, region, item, value, note, verified_value, \
             verification, verifier_note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(round)
        .bind(region.as_str())
        .bind(&a.item)
        .bind(a.value.as_deref())
        .bind(a.note.as_deref())
        .bind(a.verified_value.as_deref())
        .bind(verification)
        .bind(a.verifier_note.as_deref())
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Record one evidence entry.
pub async fn insert_evidence(
    c: &mut AnyConnection,
    round: i64,
    region: &RegionCode,
    e: &Evidence,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO evidence (id, round_id, region, item, kind, sha256, file_name, media_type, \
         size_bytes, url, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12)",
    )
    .bind(&e.id)
    .bind(round)
    .bind(region.as_str())
    .bind(&e.item)
    .bind(&e.kind)
    .bind(e.sha256.as_deref())
    .bind(e.file_name.as_deref())
    .bind(e.media_type.as_deref())
    .bind(e.size_bytes)
    .bind(e.url.as_deref())
    .bind(&e.added_by)
    .bind(&e.added_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Delete one evidence record of a form.
pub async fn delete_evidence(
    c: &mut AnyConnection,
    round: i64,
    region: &RegionCode,
    id: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM evidence WHERE id = $1 AND round_id = $2 AND region = $3")
        .bind(id)
        .bind(round)
        .bind(region.as_str())
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// A form's evidence, oldest first.
pub async fn evidence(
    c: &mut AnyConnection,
    round: i64,
    region: &RegionCode,
) -> Result<Vec<Evidence>> {
    let rows = sqlx::query(
        "SELECT id, item, kind, sha256, file_name, media_type, size_bytes, url, added_by, \
         added_at FROM evidence WHERE round_id = $1 AND region = $2 ORDER BY added_at, id",
    )
    .bind(round)
    .bind(region.as_str())
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Evidence {
                id: r.try_get("id")?,
                item: r.try_get("item")?,
                kind: r.try_get("kind")?,
                sha256: r.try_get("sha256")?,
                file_name: r.try_get("file_name")?,
                media_type: r.try_get("media_type")?,
                size_bytes: r.try_get("size_bytes")?,
                url: r.try_get("url")?,
                added_by: r.try_get("added_by")?,
                added_at: r.try_get("added_at")?,
            })
        })
        .collect()
}

/// Append entries to a form's audit trail. The caller holds the form's row (after [`bump`]),
/// so the next sequence number is its own.
pub async fn append_audit(
    c: &mut AnyConnection,
    round: i64,
    region: &RegionCode,
    entries: &[AuditEntry],
) -> Result<()> {
    let mut seq: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(seq), 0) FROM audit WHERE round_id = $1 AND region = $2",
    )
    .bind(round)
    .bind(region.as_str())
    .fetch_one(&mut *c)
    .await?;
    for e in entries {
        seq += 1;
        sqlx::query(
            "INSERT INTO audit (round_id, region, seq, at, actor, action, item, field, \
             old_value, new_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(round)
        .bind(region.as_str())
        .bind(seq)
        .bind(&e.at)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(e.item.as_deref())
        .bind(e.field.as_deref())
        .bind(e.old_value.as_deref())
        .bind(e.new_value.as_deref())
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// A form's audit trail, oldest first.
pub async fn audit(
    c: &mut AnyConnection,
    round: i64,
    region: &RegionCode,
) -> Result<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, item, field, old_value, new_value FROM audit \
         WHERE round_id = $1 AND region = $2 ORDER BY seq",
    )
    .bind(round)
    .bind(region.as_str())
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                item: r.try_get("item")?,
                field: r.try_get("field")?,
                old_value: r.try_get("old_value")?,
                new_value: r.try_get("new_value")?,
            })
        })
        .collect()
}

/// Take the form's row (so this transaction is its only writer) without moving its version:
/// for changes that overwrite nothing a concurrent editor holds (evidence, assignments).
pub async fn touch(
    c: &mut AnyConnection,
    round: i64,
    region: &RegionCode,
    actor: &str,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE forms SET updated_at = $1, updated_by = $2 WHERE round_id = $3 AND region = $4",
    )
    .bind(now)
    .bind(actor)
    .bind(round)
    .bind(region.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Every answer of a round, by region (one query for a whole recap).
pub async fn round_answers(
    c: &mut AnyConnection,
    round: i64,
) -> Result<std::collections::HashMap<String, Vec<Answer>>> {
    let rows = sqlx::query(
        "SELECT region, item, value, verified_value, verification FROM answers WHERE round_id = $1",
    )
    .bind(round)
    .fetch_all(&mut *c)
    .await?;
    let mut out: std::collections::HashMap<String, Vec<Answer>> = std::collections::HashMap::new();
    for r in &rows {
        let verification: Option<String> = r.try_get("verification")?;
        out.entry(r.try_get("region")?).or_default().push(Answer {
            item: r.try_get("item")?,
            value: r.try_get("value")?,
            verified_value: r.try_get("verified_value")?,
            verification: match verification.as_deref() {
                Some("accepted") => Some(Verification::Accepted),
                Some("changed") => Some(Verification::Changed),
                _ => None,
            },
            ..Answer::default()
        });
    }
    Ok(out)
}
