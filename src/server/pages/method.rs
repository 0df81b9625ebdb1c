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
use crate::framework::Framework;
use crate::i18n::{Lang, format_date, format_number};
use crate::job::Snapshot;
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
    lang: Lang,
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
    let title = lang.pick("Metode dan sumber data", "Method and data sources");
    let body = html! {
        h1 { (title) }
        p {
            (framework.name(lang)) " — " code { (framework.id) } " " (lang.pick("versi", "version")) " " (framework.version) ". "
        }
        (how_scores_are_made(framework, lang))
        (dimensions_table(framework, lang))
        (indicators_table(framework, lang))
        (methods_section(&snapshot, lang))
        (bands_section(framework, lang))
        (sources_section(&snapshot, principal, framework, lang))
    };
    Ok(layout::page(&ctx, title, body))
}

/// The dimensions with their weights and share of the index.
fn dimensions_table(framework: &Framework, lang: Lang) -> Markup {
    let total_weight: f64 = framework.top_dimensions().map(|d| d.weight).sum();
    html! {
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
    }
}

/// Every indicator: programme, unit, denominator, scale, weight, direction, stock, goalposts.
fn indicators_table(framework: &Framework, lang: Lang) -> Markup {
    html! {
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
                th.num scope="col" { (lang.pick("Patokan (terburuk–terbaik)", "Goalposts (worst–best)")) }
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
                        td {
                            (if i.direction < 0.0 { lang.pick("lebih kecil lebih baik", "lower is better") } else { lang.pick("lebih besar lebih baik", "higher is better") })
                            @if i.stock {
                                br; span.muted { (lang.pick("stok", "stock")) @if let Some(y) = i.service_life_years { ", " (y) " " (lang.pick("tahun", "years")) } }
                            }
                        }
                        td.num { (i.goalposts.map_or_else(|| "–".to_string(), |[lo, hi]| format!("{} – {}", format_number(lo, 2, lang), format_number(hi, 2, lang)))) }
                    }
                }
            }
        } }
    }
}

/// The engine methods recorded with the scores shown.
fn methods_section(snapshot: &Snapshot, lang: Lang) -> Markup {
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
    html! {
        h2 { (lang.pick("Metode pengolahan", "Processing methods")) }
        p.muted { (lang.pick("Metode yang dipakai mesin skor untuk skor yang ditampilkan (normalisasi, pembobotan, agregasi, imputasi, penanganan pencilan):",
                             "The methods the scoring engine used for the scores shown (normalisation, weighting, aggregation, imputation, outlier treatment):")) }
        dl.methods {
            @for (k, v) in &methods {
                dt { code { (k) } }
                dd { code { (v) } }
            }
        }
    }
}

/// The index's predicate bands, or why there are none.
fn bands_section(framework: &Framework, lang: Lang) -> Markup {
    let mut bands_sorted = framework
        .index_bands()
        .map(|b| b.bands.clone())
        .unwrap_or_default();
    bands_sorted.sort_by(|a, b| b.min.total_cmp(&a.min));
    html! {
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
    }
}

