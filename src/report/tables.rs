//! The report's tables: the one source of the workbook's sheets and the CSV files, so both
//! always carry the same numbers.
//!
//! Cells keep numbers as numbers (with the decimals they are shown with); formatting for
//! people is the PDF's business ([`super::pdf`]), writing files the renderers'.

use super::profile::indicator_rows;
use super::{
    ActivityRow, Cohort, IndicatorRow, Inputs, Profile, RankedRegion, ReportData, Subject,
};
use crate::region::{Level, RegionCode};
use crate::score::explain;

/// A cell of a report table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number, with the decimals it is shown with.
    Number(f64, usize),
    /// Missing.
    Empty,
}

impl Cell {
    fn num(v: Option<f64>, decimals: usize) -> Cell {
        v.filter(|v| v.is_finite())
            .map_or(Cell::Empty, |v| Cell::Number(v, decimals))
    }

    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
}

/// A table of a report: one sheet of the workbook, one CSV file.
#[derive(Debug, Clone)]
pub struct Table {
    /// Stable id, used in CSV file names and `?table=` (`scores`, `indicators`, …).
    pub id: &'static str,
    /// Sheet name in the report's language.
    pub title: String,
    /// Column headers in the report's language.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

/// Table ids of a region report, the first being the CSV default.
pub const REGION_TABLES: [&str; 6] = [
    "scores",
    "indicators",
    "activities",
    "places",
    "framework",
    "metadata",
];
/// Table ids of a cohort report, the first being the CSV default.
pub const COHORT_TABLES: [&str; 4] = ["ranking", "indicators", "framework", "metadata"];

impl ReportData {
    /// The report's tables: for a region scores (index and dimensions), indicators, activities
    /// by programme and by place, framework, metadata; for a cohort the ranking, every member's
    /// indicators, framework, metadata.
    pub fn tables(&self, inputs: &Inputs<'_>) -> Vec<Table> {
        let mut out = match &self.profile {
            Some(p) => self.region_tables(p),
            None => vec![self.ranking_table(), self.cohort_indicator_table(inputs)],
        };
        out.push(self.framework_table());
        out.push(self.metadata_table());
        out
    }

    /// A header or title in the report's language.
    fn label(&self, id: &str, en: &str) -> String {
        self.lang.pick(id, en).to_string()
    }

    /// A region's own tables: scores, indicators, activities by programme and by place.
    fn region_tables(&self, p: &Profile) -> Vec<Table> {
        let h = |id: &str, en: &str| self.label(id, en);
        vec![
            self.scores_table(p),
            indicator_table(
                self,
                std::iter::once((&p.code, p.name.as_str(), p.indicators.as_slice())),
            ),
            self.activity_table(
                "activities",
                h("Kegiatan per program", "Activities by programme"),
                h("Program", "Programme"),
                &p.by_programme,
            ),
            self.activity_table(
                "places",
                h("Kegiatan per wilayah", "Activities by place"),
                h("Wilayah", "Place"),
                &p.by_place,
            ),
        ]
    }

    /// The index and each dimension: score, rank, weight, contribution, change.
    fn scores_table(&self, p: &Profile) -> Table {
        let h = |id: &str, en: &str| self.label(id, en);
        let mut rows = vec![vec![
            Cell::text(h("Indeks", "Index")),
            Cell::num(p.index, 2),
            Cell::num(p.rank.map(f64::from), 0),
            Cell::Number(f64::from(p.peers), 0),
            Cell::num(Some(1.0), 4),
            Cell::num(p.index, 2),
            Cell::num(p.change, 2),
        ]];
        for d in &p.dimensions {
            rows.push(vec![
                Cell::text(&d.name),
                Cell::num(d.score, 2),
                Cell::num(d.rank.map(f64::from), 0),
                Cell::Number(f64::from(p.peers), 0),
                Cell::num(d.weight, 4),
                Cell::num(d.to_index, 2),
                Cell::num(d.change, 2),
            ]);
        }
        Table {
            id: "scores",
            title: h("Skor", "Scores"),
            headers: vec![
                h("Ukuran", "Measure"),
                h("Skor (0–100)", "Score (0–100)"),
                h("Peringkat", "Rank"),
                h("Jumlah pembanding", "Peers"),
                h("Bobot", "Weight"),
                h("Kontribusi ke indeks", "Contribution to index"),
                h("Perubahan", "Change"),
            ],
            rows,
        }
    }

