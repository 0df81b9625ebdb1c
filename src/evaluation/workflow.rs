//! What may happen to a round and its forms, and when: the state machine
//! (draft → submitted → returned once → submitted → finalised), the deadline, optimistic
//! locking, and the audit trail every change leaves.
//!
//! Each operation runs in one database transaction: the form's row is taken first (its version
//! moved on, or the operation refused with a conflict when someone saved since the caller loaded
//! it), then the answers and the audit trail are written, so a refused operation changes
//! nothing. Who may do what by role is checked here (a region's steward fills and submits, the
//! evaluator assigned to the region verifies, returns and finalises, an admin opens rounds and
//! may do everything); whether the caller may see the region at all is the server's to decide
//! before calling.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;

use super::evidence::EvidenceStore;
use super::instrument::{Instrument, Value};
pub use super::results::{Previous, RegionResult, RoundResults};
use super::store::{self, Answer, AuditEntry, Evidence, Form, Round, Verification};
use super::{EvaluationError, FormStatus};
use crate::auth::Role;
use crate::db::{self, Db};
use crate::region::{Level, RegionCode};

type Result<T> = std::result::Result<T, EvaluationError>;

/// Who is acting: a signed-in user's name and role.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User name, as recorded in the audit trail.
    pub name: String,
    /// Role.
    pub role: Role,
}

/// The running evaluation: the database, the evidence files, where instrument files are, and
/// the instruments of opened rounds (parsed once, by hash).
#[derive(Debug)]
pub struct Evaluation {
    pub(crate) db: Db,
    pub(crate) evidence: Arc<dyn EvidenceStore>,
    instruments_dir: PathBuf,
    max_evidence_bytes: u64,
    instruments: RwLock<HashMap<String, Arc<Instrument>>>,
}

/// What an admin gives to open a round.
#[derive(Debug, Clone)]
pub struct OpenRound {
    /// Evaluation year (decides the weights).
    pub year: i32,
    /// Title; default "Evaluasi Smart City {year}".
    pub title: Option<String>,
    /// Instrument file name under the instruments folder; default the shipped example.
    pub instrument: Option<String>,
    /// The kab/kota evaluated.
    pub cohort: Vec<RegionCode>,
    /// Last day regions may edit.
    pub deadline: NaiveDate,
    /// Which evaluator (user name) assesses which region.
    pub assignments: Vec<(RegionCode, String)>,
}

/// A form with everything needed to show or check it.
#[derive(Debug, Clone)]
pub struct FormView {
    /// The round.
    pub round: Round,
    /// The round's instrument.
    pub instrument: Arc<Instrument>,
    /// The form.
    pub form: Form,
    /// Answers by item.
    pub answers: HashMap<String, Answer>,
    /// Evidence, oldest first.
    pub evidence: Vec<Evidence>,
}

/// An answer to save: the raw value as typed (`None` or empty: cleared) and a note.
#[derive(Debug, Clone, Default)]
pub struct AnswerInput {
    /// Item id.
    pub item: String,
    /// Value as typed.
    pub value: Option<String>,
    /// The region's note.
    pub note: Option<String>,
}

/// An evaluator's decision on one item: accept the self-assessed value, or set another.
#[derive(Debug, Clone)]
pub struct Decision {
    /// Item id.
    pub item: String,
    /// `None`: accept; `Some(value)`: the verified value as typed.
    pub value: Option<String>,
    /// The evaluator's note.
    pub note: Option<String>,
}

/// Today in Western Indonesian Time (UTC+7), the deadline's calendar.
pub fn today_wib() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}

fn entry(actor: &Actor, now: &str, action: &str) -> AuditEntry {
    AuditEntry {
        seq: 0,
        at: now.to_string(),
        actor: actor.name.clone(),
        action: action.to_string(),
        item: None,
        field: None,
        old_value: None,
        new_value: None,
    }
}

