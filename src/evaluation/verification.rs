//! The evaluator's side of the workflow: verifying answers (accepting them or setting verified
//! values with notes), returning a submitted form once for correction, and finalising it. Only
//! the evaluator assigned to the region, or an admin, and only on a submitted form; every change
//! goes to the audit trail like the region's own.

use std::collections::HashMap;

use super::store::{self, Answer, Form, Verification};
use super::workflow::{Actor, Decision, Evaluation, change, trimmed};
use super::{EvaluationError, FormStatus};
use crate::auth::Role;
use crate::db;
use crate::region::RegionCode;

type Result<T> = std::result::Result<T, EvaluationError>;

impl Evaluation {
    /// The evaluator assigned to the form (or an admin) may verify it now: it is submitted.
    pub(super) fn check_verifier(actor: &Actor, form: &Form) -> Result<()> {
        let assigned =
            actor.role == Role::Evaluator && form.evaluator.as_deref() == Some(actor.name.as_str());
        if !(assigned || actor.role == Role::Admin) {
            return Err(EvaluationError::forbidden(
                format!(
                    "Hanya asesor yang ditugaskan untuk {} ({}) yang dapat memverifikasi formulir ini.",
                    form.region,
                    form.evaluator.as_deref().unwrap_or("belum ada")
                ),
                format!(
                    "Only the evaluator assigned to {} ({}) may verify this form.",
                    form.region,
                    form.evaluator.as_deref().unwrap_or("none yet")
                ),
            ));
        }
        if form.status != FormStatus::Submitted {
            return Err(EvaluationError::state(
                format!(
                    "Formulir berstatus {}: hanya formulir yang sudah dikirim yang dapat diverifikasi.",
                    form.status.label(crate::i18n::Lang::Id)
                ),
                format!(
                    "The form is {}: only a submitted form can be verified.",
                    form.status.label(crate::i18n::Lang::En).to_lowercase()
                ),
            ));
        }
        Ok(())
    }

    /// Verify answers: accept them or set verified values with notes; `accept_rest` accepts
    /// every answer not decided yet.
    pub async fn verify(
        &self,
        actor: &Actor,
        round_id: i64,
        region: &RegionCode,
        version: i64,
        decisions: &[Decision],
        accept_rest: bool,
    ) -> Result<i64> {
        let (mut tx, _, instrument, form) = self.begin_on_form(round_id, region).await?;
        Self::check_verifier(actor, &form)?;
        let mut parsed = Vec::with_capacity(decisions.len());
        for d in decisions {
            let item = instrument
                .item(d.item.trim())
                .ok_or_else(|| EvaluationError::UnknownItem(d.item.clone()))?;
            let value = match trimmed(d.value.as_deref()) {
                Some(raw) => Some(item.parse(&raw)?.canonical()),
                None => None,
            };
            parsed.push((item.id.clone(), value, trimmed(d.note.as_deref())));
        }
        let now = db::now();
        let new_version = Self::take(&mut tx, &form, version, actor, &now).await?;
        let mut answers: HashMap<String, Answer> = store::answers(&mut tx, round_id, region)
            .await?
            .into_iter()
            .map(|a| (a.item.clone(), a))
            .collect();
        let mut entries = Vec::new();
        let mut decided = Vec::new();
        for (item, value, note) in parsed {
            let Some(old) = answers.get(&item).cloned() else {
                return Err(EvaluationError::UnknownItem(item));
            };
            let mut new = old.clone();
            match value {
                Some(v) if Some(&v) != old.value.as_ref() => {
                    new.verification = Some(Verification::Changed);
                    new.verified_value = Some(v);
                }
                _ => {
                    new.verification = Some(Verification::Accepted);
                    new.verified_value = None;
                }
            }
            new.verifier_note = note.or(old.verifier_note.clone());
            let shown = |a: &Answer| match a.verification {
                Some(Verification::Accepted) => a.value.clone(),
                Some(Verification::Changed) => a.verified_value.clone(),
                None => None,
            };
            if shown(&old) != shown(&new) || old.verification != new.verification {
                entries.push(change(
                    actor,
                    &now,
                    "verify",
                    Some(item.as_str()),
                    "verified_value",
                    shown(&old).as_deref(),
                    shown(&new).as_deref(),
                ));
            }
            if old.verifier_note != new.verifier_note {
                entries.push(change(
                    actor,
                    &now,
                    "verify",
                    Some(item.as_str()),
                    "verifier_note",
                    old.verifier_note.as_deref(),
                    new.verifier_note.as_deref(),
                ));
            }
            store::put_answer(&mut tx, round_id, region, &new).await?;
            decided.push(item.clone());
            answers.insert(item, new);
        }
        if accept_rest {
            for a in answers.values_mut() {
                if a.verification.is_none() && a.value.is_some() && !decided.contains(&a.item) {
                    a.verification = Some(Verification::Accepted);
                    entries.push(change(
                        actor,
                        &now,
                        "verify",
                        Some(a.item.as_str()),
                        "verified_value",
                        None,
                        a.value.as_deref(),
                    ));
                    store::put_answer(&mut tx, round_id, region, a).await?;
                }
            }
        }
        store::append_audit(&mut tx, round_id, region, &entries).await?;
        tx.commit().await?;
        Ok(new_version)
    }

    /// Return the submitted form once for correction, with a note saying what to correct.
    pub async fn return_form(
        &self,
        actor: &Actor,
        round_id: i64,
        region: &RegionCode,
        version: i64,
        note: &str,
    ) -> Result<i64> {
        let (tx, _, _, form) = self.begin_on_form(round_id, region).await?;
        Self::check_verifier(actor, &form)?;
        if form.returned {
            return Err(EvaluationError::state(
                "Formulir ini sudah pernah dikembalikan; sebuah formulir hanya dapat dikembalikan sekali.",
                "This form was returned before; a form can be returned only once.",
            ));
        }
        let Some(note) = trimmed(Some(note)) else {
            return Err(EvaluationError::invalid(
                "Tuliskan catatan: apa yang harus diperbaiki daerah.",
                "Write a note: what the region must correct.",
            ));
        };
        self.set_status(tx, actor, form, version, FormStatus::Returned, Some(note))
            .await
    }

    /// Finalise the form: every answer must be verified; it is scored and ranked from now on.
    pub async fn finalise(
        &self,
        actor: &Actor,
        round_id: i64,
        region: &RegionCode,
        version: i64,
    ) -> Result<i64> {
        let (mut tx, _, instrument, form) = self.begin_on_form(round_id, region).await?;
        Self::check_verifier(actor, &form)?;
        let answers = store::answers(&mut tx, round_id, region).await?;
        let unverified: Vec<String> = instrument
            .items
            .iter()
            .filter(|i| {
                !answers
                    .iter()
                    .any(|a| a.item == i.id && a.verification.is_some())
            })
            .map(|i| i.id.clone())
            .collect();
        if !unverified.is_empty() {
            return Err(EvaluationError::Incomplete {
                id: "Formulir belum dapat difinalkan; butir yang belum diverifikasi".into(),
                en: "The form cannot be finalised yet; items not verified".into(),
                items: unverified,
            });
        }
        self.set_status(tx, actor, form, version, FormStatus::Finalised, None)
            .await
    }
}
