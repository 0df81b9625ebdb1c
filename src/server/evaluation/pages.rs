//! The pages of evaluation rounds, in the dashboard's layout and without JavaScript: the rounds
//! (and, for an admin, the form that opens one), a round's forms, a region's form (filled by its
//! team, verified by its evaluator, read by everyone else who may see it), its audit trail, and
//! its results with charts. Every form posts back to its page; a refused post shows the page
//! again with the message and everything the person typed, so nothing is lost.

use std::collections::HashMap;

use axum::extract::{Form, Multipart, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::access::{FormRequest, RoundRequest};
use super::api::{self, realisation};
use super::{Fail, access, actor, evaluation};
use crate::auth::{Principal, Role};
use crate::evaluation::instrument::Instrument;
use crate::evaluation::masterplan::Realisation;
use crate::evaluation::workflow::{AnswerInput, Decision, FormView};
use crate::evaluation::{AnswerType, FormStatus};
use crate::i18n::{Lang, format_number};
use crate::region::RegionCode;
use crate::server::access::Scoped;
use crate::server::pages::Nav;
use crate::server::pages::layout::{self, Ctx};
use crate::server::routes::{Reads, Route, get, post};
use crate::server::{ApiError, AppState};

/// The page routes. The rounds list and the form that opens a round read no region's data.
pub(super) fn routes() -> Vec<Route> {
    vec![
        get("/evaluasi", Reads::NoRegion, rounds_page),
        post("/evaluasi", Reads::NoRegion, open_round),
        get("/evaluasi/{round}", Reads::Regions, round_page),
        get("/evaluasi/{round}/{region}", Reads::Regions, form_page),
        post("/evaluasi/{round}/{region}", Reads::Regions, form_post),
        post(
            "/evaluasi/{round}/{region}/bukti",
            Reads::Regions,
            evidence_post,
        )
        .uploads(),
        get(
            "/evaluasi/{round}/{region}/riwayat",
            Reads::Regions,
            audit_page,
        ),
        get(
            "/evaluasi/{round}/{region}/hasil",
            Reads::Regions,
            result_page,
        ),
    ]
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    lang: Option<String>,
    pesan: Option<String>,
}

fn page_lang(q: &PageQuery) -> Lang {
    q.lang
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or_default()
}

fn render(
    state: &AppState,
    p: &Principal,
    uri: &Uri,
    l: Lang,
    status: StatusCode,
    title: &str,
    body: Markup,
) -> Response {
    let snapshot = state.snapshot();
    let ctx = Ctx {
        state,
        principal: p,
        snapshot: &snapshot,
        uri,
        lang: l,
        nav: Some(Nav::Evaluation),
        region: None,
        period: None,
    };
    (status, layout::page(&ctx, title, body)).into_response()
}

fn fail_page(state: &AppState, p: &Principal, uri: &Uri, l: Lang, f: Fail) -> Response {
    let title = l.pick("Evaluasi", "Evaluation");
    let body = html! {
        h1 { (title) }
        p.error role="alert" { (f.message) }
        p { a href=(format!("/evaluasi?lang={}", l.code())) { (l.pick("Kembali ke daftar ronde", "Back to the rounds")) } }
    };
    render(state, p, uri, l, f.status, title, body)
}

fn status_label(s: FormStatus, l: Lang) -> Markup {
    html! { span.band { (s.label(l)) } }
}

async fn rounds_page(
    State(state): State<AppState>,
    p: Principal,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> Response {
    let l = page_lang(&q);
    let result = async {
        access::list_rounds(&p, l)?;
        let ev = evaluation(&state, l)?;
        ev.rounds().await.map_err(|e| Fail::from_eval(&e, l))
    }
    .await;
    let rounds = match result {
        Ok(r) => r,
        Err(f) => return fail_page(&state, &p, &uri, l, f),
    };
    let title = l.pick("Ronde evaluasi smart city", "Smart-city evaluation rounds");
    let body = html! {
        h1 { (title) }
        @if rounds.is_empty() { p.muted { (l.pick("Belum ada ronde.", "No round yet.")) } }
        @else {
            div.scroll { table {
                thead { tr { th { (l.pick("Ronde", "Round")) } th.num { (l.pick("Tahun", "Year")) } th { (l.pick("Batas waktu", "Deadline")) } th { (l.pick("Dibuka oleh", "Opened by")) } } }
                tbody { @for r in &rounds { tr {
                    th { a href=(format!("/evaluasi/{}?lang={}", r.id, l.code())) { (r.title) } }
                    td.num { (r.year) } td { (r.deadline) } td { (r.opened_by) }
                } } }
            } }
        }
        @if p.role() == Some(Role::Admin) {
            h2 { (l.pick("Buka ronde baru", "Open a new round")) }
            form.stack method="post" action=(format!("/evaluasi?lang={}", l.code())) {
                label { (l.pick("Tahun", "Year")) input type="number" name="year" min="2017" max="2100" required; }
                label { (l.pick("Judul (opsional)", "Title (optional)")) input type="text" name="title"; }
                label { (l.pick("Batas waktu pengisian", "Deadline for the regions")) input type="date" name="deadline" required; }
                label { (l.pick("Kohort: kode kab/kota dipisah koma (kosong: kohort smart city)", "Cohort: kab/kota codes, comma-separated (empty: the smart-city cohort)")) input type="text" name="cohort" placeholder="35.09, 35.10"; }
                label { (l.pick("Penugasan asesor, satu per baris: kode=nama pengguna", "Assessor assignments, one per line: code=user name")) textarea name="assignments" rows="4" placeholder="35.09=kominfo" {} }
                button type="submit" { (l.pick("Buka ronde", "Open the round")) }
            }
        }
    };
    render(&state, &p, &uri, l, StatusCode::OK, title, body)
}

async fn open_round(
    State(state): State<AppState>,
    p: Principal,
    uri: Uri,
    Query(q): Query<PageQuery>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let l = page_lang(&q);
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let result = async {
        access::manage_rounds(&p, l)?;
        let ev = evaluation(&state, l)?;
        let year = get("year").parse().map_err(|_| {
            Fail::new(
                422,
                l.pick("Tahun harus angka.", "The year must be a number."),
            )
        })?;
        let cohort = get("cohort");
        let body = api::OpenBody {
            year,
            title: Some(get("title")).filter(|t| !t.is_empty()),
            instrument: None,
            cohort: (!cohort.is_empty()).then(|| {
                cohort
                    .split([',', ' ', '\n'])
                    .filter(|c| !c.trim().is_empty())
                    .map(|c| c.trim().to_string())
                    .collect()
            }),
            deadline: get("deadline"),
            assignments: get("assignments")
                .lines()
                .filter_map(|line| line.split_once('='))
                .map(|(r, e)| (r.trim().to_string(), e.trim().to_string()))
                .collect(),
        };
        let o = api::parse_open(&state, body, l).await?;
        ev.open_round(&actor(&p, l)?, o)
            .await
            .map_err(|e| Fail::from_eval(&e, l))
    }
    .await;
    match result {
        Ok(r) => Redirect::to(&format!("/evaluasi/{}?lang={}", r.id, l.code())).into_response(),
        Err(f) => fail_page(&state, &p, &uri, l, f),
    }
}

async fn round_page(
    State(state): State<AppState>,
    p: Principal,
    uri: Uri,
    request: Result<Scoped<RoundRequest>, ApiError>,
    Query(q): Query<PageQuery>,
) -> Response {
    let l = page_lang(&q);
    let (id, within) = match request {
        Ok(s) => (s.request.round, s.request.within),
        Err(e) => return fail_page(&state, &p, &uri, l, e.into()),
    };
    let result = async {
        let ev = evaluation(&state, l)?;
        let round = ev.round(id).await.map_err(|e| Fail::from_eval(&e, l))?;
        let forms = ev.forms(id).await.map_err(|e| Fail::from_eval(&e, l))?;
        Ok::<_, Fail>((round, forms))
    }
    .await;
    let (round, forms) = match result {
        Ok(x) => x,
        Err(f) => return fail_page(&state, &p, &uri, l, f),
    };
    let visible: Vec<_> = forms
        .iter()
        .filter(|f| within.contains(&f.region))
        .collect();
    let finalised = forms
        .iter()
        .filter(|f| f.status == FormStatus::Finalised)
        .count();
    let recap = access::read_recap(&p, l).is_ok();
    let lc = l.code();
    let body = html! {
        h1 { (round.title) }
        p.muted { (l.pick("Batas waktu pengisian", "Deadline for the regions")) ": " (round.deadline) " · "
            (forms.len()) " " (l.pick("kab/kota dalam kohort", "kab/kota in the cohort")) " · " (finalised) " " (l.pick("final", "finalised")) }
        div.scroll { table {
            caption { (l.pick("Formulir yang dapat Anda lihat", "The forms you may see")) }
            thead { tr { th { (l.pick("Kab/kota", "Kab/kota")) } th { "Status" } th { (l.pick("Asesor", "Assessor")) } th.num { (l.pick("Versi", "Version")) } th { (l.pick("Terakhir diubah", "Last changed")) } } }
            tbody { @for f in &visible { tr {
                th { a href=(format!("/evaluasi/{}/{}?lang={lc}", round.id, f.region)) { (crate::evaluation::charts::name(&state.reference.regions, &f.region)) " (" (f.region) ")" } }
                td { (status_label(f.status, l)) } td { (f.evaluator.as_deref().unwrap_or("–")) }
                td.num { (f.version) } td { (f.updated_at.get(..16).unwrap_or("")) " · " (f.updated_by) }
            } } }
        } }
        @if recap && finalised > 0 {
            h2 { (l.pick("Hasil kohort", "Cohort results")) }
            p { (l.pick("Unduh rekap nasional:", "Download the national recap:")) " "
                a href=(format!("/api/v1/rounds/{}/recap/pdf?lang={lc}", round.id)) { "PDF" } " · "
                a href=(format!("/api/v1/rounds/{}/recap/xlsx?lang={lc}", round.id)) { "Excel" } " · "
                a href=(format!("/api/v1/rounds/{}/recap/csv?lang={lc}", round.id)) { "CSV" } }
            figure.chart { img src=(format!("/evaluasi/{}/grafik/peringkat.png?lang={lc}", round.id)) alt=(l.pick("Peringkat kohort menurut Indeks Pencapaian", "The cohort ranked by achievement index")) loading="lazy"; }
            figure.chart { img src=(format!("/evaluasi/{}/grafik/peta.png?lang={lc}", round.id)) alt=(l.pick("Peta kohort", "Map of the cohort")) loading="lazy"; }
        }
    };
    render(&state, &p, &uri, l, StatusCode::OK, &round.title, body)
}

/// What the person typed, to show again after a refused post.
type Typed = HashMap<String, String>;

fn value_input(
    item: &crate::evaluation::Item,
    name: &str,
    current: Option<&str>,
    l: Lang,
    enabled: bool,
) -> Markup {
    let id = format!("{name}_{}", item.id);
    html! {
        @match &item.answer {
            AnswerType::Maturity { levels_id, levels_en } => {
                select id=(id) name=(id) disabled[!enabled] {
                    option value="" { "–" }
                    @for (k, (a, b)) in levels_id.iter().zip(levels_en).enumerate() {
                        @let v = (k + 1).to_string();
                        option value=(v) selected[current == Some(v.as_str())] { (v) " — " (l.pick(a, b)) }
                    }
                }
            }
            AnswerType::YesNo => {
                select id=(id) name=(id) disabled[!enabled] {
                    option value="" { "–" }
                    option value="yes" selected[matches!(current, Some("yes" | "ya"))] { (l.pick("Ya", "Yes")) }
                    option value="no" selected[matches!(current, Some("no" | "tidak"))] { (l.pick("Tidak", "No")) }
                }
            }
            AnswerType::Number { unit_id, unit_en, min, max, .. } => {
                input id=(id) name=(id) type="text" inputmode="decimal" value=(current.unwrap_or("")) disabled[!enabled];
                " " (l.pick(unit_id, unit_en)) " "
                span.muted { "(" (format_number(*min, 0, l)) "–" (format_number(*max, 0, l)) ")" }
            }
            AnswerType::MasterplanShare => {
                input id=(id) name=(id) type="text" inputmode="decimal" value=(current.unwrap_or("")) disabled[!enabled];
                " % " span.muted { "(0–100)" }
            }
        }
    }
}

fn form_markup(
    state: &AppState,
    p: &Principal,
    v: &FormView,
    real: &[Realisation],
    typed: Option<&Typed>,
    message: Option<(&str, bool)>,
    l: Lang,
) -> Markup {
    let (i, f, lc) = (&v.instrument, &v.form, l.code());
    let can_fill = access::fill_form(p, l).is_ok() && f.status.editable_by_region();
    let can_verify = access::verify_form(p, l).is_ok()
        && f.status == FormStatus::Submitted
        && (p.role() == Some(Role::Admin) || f.evaluator.as_deref() == p.name());
    let typed_or = |key: String, stored: Option<&str>| -> Option<String> {
        match typed {
            Some(t) => t.get(&key).cloned(),
            None => stored.map(str::to_string),
        }
    };
    let action = format!("/evaluasi/{}/{}?lang={lc}", v.round.id, f.region);
    let name = crate::evaluation::charts::name(&state.reference.regions, &f.region);
    html! {
        h1 { (name) " — " (v.round.title) }
        p { "Status: " (status_label(f.status, l)) " · " (l.pick("versi", "version")) " " (f.version)
            " · " (l.pick("asesor", "assessor")) ": " (f.evaluator.as_deref().unwrap_or("–"))
            " · " a href=(format!("/evaluasi/{}/{}/riwayat?lang={lc}", v.round.id, f.region)) { (l.pick("riwayat perubahan", "change history")) }
            @if f.status == FormStatus::Finalised { " · " a href=(format!("/evaluasi/{}/{}/hasil?lang={lc}", v.round.id, f.region)) { (l.pick("hasil", "results")) } } }
        @if i.example { p.muted { (l.pick(&i.note_id, &i.note_en)) } }
        @if let Some(n) = &f.return_note { p.error { (l.pick("Catatan pengembalian dari asesor: ", "The assessor's return note: ")) (n) } }
        @if let Some((m, ok)) = message { p class=(if ok { "band" } else { "error" }) role=(if ok { "status" } else { "alert" }) { (m) } }
        form #formulir method="post" action=(action) {
            input type="hidden" name="version" value=(f.version);
            @for pillar in &i.pillars {
                h2 { (l.pick(&pillar.name_id, &pillar.name_en)) }
                @for sub in &pillar.subdimensions {
                    h3 { (l.pick(&sub.name_id, &sub.name_en)) }
                    @for item in i.items.iter().filter(|it| it.pillar == pillar.id && it.subdimension == sub.id) {
                        @let a = v.answers.get(&item.id);
                        fieldset.item id=(format!("butir-{}", item.id)) {
                            legend { strong { (item.id) } " " (item.text(l)) }
                            p.muted { (i.dimensions.iter().find(|d| d.id == item.dimension).map_or("", |d| l.pick(&d.name_id, &d.name_en)))
                                " · " (l.pick("Bukti: ", "Evidence: ")) (l.pick(&item.evidence_id, &item.evidence_en)) }
                            @if matches!(item.answer, AnswerType::MasterplanShare) {
                                @if let Some(r) = real.iter().find(|r| r.pillar == item.pillar) {
                                    p.muted { (l.pick("Menurut register masterplan dan log kegiatan: ", "By the masterplan register and the activity log: "))
                                        (r.carried_out) " " (l.pick("dari", "of")) " " (r.planned) " " (l.pick("program terlaksana", "programmes carried out"))
                                        @if let Some(s) = r.share { " (" (format_number(s, 1, l)) " %)" } }
                                }
                            }
                            label { (l.pick("Jawaban", "Answer")) " " (value_input(item, "v", typed_or(format!("v_{}", item.id), a.and_then(|a| a.value.as_deref())).as_deref(), l, can_fill)) }
                            label { (l.pick("Catatan daerah", "Region's note")) " "
                                input type="text" name=(format!("n_{}", item.id)) value=(typed_or(format!("n_{}", item.id), a.and_then(|a| a.note.as_deref())).unwrap_or_default()) disabled[!can_fill]; }
                            @if typed.is_some() && a.and_then(|a| a.value.as_deref()) != typed_or(format!("v_{}", item.id), None).as_deref() {
                                p.muted { (l.pick("Tersimpan saat ini: ", "Currently saved: ")) (a.and_then(|a| a.value.as_deref()).unwrap_or("–")) }
                            }
                            @if let Some(a) = a.filter(|a| a.verification.is_some()) {
                                p { (l.pick("Verifikasi: ", "Verification: "))
                                    @match a.verification { Some(crate::evaluation::store::Verification::Changed) => { (l.pick("diubah menjadi ", "changed to ")) strong { (a.verified_value.as_deref().unwrap_or("")) } } _ => { (l.pick("diterima", "accepted")) } }
                                    @if let Some(n) = &a.verifier_note { " — " (n) } }
                            }
                            @if can_verify {
                                label { (l.pick("Nilai terverifikasi (kosong: terima)", "Verified value (empty: accept)")) " " (value_input(item, "vv", typed.and_then(|t| t.get(&format!("vv_{}", item.id))).map(String::as_str), l, true)) }
                                label { (l.pick("Catatan asesor", "Assessor's note")) " " input type="text" name=(format!("vn_{}", item.id)) value=(typed.and_then(|t| t.get(&format!("vn_{}", item.id)).cloned()).unwrap_or_default()); }
                            }
                            @let files: Vec<_> = v.evidence.iter().filter(|e| e.item == item.id).collect();
                            @if !files.is_empty() { ul { @for e in files { li {
                                @if let Some(url) = &e.url { a href=(url) rel="noopener noreferrer nofollow" { (url) } }
                                @else { a href=(format!("/api/v1/rounds/{}/forms/{}/evidence/{}", v.round.id, f.region, e.id)) download { (e.file_name.as_deref().unwrap_or("")) }
                                    " " span.muted { "SHA-256 " (e.sha256.as_deref().unwrap_or("").get(..12).unwrap_or("")) "…" } }
                            } } } }
                        }
                    }
                }
            }
            div.actions {
                @if can_fill {
                    button type="submit" name="action" value="save" { (l.pick("Simpan draf", "Save draft")) } " "
                    button type="submit" name="action" value="submit" { (l.pick("Kirim formulir", "Submit the form")) }
                }
                @if can_verify {
                    label.check { input type="checkbox" name="accept_rest" value="1"; " " (l.pick("Terima semua butir lain apa adanya", "Accept every other item as it is")) } " "
                    button type="submit" name="action" value="verify" { (l.pick("Simpan verifikasi", "Save verification")) } " "
                    button type="submit" name="action" value="finalise" { (l.pick("Finalkan", "Finalise")) }
                    @if !f.returned {
                        label { (l.pick("Catatan pengembalian", "Return note")) " " input type="text" name="return_note"; }
                        button type="submit" name="action" value="return" { (l.pick("Kembalikan untuk perbaikan", "Return for correction")) }
                    }
                }
            }
        }
        @if can_fill {
            h2 { (l.pick("Tambah bukti dukung", "Add evidence")) }
            form.stack method="post" enctype="multipart/form-data" action=(format!("/evaluasi/{}/{}/bukti?lang={lc}", v.round.id, f.region)) {
                label { (l.pick("Butir", "Item")) select name="item" { @for item in &i.items { option value=(item.id) { (item.id) } } } }
                label { (l.pick("Berkas (PDF, gambar, lembar kerja, dokumen)", "File (PDF, image, spreadsheet, document)")) input type="file" name="file"; }
                label { (l.pick("atau tautan", "or a link")) input type="url" name="url" placeholder="https://"; }
                button type="submit" { (l.pick("Unggah bukti", "Upload evidence")) }
            }
        }
    }
}

async fn load_form(
    state: &AppState,
    id: i64,
    code: &RegionCode,
    l: Lang,
) -> Result<(FormView, Vec<Realisation>), Fail> {
    let ev = evaluation(state, l)?;
    let v = ev
        .form(id, code)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    let real = realisation(state, &ev, code, v.round.year)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok((v, real))
}

async fn form_page(
    State(state): State<AppState>,
    p: Principal,
    uri: Uri,
    request: Result<Scoped<FormRequest>, ApiError>,
    Query(q): Query<PageQuery>,
) -> Response {
    let l = page_lang(&q);
    let (id, code) = match request {
        Ok(s) => (s.request.round, s.request.region),
        Err(e) => return fail_page(&state, &p, &uri, l, e.into()),
    };
    match load_form(&state, id, &code, l).await {
        Ok((v, real)) => {
            let msg = q.pesan.as_deref().map(|m| match m {
                "tersimpan" => l.pick("Tersimpan.", "Saved."),
                "terkirim" => l.pick(
                    "Formulir terkirim dan terkunci.",
                    "The form is submitted and locked.",
                ),
                _ => l.pick("Perubahan tersimpan.", "Changes saved."),
            });
            let title = v.round.title.clone();
            render(
                &state,
                &p,
                &uri,
                l,
                StatusCode::OK,
                &title,
                form_markup(&state, &p, &v, &real, None, msg.map(|m| (m, true)), l),
            )
        }
        Err(f) => fail_page(&state, &p, &uri, l, f),
    }
}

/// The answers typed into the form: an item's value (`v_ITEM`) and note (`n_ITEM`), for the
/// items whose value field was sent.
fn answers_typed(instrument: &Instrument, typed: &Typed) -> Vec<AnswerInput> {
    instrument
        .items
        .iter()
        .filter(|it| typed.contains_key(&format!("v_{}", it.id)))
        .map(|it| AnswerInput {
            item: it.id.clone(),
            value: typed.get(&format!("v_{}", it.id)).cloned(),
            note: typed.get(&format!("n_{}", it.id)).cloned(),
        })
        .collect()
}

/// The verifier's decisions typed into the form: a verified value (`vv_ITEM`) or a note
/// (`vn_ITEM`), for the items with either filled in.
fn decisions_typed(instrument: &Instrument, typed: &Typed) -> Vec<Decision> {
    let filled = |key: String| typed.get(&key).filter(|s| !s.trim().is_empty()).cloned();
    instrument
        .items
        .iter()
        .filter_map(|it| {
            let value = filled(format!("vv_{}", it.id));
            let note = filled(format!("vn_{}", it.id));
            (value.is_some() || note.is_some()).then(|| Decision {
                item: it.id.clone(),
                value,
                note,
            })
        })
        .collect()
}

async fn form_post(
    State(state): State<AppState>,
    p: Principal,
    uri: Uri,
    request: Result<Scoped<FormRequest>, ApiError>,
    Query(q): Query<PageQuery>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let l = page_lang(&q);
    let (id, code) = match request {
        Ok(s) => (s.request.round, s.request.region),
        Err(e) => return fail_page(&state, &p, &uri, l, e.into()),
    };
    let typed: Typed = fields.iter().cloned().collect();
    let get = |k: &str| {
        typed
            .get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let (v, real) = match load_form(&state, id, &code, l).await {
        Ok(x) => x,
        Err(f) => return fail_page(&state, &p, &uri, l, f),
    };
    let (round, region) = (v.round.id, v.form.region.clone());
    let action = get("action");
    let result = async {
        let ev = evaluation(&state, l)?;
        let who = actor(&p, l)?;
        let version: i64 = get("version").parse().map_err(|_| {
            Fail::bad_request(l, "Versi formulir hilang.", "The form version is missing.")
        })?;
        let e = |e: crate::evaluation::EvaluationError| Fail::from_eval(&e, l);
        match action.as_str() {
            "save" | "submit" => {
                access::fill_form(&p, l)?;
                let inputs = answers_typed(&v.instrument, &typed);
                let version = ev
                    .save_answers(&who, round, &region, version, &inputs)
                    .await
                    .map_err(e)?;
                if action == "submit" {
                    ev.submit(&who, round, &region, version).await.map_err(e)?;
                    return Ok("terkirim");
                }
                Ok("tersimpan")
            }
            "verify" | "finalise" | "return" => {
                access::verify_form(&p, l)?;
                let decisions = decisions_typed(&v.instrument, &typed);
                let mut version = version;
                if !decisions.is_empty() || typed.contains_key("accept_rest") {
                    version = ev
                        .verify(
                            &who,
                            round,
                            &region,
                            version,
                            &decisions,
                            typed.contains_key("accept_rest"),
                        )
                        .await
                        .map_err(e)?;
                }
                match action.as_str() {
                    "finalise" => {
                        ev.finalise(&who, round, &region, version)
                            .await
                            .map_err(e)?;
                    }
                    "return" => {
                        ev.return_form(&who, round, &region, version, &get("return_note"))
                            .await
                            .map_err(e)?;
                    }
                    _ => {}
                }
                Ok("diperbarui")
            }
            _ => Err(Fail::bad_request(
                l,
                "Tindakan tidak dikenal.",
                "Unknown action.",
            )),
        }
    }
    .await;
    match result {
        Ok(msg) => Redirect::to(&format!(
            "/evaluasi/{round}/{region}?lang={}&pesan={msg}",
            l.code()
        ))
        .into_response(),
        Err(f) => {
            // Shown again with what was typed; the page reloads the form as it is now.
            let (now, real) = load_form(&state, id, &code, l).await.unwrap_or((v, real));
            let title = now.round.title.clone();
            let body = form_markup(
                &state,
                &p,
                &now,
                &real,
                Some(&typed),
                Some((&f.message, false)),
                l,
            );
            render(&state, &p, &uri, l, f.status, &title, body)
        }
    }
}

async fn evidence_post(
    State(state): State<AppState>,
    p: Principal,
    uri: Uri,
    request: Result<Scoped<FormRequest>, ApiError>,
    Query(q): Query<PageQuery>,
    multipart: Multipart,
) -> Response {
    let l = page_lang(&q);
    let (id, code) = match request {
        Ok(s) => (s.request.round, s.request.region),
        Err(e) => return fail_page(&state, &p, &uri, l, e.into()),
    };
    let result = async {
        let (rid, reg) = (id, code.clone());
        access::fill_form(&p, l)?;
        let ev = evaluation(&state, l)?;
        let (item, input) = api::read_evidence(multipart, l).await?;
        ev.add_evidence(&actor(&p, l)?, rid, &reg, &item, input)
            .await
            .map_err(|e| Fail::from_eval(&e, l))?;
        Ok::<_, Fail>((rid, reg))
    }
    .await;
    match result {
        Ok((rid, reg)) => Redirect::to(&format!(
            "/evaluasi/{rid}/{reg}?lang={}&pesan=bukti",
            l.code()
        ))
        .into_response(),
        Err(f) => match load_form(&state, id, &code, l).await {
            Ok((v, real)) => {
                let title = v.round.title.clone();
                let body = form_markup(&state, &p, &v, &real, None, Some((&f.message, false)), l);
                render(&state, &p, &uri, l, f.status, &title, body)
            }
            Err(_) => fail_page(&state, &p, &uri, l, f),
        },
    }
}

async fn audit_page(
    State(state): State<AppState>,
    p: Principal,
    uri: Uri,
    request: Result<Scoped<FormRequest>, ApiError>,
    Query(q): Query<PageQuery>,
) -> Response {
    let l = page_lang(&q);
    let (id, code) = match request {
        Ok(s) => (s.request.round, s.request.region),
        Err(e) => return fail_page(&state, &p, &uri, l, e.into()),
    };
    let result = async {
        let (rid, reg) = (id, code.clone());
        let ev = evaluation(&state, l)?;
        Ok::<_, Fail>((
            ev.audit(rid, &reg)
                .await
                .map_err(|e| Fail::from_eval(&e, l))?,
            rid,
            reg,
        ))
    }
    .await;
    let (trail, rid, reg) = match result {
        Ok(x) => x,
        Err(f) => return fail_page(&state, &p, &uri, l, f),
    };
    let title = l.pick("Riwayat perubahan", "Change history");
    let body = html! {
        h1 { (title) " — " (crate::evaluation::charts::name(&state.reference.regions, &reg)) }
        p { a href=(format!("/evaluasi/{rid}/{reg}?lang={}", l.code())) { (l.pick("Kembali ke formulir", "Back to the form")) } }
        div.scroll { table {
            thead { tr { th.num { "#" } th { (l.pick("Waktu (UTC)", "Time (UTC)")) } th { (l.pick("Oleh", "By")) } th { (l.pick("Tindakan", "Action")) } th { (l.pick("Butir", "Item")) } th { (l.pick("Kolom", "Field")) } th { (l.pick("Lama", "Old")) } th { (l.pick("Baru", "New")) } } }
            tbody { @for e in &trail { tr {
                td.num { (e.seq) } td { (e.at) } td { (e.actor) } td { (e.action) }
                td { (e.item.as_deref().unwrap_or("")) } td { (e.field.as_deref().unwrap_or("")) }
                td { (e.old_value.as_deref().unwrap_or("–")) } td { (e.new_value.as_deref().unwrap_or("–")) }
            } } }
        } }
    };
    render(&state, &p, &uri, l, StatusCode::OK, title, body)
}

async fn result_page(
    State(state): State<AppState>,
    p: Principal,
    uri: Uri,
    request: Result<Scoped<FormRequest>, ApiError>,
    Query(q): Query<PageQuery>,
) -> Response {
    let l = page_lang(&q);
    let (id, code) = match request {
        Ok(s) => (s.request.round, s.request.region),
        Err(e) => return fail_page(&state, &p, &uri, l, e.into()),
    };
    let result = async {
        let (rid, reg) = (id, code.clone());
        let ev = evaluation(&state, l)?;
        let results = ev.results(rid).await.map_err(|e| Fail::from_eval(&e, l))?;
        let r = results
            .regions
            .iter()
            .find(|r| r.region == reg)
            .cloned()
            .ok_or_else(|| {
                Fail::new(
                    404,
                    match l {
                        Lang::Id => format!("{reg} belum punya hasil final di ronde {rid}."),
                        Lang::En => format!("{reg} has no finalised result in round {rid} yet."),
                    },
                )
            })?;
        Ok::<_, Fail>((results, r))
    }
    .await;
    let (results, r) = match result {
        Ok(x) => x,
        Err(f) => return fail_page(&state, &p, &uri, l, f),
    };
    let (i, lc, rid) = (&results.instrument, l.code(), results.round.id);
    let name = crate::evaluation::charts::name(&state.reference.regions, &r.region);
    let fmt =
        |v: Option<f64>| v.map_or_else(|| "–".into(), |v| format_number(v, i.scale.decimals, l));
    let title = format!(
        "{} — {name}",
        l.pick("Hasil evaluasi", "Evaluation results")
    );
    let body = html! {
        h1 { (title) }
        div.cards {
            div.card { div.label { (l.pick("Indeks Pencapaian", "Achievement index")) } div.value { (fmt(r.verified.index)) } div.muted { (l.pick("mandiri", "self-assessed")) " " (fmt(r.self_assessed.index)) } }
            div.card { div.label { (l.pick("Peringkat nasional", "National rank")) } div.value { (r.rank.national) } div.muted { (l.pick("dari", "of")) " " (r.rank.national_of) } }
            div.card { div.label { (l.pick("Peringkat provinsi", "Provincial rank")) } div.value { (r.rank.provincial) } div.muted { (l.pick("dari", "of")) " " (r.rank.provincial_of) } }
            div.card { div.label { (l.pick("Perubahan", "Change")) } div.value { (r.previous.and_then(|pr| Some(r.verified.index? - pr.index)).map_or_else(|| "–".into(), |c| crate::report::signed(c, l))) }
                div.muted { (r.previous.map_or_else(|| l.pick("tidak ada ronde sebelumnya", "no previous round").to_string(), |pr| format!("{} {}", l.pick("sejak", "since"), pr.year))) } }
        }
        p { (l.pick("Unduh laporan evaluasi:", "Download the evaluation report:")) " "
            a href=(format!("/api/v1/rounds/{rid}/results/{}/report/pdf?lang={lc}", r.region)) { "PDF" } " · "
            a href=(format!("/api/v1/rounds/{rid}/results/{}/report/xlsx?lang={lc}", r.region)) { "Excel" } " · "
            a href=(format!("/api/v1/rounds/{rid}/results/{}/report/csv?lang={lc}&table=items", r.region)) { "CSV" } }
        div.grid.pair {
            figure { img src=(format!("/evaluasi/{rid}/grafik/radar.png?region={}&lang={lc}", r.region)) alt=(l.pick("Radar pilar: terverifikasi dan mandiri", "Pillar radar: verified and self-assessed")); }
            figure { img src=(format!("/evaluasi/{rid}/grafik/dimensi.png?region={}&lang={lc}", r.region)) alt=(l.pick("Skor dimensi evaluasi", "Evaluation dimension scores")); }
        }
        h2 { (l.pick("Skor per dimensi evaluasi", "Scores by evaluation dimension")) }
        div.scroll { table {
            thead { tr { th { (l.pick("Dimensi", "Dimension")) } th.num { (l.pick("Bobot", "Weight")) } th.num { (l.pick("Mandiri", "Self-assessed")) } th.num { (l.pick("Terverifikasi", "Verified")) } } }
            tbody { @for (k, d) in i.dimensions.iter().enumerate() { tr {
                th { (l.pick(&d.name_id, &d.name_en)) } td.num { (i.weights_for(results.round.year).get(k).map_or(0.0, |w| *w)) }
                td.num { (fmt(r.self_assessed.dimensions[k])) } td.num { (fmt(r.verified.dimensions[k])) }
            } } }
        } }
        h2 { (l.pick("Skor per pilar", "Scores by pillar")) }
        div.scroll { table {
            thead { tr { th { (l.pick("Pilar", "Pillar")) } th.num { (l.pick("Mandiri", "Self-assessed")) } th.num { (l.pick("Terverifikasi", "Verified")) } } }
            tbody { @for (k, pl) in i.pillars.iter().enumerate() { tr {
                th { (l.pick(&pl.name_id, &pl.name_en)) } td.num { (fmt(r.self_assessed.pillars[k])) } td.num { (fmt(r.verified.pillars[k])) }
            } } }
        } }
    };
    render(&state, &p, &uri, l, StatusCode::OK, &title, body)
}
