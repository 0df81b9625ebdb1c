//! The report's method appendix: the framework, how values became scores (the normalisation
//! and the weighting of small regions), weighting and aggregation, sensitivity and the data
//! sources, in the report's language. Text only; typesetting is `pdf`'s.

use serde_json::{Value, json};

use super::ReportData;
use crate::i18n::{Lang, format_date, format_number};
use crate::region::Level;

/// The appendix's paragraph on normalisation: what the numbers of this report are measured on,
/// and so whether a change in them is progress; and what "no data" is.
fn normalisation_text(n: crate::framework::Normalisation, level: &str, l: Lang) -> String {
    use crate::framework::Normalisation as N;
    let scale = match (n, l) {
        (N::Goalposts, Lang::Id) => "Nilai indikator diukur terhadap patokan tetap kerangka (goalpost): 0 pada patokan terburuk, 100 pada yang terbaik, dibatasi 0–100; patokan sama untuk setiap tahun dan wilayah, diturunkan sekali dari periode dasar (persentil ke-5 dan ke-95). Skor suatu wilayah hanya berubah bila nilainya sendiri berubah; perubahan adalah kemajuan.".to_string(),
        (N::Goalposts, Lang::En) => "Indicator values are measured on the framework's fixed goalposts: 0 at the worst, 100 at the best, capped to 0–100; the goalposts are the same for every year and region, derived once from a base period (5th and 95th percentiles). A region's score moves only when its own values move; a change is progress.".to_string(),
        (N::Pooled, Lang::Id) => format!("Nilai indikator dinormalisasi min–maks ke 0–100 di antara {level} atas semua periode sekaligus; periode baru dapat menggeser skala."),
        (N::Pooled, Lang::En) => format!("Indicator values are normalised min–max to 0–100 among {level} over all periods together; a new period may move the scale."),
        (N::PerPeriod, Lang::Id) => format!("Skor relatif: nilai indikator dinormalisasi min–maks ke 0–100 di antara {level} dalam setiap periode; perubahan antarperiode adalah perubahan posisi, bukan kemajuan."),
        (N::PerPeriod, Lang::En) => format!("Relative scores: indicator values are normalised min–max to 0–100 among {level} in each period; a change between periods is a change of position, not progress."),
    };
    let rest = l.pick(
        " Wilayah dengan target sendiri dinilai min(nilai/target, 1) × 100. Tidak ada data bukan nol: wilayah tanpa satu catatan pun dalam periode (juga bukan laporan nihil) tidak bernilai dan tidak diperingkat.",
        " A region with its own target scores min(value/target, 1) × 100. No data is not zero: a region without a single record in the period (not even a nil report) has no score and no rank.",
    );
    scale + rest
}

/// The appendix's paragraph on `[small_regions]`: which values of a kab/kota are weighted
/// for its population, and how much.
fn small_regions_text(d: &ReportData) -> String {
    let l = d.lang;
    match d.small_regions.filter(|_| d.level != Level::District) {
        Some(k) => {
            let k = format_number(k, 0, l);
            l.pick(
                &format!("Nilai per penduduk suatu kabupaten/kota yang melebihi nilai tipikal indikator (median periode dasar) dihitung sebagian: bagian penduduk ÷ (penduduk + {k}) dari selisihnya, separuh untuk wilayah berpenduduk {k}. Nilai yang tidak melebihi nilai tipikal tidak diubah. Dengan begitu sedikit kegiatan di wilayah yang sangat kecil tidak melompati wilayah besar."),
                &format!("A kab/kota's value per resident above the indicator's typical value (the base period's median) counts in part: the share residents ÷ (residents + {k}) of the excess, half for a region of {k} residents. Values not above the typical one are unchanged. A few activities in a very small region thus do not leap over large ones."),
            )
            .to_string()
        }
        None => l
            .pick(
                "Nilai per penduduk tidak ditimbang menurut jumlah penduduk.",
                "Values per resident are not weighted for population size.",
            )
            .to_string(),
    }
}

