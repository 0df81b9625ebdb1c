//! `/metode`: how the scores are made and what they rest on — the framework's dimensions and
//! indicators with weights and denominators, the methods the engine used, the predicate bands,
//! and the data: each stored source with its checksum, rows and ingest time.

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use maud::{Markup, html};

use super::layout::{self, Ctx, Nav};
use super::{PageLang, PageRequest, respond};
use crate::auth::{Principal, Scope};
use crate::i18n::{format_date, format_number};
use crate::server::access::Scoped;
use crate::server::{ApiError, AppState};

/// `GET /metode?lang=en`
pub(super) async fn page(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
    PageLang(lang): PageLang,
    request: Result<Scoped<PageRequest>, ApiError>,
) -> Response {
    let result = request.and_then(|_| render(&state, &principal, &uri, lang));
    respond(&state, &principal, &uri, lang, result)
}

fn render(
    state: &AppState,
    principal: &Principal,
    uri: &Uri,
    lang: crate::i18n::Lang,
) -> Result<Markup, ApiError> {
    let snapshot = state.snapshot();
    let framework = &state.reference.framework;
    let ctx = Ctx {
        state,
        principal,
        snapshot: &snapshot,
        uri,
        lang,
        nav: Some(Nav::Method),
        region: None,
        period: None,
    };
    let total_weight: f64 = framework.top_dimensions().map(|d| d.weight).sum();
    let methods: Vec<(String, String)> =
        serde_json::from_str::<serde_json::Value>(&snapshot.scores.methods)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .map(|o| {
                o.into_iter()
                    .filter(|(_, v)| !v.is_null() && v.as_object().is_none_or(|m| !m.is_empty()))
                    .map(|(k, v)| (k, v.to_string()))
                    .collect()
            })
            .unwrap_or_default();
    let mut bands_sorted = framework
        .index_bands()
        .map(|b| b.bands.clone())
        .unwrap_or_default();
    bands_sorted.sort_by(|a, b| b.min.total_cmp(&a.min));
    let title = lang.pick("Metode dan sumber data", "Method and data sources");
    let n = |v: usize| format_number(v as f64, 0, lang);
    let body = html! {
        h1 { (title) }
        p {
            (framework.name(lang)) " — " code { (framework.id) } " " (lang.pick("versi", "version")) " " (framework.version) ". "
            (lang.pick(
                "Setiap indikator adalah jumlah kegiatan satu program per wilayah dan periode, dibagi penyebutnya (mis. per 10.000 penduduk), lalu dinormalisasi ke 0–100 di antara kecamatan satu kabupaten (min–maks; indikator yang nilainya sama untuk semua kecamatan tidak membawa informasi dan tidak dipakai). Skor dimensi adalah rata-rata berbobot indikatornya, indeks adalah rata-rata berbobot dimensinya. Skor kabupaten adalah rata-rata skor kecamatannya berbobot penduduk. Peringkat di antara kecamatan sekabupaten; nilai sama berbagi peringkat terbaik.",
                "Each indicator is the activity of one programme per region and period, divided by its denominator (e.g. per 10,000 residents), then normalised to 0–100 among the kecamatan of one kabupaten (min–max; an indicator on which all are equal carries no information and is left out). A dimension is the weighted mean of its indicators, the index the weighted mean of the dimensions. A kabupaten's scores are the population-weighted mean of its kecamatan's. Ranks are among the kabupaten's kecamatan; ties share the better rank."))
        }
        h2 { (lang.pick("Dimensi dan bobot", "Dimensions and weights")) }
        div.scroll { table {
            thead { tr {
                th scope="col" { (lang.pick("Dimensi", "Dimension")) }
                th scope="col" { "id" }
                th.num scope="col" { (lang.pick("Bobot", "Weight")) }
                th.num scope="col" { (lang.pick("Porsi indeks", "Share of the index")) }
                th.num scope="col" { (lang.pick("Indikator", "Indicators")) }
            } }
            tbody {
                @for d in framework.top_dimensions() {
                    tr {
                        th scope="row" { (d.name(lang)) }
                        td { code { (d.id) } }
                        td.num { (format_number(d.weight, 2, lang)) }
                        td.num { (format_number(if total_weight > 0.0 { d.weight / total_weight * 100.0 } else { 0.0 }, 1, lang)) " %" }
                        td.num { (framework.indicators.iter().filter(|i| i.dimension == d.id).count()) }
                    }
                }
            }
        } }
        h2 { (lang.pick("Indikator", "Indicators")) }
        div.scroll { table {
            thead { tr {
                th scope="col" { (lang.pick("Indikator", "Indicator")) }
                th scope="col" { (lang.pick("Dimensi", "Dimension")) }
                th scope="col" { (lang.pick("Program", "Programme")) }
                th scope="col" { (lang.pick("Satuan", "Unit")) }
                th scope="col" { (lang.pick("Penyebut", "Denominator")) }
                th.num scope="col" { (lang.pick("Skala", "Scale")) }
                th.num scope="col" { (lang.pick("Bobot", "Weight")) }
                th scope="col" { (lang.pick("Arah", "Direction")) }
            } }
            tbody {
                @for i in &framework.indicators {
                    tr {
                        th scope="row" { (i.name(lang)) br; span.muted { code { (i.id) } } }
                        td { (framework.dimension(&i.dimension).map_or(i.dimension.as_str(), |d| d.name(lang))) }
                        td { code { (i.programme) } }
                        td { (lang.pick(&i.unit_id, &i.unit_en)) }
                        td { (format!("{:?}", i.per).to_lowercase()) @if let Some(p) = &i.per_indicator { " (" code { (p) } ")" } }
                        td.num { (format_number(i.scale, 0, lang)) }
                        td.num { (format_number(i.weight, 2, lang)) }
                        td { (if i.direction < 0.0 { lang.pick("lebih kecil lebih baik", "lower is better") } else { lang.pick("lebih besar lebih baik", "higher is better") }) }
                    }
                }
            }
        } }
        h2 { (lang.pick("Metode pengolahan", "Processing methods")) }
        p.muted { (lang.pick("Metode yang dipakai mesin skor untuk skor yang ditampilkan (normalisasi, pembobotan, agregasi, imputasi, penanganan pencilan):",
                             "The methods the scoring engine used for the scores shown (normalisation, weighting, aggregation, imputation, outlier treatment):")) }
        dl.methods {
            @for (k, v) in &methods {
                dt { code { (k) } }
                dd { code { (v) } }
            }
        }
        h2 { (lang.pick("Predikat indeks", "Index predicates")) }
        @if framework.index_bands().is_none() {
            p.muted { (lang.pick("Kerangka ini tidak memberi predikat pada indeks: predikat hanya berlaku pada skala tetap (goalpost) yang didefinisikan kerangka; skor relatif mendapat peringkat, bukan predikat.",
                                 "This framework gives the index no predicates: predicates belong to a fixed (goalpost) scale the framework defines; a relative score gets a rank, not a predicate.")) }
        }
        table {
            thead { tr { th scope="col" { (lang.pick("Predikat", "Predicate")) } th.num scope="col" { (lang.pick("Indeks minimal", "Index from")) } } }
            tbody {
                @for b in &bands_sorted {
                    tr {
                        th scope="row" { (lang.pick(&b.label_id, &b.label_en)) }
                        td.num { (if b.min.is_finite() && b.min > -1.0e299 { format_number(b.min, 1, lang) } else { "–".to_string() }) }
                    }
                }
            }
        }
        h2 { (lang.pick("Kesegaran data dan sumber", "Data freshness and sources")) }
        p {
            (lang.pick("Skor dihitung", "Scores computed")) " " (format_date(snapshot.finished_at.date_naive(), lang)) " " (snapshot.finished_at.format("%H:%M"))
            "; " (n(snapshot.activities.len())) " " (lang.pick("kegiatan tersimpan", "activities stored"))
            "; " (lang.pick("generasi penyimpanan", "store generation")) " " (snapshot.manifest.generation) "."
            @if snapshot.scores.unplaced_activities > 0 {
                " " (n(snapshot.scores.unplaced_activities)) " "
                (lang.pick("kegiatan tercatat untuk seluruh kabupaten dan tidak masuk skor kecamatan mana pun.",
                           "activities are recorded for a whole kabupaten and enter no kecamatan score."))
            }
        }
        // The sources hold every region's uploads: listed only for callers who may see every
        // region.
        @if principal.scope() != &Scope::All {
            p.muted { (lang.pick("Daftar sumber data hanya untuk pengguna yang boleh melihat semua wilayah.",
                                 "The list of data sources is for users who may see every region.")) }
        } @else {
        div.scroll { table {
            caption { (lang.pick("Setiap ingest sumber, terbaru di atas", "Every ingest of a source, newest first")) }
            thead { tr {
                th scope="col" { (lang.pick("Sumber", "Source")) }
                th scope="col" { (lang.pick("Format", "Format")) }
                th scope="col" { (lang.pick("Waktu ingest", "Ingested at")) }
                th.num scope="col" { (lang.pick("Baris", "Rows")) }
                th.num scope="col" { (lang.pick("Diterima", "Accepted")) }
                th.num scope="col" { (lang.pick("Ditolak", "Rejected")) }
                th.num scope="col" { (lang.pick("Baru", "Added")) }
                th.num scope="col" { (lang.pick("Diganti", "Replaced")) }
                th scope="col" { "SHA-256" }
            } }
            tbody {
                @for s in snapshot.manifest.sources.iter().rev() {
                    tr {
                        th scope="row" { (s.name) }
                        td { (s.format) }
                        td { (chrono::DateTime::parse_from_rfc3339(&s.ingested_at)
                                .map(|t| format!("{} {}", format_date(t.date_naive(), lang), t.format("%H:%M")))
                                .unwrap_or_else(|_| s.ingested_at.clone())) }
                        td.num { (n(s.rows)) }
                        td.num { (n(s.accepted)) }
                        td.num { (n(s.rejected)) }
                        td.num { (n(s.added)) }
                        td.num { (n(s.replaced)) }
                        td { code style="word-break:break-all" { (s.checksum) } }
                    }
                }
            }
        } }
        }
        @if let Some(t) = &framework.targets {
            p { (lang.pick("Target daerah dari", "Regional targets from")) " "
                code { (t.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()) }
                " (SHA-256 " code { (t.sha256) } ")." }
        }
        p {
            (lang.pick("Data wilayah: kode dan nama Kepmendagri 2025 (cahyadsn/wilayah, MIT); penduduk kecamatan 2024; batas wilayah HDX/BPS 2020 (CC BY-IGO).",
                       "Region data: Kepmendagri 2025 codes and names (cahyadsn/wilayah, MIT); kecamatan population 2024; boundaries HDX/BPS 2020 (CC BY-IGO)."))
        }
    };
    Ok(layout::page(&ctx, title, body))
}
