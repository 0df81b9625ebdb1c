//! The PDF: A4, typeset by typst (as a library) from `report.typ`, with the charts drawn by our
//! own chart code as SVG, so they stay vectors and their text stays text.
//!
//! Numbers and dates are formatted here, in the report's language (`1.234,5`, `10 Juli 2018`),
//! and handed to the template as JSON with the chart SVGs beside it; the template only lays out.
//! Only the embedded DejaVu Sans faces are available to typst (no system fonts, nothing
//! fetched): the chart SVGs name "DejaVu Sans" first, which typst resolves from the same faces.

use std::sync::OnceLock;

use serde_json::{Value, json};
use typst::foundations::{Bytes, Dict, IntoValue};
use typst_as_lib::TypstEngine;

use super::{Inputs, Profile, RankedRegion, ReportData, ReportError, signed};
use crate::chart::{self, Format, HeatmapChart, MapChart};
use crate::i18n::{Lang, format_date, format_number, format_score};
use crate::region::Level;
use crate::view::{self, MapScope, Measure, ViewCtx};

static TEMPLATE: &str = include_str!("report.typ");

/// Heatmap rows at most; a larger cohort shows its top and bottom halves of this.
const HEATMAP_ROWS: usize = 50;

fn engine() -> &'static TypstEngine<typst_as_lib::TypstTemplateMainFile> {
    static ENGINE: OnceLock<TypstEngine<typst_as_lib::TypstTemplateMainFile>> = OnceLock::new();
    ENGINE.get_or_init(|| engine_for(TEMPLATE))
}

/// A typst engine for `template` with only the embedded fonts: the set-up every PDF of the
/// project shares (the evaluation's documents bring their own template).
pub fn engine_for(template: &'static str) -> TypstEngine<typst_as_lib::TypstTemplateMainFile> {
    TypstEngine::builder()
        .main_file(template)
        .fonts(chart::embedded_fonts())
        .build()
}

/// Typeset the report.
pub fn render(inputs: &Inputs<'_>, data: &ReportData) -> Result<Vec<u8>, ReportError> {
    typeset(engine(), &model(data), charts(inputs, data)?)
}

