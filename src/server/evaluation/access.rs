//! What evaluation routes ask of the one access decision, and the role rules of the workflow.
//!
//! A route that reads a region's evaluation data (a form, its evidence and audit trail, the
//! region's result, its masterplan, a chart) takes its parameters through
//! [`Scoped`](crate::server::access::Scoped) with one of the request types below; each states
//! the regions it reads and leaves the decision to [`check_reach`], so the evaluation pages and
//! API answer exactly as the rest of the server does for a region outside a scope. What is
//! added here is only the wording (the caller's language) and one rule of this feature:
//! evaluation data is for signed-in users, never for anonymous public viewers (a
//! self-assessment is not public until the ministry publishes it).
//!
//! Which role may do what to a form (a steward fills, an evaluator verifies, an admin opens
//! rounds) is checked by the role functions at the end, after the region was decided; whether
//! an evaluator is the one assigned to a region is a rule of the workflow, since the assignment
//! is data of the round.

use serde::Deserialize;

use super::Fail;
use crate::auth::{Capability, Principal, Role, Scope};
use crate::i18n::Lang;
use crate::region::RegionCode;
use crate::server::access::{Caller, Input, Reach, RegionRequest, check_reach};
use crate::server::{ApiError, AppState};

impl From<Fail> for ApiError {
    fn from(f: Fail) -> ApiError {
        match f.status.as_u16() {
            400 => ApiError::BadRequest(f.message),
            401 => ApiError::Unauthorized(f.message),
            403 => ApiError::Forbidden(f.message),
            404 => ApiError::NotFound(f.message),
            413 => ApiError::PayloadTooLarge(f.message),
            _ => ApiError::Internal(anyhow::anyhow!(f.message)),
        }
    }
}

