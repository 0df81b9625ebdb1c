//! The round's documents for evaluators: a region's evaluation report (scores, every item
//! self-assessed and verified, the evidence with each file's SHA-256, the assessor's notes, a
//! signature block) and the national recap (every region's scores and ranks, by pillar and by
//! province), as PDF, xlsx and CSV.
//!
//! The tables are built once as the report module's [`Table`]s and serve all three formats: the
//! workbook and the CSV through `report::xlsx` and `report::csv` (after [`neutralise`]), the PDF
//! through `report::pdf::typeset` with the evaluation's own template (`evaluation.typ`). Who may
//! download which document is the server's to decide.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Value as Json, json};
use typst_as_lib::{TypstEngine, TypstTemplateMainFile};

use super::EvaluationError;
use super::charts;
use super::store::Verification;
use super::workflow::{FormView, RegionResult, RoundResults};
use crate::chart::{self, Format};
use crate::i18n::{Lang, format_date, format_number};
use crate::region::boundaries::Boundaries;
use crate::region::{Level, RegionCode, Regions};
use crate::report::{Cell, Table, csv as report_csv, pdf, xlsx};
use crate::view::{self, MapScope};

type Result<T> = std::result::Result<T, EvaluationError>;

static TEMPLATE: &str = include_str!("evaluation.typ");

fn engine() -> &'static TypstEngine<TypstTemplateMainFile> {
    static ENGINE: OnceLock<TypstEngine<TypstTemplateMainFile>> = OnceLock::new();
    ENGINE.get_or_init(|| pdf::engine_for(TEMPLATE))
}

fn render_err(e: impl std::fmt::Display) -> EvaluationError {
    EvaluationError::Render(e.to_string())
}