    /// Activities counted by programme or by place; `first` heads the name column.
    fn activity_table(
        &self,
        id: &'static str,
        title: String,
        first: String,
        rows: &[ActivityRow],
    ) -> Table {
        let h = |id: &str, en: &str| self.label(id, en);
        Table {
            id,
            title,
            headers: vec![
                h("Kode", "Code"),
                first,
                h("Kegiatan", "Activities"),
                h("Kuantitas", "Quantity"),
                h("Peserta", "Participants"),
            ],
            rows: rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::text(&r.code),
                        Cell::text(&r.name),
                        Cell::Number(r.activities as f64, 0),
                        Cell::Number(r.quantity, 1),
                        Cell::Number(r.participants, 0),
                    ]
                })
                .collect(),
        }
    }

    /// The cohort ranked, with each member's rank interval, dimensions and summary.
    fn ranking_table(&self) -> Table {
        let h = |id: &str, en: &str| self.label(id, en);
        let mut headers = vec![
            h("Urutan", "Position"),
            h("Kode", "Code"),
            h("Wilayah", "Region"),
            h("Indeks", "Index"),
            h("Perubahan", "Change"),
            h("Peringkat di provinsi", "Rank in province"),
            h("Jumlah pembanding", "Peers"),
            h("Peringkat median", "Median rank"),
            h("Peringkat P5", "Rank P5"),
            h("Peringkat P95", "Rank P95"),
        ];
        headers.extend(self.dimensions.iter().map(|d| d.1.clone()));
        headers.push(h("Ringkasan", "Summary"));
        Table {
            id: "ranking",
            title: h("Peringkat", "Ranking"),
            headers,
            rows: self.ranking.iter().map(ranking_row).collect(),
        }
    }

    /// Every cohort member's indicators, explained on the kab/kota-level scores; a member
    /// whose explanation fails has no rows rather than failing the table.
    fn cohort_indicator_table(&self, inputs: &Inputs<'_>) -> Table {
        let (scores, book, _) = inputs.scores_for(&Subject::Cohort(Cohort::All));
        let explained: Vec<(RegionCode, String, Vec<IndicatorRow>)> = self
            .ranking
            .iter()
            .map(|r| {
                let rows = explain::explain(scores, book, inputs.framework, &r.code, &self.period)
                    .map(|e| {
                        indicator_rows(
                            inputs.framework,
                            &e.indicators,
                            &r.code,
                            &self.period,
                            self.lang,
                        )
                    })
                    .unwrap_or_default();
                (r.code.clone(), r.name.clone(), rows)
            })
            .collect();
        indicator_table(
            self,
            explained
                .iter()
                .map(|(c, n, rows)| (c, n.as_str(), rows.as_slice())),
        )
    }

    /// The framework's dimensions and indicators with their weights, units and programmes.
    fn framework_table(&self) -> Table {
        let h = |id: &str, en: &str| self.label(id, en);
        Table {
            id: "framework",
            title: h("Kerangka", "Framework"),
            headers: vec![
                h("Dimensi", "Dimension"),
                h("Bobot dimensi", "Dimension weight"),
                h("Indikator", "Indicator"),
                h("Nama", "Name"),
                h("Bobot indikator", "Indicator weight"),
                h("Satuan", "Unit"),
                h("Program", "Programmes"),
            ],
            rows: self
                .framework
                .iter()
                .map(|f| {
                    vec![
                        Cell::text(&f.dimension),
                        Cell::Number(f.dimension_weight, 2),
                        Cell::text(&f.indicator),
                        Cell::text(&f.name),
                        Cell::Number(f.weight, 2),
                        Cell::text(&f.unit),
                        Cell::text(&f.programmes),
                    ]
                })
                .collect(),
        }
    }

    /// Key–value lines: the framework, the period, the scoring run, the methods as recorded
    /// and every source with its checksum.
    fn metadata_table(&self) -> Table {
        let h = |id: &str, en: &str| self.label(id, en);
        let mut meta = vec![
            (h("Kerangka", "Framework"), self.framework_name.clone()),
            (
                h("Kode kerangka", "Framework id"),
                self.framework_id.clone(),
            ),
            (
                h("Versi kerangka", "Framework version"),
                self.framework_version.clone(),
            ),
            (h("Periode", "Period"), self.period.clone()),
            (h("Satuan periode", "Granularity"), self.granularity.clone()),
            (
                h("Tingkat penilaian", "Scoring level"),
                match self.level {
                    Level::District => h("kecamatan", "district"),
                    _ => h("kabupaten/kota", "regency/city"),
                },
            ),
            (h("Putaran penilaian", "Scoring run"), self.run.clone()),
            (h("Dinilai pada", "Scored at"), self.scored_at.to_rfc3339()),
            (
                h("Dibuat pada", "Generated at"),
                self.generated_at.to_rfc3339(),
            ),
        ];
        meta.extend(
            self.methods
                .iter()
                .map(|(k, v)| (format!("{} {k}", h("metode", "method")), v.clone())),
        );
        for s in &self.sources {
            meta.push((
                format!("{} {}", h("sumber", "source"), s.name),
                format!(
                    "sha256 {}; {} {}; {} {}",
                    s.checksum,
                    h("dimuat", "ingested"),
                    s.ingested_at,
                    s.accepted,
                    h("baris diterima", "rows accepted")
                ),
            ));
        }
        Table {
            id: "metadata",
            title: h("Metadata", "Metadata"),
            headers: vec![h("Kunci", "Key"), h("Nilai", "Value")],
            rows: meta
                .into_iter()
                .map(|(k, v)| vec![Cell::Text(k), Cell::Text(v)])
                .collect(),
        }
    }
}

