//! Which callers may touch which evaluation resources, one function per resource, decided
//! before anything is looked up (so a refusal says nothing about whether the form exists).
//!
//! Forms, evidence, the audit trail and a region's results are for signed-in users who may see
//! the region (anonymous public viewers see none of it: a self-assessment is not public until
//! the ministry publishes it). Filling needs a steward (or admin) whose scope holds the region;
//! verifying an evaluator or admin (the assignment itself is the workflow's rule, since it is
//! data of the round); opening and managing rounds an admin; the national recap and the cohort
//! ranking the reports capability (evaluators, admins).

use super::Fail;
use crate::auth::{Capability, Principal, Role};
use crate::i18n::Lang;
use crate::region::RegionCode;

fn signed_in(p: &Principal, lang: Lang) -> Result<(), Fail> {
    if p.is_authenticated() {
        return Ok(());
    }
    Err(Fail::new(
        401,
        lang.pick(
            "Perlu masuk: masuk di /login atau kirim 'Authorization: Bearer <token>'.",
            "This needs a login: sign in at /login or send 'Authorization: Bearer <token>'.",
        ),
    ))
}

fn sees(p: &Principal, region: &RegionCode, lang: Lang) -> Result<(), Fail> {
    signed_in(p, lang)?;
    if p.can_see(region) {
        return Ok(());
    }
    Err(Fail::new(
        403,
        match lang {
            Lang::Id => format!(
                "Wilayah {region} di luar cakupan akun Anda ({}).",
                p.scope()
            ),
            Lang::En => format!(
                "Region {region} is outside your account's scope ({}).",
                p.scope()
            ),
        },
    ))
}

fn role_in(p: &Principal, roles: &[Role], lang: Lang, id: &str, en: &str) -> Result<(), Fail> {
    if p.role().is_some_and(|r| roles.contains(&r)) {
        return Ok(());
    }
    Err(Fail::new(403, lang.pick(id, en)))
}

/// Read a form, its evidence and audit trail, or the region's result.
pub fn read_form(p: &Principal, region: &RegionCode, lang: Lang) -> Result<(), Fail> {
    sees(p, region, lang)
}

/// Fill a form or add evidence: the region's steward, or an admin.
pub fn fill_form(p: &Principal, region: &RegionCode, lang: Lang) -> Result<(), Fail> {
    sees(p, region, lang)?;
    role_in(
        p,
        &[Role::Steward, Role::Admin],
        lang,
        "Formulir penilaian mandiri diisi oleh tim daerah (steward) wilayah itu.",
        "The self-assessment form is filled by the region's own team (steward).",
    )
}

/// Verify, return or finalise a form: an evaluator or admin (the assignment is checked by the
/// workflow).
pub fn verify_form(p: &Principal, region: &RegionCode, lang: Lang) -> Result<(), Fail> {
    sees(p, region, lang)?;
    role_in(
        p,
        &[Role::Evaluator, Role::Admin],
        lang,
        "Verifikasi dilakukan oleh asesor yang ditugaskan (peran evaluator).",
        "Verification is done by the assigned assessor (evaluator role).",
    )
}

/// Open or change rounds: an admin.
pub fn manage_rounds(p: &Principal, lang: Lang) -> Result<(), Fail> {
    signed_in(p, lang)?;
    role_in(
        p,
        &[Role::Admin],
        lang,
        "Hanya admin yang dapat membuka dan mengatur ronde evaluasi.",
        "Only an admin may open and manage evaluation rounds.",
    )
}

/// See the list of rounds (not their forms): any signed-in user.
pub fn list_rounds(p: &Principal, lang: Lang) -> Result<(), Fail> {
    signed_in(p, lang)
}

/// The cohort ranking and the national recap: the reports capability.
pub fn read_recap(p: &Principal, lang: Lang) -> Result<(), Fail> {
    signed_in(p, lang)?;
    if p.has(Capability::Reports) {
        return Ok(());
    }
    Err(Fail::new(
        403,
        lang.pick(
            "Rekap nasional dan peringkat kohort untuk asesor dan admin.",
            "The national recap and the cohort ranking are for evaluators and admins.",
        ),
    ))
}

/// Read a region's masterplan register.
pub fn read_masterplan(p: &Principal, region: &RegionCode, lang: Lang) -> Result<(), Fail> {
    sees(p, region, lang)
}

/// Change a region's masterplan register: its steward or an admin.
pub fn edit_masterplan(p: &Principal, region: &RegionCode, lang: Lang) -> Result<(), Fail> {
    fill_form(p, region, lang)
}