/// A cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
/// leading `'`, as OWASP advises for CSV and workbook exports. The one place this is decided,
/// so a shared helper can replace it.
pub fn neutralise(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

fn safe(table: &Table) -> Table {
    let mut t = table.clone();
    for row in &mut t.rows {
        for cell in row {
            if let Cell::Text(s) = cell {
                *s = neutralise(s);
            }
        }
    }
    t.headers = t.headers.iter().map(|h| neutralise(h)).collect();
    t
}

/// The tables as a workbook.
pub fn workbook(tables: &[Table]) -> Result<Vec<u8>> {
    let safe: Vec<Table> = tables.iter().map(safe).collect();
    xlsx::render(&safe).map_err(render_err)
}

/// One table as CSV.
pub fn csv(table: &Table) -> Result<Vec<u8>> {
    report_csv::render(&safe(table)).map_err(render_err)
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn num(v: Option<f64>, decimals: usize) -> Cell {
    v.filter(|v| v.is_finite())
        .map_or(Cell::Empty, |v| Cell::Number(v, decimals))
}

fn province_of(regions: &Regions, code: &RegionCode) -> (String, String) {
    let p = code
        .at_level(Level::Province)
        .unwrap_or_else(|| code.clone());
    let name = regions
        .get(&p)
        .map_or_else(|| p.to_string(), |r| r.name.clone());
    (p.to_string(), name)
}

/// A region's tables: scores at every level, items, evidence.
pub fn region_tables(view: &FormView, result: &RegionResult, lang: Lang) -> Vec<Table> {
    vec![
        score_table(view, result, lang),
        item_table(view, result, lang),
        evidence_table(view, lang),
    ]
}

/// The scores: the index, each evaluation dimension with its weight, each pillar and its
/// sub-dimensions, self-assessed beside verified.
fn score_table(view: &FormView, result: &RegionResult, l: Lang) -> Table {
    let i = &view.instrument;
    let h = |id: &str, en: &str| l.pick(id, en).to_string();
    let dec = i.scale.decimals;
    let weights = i.weights_for(view.round.year);
    let mut scores = vec![vec![
        text(h("Indeks", "Index")),
        text(h("Indeks Pencapaian", "Achievement index")),
        Cell::Empty,
        num(result.self_assessed.index, dec),
        num(result.verified.index, dec),
    ]];
    for (k, d) in i.dimensions.iter().enumerate() {
        scores.push(vec![
            text(h("Dimensi evaluasi", "Evaluation dimension")),
            text(l.pick(&d.name_id, &d.name_en)),
            num(weights.get(k).copied(), 0),
            num(result.self_assessed.dimensions[k], dec),
            num(result.verified.dimensions[k], dec),
        ]);
    }
    for (k, p) in i.pillars.iter().enumerate() {
        scores.push(vec![
            text(h("Pilar", "Pillar")),
            text(l.pick(&p.name_id, &p.name_en)),
            Cell::Empty,
            num(result.self_assessed.pillars[k], dec),
            num(result.verified.pillars[k], dec),
        ]);
        for (s, sub) in p.subdimensions.iter().enumerate() {
            scores.push(vec![
                text(h("Sub-dimensi", "Sub-dimension")),
                text(format!(
                    "{} / {}",
                    l.pick(&p.name_id, &p.name_en),
                    l.pick(&sub.name_id, &sub.name_en)
                )),
                Cell::Empty,
                num(result.self_assessed.subdimensions[k][s], dec),
                num(result.verified.subdimensions[k][s], dec),
            ]);
        }
    }
    Table {
        id: "scores",
        title: h("Skor", "Scores"),
        headers: vec![
            h("Tingkat", "Level"),
            h("Nama", "Name"),
            h("Bobot", "Weight"),
            h("Mandiri", "Self-assessed"),
            h("Terverifikasi", "Verified"),
        ],
        rows: scores,
    }
}

/// Every item: the answer given, the verified one, the verification, the score and both notes.
fn item_table(view: &FormView, result: &RegionResult, l: Lang) -> Table {
    let i = &view.instrument;
    let h = |id: &str, en: &str| l.pick(id, en).to_string();
    let dec = i.scale.decimals;
    let rows = i
        .items
        .iter()
        .enumerate()
        .map(|(k, item)| {
            let a = view.answers.get(&item.id);
            let shown = |raw: Option<&str>| {
                raw.and_then(|r| item.parse(r).ok())
                    .map_or(Cell::Empty, |v| text(item.display(&v, l)))
            };
            let verified = a.and_then(|a| match a.verification? {
                Verification::Accepted => a.value.as_deref(),
                Verification::Changed => a.verified_value.as_deref(),
            });
            let status = match a.and_then(|a| a.verification) {
                Some(Verification::Accepted) => h("diterima", "accepted"),
                Some(Verification::Changed) => h("diubah", "changed"),
                None => h("belum", "not yet"),
            };
            vec![
                text(&item.id),
                text(item.text(l)),
                shown(a.and_then(|a| a.value.as_deref())),
                shown(verified),
                text(status),
                num(result.verified.items[k], dec),
                text(a.and_then(|a| a.note.clone()).unwrap_or_default()),
                text(a.and_then(|a| a.verifier_note.clone()).unwrap_or_default()),
            ]
        })
        .collect();
    Table {
        id: "items",
        title: h("Butir", "Items"),
        headers: vec![
            h("Butir", "Item"),
            h("Pertanyaan", "Question"),
            h("Mandiri", "Self-assessed"),
            h("Terverifikasi", "Verified"),
            h("Verifikasi", "Verification"),
            h("Skor", "Score"),
            h("Catatan daerah", "Region's note"),
            h("Catatan asesor", "Assessor's note"),
        ],
        rows,
    }
}

/// The evidence: per file or link its item, name, type, size, checksum, who added it, when.
fn evidence_table(view: &FormView, l: Lang) -> Table {
    let h = |id: &str, en: &str| l.pick(id, en).to_string();
    let rows = view
        .evidence
        .iter()
        .map(|e| {
            vec![
                text(&e.item),
                text(if e.kind == "file" {
                    h("berkas", "file")
                } else {
                    h("tautan", "link")
                }),
                text(
                    e.file_name
                        .clone()
                        .or_else(|| e.url.clone())
                        .unwrap_or_default(),
                ),
                text(e.media_type.clone().unwrap_or_default()),
                num(e.size_bytes.map(|b| b as f64), 0),
                text(e.sha256.clone().unwrap_or_default()),
                text(&e.added_by),
                text(&e.added_at),
            ]
        })
        .collect();
    Table {
        id: "evidence",
        title: h("Bukti dukung", "Evidence"),
        headers: vec![
            h("Butir", "Item"),
            h("Jenis", "Kind"),
            h("Berkas / tautan", "File / link"),
            h("Tipe", "Type"),
            h("Ukuran (bita)", "Size (bytes)"),
            "SHA-256".into(),
            h("Ditambahkan oleh", "Added by"),
            h("Waktu (UTC)", "Time (UTC)"),
        ],
        rows,
    }
}

/// The national recap's tables: the ranking, the pillars, the provinces.
pub fn recap_tables(results: &RoundResults, regions: &Regions, lang: Lang) -> Vec<Table> {
    let (i, l) = (&results.instrument, lang);
    let h = |id: &str, en: &str| l.pick(id, en).to_string();
    let dec = i.scale.decimals;
    let mut ranking_headers = vec![
        h("Peringkat", "Rank"),
        h("Kode", "Code"),
        h("Kab/kota", "Kab/kota"),
        h("Provinsi", "Province"),
        h("Peringkat provinsi", "Provincial rank"),
        h("Indeks", "Index"),
        h("Indeks mandiri", "Self-assessed index"),
    ];
    ranking_headers.extend(
        i.dimensions
            .iter()
            .map(|d| l.pick(&d.name_id, &d.name_en).to_string()),
    );
    ranking_headers.push(h("Perubahan", "Change"));
    let mut pillar_headers = vec![
        h("Kode", "Code"),
        h("Kab/kota", "Kab/kota"),
        h("Provinsi", "Province"),
    ];
    pillar_headers.extend(
        i.pillars
            .iter()
            .map(|p| l.pick(&p.name_id, &p.name_en).to_string()),
    );
    let mut ranking = Vec::with_capacity(results.regions.len());
    let mut pillars = Vec::with_capacity(results.regions.len());
    let mut provinces: BTreeMap<(String, String), Vec<&RegionResult>> = BTreeMap::new();
    for r in &results.regions {
        let name = charts::name(regions, &r.region);
        let (pcode, pname) = province_of(regions, &r.region);
        let mut row = vec![
            Cell::Number(r.rank.national as f64, 0),
            text(r.region.as_str()),
            text(&name),
            text(&pname),
            text(format!("{}/{}", r.rank.provincial, r.rank.provincial_of)),
            num(r.verified.index, dec),
            num(r.self_assessed.index, dec),
        ];
        row.extend(r.verified.dimensions.iter().map(|d| num(*d, dec)));
        row.push(num(
            r.previous.and_then(|p| Some(r.verified.index? - p.index)),
            dec,
        ));
        ranking.push(row);
        let mut prow = vec![text(r.region.as_str()), text(&name), text(&pname)];
        prow.extend(r.verified.pillars.iter().map(|p| num(*p, dec)));
        pillars.push(prow);
        provinces.entry((pcode, pname)).or_default().push(r);
    }
    let provinces = provinces
        .into_iter()
        .map(|((code, name), members)| {
            let indices: Vec<f64> = members.iter().filter_map(|r| r.verified.index).collect();
            let best = members.first();
            vec![
                text(code),
                text(name),
                Cell::Number(members.len() as f64, 0),
                num(
                    (!indices.is_empty())
                        .then(|| indices.iter().sum::<f64>() / indices.len() as f64),
                    dec,
                ),
                text(
                    best.map(|b| charts::name(regions, &b.region))
                        .unwrap_or_default(),
                ),
                num(best.and_then(|b| b.verified.index), dec),
            ]
        })
        .collect();
    vec![
        Table {
            id: "ranking",
            title: h("Peringkat", "Ranking"),
            headers: ranking_headers,
            rows: ranking,
        },
        Table {
            id: "pillars",
            title: h("Pilar", "Pillars"),
            headers: pillar_headers,
            rows: pillars,
        },
        Table {
            id: "provinces",
            title: h("Provinsi", "Provinces"),
            headers: vec![
                h("Kode", "Code"),
                h("Provinsi", "Province"),
                h("Kab/kota final", "Finalised kab/kota"),
                h("Rata-rata indeks", "Mean index"),
                h("Terbaik", "Best"),
                h("Indeks terbaik", "Best index"),
            ],
            rows: provinces,
        },
    ]
}

fn table_block(t: &Table, widths: &[f64], lang: Lang) -> Json {
    let num: Vec<usize> = (0..t.headers.len())
        .filter(|c| {
            t.rows
                .iter()
                .any(|r| matches!(r.get(*c), Some(Cell::Number(..))))
        })
        .collect();
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Cell::Text(s) => s.clone(),
                    Cell::Number(v, d) => format_number(*v, *d, lang),
                    Cell::Empty => "–".into(),
                })
                .collect()
        })
        .collect();
    json!({ "kind": "table", "headers": t.headers, "rows": rows, "widths": widths, "num": num })
}