/// When the scores were made from what: the run, the store, every ingested source (for callers
/// who may see every region), the targets file and the reference data.
fn sources_section(
    snapshot: &Snapshot,
    principal: &Principal,
    framework: &Framework,
    lang: Lang,
) -> Markup {
    let n = |v: usize| format_number(v as f64, 0, lang);
    html! {
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
            caption { (lang.pick("Setiap pemuatan sumber, terbaru di atas", "Every ingest of a source, newest first")) }
            thead { tr {
                th scope="col" { (lang.pick("Sumber", "Source")) }
                th scope="col" { (lang.pick("Format", "Format")) }
                th scope="col" { (lang.pick("Waktu dimuat", "Ingested at")) }
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
    }
}

/// What a score means under this framework, in the words an evaluator signs: how activity
/// becomes an indicator value, the normalisation (which decides whether a change is progress),
/// how kab/kota get their one number, and what "no data" is.
/// What `[small_regions]` does to a kab/kota's values per resident.
fn small_regions_paragraph(residents: f64, lang: Lang) -> String {
    let k = crate::i18n::format_number(residents, 0, lang);
    let million = crate::i18n::format_number(100.0 * 1e6 / (1e6 + residents), 0, lang);
    match lang {
        Lang::Id => format!(
            "Wilayah kecil: nilai per penduduk kabupaten/kota yang melebihi nilai tipikal indikator (median periode dasar, tertulis di berkas kerangka) dihitung sebagian, bagian penduduk ÷ (penduduk + {k}) dari selisihnya: separuh untuk {k} penduduk, {million} % untuk sejuta. Nilai yang tidak melebihi nilai tipikal tidak diubah, sehingga wilayah kecil yang sedikit berkegiatan tidak diuntungkan. Kecamatan hanya dibandingkan di dalam kabupatennya dan tidak ditimbang."
        ),
        Lang::En => format!(
            "Small regions: a kab/kota's value per resident above the indicator's typical value (the base period's median, written in the framework file) counts in part, the share residents ÷ (residents + {k}) of the excess: half for {k} residents, {million} % for a million. Values not above the typical one are unchanged, so a small region that did little gains nothing. Kecamatan are compared only within their kabupaten and are not weighted."
        ),
    }
}

fn how_scores_are_made(framework: &Framework, lang: Lang) -> Markup {
    use crate::framework::Normalisation as N;
    let normalisation = match framework.normalisation {
        N::Goalposts => lang.pick(
            "Nilai indikator diukur terhadap patokan tetap (goalpost) yang tertulis di berkas kerangka: 0 pada patokan terburuk, 100 pada patokan terbaik, dibatasi 0–100. Patokannya sama setiap tahun dan untuk setiap wilayah, sehingga skor suatu wilayah hanya berubah bila nilainya sendiri berubah: skor 60 berarti 60 % jalan dari patokan terburuk ke terbaik, dan kenaikan adalah kemajuan. Patokan diturunkan sekali dari periode dasar (persentil ke-5 dan ke-95, sehingga wilayah sangat kecil dengan nilai per penduduk ekstrem tidak menggeser skala) dengan kotacerdas framework goalposts; mengubahnya menaikkan versi kerangka, dan hanya itu yang mengubah skor tahun-tahun yang sudah terbit.",
            "Indicator values are measured on fixed goalposts written in the framework file: 0 at the worst goalpost, 100 at the best, capped to 0–100. The goalposts are the same every year and for every region, so a region's score moves only when its own values move: a score of 60 is 60 % of the way from the worst goalpost to the best, and a rise is progress. The goalposts are derived once from a base period (5th and 95th percentiles, so that very small regions with extreme per-resident values do not move the scale) with kotacerdas framework goalposts; changing them bumps the framework version, and only that changes the published scores of earlier years.",
        ),
        N::Pooled => lang.pick(
            "Nilai indikator dinormalisasi min–maks ke 0–100 atas semua periode kelompok sebaya sekaligus: tahun-tahun dapat dibandingkan di dalam kelompok, tetapi periode baru dapat menggeser skala. Tanpa predikat.",
            "Indicator values are normalised min–max to 0–100 over all periods of the peer group together: years compare within the group, but a new period may move the scale. No predicates.",
        ),
        N::PerPeriod => lang.pick(
            "Skor relatif: nilai indikator dinormalisasi min–maks ke 0–100 di antara kelompok sebaya dalam setiap periode, sehingga selalu ada yang 100 dan yang 0. Ini peringkat satu periode; perubahan antarperiode adalah perubahan posisi, bukan kemajuan. Tanpa predikat.",
            "Relative scores: indicator values are normalised min–max to 0–100 within the peer group in each period, so someone is always 100 and someone 0. This ranks one period; a change between periods is a change of position, not progress. No predicates.",
        ),
    };
    html! {
        h2 { (lang.pick("Arti sebuah skor", "What a score means")) }
        p { (lang.pick(
            "Setiap indikator adalah kegiatan satu program per wilayah dan periode (jumlah, banyaknya catatan atau rata-rata), dibagi penyebutnya (mis. per 10.000 penduduk). Instalasi (CCTV, halte, PJU, sensor, Wi-Fi publik) adalah stok: yang terpasang sampai periode itu dan masih dalam umur layanannya.",
            "Each indicator is the activity of one programme per region and period (a sum, a count of records or a mean), divided by its denominator (e.g. per 10,000 residents). Installations (CCTV, bus stops, street lights, sensors, public Wi-Fi) are stocks: what was installed up to the period and is still within its service life.")) }
        p { (normalisation) }
        p { (lang.pick(
            "Skor dimensi adalah rata-rata berbobot skor indikatornya, indeks adalah rata-rata berbobot skor dimensinya. Kabupaten/kota diukur utuh: kegiatan seluruh kecamatannya dan kegiatan yang dicatat untuk kabupaten/kota itu sendiri, dibagi penduduknya, pada patokan yang sama. Satu angka itu yang tampil di dasbor, API, grafik dan setiap laporan. Kecamatan diperingkat di antara kecamatan sekabupaten, kabupaten/kota seprovinsi dan secara nasional; nilai sama berbagi peringkat terbaik.",
            "A dimension's score is the weighted mean of its indicators' scores, the index the weighted mean of the dimensions'. A kab/kota is measured whole: the activities of all its kecamatan and those recorded for the kab/kota itself, divided by its residents, on the same goalposts. That one number is what the dashboard, the API, the charts and every report show. Kecamatan are ranked among the kabupaten's kecamatan, kab/kota within their province and nationally; ties share the better rank.")) }
        @if let Some(small) = framework.small_regions {
            p { (small_regions_paragraph(small.residents, lang)) }
        }
        p { (lang.pick(
            "Tidak ada data bukan nol. Wilayah yang tidak mengirim satu catatan pun dalam suatu periode (juga bukan laporan nihil, program laporan_nihil) tidak bernilai dan tidak diperingkat; peta menampilkannya abu-abu. Program yang tidak dicatat satu wilayah pun dalam suatu periode tidak diukur pada periode itu, dan dimensinya dihitung dari indikator lain yang ada.",
            "No data is not zero. A region that sent no record in a period (not even a nil report, programme laporan_nihil) has no score and no rank; maps show it grey. A programme no region recorded in a period is not measured in that period, and its dimension is made of the indicators that are.")) }
    }
}
