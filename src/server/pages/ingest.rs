//! `/unggah`: the upload form for data stewards and the ingest report as a page.
//!
//! The form posts multipart to the same ingest the API runs (`POST /api/v1/ingest`: one
//! validation, one store commit, re-scoring when the store changed); only the answer differs.
//! Uploading needs the ingest capability (a steward, for its own region, or an admin), by the
//! browser session or an API token, exactly as the API; others see the form disabled with a
//! sign-in link.

use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::href;
use super::layout::{self, Ctx, Nav};
use crate::auth::{Capability, Principal};
use crate::i18n::{Lang, format_number};
use crate::ingest::{IngestReport, Rejection};
use crate::server::ingest::{check_length, read_parts, run_ingest};
use crate::server::{AppState, auth};

/// Rejected rows listed on a page; the quarantine file holds them all.
const MAX_REJECTIONS_SHOWN: usize = 500;

#[derive(Debug, Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

/// `GET /unggah?lang=en`
pub(super) async fn form(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = super::lang_of(q.lang.as_deref());
    if let Err(e) = principal.require(Capability::View) {
        return super::error_page(&state, &principal, &uri, &e.into(), lang);
    }
    let snapshot = state.snapshot();
    let ctx = ctx(&state, &principal, &snapshot, &uri, lang);
    let title = lang.pick("Unggah data kegiatan", "Upload activity data");
    layout::page(
        &ctx,
        title,
        html! { h1 { (title) } (upload_form(&principal, &uri, lang)) },
    )
    .into_response()
}

/// `POST /unggah?lang=en`, multipart: `file` (one or more), `sheet`, `dry_run`.
pub(super) async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = super::lang_of(q.lang.as_deref());
    let result = async {
        principal.require(Capability::Ingest)?;
        check_length(&state, &headers)?;
        let parts = read_parts(multipart).await?;
        let field = |name: &str| {
            parts
                .fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let (sheet, dry_run) = (field("sheet"), field("dry_run").is_some());
        let scope = principal.scope().root().cloned();
        run_ingest(&state, scope, parts.files, sheet, dry_run).await
    }
    .await;
    match result {
        Ok((status, report)) => {
            // The snapshot after re-scoring, so the footer shows the new data.
            let snapshot = state.snapshot();
            let ctx = ctx(&state, &principal, &snapshot, &uri, lang);
            let title = lang.pick("Laporan ingest", "Ingest report");
            let body = html! {
                h1 { (title) }
                (report_markup(&report, lang))
                h2 { (lang.pick("Unggah lagi", "Upload again")) }
                (upload_form(&principal, &uri, lang))
            };
            (status, layout::page(&ctx, title, body)).into_response()
        }
        Err(e) => super::error_page(&state, &principal, &uri, &e, lang),
    }
}

fn ctx<'a>(
    state: &'a AppState,
    principal: &'a Principal,
    snapshot: &'a crate::job::Snapshot,
    uri: &'a Uri,
    lang: Lang,
) -> Ctx<'a> {
    Ctx {
        state,
        principal,
        snapshot,
        uri,
        lang,
        nav: Some(Nav::Ingest),
        region: None,
        period: None,
    }
}