fn heading(text: &str) -> Json {
    json!({ "kind": "heading", "text": text })
}

fn base(
    lang: Lang,
    title: String,
    heading: String,
    kicker: &str,
    subtitle: String,
    example: &str,
    landscape: bool,
) -> Json {
    json!({
        "lang": lang.code(), "landscape": landscape, "title": title, "heading": heading,
        "kicker": kicker, "subtitle": subtitle, "example_note": example,
        "page": lang.pick("Halaman", "Page"), "of": lang.pick("dari", "of"),
        "footer": format!("kotacerdas · {} {}", lang.pick("dibuat", "generated"),
            format_date(chrono::Local::now().date_naive(), lang)),
        "cards": [], "lead": "", "blocks": [],
    })
}

fn svg(c: std::result::Result<Vec<u8>, chart::ChartError>) -> Result<Vec<u8>> {
    c.map_err(render_err)
}

/// The region report's four cards: the index (verified beside self-assessed), the national
/// and provincial ranks, the change since the previous round.
fn region_cards(result: &RegionResult, f: &dyn Fn(Option<f64>) -> String, l: Lang) -> Json {
    let change = result
        .previous
        .and_then(|p| Some((result.verified.index? - p.index, p.year)));
    json!([
        [
            l.pick("Indeks Pencapaian", "Achievement index"),
            f(result.verified.index),
            format!(
                "{} {}",
                l.pick("mandiri", "self-assessed"),
                f(result.self_assessed.index)
            )
        ],
        [
            l.pick("Peringkat nasional", "National rank"),
            result.rank.national.to_string(),
            format!("{} {}", l.pick("dari", "of"), result.rank.national_of)
        ],
        [
            l.pick("Peringkat provinsi", "Provincial rank"),
            result.rank.provincial.to_string(),
            format!("{} {}", l.pick("dari", "of"), result.rank.provincial_of)
        ],
        [
            l.pick("Perubahan", "Change"),
            change.map_or_else(|| "–".into(), |(c, _)| crate::report::signed(c, l)),
            change.map_or_else(
                || l.pick("tidak ada ronde sebelumnya", "no previous round")
                    .to_string(),
                |(_, y)| format!("{} {y}", l.pick("sejak", "since"))
            )
        ],
    ])
}