/// One line of the ranking table.
fn ranking_row(r: &RankedRegion) -> Vec<Cell> {
    let range = r.rank_range.as_ref();
    let mut row = vec![
        Cell::Number(r.position as f64, 0),
        Cell::text(r.code.as_str()),
        Cell::text(&r.name),
        Cell::num(r.index, 2),
        Cell::num(r.change, 2),
        Cell::num(r.peer_rank.map(f64::from), 0),
        Cell::Number(f64::from(r.peers), 0),
        Cell::num(range.and_then(|x| x.median), 1),
        Cell::num(range.and_then(|x| x.p05), 1),
        Cell::num(range.and_then(|x| x.p95), 1),
    ];
    row.extend(r.dimensions.iter().map(|d| Cell::num(*d, 2)));
    row.push(Cell::text(&r.summary));
    row
}

/// The indicators of one or more regions, one row per region and indicator.
fn indicator_table<'a>(
    data: &ReportData,
    regions: impl Iterator<Item = (&'a RegionCode, &'a str, &'a [IndicatorRow])>,
) -> Table {
    let l = data.lang;
    let h = |id: &str, en: &str| l.pick(id, en).to_string();
    let dim_name = |id: &str| {
        data.dimensions
            .iter()
            .find(|d| d.0 == id)
            .map_or(id.to_string(), |d| d.1.clone())
    };
    let mut rows = Vec::new();
    for (code, name, indicators) in regions {
        for i in indicators {
            rows.push(vec![
                Cell::text(code.as_str()),
                Cell::text(name),
                Cell::text(dim_name(&i.dimension)),
                Cell::text(&i.id),
                Cell::text(&i.name),
                Cell::num(i.raw, 2),
                Cell::num(i.value, 4),
                Cell::text(&i.unit),
                Cell::num(i.target, 4),
                Cell::num(i.score, 2),
                Cell::num(i.weight, 4),
                Cell::num(i.to_dimension, 2),
                Cell::num(i.to_index, 2),
            ]);
        }
    }
    Table {
        id: "indicators",
        title: h("Indikator", "Indicators"),
        headers: vec![
            h("Kode", "Code"),
            h("Wilayah", "Region"),
            h("Dimensi", "Dimension"),
            h("Indikator", "Indicator"),
            h("Nama", "Name"),
            h("Nilai mentah", "Raw value"),
            h("Nilai", "Value"),
            h("Satuan", "Unit"),
            h("Target", "Target"),
            h("Skor (0–100)", "Score (0–100)"),
            h("Bobot", "Weight"),
            h("Kontribusi ke dimensi", "Contribution to dimension"),
            h("Kontribusi ke indeks", "Contribution to index"),
        ],
        rows,
    }
}