/// Typeset a document: `data` as JSON in `sys.inputs.data`, each SVG image under its key.
pub fn typeset(
    engine: &TypstEngine<typst_as_lib::TypstTemplateMainFile>,
    data: &Value,
    images: Vec<(&'static str, Vec<u8>)>,
) -> Result<Vec<u8>, ReportError> {
    let mut dict = Dict::new();
    dict.insert("data".into(), data.to_string().into_value());
    for (key, svg) in images {
        dict.insert(key.into(), Bytes::new(svg).into_value());
    }
    let doc: typst_layout::PagedDocument = engine
        .compile_with_input(dict)
        .output
        .map_err(|e| ReportError::Pdf(e.to_string()))?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).map_err(|diags| {
        ReportError::Pdf(
            diags
                .iter()
                .map(|d| d.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

fn chart_err(chart: &'static str) -> impl Fn(&dyn std::fmt::Display) -> ReportError {
    move |e| ReportError::Chart {
        chart,
        message: e.to_string(),
    }
}

/// The report's charts as SVG, by the key the template reads them under.
fn charts(
    inputs: &Inputs<'_>,
    data: &ReportData,
) -> Result<Vec<(&'static str, Vec<u8>)>, ReportError> {
    if let Some(p) = &data.profile {
        region_charts(inputs, data, p)
    } else if let Some(first) = data.ranking.first() {
        cohort_charts(inputs, data, first)
    } else {
        Ok(Vec::new())
    }
}

/// A profile's charts: the radar, the trend of the index and, where one can be drawn, a map.
fn region_charts(
    inputs: &Inputs<'_>,
    data: &ReportData,
    p: &Profile,
) -> Result<Vec<(&'static str, Vec<u8>)>, ReportError> {
    let (lang, fw, regions) = (data.lang, inputs.framework, inputs.regions);
    let period = data.period.as_str();
    let mut out = Vec::new();
    let (w, h) = (chart::DEFAULT_WIDTH, chart::DEFAULT_HEIGHT);
    let subject = super::Subject::Region(p.code.clone());
    let (_, book, _) = inputs.scores_for(&subject);
    let ctx = ViewCtx::new(book, regions, fw, lang);
    let v = view::region_view(book, regions, &p.code, Some(period))
        .map_err(|e| chart_err("radar")(&e))?;
    let radar = chart::render_radar(&view::radar_chart(&ctx, &v), Format::Svg, w, h)
        .map_err(|e| chart_err("radar")(&e))?;
    out.push(("radar", radar));
    let trend = view::trend_chart(&ctx, &p.code, Measure::Index, None)
        .map_err(|e| chart_err("trend")(&e))
        .and_then(|c| {
            chart::render_trend(&c, Format::Svg, w, h).map_err(|e| chart_err("trend")(&e))
        })?;
    out.push(("trend", trend));
    if let Some(c) = profile_map(inputs, data, p) {
        let svg = chart::render_map(&c, Format::Svg, w, h).map_err(|e| chart_err("map")(&e))?;
        out.push(("map", svg));
    }
    Ok(out)
}

/// A profile's map: the kecamatan map on the kecamatan-level scores (the region outlined, or
/// for a kab/kota its kecamatan); where there are no kecamatan boundaries or scores, the
/// province's kab/kota on the kab/kota-level scores, for a reader who may see them.
fn profile_map(inputs: &Inputs<'_>, data: &ReportData, p: &Profile) -> Option<MapChart> {
    let (lang, regions) = (data.lang, inputs.regions);
    let ctx = ViewCtx::new(&inputs.snapshot.book, regions, inputs.framework, lang);
    let period = data.period.as_str();
    let kecamatan = view::map_layer(inputs.boundaries, &p.code, MapScope::Kecamatan)
        .ok()
        .filter(|_| {
            inputs.snapshot.book.get(&p.code, period).is_some() || p.level == Level::Regency
        })
        .and_then(|layer| {
            view::map_chart(
                &ctx,
                layer,
                MapScope::Kecamatan,
                &p.code,
                Some(period),
                Measure::Index,
            )
            .ok()
        })
        .filter(|c| c.areas.iter().any(|a| a.value.is_some()));
    match kecamatan {
        Some(c) => Some(c),
        // Only for a reader who may see the province: its other kab/kota are not theirs.
        None if data.audience == super::Audience::Subject => None,
        None => {
            let province = p
                .code
                .at_level(Level::Regency)
                .unwrap_or_else(|| p.code.clone());
            view::map_layer(inputs.boundaries, &province, MapScope::Province)
                .ok()
                .and_then(|layer| {
                    view::map_chart(
                        &ctx,
                        layer,
                        MapScope::Province,
                        &province,
                        Some(period),
                        Measure::Index,
                    )
                    .ok()
                })
        }
    }
}

/// A cohort's charts: its members on the map and the heatmap of their dimension scores.
fn cohort_charts(
    inputs: &Inputs<'_>,
    data: &ReportData,
    first: &RankedRegion,
) -> Result<Vec<(&'static str, Vec<u8>)>, ReportError> {
    let (lang, w) = (data.lang, chart::DEFAULT_WIDTH);
    let map = cohort_map(inputs, data, first)?;
    let heat = heatmap(data, lang);
    let rows = heat.rows.len() as u32;
    let height = (140 + rows * 22).clamp(chart::MIN_HEIGHT, chart::MAX_HEIGHT);
    let heatmap = chart::render_heatmap(&heat, Format::Svg, w, height)
        .map_err(|e| chart_err("heatmap")(&e))?;
    Ok(vec![("map", map), ("heatmap", heatmap)])
}

/// The cohort's map as SVG: its province's kab/kota when the members share one province with
/// boundaries, otherwise Indonesia's (drawn wider); only the members are coloured.
fn cohort_map(
    inputs: &Inputs<'_>,
    data: &ReportData,
    first: &RankedRegion,
) -> Result<Vec<u8>, ReportError> {
    let (lang, regions) = (data.lang, inputs.regions);
    let period = data.period.as_str();
    let (w, h) = (chart::DEFAULT_WIDTH, chart::DEFAULT_HEIGHT);
    let book = &inputs.snapshot.book;
    let members: std::collections::HashSet<&str> =
        data.ranking.iter().map(|r| r.code.as_str()).collect();
    let province = first.code.at_level(Level::Province);
    let one_province = data
        .ranking
        .iter()
        .all(|r| r.code.at_level(Level::Province) == province);
    let scope = if one_province
        && view::map_layer(inputs.boundaries, &first.code, MapScope::Province).is_ok()
    {
        MapScope::Province
    } else {
        MapScope::Indonesia
    };
    let layer =
        view::map_layer(inputs.boundaries, &first.code, scope).map_err(|e| chart_err("map")(&e))?;
    let mut c = view::map_chart(
        &ViewCtx::new(book, regions, inputs.framework, lang),
        layer,
        scope,
        &first.code,
        Some(period),
        Measure::Index,
    )
    .map_err(|e| chart_err("map")(&e))?;
    // Only the cohort is coloured, and no member is singled out.
    view::restrict_map(&mut c, |code| members.contains(code));
    c.title = format!(
        "{} — {} {period}",
        data.cohort_name.clone().unwrap_or_default(),
        view::index_label(lang)
    );
    let (mw, mh) = if scope == MapScope::Indonesia {
        (1600, 800)
    } else {
        (w, h)
    };
    chart::render_map(&c, Format::Svg, mw, mh).map_err(|e| chart_err("map")(&e))
}

/// The cohort's regions × dimensions (and index); a cohort larger than [`HEATMAP_ROWS`] shows
/// its top and bottom halves of that.
fn heatmap(data: &ReportData, lang: Lang) -> HeatmapChart {
    let rows: Vec<&RankedRegion> = if data.ranking.len() > HEATMAP_ROWS {
        let half = HEATMAP_ROWS / 2;
        data.ranking[..half]
            .iter()
            .chain(&data.ranking[data.ranking.len() - half..])
            .collect()
    } else {
        data.ranking.iter().collect()
    };
    let mut columns: Vec<String> = data.dimensions.iter().map(|d| d.1.clone()).collect();
    columns.push(lang.pick("Indeks", "Index").to_string());
    HeatmapChart {
        title: format!(
            "{} — {} {}",
            data.cohort_name.clone().unwrap_or_default(),
            lang.pick("skor dimensi", "dimension scores"),
            data.period
        ),
        subtitle: lang
            .pick("Urut menurut indeks", "Ordered by index")
            .to_string(),
        source: view::source_line(lang).to_string(),
        rows: rows
            .iter()
            .map(|r| format!("{}. {}", r.position, short(&r.name)))
            .collect(),
        columns,
        values: rows
            .iter()
            .map(|r| {
                let mut v = r.dimensions.clone();
                v.push(r.index);
                v
            })
            .collect(),
        centre: 50.0,
        spread: 50.0,
        legend: lang
            .pick(
                "Skor 0–100; putih = 50, ungu di atas, oranye di bawah",
                "Score 0–100; white = 50, purple above, orange below",
            )
            .to_string(),
        highlight_row: None,
        lang,
    }
}

fn short(name: &str) -> &str {
    name.trim_start_matches("Kabupaten ")
}

/// The template's input: every text translated, every number formatted.
fn model(d: &ReportData) -> Value {
    let l = d.lang;
    let t = |id: &str, en: &str| l.pick(id, en).to_string();
    let period_label = period_words(&d.period, l);
    let (kind, heading, kicker) = match &d.profile {
        Some(p) => (
            "region",
            p.name.clone(),
            t("Profil kota cerdas", "Smart-city profile"),
        ),
        None => (
            "cohort",
            d.cohort_name.clone().unwrap_or_default(),
            t("Laporan kohort kota cerdas", "Smart-city cohort report"),
        ),
    };
    let title = format!("{kicker} — {heading}");
    let labels = json!({
        "page": t("Halaman", "Page"),
        "of": t("dari", "of"),
        "dimensions": t("Skor per dimensi", "Scores by dimension"),
        "dimension_headers": [t("Dimensi", "Dimension"), t("Skor", "Score"), t("Peringkat", "Rank"),
            t("Bobot", "Weight"), t("Kontribusi", "Contribution"), t("Perubahan", "Change")],
        "indicator_headers": [t("Indikator", "Indicator"), t("Nilai mentah", "Raw value"),
            t("Nilai", "Value"), t("Satuan", "Unit"), t("Target", "Target"), t("Skor", "Score"),
            t("Bobot", "Weight"), t("Kontribusi", "Contribution")],
        "activities": t("Kegiatan di balik angka", "Activities behind the numbers"),
        "by_programme": t("Per program", "By programme"),
        "by_place": t("Per wilayah", "By place"),
        "activity_headers_programme": [t("Program", "Programme"), t("Kegiatan", "Activities"), t("Kuantitas", "Quantity")],
        "activity_headers_place": [t("Wilayah", "Place"), t("Kegiatan", "Activities"), t("Kuantitas", "Quantity")],
        "children": t("Kecamatan", "Districts"),
        "ranking": t("Peringkat", "Ranking"),
        "ranking_headers": [t("No.", "No."), t("Wilayah", "Region"), t("Indeks", "Index"),
            t("Perubahan", "Change"), t("Peringkat (5–95%)", "Rank (5–95%)"), t("Ringkasan", "Summary")],
        "heatmap": t("Skor dimensi", "Dimension scores"),
        "appendix": t("Lampiran: metode", "Appendix: method"),
        "methods_recorded": t("Metode sebagaimana tercatat bersama skor", "Methods as recorded with the scores"),
        "method_headers": [t("Kunci", "Key"), t("Nilai", "Value")],
        "sources": t("Sumber data", "Data sources"),
        "source_headers": [t("Sumber", "Source"), t("Dimuat", "Ingested"), t("Baris", "Rows"), "SHA-256"],
    });
    let ranked_rows = |rows: &[RankedRegion]| -> Vec<Value> {
        rows.iter()
            .map(|r| {
                json!([
                    r.position.to_string(),
                    r.name,
                    format_score(r.index, l),
                    r.change.map_or("–".into(), |c| signed(c, l)),
                    rank_text(r.peer_rank, r.peers, r.rank_range.as_ref(), l),
                    r.summary,
                ])
            })
            .collect()
    };
    let profile = d
        .profile
        .as_ref()
        .map(|p| profile_model(d, p, &ranked_rows(&p.children)));
    let cohort = (d.profile.is_none()).then(|| {
        let n = d.ranking.len();
        let heatmap_note = if n > HEATMAP_ROWS {
            match l {
                Lang::Id => format!("{} teratas dan {} terbawah dari {n} kabupaten/kota; seluruhnya ada di tabel peringkat dan di lembar kerja.", HEATMAP_ROWS / 2, HEATMAP_ROWS / 2),
                Lang::En => format!("The top {} and bottom {} of {n} regencies and cities; all are in the ranking table and the workbook.", HEATMAP_ROWS / 2, HEATMAP_ROWS / 2),
            }
        } else {
            String::new()
        };
        let lead = match (d.ranking.first(), d.ranking.last()) {
            (Some(a), Some(b)) => match l {
                Lang::Id => format!(
                    "{n} kabupaten/kota dinilai pada {period_label}. Indeks tertinggi: {} ({}); terendah: {} ({}). Peringkat dalam tabel adalah urutan di kohort ini; kolom peringkat menyebut peringkat di antara kabupaten/kota seprovinsi dengan rentang 5–95% dari analisis sensitivitas.",
                    a.name, format_score(a.index, l), b.name, format_score(b.index, l)
                ),
                Lang::En => format!(
                    "{n} regencies and cities scored in {period_label}. Highest index: {} ({}); lowest: {} ({}). The table's order is the order within this cohort; the rank column gives the rank among the province's regencies and cities with its 5–95% interval from the sensitivity analysis.",
                    a.name, format_score(a.index, l), b.name, format_score(b.index, l)
                ),
            },
            _ => String::new(),
        };
        json!({
            "lead": lead,
            "rows": ranked_rows(&d.ranking),
            "heatmap_note": heatmap_note,
        })
    });
    json!({
        "lang": l.code(),
        "kind": kind,
        "title": title,
        "kicker": kicker,
        "heading": heading,
        "period_label": period_label,
        "framework": format!("{} {}", d.framework_name, d.framework_version),
        "footer": format!("kotacerdas · {} {}", t("dibuat", "generated"), format_date(d.generated_at.date_naive(), l)),
        "labels": labels,
        "profile": profile,
        "cohort": cohort,
        "appendix": super::appendix::appendix(d),
    })
}

/// `2025` → "tahun 2025"; `2025-Q3` → "triwulan III 2025"; `2025-07` → "Juli 2025".
fn period_words(period: &str, l: Lang) -> String {
    if let Some((y, q)) = period.split_once("-Q") {
        let roman = ["I", "II", "III", "IV"];
        let q = q
            .parse::<usize>()
            .ok()
            .and_then(|q| roman.get(q.wrapping_sub(1)));
        if let Some(q) = q {
            return format!("{} {q} {y}", l.pick("triwulan", "quarter"));
        }
    }
    if let Some((y, m)) = period.split_once('-')
        && let Ok(m) = m.parse::<u32>()
    {
        return format!("{} {y}", crate::i18n::month_name(m, l));
    }
    format!("{} {period}", l.pick("tahun", "year"))
}

/// "3 dari 31 (2–5)" / "3 of 31 (2–5)".
fn rank_text(rank: Option<u32>, peers: u32, range: Option<&super::RankRange>, l: Lang) -> String {
    let Some(rank) = rank else {
        return l.pick("belum berperingkat", "not ranked").to_string();
    };
    let mut s = format!("{rank} {} {peers}", l.pick("dari", "of"));
    if let Some((a, b)) = range.and_then(|r| r.p05.zip(r.p95)) {
        s.push_str(&format!(" ({}–{})", a.round(), b.round()));
    }
    s
}

/// A profile's part of the template's input: the cover figures, the lead sentence, the
/// dimension and indicator tables, the activities and the kecamatan ranked (`children`).
fn profile_model(d: &ReportData, p: &Profile, children: &[Value]) -> Value {
    let l = d.lang;
    let t = |id: &str, en: &str| l.pick(id, en).to_string();
    json!({
        "cover": cover(d, p),
        "lead": profile_lead(d, p),
        "dimension_rows": dimension_rows(p, l),
        "dimension_tables": dimension_tables(p, l),
        "strongest_line": format!("{}: {}", t("Indikator terkuat", "Strongest indicator"), indicator_name(p, &p.strongest, l).unwrap_or_else(|| "–".into())),
        "weakest_line": format!("{}: {}", t("Indikator terlemah", "Weakest indicator"), indicator_name(p, &p.weakest, l).unwrap_or_else(|| "–".into())),
        "coverage_line": coverage_line(p, l),
        "activities_line": activities_line(d, p),
        "by_programme": top_activities(&p.by_programme, 15, l),
        "by_place": top_activities(&p.by_place, 15, l),
        "children": children,
    })
}

/// What the numbers stand on: how many indicators were measured, which were not, and which
/// values lay beyond the goalposts and were capped (so a score of 100 is read as "at least").
fn coverage_line(p: &Profile, l: Lang) -> String {
    let measured = p.indicators.iter().filter(|i| i.score.is_some()).count();
    let names = |pick: &dyn Fn(&super::IndicatorRow) -> bool| -> String {
        let n: Vec<&str> = p
            .indicators
            .iter()
            .filter(|i| pick(i))
            .map(|i| i.name.as_str())
            .collect();
        if n.is_empty() {
            "–".into()
        } else {
            n.join(", ")
        }
    };
    let mut line = format!(
        "{}: {measured} {} {} {}. {}: {}. {}: {}.",
        l.pick("Cakupan data", "Data coverage"),
        l.pick("dari", "of"),
        p.indicators.len(),
        l.pick("indikator bernilai", "indicators measured"),
        l.pick("Tidak terukur (tidak ada data)", "Not measured (no data)"),
        names(&|i| i.score.is_none()),
        l.pick(
            "Di luar patokan, skornya dibatasi",
            "Beyond the goalposts, score capped"
        ),
        names(&|i| i.capped),
    );
    // Said only where it happened: most regions are large enough for it not to matter.
    if let Some(share) = p.indicators.iter().find_map(|i| i.weighted) {
        line.push_str(&format!(
            " {} ({} {} %): {}.",
            l.pick(
                "Nilai per penduduk di atas nilai tipikal ditimbang karena penduduknya sedikit",
                "Values per resident above the typical value weighted for a small population"
            ),
            l.pick("yang dihitung", "counted"),
            format_number(share * 100.0, 0, l),
            names(&|i| i.weighted.is_some()),
        ));
    }
    line
}

/// A number with `decimals`, or "–" when missing.
fn num(v: Option<f64>, decimals: usize, l: Lang) -> String {
    v.map_or("–".to_string(), |v| format_number(v, decimals, l))
}

/// The cover's four figures: index and predicate, rank, change, rank interval.
fn cover(d: &ReportData, p: &Profile) -> Value {
    let l = d.lang;
    let t = |id: &str, en: &str| l.pick(id, en).to_string();
    let level_word = if p.level == Level::District {
        t("kecamatan", "districts")
    } else {
        t("kabupaten/kota", "regencies/cities")
    };
    let previous = d.previous_period.as_deref().map(|p| period_words(p, l));
    json!([
        [
            view::index_label(l),
            format_score(p.index, l),
            p.predicate
                .clone()
                .unwrap_or_else(|| t("skor 0–100", "score 0–100"))
        ],
        [
            t("Peringkat", "Rank"),
            p.rank.map_or("–".into(), |r| r.to_string()),
            format!("{} {} {level_word}", t("dari", "of"), p.peers)
        ],
        [
            t("Perubahan", "Change"),
            p.change.map_or("–".into(), |c| signed(c, l)),
            previous.map_or_else(
                || t("tidak ada periode sebelumnya", "no previous period"),
                |pp| format!("{} {pp}", t("sejak", "since"))
            )
        ],
        [
            t("Rentang peringkat", "Rank interval"),
            p.rank_range.as_ref().and_then(|r| r.p05.zip(r.p95)).map_or(
                "–".into(),
                |(a, b)| format!("{}–{}", a.round(), b.round())
            ),
            t("5–95%, metode divariasikan", "5–95%, methods varied")
        ],
    ])
}

/// One sentence: the region's index in the period, its rank among its peers, its change.
fn profile_lead(d: &ReportData, p: &Profile) -> String {
    let l = d.lang;
    let t = |id: &str, en: &str| l.pick(id, en).to_string();
    let previous = d.previous_period.as_deref().map(|p| period_words(p, l));
    let (index, when) = (format_score(p.index, l), period_words(&d.period, l));
    let rank = view::rank_phrase(p.rank, p.peers, p.level, l);
    let change = p
        .change
        .zip(previous.as_ref())
        .map_or(String::new(), |(c, pp)| {
            format!(
                " {} {pp}: {}.",
                t("Perubahan sejak", "Change since"),
                signed(c, l)
            )
        });
    let (name, peers) = (&p.name, &p.peer_group);
    match l {
        Lang::Id => format!(
            "{name} memperoleh indeks {index} pada {when}, {rank} di antara {peers}.{change}"
        ),
        Lang::En => format!("{name} scores {index} in {when}, {rank} among the {peers}.{change}"),
    }
}

/// An indicator by id as "name (score)".
fn indicator_name(p: &Profile, id: &Option<String>, l: Lang) -> Option<String> {
    id.as_ref()
        .and_then(|id| p.indicators.iter().find(|i| &i.id == id))
        .map(|i| format!("{} ({})", i.name, format_score(i.score, l)))
}

/// The table of dimensions: score, rank, weight, contribution, change.
fn dimension_rows(p: &Profile, l: Lang) -> Vec<Value> {
    p.dimensions
        .iter()
        .map(|x| {
            json!([
                x.name,
                format_score(x.score, l),
                x.rank.map_or("–".into(), |r| r.to_string()),
                num(x.weight.map(|w| w * 100.0), 1, l) + " %",
                num(x.to_index, 1, l),
                x.change.map_or("–".into(), |c| signed(c, l)),
            ])
        })
        .collect()
}

/// A table per dimension of its indicators: raw value, value, unit, target, score, weight,
/// contribution.
fn dimension_tables(p: &Profile, l: Lang) -> Vec<Value> {
    let t = |id: &str, en: &str| l.pick(id, en).to_string();
    p.dimensions
        .iter()
        .map(|x| {
            let rows: Vec<Value> = p
                .indicators
                .iter()
                .filter(|i| i.dimension == x.id)
                .map(|i| {
                    json!([
                        i.name,
                        num(i.raw, 0, l),
                        num(i.value, 2, l),
                        i.unit,
                        num(i.target, 2, l),
                        format_score(i.score, l),
                        num(i.weight.map(|w| w * 100.0), 0, l) + " %",
                        num(i.to_dimension, 1, l),
                    ])
                })
                .collect();
            json!({
                "title": format!("{} — {} {}", x.name, t("skor", "score"), format_score(x.score, l)),
                "rows": rows,
            })
        })
        .collect()
}

/// The first `n` activity rows: name, records, quantity.
fn top_activities(rows: &[super::ActivityRow], n: usize, l: Lang) -> Vec<Value> {
    rows.iter()
        .take(n)
        .map(|r| {
            json!([
                r.name,
                format_number(r.activities as f64, 0, l),
                format_number(r.quantity, 0, l)
            ])
        })
        .collect()
}

/// One sentence: the records in the period and the three largest programmes.
fn activities_line(d: &ReportData, p: &Profile) -> String {
    let l = d.lang;
    let largest: Vec<String> = p
        .by_programme
        .iter()
        .take(3)
        .map(|r| r.name.clone())
        .collect();
    match l {
        Lang::Id => format!(
            "{} kegiatan tercatat pada {}{}.",
            format_number(p.activities as f64, 0, l),
            period_words(&d.period, l),
            if largest.is_empty() {
                String::new()
            } else {
                format!("; program terbesar: {}", largest.join(", "))
            }
        ),
        Lang::En => format!(
            "{} activities recorded in {}{}.",
            format_number(p.activities as f64, 0, l),
            period_words(&d.period, l),
            if largest.is_empty() {
                String::new()
            } else {
                format!("; largest programmes: {}", largest.join(", "))
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_words() {
        assert_eq!(period_words("2025", Lang::Id), "tahun 2025");
        assert_eq!(period_words("2025-Q3", Lang::Id), "triwulan III 2025");
        assert_eq!(period_words("2025-07", Lang::Id), "Juli 2025");
        assert_eq!(period_words("2025-07", Lang::En), "July 2025");
    }

    #[test]
    fn ranks_show_their_interval() {
        let r = super::super::RankRange {
            median: Some(3.0),
            p05: Some(2.0),
            p95: Some(5.4),
        };
        assert_eq!(
            rank_text(Some(3), 31, Some(&r), Lang::Id),
            "3 dari 31 (2–5)"
        );
        assert_eq!(rank_text(None, 31, None, Lang::En), "not ranked");
    }
}