/// The region report's body: the charts, the three tables, the assessor's notes and the
/// signature block.
fn region_blocks(view: &FormView, result: &RegionResult, name: &str, l: Lang) -> Vec<Json> {
    let (i, tables) = (&view.instrument, region_tables(view, result, l));
    let mut blocks = vec![
        json!({ "kind": "chart", "key": "radar", "width": 80 }),
        json!({ "kind": "chart", "key": "dimensions", "width": 80 }),
        heading(&tables[0].title),
        table_block(&tables[0], &[1.2, 3.0, 0.6, 0.9, 0.9], l),
        heading(&tables[1].title),
        table_block(&tables[1], &[0.6, 3.2, 0.9, 0.9, 0.8, 0.6, 1.3, 1.3], l),
        heading(&tables[2].title),
        table_block(&tables[2], &[0.6, 0.5, 1.6, 1.2, 0.7, 2.6, 0.9, 1.2], l),
        heading(l.pick("Catatan asesor", "Assessor's notes")),
    ];
    if let Some(n) = &view.form.return_note {
        blocks.push(json!({ "kind": "text", "text": format!("{}: {n}", l.pick("Catatan pengembalian", "Return note")) }));
    }
    for item in &i.items {
        if let Some(n) = view
            .answers
            .get(&item.id)
            .and_then(|a| a.verifier_note.as_ref())
        {
            blocks.push(json!({ "kind": "text", "text": format!("{}: {n}", item.id) }));
        }
    }
    blocks.push(json!({ "kind": "signature", "parties": [
        [l.pick("Asesor", "Assessor"), view.form.finalised_by.as_deref().unwrap_or(""), l.pick("tanda tangan dan tanggal", "signature and date")],
        [format!("{} {name}", l.pick("Tim smart city", "Smart-city team,")), "", l.pick("nama, tanda tangan dan tanggal", "name, signature and date")],
    ]}));
    blocks
}