pub(super) fn appendix(d: &ReportData) -> Value {
    let l = d.lang;
    let level = match (d.level, l) {
        (Level::District, Lang::Id) => "kecamatan dalam satu kabupaten/kota",
        (Level::District, Lang::En) => "the districts of one regency or city",
        (_, Lang::Id) => "kabupaten/kota dalam satu provinsi",
        (_, Lang::En) => "the regencies and cities of one province",
    };
    let sections = match l {
        Lang::Id => vec![
            ("Kerangka", format!("{} versi {} ({}): {} dimensi dengan indikator dari katalog program; setiap indikator menjumlahkan kegiatan programnya per wilayah dan periode, dibagi jumlah penduduk (per 10.000 penduduk, kecuali disebut lain).", d.framework_name, d.framework_version, d.framework_id, d.dimensions.len())),
            ("Normalisasi", normalisation_text(d.normalisation, level, l)),
            ("Wilayah kecil", small_regions_text(d)),
            ("Pembobotan dan agregasi", "Skor dimensi adalah rata-rata berbobot skor indikatornya; indeks adalah rata-rata berbobot skor dimensi. Bobot dinormalisasi ulang atas yang ada nilainya. Kolom kontribusi = bobot efektif × skor.".to_string()),
            ("Sensitivitas", format!("Rentang peringkat 5–95% berasal dari {} replikasi Monte Carlo (benih {}): bobot ± {} %, normalisasi min–maks atau skor-z, rata-rata aritmetik atau geometrik; peringkat di antara {level}.", super::SENSITIVITY.replications, super::SENSITIVITY.seed, (super::SENSITIVITY.weight_share * 100.0).round())),
        ],
        Lang::En => vec![
            ("Framework", format!("{} version {} ({}): {} dimensions with indicators from the programme catalogue; each indicator sums its programme's activities per region and period, divided by residents (per 10,000 residents unless stated otherwise).", d.framework_name, d.framework_version, d.framework_id, d.dimensions.len())),
            ("Normalisation", normalisation_text(d.normalisation, level, l)),
            ("Small regions", small_regions_text(d)),
            ("Weighting and aggregation", "A dimension's score is the weighted mean of its indicators' scores; the index is the weighted mean of the dimension scores. Weights are renormalised over those present. Contribution = effective weight × score.".to_string()),
            ("Sensitivity", format!("The 5–95% rank interval comes from {} Monte Carlo replications (seed {}): weights ± {} %, min–max or z-score normalisation, arithmetic or geometric means; ranks among {level}.", super::SENSITIVITY.replications, super::SENSITIVITY.seed, (super::SENSITIVITY.weight_share * 100.0).round())),
        ],
    };
    let sources: Vec<Value> = d
        .sources
        .iter()
        .map(|s| {
            let date = chrono::DateTime::parse_from_rfc3339(&s.ingested_at)
                .map(|t| format_date(t.date_naive(), l))
                .unwrap_or_else(|_| s.ingested_at.clone());
            json!([
                s.name,
                date,
                format_number(s.accepted as f64, 0, l),
                s.checksum
            ])
        })
        .collect();
    let generated = match l {
        Lang::Id => format!(
            "Dibuat {} pukul {} dari penilaian {} (dinilai {} pukul {}).",
            format_date(d.generated_at.date_naive(), l),
            d.generated_at.format("%H.%M"),
            d.run,
            format_date(d.scored_at.date_naive(), l),
            d.scored_at.format("%H.%M")
        ),
        Lang::En => format!(
            "Generated {} at {} from scoring run {} (scored {} at {}).",
            format_date(d.generated_at.date_naive(), l),
            d.generated_at.format("%H:%M"),
            d.run,
            format_date(d.scored_at.date_naive(), l),
            d.scored_at.format("%H:%M")
        ),
    };
    json!({
        "sections": sections,
        "methods": d.methods.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "sources": sources,
        "generated": generated,
    })
}