pub(super) fn change(
    actor: &Actor,
    now: &str,
    action: &str,
    item: Option<&str>,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> AuditEntry {
    AuditEntry {
        item: item.map(str::to_string),
        field: Some(field.to_string()),
        old_value: old.map(str::to_string),
        new_value: new.map(str::to_string),
        ..entry(actor, now, action)
    }
}

/// The value an answer row holds, parsed; `verified` picks the verified one.
pub fn stored_value(instrument: &Instrument, a: &Answer, verified: bool) -> Option<Value> {
    let item = instrument.item(&a.item)?;
    let raw = if verified {
        match a.verification? {
            Verification::Accepted => a.value.as_deref()?,
            Verification::Changed => a.verified_value.as_deref()?,
        }
    } else {
        a.value.as_deref()?
    };
    item.parse(raw).ok()
}

pub(super) fn trimmed(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Evaluation {
    /// The evaluation on `db`, with evidence in `evidence`, instrument files in
    /// `instruments_dir`, and evidence files limited to `max_evidence_bytes`.
    pub fn new(
        db: Db,
        evidence: Arc<dyn EvidenceStore>,
        instruments_dir: PathBuf,
        max_evidence_bytes: u64,
    ) -> Evaluation {
        Evaluation {
            db,
            evidence,
            instruments_dir,
            max_evidence_bytes,
            instruments: RwLock::default(),
        }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The evidence file limit in bytes.
    pub fn max_evidence_bytes(&self) -> u64 {
        self.max_evidence_bytes
    }

    /// The bytes of a stored evidence file.
    pub fn evidence_bytes(&self, sha256: &str) -> Result<Vec<u8>> {
        Ok(self.evidence.get(sha256)?)
    }

    /// The instrument stored under `sha256`, parsed once per process.
    pub async fn instrument(&self, sha256: &str) -> Result<Arc<Instrument>> {
        if let Some(i) = self
            .instruments
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(sha256)
        {
            return Ok(i.clone());
        }
        let mut c = self.db.pool().acquire().await?;
        let source = store::instrument_source(&mut c, sha256)
            .await?
            .ok_or_else(|| EvaluationError::Instrument(format!("no instrument {sha256}")))?;
        let parsed = Arc::new(Instrument::parse(&source).map_err(EvaluationError::Instrument)?);
        self.instruments
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(sha256.to_string(), parsed.clone());
        Ok(parsed)
    }

    fn require_admin(actor: &Actor) -> Result<()> {
        if actor.role == Role::Admin {
            return Ok(());
        }
        Err(EvaluationError::forbidden(
            "Hanya admin yang dapat membuka dan mengatur ronde evaluasi.",
            "Only an admin may open and manage evaluation rounds.",
        ))
    }

    /// Open a round: store its instrument, create a draft form per cohort region with its
    /// evaluator.
    pub async fn open_round(&self, actor: &Actor, o: OpenRound) -> Result<Round> {
        Self::require_admin(actor)?;
        if !(2017..=2100).contains(&o.year) {
            return Err(EvaluationError::invalid(
                format!("Tahun {} di luar rentang 2017–2100.", o.year),
                format!("Year {} is outside 2017–2100.", o.year),
            ));
        }
        if o.cohort.is_empty() {
            return Err(EvaluationError::invalid(
                "Kohort kosong: sebutkan paling sedikit satu kab/kota.",
                "The cohort is empty: name at least one kab/kota.",
            ));
        }
        if let Some(bad) = o.cohort.iter().find(|c| c.level() != Level::Regency) {
            return Err(EvaluationError::invalid(
                format!("{bad} bukan kode kab/kota; kohort terdiri dari kab/kota (mis. 35.09)."),
                format!("{bad} is not a kab/kota code; a cohort is made of kab/kota (e.g. 35.09)."),
            ));
        }
        if let Some((r, _)) = o.assignments.iter().find(|(r, _)| !o.cohort.contains(r)) {
            return Err(EvaluationError::invalid(
                format!("Penugasan untuk {r}, yang tidak ada dalam kohort."),
                format!("An assignment for {r}, which is not in the cohort."),
            ));
        }
        let file = o
            .instrument
            .clone()
            .unwrap_or_else(|| super::EXAMPLE_INSTRUMENT.to_string());
        let plain =
            !file.contains(['/', '\\']) && !file.starts_with('.') && file.ends_with(".toml");
        if !plain {
            return Err(EvaluationError::invalid(
                format!("Instrumen {file:?} harus nama berkas .toml di folder frameworks."),
                format!("Instrument {file:?} must be a .toml file name in the frameworks folder."),
            ));
        }
        let path = self.instruments_dir.join(&file);
        let source = tokio::fs::read_to_string(&path).await.map_err(|_| {
            EvaluationError::invalid(
                format!("Berkas instrumen {file:?} tidak ditemukan."),
                format!("Instrument file {file:?} was not found."),
            )
        })?;
        let instrument = Instrument::parse(&source).map_err(|e| {
            EvaluationError::invalid(
                format!("Instrumen {file}: {e}"),
                format!("Instrument {file}: {e}"),
            )
        })?;
        let now = db::now();
        let mut round = Round {
            id: 0,
            year: o.year,
            title: trimmed(o.title.as_deref())
                .unwrap_or_else(|| format!("Evaluasi Smart City {}", o.year)),
            instrument_sha256: instrument.sha256.clone(),
            deadline: o.deadline,
            opened_by: actor.name.clone(),
            opened_at: now.clone(),
        };
        let mut tx = self.db.begin_write().await?;
        store::put_instrument(
            &mut tx,
            &instrument.sha256,
            &instrument.id,
            &instrument.version,
            &file,
            &source,
            &now,
        )
        .await?;
        round.id = store::insert_round(&mut tx, &round).await?;
        let assigned: HashMap<&RegionCode, &str> =
            o.assignments.iter().map(|(r, e)| (r, e.as_str())).collect();
        let mut cohort = o.cohort.clone();
        cohort.sort();
        cohort.dedup();
        for region in &cohort {
            let evaluator = assigned.get(region).copied();
            store::insert_form(&mut tx, round.id, region, evaluator, &actor.name, &now).await?;
            let mut entries = vec![AuditEntry {
                action: "open".into(),
                ..change(actor, &now, "status", None, "status", None, Some("draft"))
            }];
            if let Some(ev) = evaluator {
                entries.push(change(
                    actor,
                    &now,
                    "assign",
                    None,
                    "evaluator",
                    None,
                    Some(ev),
                ));
            }
            store::append_audit(&mut tx, round.id, region, &entries).await?;
        }
        tx.commit().await?;
        tracing::info!(round = round.id, year = round.year, regions = cohort.len(), instrument = %instrument.id, "evaluation round opened");
        Ok(round)
    }

    /// Change a round's deadline and/or evaluator assignments (`None` removes one).
    pub async fn update_round(
        &self,
        actor: &Actor,
        round_id: i64,
        deadline: Option<NaiveDate>,
        assignments: &[(RegionCode, Option<String>)],
    ) -> Result<Round> {
        Self::require_admin(actor)?;
        let now = db::now();
        let mut tx = self.db.begin_write().await?;
        let round = store::round(&mut tx, round_id)
            .await?
            .ok_or_else(|| no_round(round_id))?;
        if let Some(d) = deadline {
            store::set_deadline(&mut tx, round_id, d).await?;
        }
        for (region, evaluator) in assignments {
            let mut form = store::form(&mut tx, round_id, region)
                .await?
                .ok_or_else(|| no_form(round_id, region))?;
            store::touch(&mut tx, round_id, region, &actor.name, &now).await?;
            let entry = change(
                actor,
                &now,
                "assign",
                None,
                "evaluator",
                form.evaluator.as_deref(),
                evaluator.as_deref(),
            );
            form.evaluator = evaluator.clone();
            store::set_status(&mut tx, &form).await?;
            store::append_audit(&mut tx, round_id, region, &[entry]).await?;
        }
        tx.commit().await?;
        let mut c = self.db.pool().acquire().await?;
        Ok(store::round(&mut c, round_id).await?.unwrap_or(round))
    }

    /// Every round, newest first.
    pub async fn rounds(&self) -> Result<Vec<Round>> {
        let mut c = self.db.pool().acquire().await?;
        store::rounds(&mut c).await
    }

    /// One round.
    pub async fn round(&self, id: i64) -> Result<Round> {
        let mut c = self.db.pool().acquire().await?;
        store::round(&mut c, id).await?.ok_or_else(|| no_round(id))
    }

    /// A round's forms.
    pub async fn forms(&self, round: i64) -> Result<Vec<Form>> {
        let mut c = self.db.pool().acquire().await?;
        store::forms(&mut c, round).await
    }

    /// A form with its round, instrument, answers and evidence.
    pub async fn form(&self, round_id: i64, region: &RegionCode) -> Result<FormView> {
        let mut c = self.db.pool().acquire().await?;
        let round = store::round(&mut c, round_id)
            .await?
            .ok_or_else(|| no_round(round_id))?;
        let form = store::form(&mut c, round_id, region)
            .await?
            .ok_or_else(|| no_form(round_id, region))?;
        let answers = store::answers(&mut c, round_id, region)
            .await?
            .into_iter()
            .map(|a| (a.item.clone(), a))
            .collect();
        let evidence = store::evidence(&mut c, round_id, region).await?;
        drop(c);
        let instrument = self.instrument(&round.instrument_sha256).await?;
        Ok(FormView {
            round,
            instrument,
            form,
            answers,
            evidence,
        })
    }

    /// A form's audit trail, oldest first.
    pub async fn audit(&self, round: i64, region: &RegionCode) -> Result<Vec<AuditEntry>> {
        let mut c = self.db.pool().acquire().await?;
        store::form(&mut c, round, region)
            .await?
            .ok_or_else(|| no_form(round, region))?;
        store::audit(&mut c, round, region).await
    }

    /// The region's team may change the form now: right role, an editable state, before the
    /// deadline.
    pub(super) fn check_region_edit(actor: &Actor, round: &Round, form: &Form) -> Result<()> {
        if !matches!(actor.role, Role::Steward | Role::Admin) {
            return Err(EvaluationError::forbidden(
                "Formulir penilaian mandiri diisi oleh tim daerah (peran steward).",
                "The self-assessment form is filled by the region's team (steward role).",
            ));
        }
        if !form.status.editable_by_region() {
            return Err(EvaluationError::state(
                format!(
                    "Formulir berstatus {} dan terkunci bagi daerah.",
                    form.status.label(crate::i18n::Lang::Id)
                ),
                format!(
                    "The form is {} and locked for the region.",
                    form.status.label(crate::i18n::Lang::En).to_lowercase()
                ),
            ));
        }
        if today_wib() > round.deadline {
            return Err(EvaluationError::DeadlinePassed(
                round.deadline.format("%Y-%m-%d").to_string(),
            ));
        }
        Ok(())
    }

    /// Take the form's row for a change at `expected` version; a conflict names who saved last.
    pub(super) async fn take(
        tx: &mut sqlx::AnyConnection,
        form: &Form,
        expected: i64,
        actor: &Actor,
        now: &str,
    ) -> Result<i64> {
        match store::bump(
            tx,
            form.round_id,
            &form.region,
            Some(expected),
            &actor.name,
            now,
        )
        .await?
        {
            Some(v) => Ok(v),
            None => {
                let current = store::form(tx, form.round_id, &form.region)
                    .await?
                    .unwrap_or_else(|| form.clone());
                Err(EvaluationError::Conflict {
                    current: current.version,
                    by: current.updated_by,
                })
            }
        }
    }

    pub(super) async fn begin_on_form(
        &self,
        round_id: i64,
        region: &RegionCode,
    ) -> Result<(
        sqlx::Transaction<'static, sqlx::Any>,
        Round,
        Arc<Instrument>,
        Form,
    )> {
        let round = self.round(round_id).await?;
        let instrument = self.instrument(&round.instrument_sha256).await?;
        let mut tx = self.db.begin_write().await?;
        let form = store::form(&mut tx, round_id, region)
            .await?
            .ok_or_else(|| no_form(round_id, region))?;
        Ok((tx, round, instrument, form))
    }

    /// Save the region's draft answers; returns the new version. Every value is checked before
    /// anything is written; a changed value loses its earlier verification.
    pub async fn save_answers(
        &self,
        actor: &Actor,
        round_id: i64,
        region: &RegionCode,
        version: i64,
        inputs: &[AnswerInput],
    ) -> Result<i64> {
        let (mut tx, round, instrument, form) = self.begin_on_form(round_id, region).await?;
        Self::check_region_edit(actor, &round, &form)?;
        let mut parsed = Vec::with_capacity(inputs.len());
        for input in inputs {
            let item = instrument
                .item(input.item.trim())
                .ok_or_else(|| EvaluationError::UnknownItem(input.item.clone()))?;
            let value = match trimmed(input.value.as_deref()) {
                Some(raw) => Some(item.parse(&raw)?.canonical()),
                None => None,
            };
            parsed.push((item.id.clone(), value, trimmed(input.note.as_deref())));
        }
        let now = db::now();
        let new_version = Self::take(&mut tx, &form, version, actor, &now).await?;
        let existing: HashMap<String, Answer> = store::answers(&mut tx, round_id, region)
            .await?
            .into_iter()
            .map(|a| (a.item.clone(), a))
            .collect();
        let mut entries = Vec::new();
        for (item, value, note) in parsed {
            let old = existing.get(&item).cloned().unwrap_or(Answer {
                item: item.clone(),
                ..Answer::default()
            });
            if old.value == value && old.note == note {
                continue;
            }
            let mut new = old.clone();
            if old.value != value {
                entries.push(change(
                    actor,
                    &now,
                    "answer",
                    Some(item.as_str()),
                    "value",
                    old.value.as_deref(),
                    value.as_deref(),
                ));
                new.value = value;
                // A corrected answer must be verified again.
                new.verification = None;
                new.verified_value = None;
            }
            if old.note != note {
                entries.push(change(
                    actor,
                    &now,
                    "answer",
                    Some(item.as_str()),
                    "note",
                    old.note.as_deref(),
                    note.as_deref(),
                ));
                new.note = note;
            }
            store::put_answer(&mut tx, round_id, region, &new).await?;
        }
        store::append_audit(&mut tx, round_id, region, &entries).await?;
        tx.commit().await?;
        Ok(new_version)
    }

    pub(super) async fn set_status(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        mut form: Form,
        version: i64,
        status: FormStatus,
        note: Option<String>,
    ) -> Result<i64> {
        let now = db::now();
        let new_version = Self::take(&mut tx, &form, version, actor, &now).await?;
        let mut entries = vec![change(
            actor,
            &now,
            "status",
            None,
            "status",
            Some(form.status.as_str()),
            Some(status.as_str()),
        )];
        match status {
            FormStatus::Submitted => form.submitted_at = Some(now.clone()),
            FormStatus::Returned => {
                form.returned = true;
                entries.push(change(
                    actor,
                    &now,
                    "status",
                    None,
                    "return_note",
                    form.return_note.as_deref(),
                    note.as_deref(),
                ));
                form.return_note = note;
            }
            FormStatus::Finalised => {
                form.finalised_at = Some(now.clone());
                form.finalised_by = Some(actor.name.clone());
            }
            FormStatus::Draft => {}
        }
        form.status = status;
        store::set_status(&mut tx, &form).await?;
        store::append_audit(&mut tx, form.round_id, &form.region, &entries).await?;
        tx.commit().await?;
        Ok(new_version)
    }

    /// Submit the form: every item must be answered; the form locks for the region.
    pub async fn submit(
        &self,
        actor: &Actor,
        round_id: i64,
        region: &RegionCode,
        version: i64,
    ) -> Result<i64> {
        let (mut tx, round, instrument, form) = self.begin_on_form(round_id, region).await?;
        Self::check_region_edit(actor, &round, &form)?;
        let answers = store::answers(&mut tx, round_id, region).await?;
        let missing: Vec<String> = instrument
            .items
            .iter()
            .filter(|i| !answers.iter().any(|a| a.item == i.id && a.value.is_some()))
            .map(|i| i.id.clone())
            .collect();
        if !missing.is_empty() {
            return Err(EvaluationError::Incomplete {
                id: "Formulir belum dapat dikirim; butir yang belum dijawab".into(),
                en: "The form cannot be submitted yet; items not answered".into(),
                items: missing,
            });
        }
        self.set_status(tx, actor, form, version, FormStatus::Submitted, None)
            .await
    }
}

fn no_round(id: i64) -> EvaluationError {
    EvaluationError::not_found(
        format!("Ronde evaluasi {id} tidak ada."),
        format!("Evaluation round {id} does not exist."),
    )
}

pub(super) fn no_form(round: i64, region: &RegionCode) -> EvaluationError {
    EvaluationError::not_found(
        format!("{region} tidak termasuk kohort ronde {round}."),
        format!("{region} is not in the cohort of round {round}."),
    )
}

#[cfg(test)]
#[path = "workflow_tests.rs"]
mod tests;