/// A region's evaluation report as PDF.
pub fn region_pdf(
    view: &FormView,
    result: &RegionResult,
    regions: &Regions,
    lang: Lang,
) -> Result<Vec<u8>> {
    let (i, l) = (&view.instrument, lang);
    let name = charts::name(regions, &view.form.region);
    let dec = i.scale.decimals;
    let f = |v: Option<f64>| v.map_or_else(|| "–".into(), |v| format_number(v, dec, l));
    let mut d = base(
        l,
        format!(
            "{} — {name}",
            l.pick(
                "Laporan evaluasi smart city",
                "Smart-city evaluation report"
            )
        ),
        name.clone(),
        l.pick(
            "Laporan evaluasi smart city",
            "Smart-city evaluation report",
        ),
        format!("{} · {} {}", view.round.title, i.name(l), i.version),
        if i.example {
            l.pick(&i.note_id, &i.note_en)
        } else {
            ""
        },
        false,
    );
    d["cards"] = region_cards(result, &f, l);
    d["lead"] = json!(format!(
        "{} {} {}. {}",
        l.pick("Formulir difinalkan oleh", "Form finalised by"),
        view.form.finalised_by.as_deref().unwrap_or("–"),
        view.form.finalised_at.as_deref().unwrap_or(""),
        l.pick("Skor pada skala 0–", "Scores on the scale 0–")
            .to_string()
            + &format_number(i.scale.max, 0, l),
    ));
    d["blocks"] = Json::Array(region_blocks(view, result, &name, l));
    let (w, hgt) = (chart::DEFAULT_WIDTH, chart::DEFAULT_HEIGHT);
    let radar = svg(chart::render_radar(
        &charts::pillar_radar(i, result, &name, view.round.year, l),
        Format::Svg,
        w,
        hgt,
    ))?;
    let dims = svg(chart::render_bars(
        &charts::dimension_bars(i, result, &name, view.round.year, l),
        Format::Svg,
        w,
        300,
    ))?;
    pdf::typeset(engine(), &d, vec![("radar", radar), ("dimensions", dims)]).map_err(render_err)
}