impl From<ApiError> for Fail {
    fn from(e: ApiError) -> Fail {
        Fail {
            status: e.status(),
            message: e.public_message(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct LangOnly {
    lang: Option<String>,
}

/// The language of `lang=`, for refusals made before a handler runs.
fn query_lang(input: &Input<'_>) -> Lang {
    input
        .query::<LangOnly>()
        .ok()
        .and_then(|q| q.lang)
        .and_then(|l| l.parse().ok())
        .unwrap_or_default()
}

fn login_needed(lang: Lang) -> ApiError {
    ApiError::Unauthorized(
        lang.pick(
            "Perlu masuk: masuk di /login atau kirim 'Authorization: Bearer <token>'.",
            "This needs a login: sign in at /login or send 'Authorization: Bearer <token>'.",
        )
        .into(),
    )
}

/// Signed in, then the server's one decision on `reach`, its refusal worded in `lang`.
fn decide(p: &Principal, reach: &Reach, lang: Lang) -> Result<(), ApiError> {
    if !p.is_authenticated() {
        return Err(login_needed(lang));
    }
    check_reach(p, reach).map_err(|e| match e {
        ApiError::Forbidden(_) => {
            let what = match reach {
                Reach::Regions(codes) => codes
                    .iter()
                    .map(RegionCode::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                Reach::Everything => lang.pick("semua wilayah", "every region").into(),
            };
            ApiError::Forbidden(match lang {
                Lang::Id => format!("Wilayah {what} di luar cakupan akun Anda ({}).", p.scope()),
                Lang::En => format!(
                    "Region {what} is outside your account's scope ({}).",
                    p.scope()
                ),
            })
        }
        other => other,
    })
}

/// A round id from the path.
fn round_of(input: &Input<'_>, lang: Lang) -> Result<i64, ApiError> {
    Ok(super::round_id(input.path("round")?, lang)?)
}

/// A kab/kota code from the path.
fn region_of(input: &Input<'_>, lang: Lang) -> Result<RegionCode, ApiError> {
    Ok(super::region(input.path("region")?, lang)?)
}

/// `…/rounds/{round}/forms/{region}…`, `…/results/{region}…`, `/evaluasi/{round}/{region}…`:
/// one region's form, evidence, audit trail or result in a round.
#[derive(Debug)]
pub struct FormRequest {
    /// The round.
    pub round: i64,
    /// The kab/kota.
    pub region: RegionCode,
    lang: Lang,
}

impl RegionRequest for FormRequest {
    fn parse(input: &Input<'_>, _: &Caller<'_>) -> Result<Self, ApiError> {
        let lang = query_lang(input);
        Ok(FormRequest {
            round: round_of(input, lang)?,
            region: region_of(input, lang)?,
            lang,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::one(&self.region)
    }

    fn authorize(&self, p: &Principal, state: &AppState) -> Result<(), ApiError> {
        decide(p, &self.reach(state), self.lang)
    }
}

/// `/api/v1/masterplan/{region}…`: a region's masterplan register.
#[derive(Debug)]
pub struct MasterplanRequest {
    /// The kab/kota.
    pub region: RegionCode,
    lang: Lang,
}

impl RegionRequest for MasterplanRequest {
    fn parse(input: &Input<'_>, _: &Caller<'_>) -> Result<Self, ApiError> {
        let lang = query_lang(input);
        Ok(MasterplanRequest {
            region: region_of(input, lang)?,
            lang,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::one(&self.region)
    }

    fn authorize(&self, p: &Principal, state: &AppState) -> Result<(), ApiError> {
        decide(p, &self.reach(state), self.lang)
    }
}

/// `GET /api/v1/rounds/{round}`, `GET /evaluasi/{round}`: a round with the forms of the regions
/// in the caller's scope (a filter that defaults to "all I may see", like the activity list).
#[derive(Debug)]
pub struct RoundRequest {
    /// The round.
    pub round: i64,
    /// The caller's scope: the forms shown are those inside it.
    pub within: Scope,
    lang: Lang,
}

impl RegionRequest for RoundRequest {
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        let lang = query_lang(input);
        Ok(RoundRequest {
            round: round_of(input, lang)?,
            within: caller.principal.scope().clone(),
            lang,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        match self.within.root() {
            Some(root) => Reach::one(root),
            None => Reach::Everything,
        }
    }

    fn authorize(&self, p: &Principal, state: &AppState) -> Result<(), ApiError> {
        decide(p, &self.reach(state), self.lang)
    }
}

/// `GET /api/v1/rounds/{round}/results`, `…/recap/{format}`: every region of a round, ranked.
/// The reports capability and every region, like the cohort reports of the scores.
#[derive(Debug)]
pub struct CohortRequest {
    /// The round.
    pub round: i64,
    lang: Lang,
}

impl RegionRequest for CohortRequest {
    fn parse(input: &Input<'_>, _: &Caller<'_>) -> Result<Self, ApiError> {
        let lang = query_lang(input);
        Ok(CohortRequest {
            round: round_of(input, lang)?,
            lang,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::Everything
    }

    fn authorize(&self, p: &Principal, state: &AppState) -> Result<(), ApiError> {
        if !p.is_authenticated() {
            return Err(login_needed(self.lang));
        }
        read_recap(p, self.lang)?;
        decide(p, &self.reach(state), self.lang)
    }
}

/// The charts of a round: `radar` and `dimensi` of one region (`region=`), `peringkat` and
/// `peta` of the whole cohort.
#[derive(Debug)]
pub struct ChartRequest {
    /// The round.
    pub round: i64,
    /// The chart's name.
    pub kind: ChartKind,
    /// PNG or SVG.
    pub format: crate::chart::Format,
    lang: Lang,
}

/// Which chart of a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartKind {
    /// The pillar radar of a region's verified scores.
    Radar(RegionCode),
    /// The evaluation-dimension bars of a region.
    Dimensions(RegionCode),
    /// The cohort, ranked, with a region highlighted.
    Ranking(Option<RegionCode>),
    /// The cohort on a map, with a region highlighted.
    Map(Option<RegionCode>),
}

#[derive(Debug, Default, Deserialize)]
struct ChartQuery {
    region: Option<String>,
}

impl RegionRequest for ChartRequest {
    fn parse(input: &Input<'_>, _: &Caller<'_>) -> Result<Self, ApiError> {
        let lang = query_lang(input);
        let round = round_of(input, lang)?;
        let q: ChartQuery = input.query()?;
        let file = input.path("file")?;
        let (kind, ext) = file.rsplit_once('.').unwrap_or((file, "png"));
        let format: crate::chart::Format = ext.parse().map_err(|_| {
            ApiError::NotFound(
                lang.pick("Grafik: .png atau .svg.", "Charts: .png or .svg.")
                    .into(),
            )
        })?;
        let region = q
            .region
            .as_deref()
            .map(|r| super::region(r, lang))
            .transpose()?;
        let kind = match (kind, region) {
            ("radar", Some(c)) => ChartKind::Radar(c),
            ("dimensi", Some(c)) => ChartKind::Dimensions(c),
            ("peringkat", c) => ChartKind::Ranking(c),
            ("peta", c) => ChartKind::Map(c),
            _ => {
                return Err(ApiError::NotFound(
                    lang.pick(
                        "Grafik tidak dikenal: radar atau dimensi (dengan region=), peringkat, peta.",
                        "Unknown chart: radar or dimensi (with region=), peringkat, peta.",
                    )
                    .into(),
                ));
            }
        };
        Ok(ChartRequest {
            round,
            kind,
            format,
            lang,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        match &self.kind {
            ChartKind::Radar(c) | ChartKind::Dimensions(c) => Reach::one(c),
            ChartKind::Ranking(_) | ChartKind::Map(_) => Reach::Everything,
        }
    }

    fn authorize(&self, p: &Principal, state: &AppState) -> Result<(), ApiError> {
        if matches!(self.kind, ChartKind::Ranking(_) | ChartKind::Map(_)) {
            if !p.is_authenticated() {
                return Err(login_needed(self.lang));
            }
            read_recap(p, self.lang)?;
        }
        decide(p, &self.reach(state), self.lang)
    }
}

fn signed_in(p: &Principal, lang: Lang) -> Result<(), Fail> {
    if p.is_authenticated() {
        return Ok(());
    }
    Err(Fail::from(login_needed(lang)))
}

fn role_in(p: &Principal, roles: &[Role], lang: Lang, id: &str, en: &str) -> Result<(), Fail> {
    if p.role().is_some_and(|r| roles.contains(&r)) {
        return Ok(());
    }
    Err(Fail::new(403, lang.pick(id, en)))
}

/// Fill a form, add evidence or change the masterplan: the region's steward, or an admin (the
/// region itself was decided by the request's extractor).
pub fn fill_form(p: &Principal, lang: Lang) -> Result<(), Fail> {
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
pub fn verify_form(p: &Principal, lang: Lang) -> Result<(), Fail> {
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

/// See the list of rounds (year, title, deadline; not their forms): any signed-in user.
pub fn list_rounds(p: &Principal, lang: Lang) -> Result<(), Fail> {
    signed_in(p, lang)
}

/// The cohort ranking and the national recap: the reports capability (evaluators, admins).
pub fn read_recap(p: &Principal, lang: Lang) -> Result<(), Fail> {
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