fn upload_form(principal: &Principal, uri: &Uri, lang: Lang) -> Markup {
    let enabled = principal.has(Capability::Ingest);
    let here = uri.path_and_query().map_or("/unggah", |p| p.as_str());
    html! {
        p {
            (lang.pick(
                "Kirim berkas kegiatan (CSV, Excel .xlsx/.xls/.ods, JSON) seperti adanya: judul kolom Indonesia atau Inggris, angka 1.234,5 atau 1,234.5, kode wilayah Kemendagri atau BPS. Berkas nilai indikator (kode_wilayah, tahun, indikator, nilai: indeks SPBE, IPM, survei) diterima dengan cara yang sama bila kerangka memakainya. Setiap baris diperiksa; baris yang ditolak disimpan di karantina beserta alasannya, baris lain tetap masuk.",
                "Send activity files (CSV, Excel .xlsx/.xls/.ods, JSON) as they are: Indonesian or English headers, numbers as 1.234,5 or 1,234.5, Kemendagri or BPS region codes. Files of indicator values (region_code, period, indicator, value: the SPBE index, IPM, surveys) are taken the same way when the framework uses them. Every row is checked; rejected rows go to quarantine with the reason, the others still go in."))
        }
        @if !enabled {
            p.error role="status" { (lang.pick(
                "Mengunggah memerlukan akun petugas data (steward) atau admin. ",
                "Uploading needs a data steward's or an admin's account. "))
                (auth::nav(principal, lang, here)) }
        } @else if let Some(root) = principal.scope().root() {
            p.muted { (lang.pick("Anda dapat mengunggah kegiatan untuk ", "You may upload activities for "))
                (root) (lang.pick(" dan wilayah di dalamnya", " and the regions within it"))
                (lang.pick("; baris wilayah lain masuk karantina.", "; rows of other regions go to quarantine.")) }
        }
        form.stack method="post" action=(href("/unggah", &[("lang", lang.code())])) enctype="multipart/form-data" {
            label for="file" { (lang.pick("Berkas (boleh lebih dari satu)", "Files (one or more)"))
                input #file type="file" name="file" multiple required accept=".csv,.txt,.tsv,.xlsx,.xls,.ods,.json,.ndjson"; }
            label for="sheet" { (lang.pick("Lembar Excel (kosongkan untuk lembar pertama)", "Excel sheet (leave empty for the first)"))
                input #sheet type="text" name="sheet" autocomplete="off"; }
            label.check for="dry_run" { input #dry_run type="checkbox" name="dry_run" value="true";
                (lang.pick("Periksa saja, jangan simpan", "Check only, store nothing")) }
            button type="submit" disabled[!enabled] { (lang.pick("Unggah dan periksa", "Upload and check")) }
        }
    }
}

/// The ingest report: per file what was read, accepted, rejected and stored; the rejected rows.
fn report_markup(report: &IngestReport, lang: Lang) -> Markup {
    let n = |v: usize| format_number(v as f64, 0, lang);
    html! {
        p role="status" {
            @if report.dry_run { strong { (lang.pick("Pemeriksaan saja: tidak ada yang disimpan. ", "Check only: nothing was stored. ")) } }
            (n(report.rows())) " " (lang.pick("baris dibaca", "rows read")) ", "
            (n(report.accepted())) " " (lang.pick("diterima", "accepted")) ", "
            (n(report.rejected())) " " (lang.pick("ditolak", "rejected")) "; "
            (n(report.added())) " " (lang.pick("baru", "added")) ", "
            (n(report.replaced())) " " (lang.pick("diganti", "replaced")) "."
            @if let Some(total) = report.store_records {
                " " (lang.pick("Penyimpanan kini berisi", "The store now holds")) " " (n(total)) " " (lang.pick("kegiatan.", "activities."))
            }
        }
        div.scroll { table #laporan {
            thead { tr {
                th scope="col" { (lang.pick("Berkas", "File")) }
                th scope="col" { (lang.pick("Format", "Format")) }
                th.num scope="col" { (lang.pick("Baris", "Rows")) }
                th.num scope="col" { (lang.pick("Diterima", "Accepted")) }
                th.num scope="col" { (lang.pick("Ditolak", "Rejected")) }
                th.num scope="col" { (lang.pick("Baru", "Added")) }
                th.num scope="col" { (lang.pick("Diganti", "Replaced")) }
                th.num scope="col" { (lang.pick("Tak berubah", "Unchanged")) }
                th scope="col" { (lang.pick("Catatan", "Notes")) }
            } }
            tbody {
                @for f in &report.files {
                    tr {
                        th scope="row" { (f.source) }
                        @if let Some(e) = &f.error {
                            td colspan="7" class="error" { (lang.pick("DITOLAK SELURUHNYA: ", "REFUSED WHOLE: ")) (e) }
                        } @else {
                            td { (f.format) }
                            td.num { (n(f.rows)) }
                            td.num { (n(f.accepted)) }
                            td.num { (n(f.rejected)) }
                            td.num { (n(f.added)) }
                            td.num { (n(f.replaced)) }
                            td.num { (n(f.unchanged)) }
                        }
                        td {
                            @if f.values { (lang.pick("nilai indikator (bukan catatan kegiatan)", "indicator values (not activity records)")) br; }
                            @if f.skipped_unchanged { (lang.pick("tidak berubah sejak ingest terakhir, dilewati", "unchanged since the last ingest, skipped")) br; }
                            @for note in &f.notes { (note) br; }
                            @if let Some(q) = &f.quarantine { (lang.pick("karantina: ", "quarantine: ")) code { (q) } }
                        }
                    }
                }
            }
        } }
        @if !report.rejections.is_empty() {
            h2 { (lang.pick("Baris yang ditolak", "Rejected rows")) " (" (n(report.rejections.len())) ")" }
            (rejections_table(&report.rejections, lang))
        }
    }
}

/// Rejected rows with file, row, column, value and the reason in the page's language.
pub(super) fn rejections_table(rejections: &[Rejection], lang: Lang) -> Markup {
    html! {
        div.scroll { table.rejections {
            thead { tr {
                th scope="col" { (lang.pick("Berkas", "File")) }
                th.num scope="col" { (lang.pick("Baris", "Row")) }
                th scope="col" { (lang.pick("Kolom", "Column")) }
                th scope="col" { (lang.pick("Nilai", "Value")) }
                th scope="col" { (lang.pick("Alasan", "Reason")) }
            } }
            tbody {
                @for r in rejections.iter().take(MAX_REJECTIONS_SHOWN) {
                    tr {
                        td { (r.source) }
                        td.num { (r.row) }
                        td { code { (r.column) } }
                        td { (r.value.as_deref().unwrap_or("")) }
                        td { (lang.pick(&r.reason_id, &r.reason_en)) }
                    }
                }
            }
        } }
        @if rejections.len() > MAX_REJECTIONS_SHOWN {
            p.muted { (lang.pick("Daftar dipotong; berkas karantina memuat semuanya.", "List cut short; the quarantine file holds them all.")) }
        }
    }
}