/// The national recap as PDF: ranking, pillars, provinces, the ranked bars and the map.
pub fn recap_pdf(
    results: &RoundResults,
    cohort: &[RegionCode],
    regions: &Regions,
    boundaries: &Boundaries,
    lang: Lang,
) -> Result<Vec<u8>> {
    let (i, l) = (&results.instrument, lang);
    let dec = i.scale.decimals;
    let mut d = base(
        l,
        format!(
            "{} — {}",
            l.pick("Rekap nasional", "National recap"),
            results.round.title
        ),
        results.round.title.clone(),
        l.pick(
            "Rekap nasional evaluasi smart city",
            "National smart-city evaluation recap",
        ),
        format!("{} {}", i.name(l), i.version),
        if i.example {
            l.pick(&i.note_id, &i.note_en)
        } else {
            ""
        },
        true,
    );
    let indices: Vec<f64> = results
        .regions
        .iter()
        .filter_map(|r| r.verified.index)
        .collect();
    let mean = (!indices.is_empty()).then(|| indices.iter().sum::<f64>() / indices.len() as f64);
    d["cards"] = json!([
        [
            l.pick("Kab/kota final", "Finalised kab/kota"),
            results.regions.len().to_string(),
            format!(
                "{} {}",
                results.pending,
                l.pick("belum final", "not final yet")
            )
        ],
        [
            l.pick("Rata-rata indeks", "Mean index"),
            mean.map_or_else(|| "–".into(), |m| format_number(m, dec, l)),
            l.pick("terverifikasi", "verified")
        ],
        [
            l.pick("Tahun", "Year"),
            results.round.year.to_string(),
            format!(
                "{} {}",
                l.pick("bobot", "weights"),
                i.weights_for(results.round.year)
                    .iter()
                    .map(|w| format_number(*w, 0, l))
                    .collect::<Vec<_>>()
                    .join("/")
            )
        ],
    ]);
    let tables = recap_tables(results, regions, l);
    let n_dims = i.dimensions.len();
    let mut ranking_widths = vec![0.5, 0.6, 2.0, 1.6, 0.8, 0.7, 0.8];
    ranking_widths.extend(std::iter::repeat_n(0.7, n_dims));
    ranking_widths.push(0.7);
    let mut pillar_widths = vec![0.6, 2.0, 1.6];
    pillar_widths.extend(std::iter::repeat_n(0.8, i.pillars.len()));
    d["blocks"] = json!([
        { "kind": "chart", "key": "bars", "width": 70 },
        { "kind": "chart", "key": "map", "width": 85 },
        heading(&tables[0].title),
        table_block(&tables[0], &ranking_widths, l),
        heading(&tables[1].title),
        table_block(&tables[1], &pillar_widths, l),
        heading(&tables[2].title),
        table_block(&tables[2], &[0.5, 2.0, 1.0, 1.0, 2.0, 1.0], l),
    ]);
    let mut images = vec![(
        "bars",
        svg(chart::render_bars(
            &charts::cohort_bars(results, regions, None, 30, l),
            Format::Svg,
            chart::DEFAULT_WIDTH,
            900,
        ))?,
    )];
    if let Some(first) = cohort.first()
        && let Ok(layer) = view::map_layer(boundaries, first, MapScope::Indonesia)
    {
        let map = charts::cohort_map(results, cohort, regions, layer, None, l);
        images.push(("map", svg(chart::render_map(&map, Format::Svg, 1200, 600))?));
    }
    pdf::typeset(engine(), &d, images).map_err(render_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("-1+2"), "'-1+2");
        assert_eq!(neutralise("@SUM"), "'@SUM");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("Kabupaten Jember"), "Kabupaten Jember");
        let t = Table {
            id: "t",
            title: "T".into(),
            headers: vec!["a".into()],
            rows: vec![vec![Cell::Text("=1+1".into())], vec![Cell::Number(-3.0, 0)]],
        };
        let out = String::from_utf8(csv(&t).unwrap()).unwrap();
        assert_eq!(out, "a\n'=1+1\n-3\n");
    }
}
