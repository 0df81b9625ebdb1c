//! Reports evaluators download: a region's profile and a cohort's ranking, as PDF, Excel
//! workbook and CSV.
//!
//! [`gather`] collects everything a report says, once, from a scoring run ([`Snapshot`]), the
//! framework and the store's manifest into a [`ReportData`]; the renderers ([`pdf`], [`xlsx`],
//! [`csv`]) only lay it out. The tables of a report ([`ReportData::tables`]) are the single
//! source of the workbook's sheets and the CSV files, so the two always carry the same numbers.
//! [`ReportCache`] keeps rendered files per scoring run.
//!
//! Which scores a report uses: a kecamatan's are the job's kecamatan-level scores (peers: the
//! kecamatan of its kabupaten), exactly what the dashboard and `/api/v1/scores` show. A kab/kota's
//! report and a cohort's use the kab/kota-level scores ([`crate::job::RegencyScores`]: every
//! kab/kota measured whole, peers the kab/kota of its province), so that its indicators can be
//! listed and its rank means something. This module decides nothing about who may download a
//! report; the server does.

pub mod cache;
pub mod csv;
pub mod pdf;
pub mod xlsx;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Local};
use polars::prelude::*;
use serde::Serialize;

use crate::analysis::intervals::Intervals;
use crate::analysis::sources::{self, Within};
use crate::engine::sensitivity::RankInterval;
use crate::framework::Framework;
use crate::i18n::Lang;
use crate::job::Snapshot;
use crate::region::{Level, RegionCode, Regions};
use crate::score::{Granularity, ScoreBook, Scores, explain};
use crate::store::cols as act;

pub use cache::{ReportCache, ReportKey};

/// Who a report is made for: what it may show beyond its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Audience {
    /// A reader who may see the subject's province: a kab/kota without kecamatan scores is
    /// shown on its province's map.
    #[default]
    Wide,
    /// A reader who may see only the subject's own regions (a region's own report): no map of
    /// the regions around it.
    Subject,
}

/// The settings of a report's rank intervals: the scoring run's shared analysis, as the
/// dashboard's rank-interval chart shows it.
pub const SENSITIVITY: crate::analysis::sensitivity::Settings =
    crate::analysis::sensitivity::Settings::SHARED;

/// A report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The region, period or cohort asked for has no scores (the message lists what exists).
    #[error("{0}")]
    NotFound(String),
    /// The request itself is malformed (a bad code, an empty cohort, an unknown table).
    #[error("{0}")]
    BadRequest(String),
    /// Reading the score or activity frames failed (a bug).
    #[error("cannot read the scores: {0}")]
    Frames(#[from] PolarsError),
    /// The sensitivity analysis behind the rank intervals failed.
    #[error("cannot compute the rank intervals: {0}")]
    Sensitivity(#[from] crate::score::ScoreError),
    /// A chart of the report could not be drawn.
    #[error("cannot draw the report's {chart} chart: {message}")]
    Chart {
        /// Which chart.
        chart: &'static str,
        /// Why.
        message: String,
    },
    /// The PDF could not be typeset.
    #[error("cannot typeset the PDF: {0}")]
    Pdf(String),
    /// The workbook could not be written.
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// A CSV file could not be written.
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] ::csv::Error),
}

/// A file format a report comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// A4 PDF.
    Pdf,
    /// Excel workbook.
    Xlsx,
    /// One table as CSV.
    Csv,
}

impl ReportFormat {
    /// Every format, in the order the CLI writes them.
    pub const ALL: [ReportFormat; 3] = [ReportFormat::Pdf, ReportFormat::Xlsx, ReportFormat::Csv];

    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "pdf",
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Csv => "csv",
        }
    }

    /// HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "application/pdf",
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ReportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

impl FromStr for ReportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pdf" => Ok(ReportFormat::Pdf),
            "xlsx" => Ok(ReportFormat::Xlsx),
            "csv" => Ok(ReportFormat::Csv),
            other => Err(format!(
                "unknown report format {other:?}: expected pdf, xlsx or csv"
            )),
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// The regions of a cohort report.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cohort {
    /// Every scored kab/kota of a province (`35`).
    Province(RegionCode),
    /// The kab/kota listed.
    List(Vec<RegionCode>),
    /// Every scored kab/kota.
    All,
    /// The scored kab/kota of the Gerakan Menuju 100 Smart City listed in the reference data
    /// ([`Regions::smart_city`]).
    SmartCity,
}

impl Cohort {
    /// From `?province=` / `?regions=` (a comma-separated list, `all`, or `smartcity`); exactly
    /// one is needed.
    pub fn parse(province: Option<&str>, regions: Option<&str>) -> Result<Cohort, ReportError> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|s| !s.is_empty())
        }
        match (present(province), present(regions)) {
            (Some(_), Some(_)) => Err(ReportError::BadRequest(
                "give either province or regions for a cohort, not both".into(),
            )),
            (None, None) => Err(ReportError::BadRequest(
                "a cohort needs province=CODE (e.g. 35) or regions=CODE,CODE,… (or regions=all, \
                 regions=smartcity)"
                    .into(),
            )),
            (Some(p), None) => {
                let code = RegionCode::parse(p)
                    .map_err(|e| ReportError::BadRequest(format!("province: {e}")))?;
                if code.level() != Level::Province {
                    return Err(ReportError::BadRequest(format!(
                        "province: {code} is not a province code (two digits, e.g. 35)"
                    )));
                }
                Ok(Cohort::Province(code))
            }
            (None, Some(r)) if r.eq_ignore_ascii_case("all") => Ok(Cohort::All),
            (None, Some(r)) if r.eq_ignore_ascii_case("smartcity") => Ok(Cohort::SmartCity),
            (None, Some(r)) => {
                let mut codes = Vec::new();
                for part in r.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let code = RegionCode::parse(part)
                        .map_err(|e| ReportError::BadRequest(format!("regions: {e}")))?;
                    if code.level() != Level::Regency {
                        return Err(ReportError::BadRequest(format!(
                            "regions: {code} is not a kab/kota code (e.g. 35.09)"
                        )));
                    }
                    if !codes.contains(&code) {
                        codes.push(code);
                    }
                }
                if codes.is_empty() {
                    return Err(ReportError::BadRequest("regions: no codes given".into()));
                }
                Ok(Cohort::List(codes))
            }
        }
    }

    /// A short, file-name-safe name: `35`, `all`, or the codes joined.
    pub fn slug(&self) -> String {
        match self {
            Cohort::Province(p) => format!("provinsi_{p}"),
            Cohort::All => "semua".into(),
            Cohort::SmartCity => "smartcity".into(),
            Cohort::List(codes) if codes.len() <= 4 => codes
                .iter()
                .map(RegionCode::as_str)
                .collect::<Vec<_>>()
                .join("_"),
            Cohort::List(codes) => format!("{}_wilayah", codes.len()),
        }
    }
}

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// One kecamatan's or kab/kota's profile.
    Region(RegionCode),
    /// A ranked set of kab/kota.
    Cohort(Cohort),
}

impl Subject {
    /// The file name stem: `profil_35.09.20_2025`, `kohort_provinsi_35_2025`.
    pub fn file_stem(&self, period: &str) -> String {
        match self {
            Subject::Region(r) => format!("profil_{r}_{period}"),
            Subject::Cohort(c) => format!("kohort_{}_{period}", c.slug()),
        }
    }
}

/// A dimension of a region's score.
#[derive(Debug, Clone, Serialize)]
pub struct DimensionRow {
    /// Dimension id.
    pub id: String,
    /// Name in the report's language.
    pub name: String,
    /// Score 0–100.
    pub score: Option<f64>,
    /// Rank among peers.
    pub rank: Option<u32>,
    /// Effective weight in the index.
    pub weight: Option<f64>,
    /// Weight × score.
    pub to_index: Option<f64>,
    /// Change since the previous period.
    pub change: Option<f64>,
}

/// One indicator of a region's score.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    /// Indicator id.
    pub id: String,
    /// Name in the report's language.
    pub name: String,
    /// Dimension id.
    pub dimension: String,
    /// Aggregated activity value (before the denominator).
    pub raw: Option<f64>,
    /// Value after the denominator, in `unit`.
    pub value: Option<f64>,
    /// Unit of `value`, e.g. "kegiatan per 10.000 penduduk".
    pub unit: String,
    /// The region's target for the indicator and period, if the framework has one.
    pub target: Option<f64>,
    /// Normalised score 0–100.
    pub score: Option<f64>,
    /// Effective weight in the dimension.
    pub weight: Option<f64>,
    /// Contribution to the dimension's score.
    pub to_dimension: Option<f64>,
    /// Contribution to the index.
    pub to_index: Option<f64>,
}

/// Activities behind the numbers, counted by programme or by place.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityRow {
    /// Programme code or region code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Records.
    pub activities: u64,
    /// Sum of quantities.
    pub quantity: f64,
    /// Sum of participants.
    pub participants: f64,
}

/// A region's rank interval under varied methods.
#[derive(Debug, Clone, Serialize)]
pub struct RankRange {
    /// Median rank.
    pub median: Option<f64>,
    /// 5th percentile.
    pub p05: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
}

impl From<&RankInterval> for RankRange {
    fn from(r: &RankInterval) -> Self {
        RankRange {
            median: r.median,
            p05: r.p05,
            p95: r.p95,
        }
    }
}

/// One region's line in a ranking (a cohort, or a kabupaten's kecamatan).
#[derive(Debug, Clone, Serialize)]
pub struct RankedRegion {
    /// Position in this table (1 = highest index).
    pub position: usize,
    /// Code.
    pub code: RegionCode,
    /// Name.
    pub name: String,
    /// Index.
    pub index: Option<f64>,
    /// Rank among its own peers (province's kab/kota, kabupaten's kecamatan).
    pub peer_rank: Option<u32>,
    /// Number of those peers.
    pub peers: u32,
    /// Change of the index since the previous period.
    pub change: Option<f64>,
    /// Dimension scores in framework order.
    pub dimensions: Vec<Option<f64>>,
    /// Rank interval among its peers.
    pub rank_range: Option<RankRange>,
    /// One sentence: index, change, strongest and weakest dimension.
    pub summary: String,
}

/// A region's profile.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// Code.
    pub code: RegionCode,
    /// Display name (`Kecamatan Sumbersari`, `Kabupaten Jember`).
    pub name: String,
    /// Its level.
    #[serde(skip)]
    pub level: Level,
    /// Index.
    pub index: Option<f64>,
    /// Predicate under the framework's bands.
    pub predicate: Option<String>,
    /// Rank among peers.
    pub rank: Option<u32>,
    /// Number of peers.
    pub peers: u32,
    /// What the peers are ("kecamatan di Kabupaten Jember").
    pub peer_group: String,
    /// Change of the index since the previous period.
    pub change: Option<f64>,
    /// Dimensions in framework order.
    pub dimensions: Vec<DimensionRow>,
    /// Indicators in framework order.
    pub indicators: Vec<IndicatorRow>,
    /// The indicator with the highest score.
    pub strongest: Option<String>,
    /// The indicator with the lowest score.
    pub weakest: Option<String>,
    /// Activities in the period by programme, most records first.
    pub by_programme: Vec<ActivityRow>,
    /// Activities in the period by place one level down (kecamatan of a kab/kota, desa of a
    /// kecamatan), most records first.
    pub by_place: Vec<ActivityRow>,
    /// Records in the period.
    pub activities: u64,
    /// Rank interval among peers.
    pub rank_range: Option<RankRange>,
    /// For a kab/kota: its kecamatan ranked on the kecamatan-level scores, when scored.
    pub children: Vec<RankedRegion>,
}

/// A data source of the run.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    /// Source name.
    pub name: String,
    /// SHA-256.
    pub checksum: String,
    /// When it was ingested (RFC 3339).
    pub ingested_at: String,
    /// Rows accepted.
    pub accepted: usize,
    /// Rows rejected.
    pub rejected: usize,
}

/// The framework's dimension and indicator weights.
#[derive(Debug, Clone, Serialize)]
pub struct FrameworkRow {
    /// Dimension name.
    pub dimension: String,
    /// Dimension weight.
    pub dimension_weight: f64,
    /// Indicator id.
    pub indicator: String,
    /// Indicator name.
    pub name: String,
    /// Indicator weight in its dimension.
    pub weight: f64,
    /// Unit.
    pub unit: String,
    /// Programmes it counts.
    pub programmes: String,
}

/// Everything a report says, gathered once from a scoring run; the renderers only lay it out.
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    /// Language of every text.
    pub lang: Lang,
    /// Period.
    pub period: String,
    /// The period before, if scored.
    pub previous_period: Option<String>,
    /// Granularity (`year`, `quarter`, `month`).
    pub granularity: String,
    /// Framework id.
    pub framework_id: String,
    /// Framework name in `lang`.
    pub framework_name: String,
    /// Framework version.
    pub framework_version: String,
    /// Methods as recorded with the scores (flattened `key = value`).
    pub methods: Vec<(String, String)>,
    /// Dimension ids and names in framework order.
    pub dimensions: Vec<(String, String)>,
    /// The framework's weights.
    pub framework: Vec<FrameworkRow>,
    /// Kecamatan-level or kab/kota-level scores.
    #[serde(skip)]
    pub level: Level,
    /// The region profile (region reports).
    pub profile: Option<Profile>,
    /// The ranking (cohort reports; for a region report, empty).
    pub ranking: Vec<RankedRegion>,
    /// Title of a cohort ("Kab/kota di Jawa Timur").
    pub cohort_name: Option<String>,
    /// The data sources with records in the subject, with their checksums.
    pub sources: Vec<SourceRow>,
    /// Who the report is for.
    #[serde(skip)]
    pub audience: Audience,
    /// The scoring run this report comes from.
    pub run: String,
    /// When the scores were computed.
    pub scored_at: DateTime<Local>,
    /// When the report was made.
    pub generated_at: DateTime<Local>,
}

/// What the report renderers need besides the snapshot.
pub struct Inputs<'a> {
    /// The scoring run.
    pub snapshot: &'a Snapshot,
    /// Region reference data.
    pub regions: &'a Regions,
    /// The framework.
    pub framework: &'a Framework,
    /// Period granularity of the run.
    pub granularity: Granularity,
    /// Boundary layers, for maps.
    pub boundaries: &'a crate::region::boundaries::Boundaries,
}

impl Inputs<'_> {
    /// The score frames and read model a subject is reported from.
    pub fn scores_for(&self, subject: &Subject) -> (&Scores, &ScoreBook, Level) {
        match subject {
            Subject::Region(r) if r.level() == Level::District => {
                (&self.snapshot.scores, &self.snapshot.book, Level::District)
            }
            _ => (
                &self.snapshot.regency.scores,
                &self.snapshot.regency.book,
                Level::Regency,
            ),
        }
    }

    /// The period asked for (or the latest), checked against the book.
    pub fn resolve_period(
        &self,
        subject: &Subject,
        period: Option<&str>,
    ) -> Result<String, ReportError> {
        let (_, book, _) = self.scores_for(subject);
        let p = match period.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) if p.eq_ignore_ascii_case("latest") => book.latest_period(),
            Some(p) => Some(p),
            None => book.latest_period(),
        };
        match p {
            Some(p) if book.periods().iter().any(|x| x == p) => Ok(p.to_string()),
            _ => Err(ReportError::NotFound(format!(
                "no scores for period {:?}; periods with scores: {}",
                period.unwrap_or(""),
                book.periods().join(", ")
            ))),
        }
    }
}

/// Collect what a report of `subject` in `period` says.
pub fn gather(
    inputs: &Inputs<'_>,
    subject: &Subject,
    period: &str,
    lang: Lang,
    audience: Audience,
) -> Result<ReportData, ReportError> {
    let (scores, book, level) = inputs.scores_for(subject);
    let period = inputs.resolve_period(subject, Some(period))?;
    let fw = inputs.framework;
    let dims: Vec<(String, String)> = fw
        .top_dimensions()
        .map(|d| (d.id.clone(), d.name(lang).to_string()))
        .collect();
    let mut members = Vec::new();
    let (profile, ranking, cohort_name) = match subject {
        Subject::Region(region) => (
            Some(profile(inputs, scores, book, level, region, &period, lang)?),
            Vec::new(),
            None,
        ),
        Subject::Cohort(cohort) => {
            members = cohort_members(inputs.regions, book, cohort, &period)?;
            let intervals = rank_intervals(inputs, level, &period)?;
            let ranking = rank(inputs, book, &members, &period, &intervals, lang);
            (
                None,
                ranking,
                Some(cohort_name(inputs.regions, cohort, lang)),
            )
        }
    };
    let methods = serde_json::from_str::<serde_json::Value>(&scores.methods)
        .map(|v| flatten("", &v))
        .unwrap_or_default();
    let framework = fw
        .indicators
        .iter()
        .map(|i| {
            let d = fw.dimension(&i.dimension);
            FrameworkRow {
                dimension: d.map_or(i.dimension.clone(), |d| d.name(lang).to_string()),
                dimension_weight: d.map_or(0.0, |d| d.weight),
                indicator: i.id.clone(),
                name: i.name(lang).to_string(),
                weight: i.weight,
                unit: lang.pick(&i.unit_id, &i.unit_en).to_string(),
                programmes: i.programmes.join(", "),
            }
        })
        .collect();
    let snapshot = inputs.snapshot;
    let roots: Vec<RegionCode> = match subject {
        Subject::Region(r) => vec![r.clone()],
        Subject::Cohort(Cohort::Province(p)) => vec![p.clone()],
        Subject::Cohort(_) => members.clone(),
    };
    let within = match subject {
        Subject::Cohort(Cohort::All) => Within::Everything,
        _ => Within::Regions(&roots),
    };
    let sources = sources::feeding(
        &snapshot.manifest,
        &snapshot.activities,
        &snapshot.source_regions,
        within,
    )
    .into_iter()
    .map(|s| SourceRow {
        name: s.name.clone(),
        checksum: s.checksum.clone(),
        ingested_at: s.ingested_at.clone(),
        accepted: s.accepted,
        rejected: s.rejected,
    })
    .collect();
    Ok(ReportData {
        lang,
        previous_period: book.previous_period(&period).map(str::to_string),
        period,
        granularity: inputs.granularity.to_string(),
        framework_id: scores.framework.0.clone(),
        framework_name: fw.name(lang).to_string(),
        framework_version: scores.framework.1.clone(),
        methods,
        dimensions: dims,
        framework,
        level,
        profile,
        ranking,
        cohort_name,
        sources,
        audience,
        run: inputs.snapshot.id(),
        scored_at: inputs.snapshot.finished_at,
        generated_at: Local::now(),
    })
}

/// `{"normalise": {"min_max": {"low": 0}}}` → `normalise.min_max.low = 0`.
fn flatten(prefix: &str, v: &serde_json::Value) -> Vec<(String, String)> {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        serde_json::Value::Object(map) if !map.is_empty() => {
            map.iter().flat_map(|(k, v)| flatten(&key(k), v)).collect()
        }
        serde_json::Value::Object(_) => Vec::new(),
        serde_json::Value::Null => Vec::new(),
        serde_json::Value::String(s) => vec![(prefix.to_string(), s.clone())],
        other => vec![(prefix.to_string(), other.to_string())],
    }
}

fn display_name(regions: &Regions, code: &RegionCode) -> String {
    regions
        .get(code)
        .map_or_else(|| code.to_string(), |r| r.display_name())
}

fn cohort_name(regions: &Regions, cohort: &Cohort, lang: Lang) -> String {
    match cohort {
        Cohort::Province(p) => format!(
            "{} {}",
            lang.pick("Kabupaten/kota di", "Regencies and cities of"),
            display_name(regions, p)
        ),
        Cohort::All => lang
            .pick(
                "Seluruh kabupaten/kota yang dinilai",
                "All scored regencies and cities",
            )
            .to_string(),
        Cohort::List(codes) => format!(
            "{} {}",
            codes.len(),
            lang.pick("kabupaten/kota pilihan", "selected regencies and cities")
        ),
        Cohort::SmartCity => lang
            .pick(
                "Gerakan Menuju 100 Smart City (anggota yang terdata)",
                "100 Smart City Movement (listed members)",
            )
            .to_string(),
    }
}

/// The scored kab/kota of a cohort in `period`; an unknown or unscored one is an error naming it.
fn cohort_members(
    regions: &Regions,
    book: &ScoreBook,
    cohort: &Cohort,
    period: &str,
) -> Result<Vec<RegionCode>, ReportError> {
    let scored = |c: &RegionCode| book.get(c, period).is_some();
    let mut members: Vec<RegionCode> = match cohort {
        Cohort::Province(p) => {
            let prefix = format!("{p}.");
            book.regions()
                .filter(|r| r.level() == Level::Regency && r.as_str().starts_with(&prefix))
                .filter(|r| scored(r))
                .cloned()
                .collect()
        }
        Cohort::All => book
            .regions()
            .filter(|r| r.level() == Level::Regency && scored(r))
            .cloned()
            .collect(),
        Cohort::SmartCity => regions
            .smart_city()
            .iter()
            .filter(|r| scored(r))
            .cloned()
            .collect(),
        Cohort::List(codes) => {
            for c in codes {
                if !regions.contains(c) {
                    return Err(ReportError::NotFound(format!(
                        "region {c} is not a known Kemendagri region"
                    )));
                }
                if !scored(c) {
                    return Err(ReportError::NotFound(format!(
                        "kab/kota {c} has no kab/kota-level scores in {period} (scores exist for \
                         the kab/kota of provinces with activity data)"
                    )));
                }
            }
            codes.clone()
        }
    };
    if members.is_empty() {
        return Err(ReportError::NotFound(match cohort {
            Cohort::Province(p) => format!(
                "no kab/kota of province {p} has scores in {period} (scores exist for the kab/kota \
                 of provinces with activity data)"
            ),
            Cohort::SmartCity => format!(
                "no member of the smart-city cohort ({} listed) has kab/kota scores in {period} \
                 (scores exist for the kab/kota of provinces with activity data)",
                regions.smart_city().len()
            ),
            _ => format!("no kab/kota has scores in {period}"),
        }));
    }
    members.sort();
    Ok(members)
}

/// Compute what every report of the latest period shares (the kab/kota and kecamatan rank
/// intervals), so the first download after a scoring run does not pay for it. Returns the
/// milliseconds spent.
pub fn prepare(inputs: &Inputs<'_>) -> Result<f64, ReportError> {
    let t = std::time::Instant::now();
    let snapshot = inputs.snapshot;
    for (book, level) in [
        (&snapshot.regency.book, Level::Regency),
        (&snapshot.book, Level::District),
    ] {
        if let Some(period) = book.latest_period() {
            rank_intervals(inputs, level, period)?;
        }
    }
    Ok(t.elapsed().as_secs_f64() * 1e3)
}

/// The rank intervals of every unit of the level in `period`, by code: the scoring run's
/// shared analysis ([`crate::analysis::intervals`]).
pub fn rank_intervals(
    inputs: &Inputs<'_>,
    level: Level,
    period: &str,
) -> Result<Arc<Intervals>, ReportError> {
    let snapshot = inputs.snapshot;
    let run = crate::analysis::intervals::Run {
        activities: &snapshot.activities,
        regions: inputs.regions,
        framework: inputs.framework,
        granularity: inputs.granularity,
    };
    Ok(snapshot.rank_intervals.get(run, level, period)?)
}

/// One sentence about a region: index, change, strongest and weakest dimension.
fn summary_line(
    index: Option<f64>,
    change: Option<f64>,
    dims: &[(String, Option<f64>)],
    lang: Lang,
) -> String {
    use crate::i18n::format_score;
    let mut s = format!(
        "{} {}",
        lang.pick("Indeks", "Index"),
        format_score(index, lang)
    );
    if let Some(c) = change {
        s.push_str(&format!(" ({})", signed(c, lang)));
    }
    let scored: Vec<&(String, Option<f64>)> = dims.iter().filter(|d| d.1.is_some()).collect();
    let value = |d: &&&(String, Option<f64>)| d.1.unwrap_or(f64::NAN);
    let best = scored.iter().max_by(|a, b| value(a).total_cmp(&value(b)));
    let worst = scored.iter().min_by(|a, b| value(a).total_cmp(&value(b)));
    match (best, worst) {
        // Every dimension the same (all zero where a kab/kota has no activities): a strongest
        // and weakest would be arbitrary picks.
        (Some(b), Some(w)) if format_score(b.1, lang) == format_score(w.1, lang) => {
            s.push_str(&format!(
                "; {} {}",
                lang.pick("semua dimensi", "every dimension"),
                format_score(b.1, lang)
            ));
        }
        (Some(b), Some(w)) => s.push_str(&format!(
            "; {} {} {}; {} {} {}",
            lang.pick("terkuat", "strongest"),
            b.0,
            format_score(b.1, lang),
            lang.pick("terlemah", "weakest"),
            w.0,
            format_score(w.1, lang)
        )),
        _ => {}
    }
    s
}

/// `+4,1` / `-2,0` / `±0,0`.
pub fn signed(v: f64, lang: Lang) -> String {
    let text = crate::i18n::format_number(v.abs(), 1, lang);
    if text.chars().all(|c| c == '0' || c == ',' || c == '.') {
        format!("±{text}")
    } else if v > 0.0 {
        format!("+{text}")
    } else {
        format!("−{text}")
    }
}

/// Rank `members` by index (highest first; unscored last), with their summaries.
fn rank(
    inputs: &Inputs<'_>,
    book: &ScoreBook,
    members: &[RegionCode],
    period: &str,
    intervals: &BTreeMap<String, RankInterval>,
    lang: Lang,
) -> Vec<RankedRegion> {
    let fw = inputs.framework;
    let prev = book.previous_period(period);
    let mut rows: Vec<RankedRegion> = members
        .iter()
        .filter_map(|code| {
            let rs = book.get(code, period)?;
            let before = prev.and_then(|p| book.get(code, p));
            let change = rs
                .index
                .zip(before.and_then(|b| b.index))
                .map(|(a, b)| a - b);
            let dims: Vec<(String, Option<f64>)> = fw
                .top_dimensions()
                .map(|d| {
                    (
                        d.name(lang).to_string(),
                        rs.dimension(&d.id).and_then(|x| x.score),
                    )
                })
                .collect();
            Some(RankedRegion {
                position: 0,
                code: code.clone(),
                name: display_name(inputs.regions, code),
                index: rs.index,
                peer_rank: rs.rank,
                peers: rs.peers,
                change,
                dimensions: dims.iter().map(|d| d.1).collect(),
                rank_range: intervals.get(code.as_str()).map(RankRange::from),
                summary: summary_line(rs.index, change, &dims, lang),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.index
            .is_some()
            .cmp(&a.index.is_some())
            .then(b.index.unwrap_or(0.0).total_cmp(&a.index.unwrap_or(0.0)))
            .then(a.code.cmp(&b.code))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.position = i + 1;
    }
    rows
}

fn profile(
    inputs: &Inputs<'_>,
    scores: &Scores,
    book: &ScoreBook,
    level: Level,
    region: &RegionCode,
    period: &str,
    lang: Lang,
) -> Result<Profile, ReportError> {
    let fw = inputs.framework;
    let info = inputs.regions.get(region).ok_or_else(|| {
        ReportError::NotFound(format!("region {region} is not a known Kemendagri region"))
    })?;
    if !matches!(region.level(), Level::District | Level::Regency) {
        return Err(ReportError::BadRequest(format!(
            "region {region} is a {}; reports exist for a kecamatan or a kab/kota",
            match region.level() {
                Level::Province => "province (use the cohort report with province=…)",
                _ => "desa",
            }
        )));
    }
    let e = explain::explain(scores, book, fw, region, period).map_err(|e| match e {
        explain::ExplainError::NotScored { .. } => {
            ReportError::NotFound(if book.has_region(region) {
                e.to_string()
            } else {
                format!(
                    "region {region} has no scores (scores exist for kecamatan with activity data, \
                 and for the kab/kota of provinces with activity data)"
                )
            })
        }
        explain::ExplainError::Polars(p) => ReportError::Frames(p),
    })?;
    let prev = book
        .previous_period(period)
        .and_then(|p| book.get(region, p));
    let rs = book
        .get(region, period)
        .ok_or_else(|| ReportError::NotFound(format!("no scores for {region} in {period}")))?;
    let dimensions = e
        .dimensions
        .iter()
        .map(|d| DimensionRow {
            id: d.id.clone(),
            name: lang.pick(&d.name_id, &d.name_en).to_string(),
            score: d.score,
            rank: rs.dimension(&d.id).and_then(|x| x.rank),
            weight: d.weight,
            to_index: d.to_index,
            change: d
                .score
                .zip(prev.and_then(|p| p.dimension(&d.id)).and_then(|x| x.score))
                .map(|(a, b)| a - b),
        })
        .collect();
    let indicators: Vec<IndicatorRow> = e
        .indicators
        .iter()
        .map(|i| {
            let ind = fw.indicator(&i.id);
            IndicatorRow {
                id: i.id.clone(),
                name: lang.pick(&i.name_id, &i.name_en).to_string(),
                dimension: i.dimension.clone(),
                raw: i.raw,
                value: i.value,
                unit: ind.map_or_else(String::new, |x| {
                    lang.pick(&x.unit_id, &x.unit_en).to_string()
                }),
                target: fw
                    .targets
                    .as_ref()
                    .and_then(|t| t.get(region.as_str(), &i.id, period)),
                score: i.score,
                weight: i.weight,
                to_dimension: i.to_dimension,
                to_index: i.to_index,
            }
        })
        .collect();
    let scored: Vec<(&IndicatorRow, f64)> = indicators
        .iter()
        .filter_map(|i| Some((i, i.score?)))
        .collect();
    let strongest = scored
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|i| i.0.id.clone());
    let weakest = scored
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|i| i.0.id.clone());
    let (by_programme, by_place, activities) = activity_summary(inputs, region, period, lang)?;
    let intervals = rank_intervals(inputs, level, period)?;
    let children = if level == Level::Regency {
        let kec = inputs.snapshot.book.ranking(region.as_str(), period);
        let codes: Vec<RegionCode> = kec.iter().map(|r| r.region.clone()).collect();
        if codes.is_empty() {
            Vec::new()
        } else {
            let kec_intervals = rank_intervals(inputs, Level::District, period)?;
            rank(
                inputs,
                &inputs.snapshot.book,
                &codes,
                period,
                &kec_intervals,
                lang,
            )
        }
    } else {
        Vec::new()
    };
    let peer_group = match region.parent() {
        Some(parent) => format!(
            "{} {}",
            lang.pick(
                if level == Level::District {
                    "kecamatan di"
                } else {
                    "kabupaten/kota di"
                },
                if level == Level::District {
                    "districts of"
                } else {
                    "regencies and cities of"
                }
            ),
            display_name(inputs.regions, &parent)
        ),
        None => String::new(),
    };
    Ok(Profile {
        code: region.clone(),
        name: info.display_name(),
        level,
        index: e.index,
        predicate: e
            .predicate
            .as_ref()
            .map(|b| lang.pick(&b.label_id, &b.label_en).to_string()),
        rank: e.rank,
        peers: e.peers,
        peer_group,
        change: rs.index.zip(prev.and_then(|p| p.index)).map(|(a, b)| a - b),
        dimensions,
        indicators,
        strongest,
        weakest,
        by_programme,
        by_place,
        activities,
        rank_range: intervals.get(region.as_str()).map(RankRange::from),
        children,
    })
}

/// Activities of `region` (with everything under it) in `period`: by programme, by place one
/// level down, and the total.
fn activity_summary(
    inputs: &Inputs<'_>,
    region: &RegionCode,
    period: &str,
    lang: Lang,
) -> Result<(Vec<ActivityRow>, Vec<ActivityRow>, u64), ReportError> {
    let code = region.as_str();
    let place_len = match region.level() {
        Level::Regency => 8,
        _ => 13,
    } as i64;
    let df = inputs
        .snapshot
        .activities
        .lazy()
        .filter(
            col(act::REGION_CODE).eq(lit(code)).or(col(act::REGION_CODE)
                .str()
                .starts_with(lit(format!("{code}.")))),
        )
        .with_column(
            inputs
                .granularity
                .period_expr(col(act::DATE))
                .alias("period"),
        )
        .filter(col("period").eq(lit(period)))
        .select([
            col(act::PROGRAMME),
            col(act::REGION_CODE)
                .str()
                .slice(lit(0), lit(place_len))
                .alias("place"),
            col(act::QUANTITY).cast(DataType::Float64),
            col(act::PARTICIPANTS).cast(DataType::Float64),
        ])
        .collect()?;
    let group = |key: &str| -> Result<Vec<(String, u64, f64, f64)>, ReportError> {
        let g = df
            .clone()
            .lazy()
            .group_by([col(key)])
            .agg([
                len().cast(DataType::UInt64).alias("n"),
                col(act::QUANTITY).sum().alias("q"),
                col(act::PARTICIPANTS).sum().alias("p"),
            ])
            .sort_by_exprs(
                [col("n"), col(key)],
                SortMultipleOptions::default().with_order_descending_multi([true, false]),
            )
            .collect()?;
        let k = g.column(key)?.str()?;
        let n = g.column("n")?.u64()?;
        let q = g.column("q")?.f64()?;
        let p = g.column("p")?.f64()?;
        Ok((0..g.height())
            .map(|i| {
                (
                    k.get(i).unwrap_or_default().to_string(),
                    n.get(i).unwrap_or(0),
                    q.get(i).unwrap_or(0.0),
                    p.get(i).unwrap_or(0.0),
                )
            })
            .collect())
    };
    let fw = inputs.framework;
    let by_programme: Vec<ActivityRow> = group(act::PROGRAMME)?
        .into_iter()
        .map(|(k, n, q, p)| ActivityRow {
            name: fw.programmes.get(&k).map_or_else(
                || k.clone(),
                |x| lang.pick(&x.name_id, &x.name_en).to_string(),
            ),
            code: k,
            activities: n,
            quantity: q,
            participants: p,
        })
        .collect();
    let by_place: Vec<ActivityRow> = group("place")?
        .into_iter()
        .map(|(k, n, q, p)| ActivityRow {
            name: match RegionCode::parse(&k) {
                Ok(c) if c == *region => lang
                    .pick(
                        "(tercatat untuk seluruh wilayah)",
                        "(recorded for the whole region)",
                    )
                    .to_string(),
                Ok(c) => inputs
                    .regions
                    .get(&c)
                    .map_or_else(|| k.clone(), |r| r.name.clone()),
                Err(_) => k.clone(),
            },
            code: k,
            activities: n,
            quantity: q,
            participants: p,
        })
        .collect();
    Ok((by_programme, by_place, df.height() as u64))
}

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
        let l = self.lang;
        let h = |id: &str, en: &str| l.pick(id, en).to_string();
        let mut out = Vec::new();
        if let Some(p) = &self.profile {
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
            out.push(Table {
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
            });
            out.push(indicator_table(
                self,
                std::iter::once((&p.code, p.name.as_str(), p.indicators.as_slice())),
            ));
            let activity =
                |id: &'static str, title: String, first: String, rows: &[ActivityRow]| Table {
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
                };
            out.push(activity(
                "activities",
                h("Kegiatan per program", "Activities by programme"),
                h("Program", "Programme"),
                &p.by_programme,
            ));
            out.push(activity(
                "places",
                h("Kegiatan per wilayah", "Activities by place"),
                h("Wilayah", "Place"),
                &p.by_place,
            ));
        } else {
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
            out.push(Table {
                id: "ranking",
                title: h("Peringkat", "Ranking"),
                headers,
                rows: self
                    .ranking
                    .iter()
                    .map(|r| {
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
                    })
                    .collect(),
            });
            let (scores, book, _) = inputs.scores_for(&Subject::Cohort(Cohort::All));
            let explained: Vec<(RegionCode, String, Vec<IndicatorRow>)> = self
                .ranking
                .iter()
                .map(|r| {
                    let rows =
                        explain::explain(scores, book, inputs.framework, &r.code, &self.period)
                            .map(|e| {
                                e.indicators
                                    .iter()
                                    .map(|i| IndicatorRow {
                                        id: i.id.clone(),
                                        name: l.pick(&i.name_id, &i.name_en).to_string(),
                                        dimension: i.dimension.clone(),
                                        raw: i.raw,
                                        value: i.value,
                                        unit: inputs
                                            .framework
                                            .indicator(&i.id)
                                            .map_or_else(String::new, |x| {
                                                l.pick(&x.unit_id, &x.unit_en).to_string()
                                            }),
                                        target: inputs.framework.targets.as_ref().and_then(|t| {
                                            t.get(r.code.as_str(), &i.id, &self.period)
                                        }),
                                        score: i.score,
                                        weight: i.weight,
                                        to_dimension: i.to_dimension,
                                        to_index: i.to_index,
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                    (r.code.clone(), r.name.clone(), rows)
                })
                .collect();
            out.push(indicator_table(
                self,
                explained
                    .iter()
                    .map(|(c, n, rows)| (c, n.as_str(), rows.as_slice())),
            ));
        }
        out.push(Table {
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
        });
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
        out.push(Table {
            id: "metadata",
            title: h("Metadata", "Metadata"),
            headers: vec![h("Kunci", "Key"), h("Nilai", "Value")],
            rows: meta
                .into_iter()
                .map(|(k, v)| vec![Cell::Text(k), Cell::Text(v)])
                .collect(),
        });
        out
    }
}

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

/// Render a report in one format; `table` picks the CSV table (default the first).
pub fn render(
    inputs: &Inputs<'_>,
    data: &ReportData,
    format: ReportFormat,
    table: Option<&str>,
) -> Result<Vec<u8>, ReportError> {
    match format {
        ReportFormat::Pdf => pdf::render(inputs, data),
        ReportFormat::Xlsx => xlsx::render(&data.tables(inputs)),
        ReportFormat::Csv => {
            let tables = data.tables(inputs);
            let t = match table.map(str::trim).filter(|t| !t.is_empty()) {
                None => &tables[0],
                Some(id) => tables.iter().find(|t| t.id == id).ok_or_else(|| {
                    ReportError::BadRequest(format!(
                        "unknown table {id:?}; tables of this report: {}",
                        tables.iter().map(|t| t.id).collect::<Vec<_>>().join(", ")
                    ))
                })?,
            };
            csv::render(t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cohort_is_a_province_a_list_or_all() {
        let code = |s: &str| RegionCode::parse(s).unwrap();
        assert_eq!(
            Cohort::parse(Some("35"), None).unwrap(),
            Cohort::Province(code("35"))
        );
        assert_eq!(
            Cohort::parse(None, Some(" 35.09, 35.10,35.09 ")).unwrap(),
            Cohort::List(vec![code("35.09"), code("35.10")])
        );
        assert_eq!(Cohort::parse(None, Some("ALL")).unwrap(), Cohort::All);
        assert_eq!(
            Cohort::parse(None, Some("smartcity")).unwrap(),
            Cohort::SmartCity
        );
        for (p, r, needle) in [
            (None, None, "province=CODE"),
            (Some("35"), Some("35.09"), "not both"),
            (Some("35.09"), None, "not a province"),
            (None, Some("35.09.20"), "not a kab/kota"),
            (None, Some("35.x"), "regions"),
            (None, Some(" , "), "no codes"),
        ] {
            let e = Cohort::parse(p, r).unwrap_err().to_string();
            assert!(e.contains(needle), "{p:?} {r:?}: {e}");
        }
    }

    #[test]
    fn signed_changes_read_as_changes() {
        assert_eq!(signed(4.06, Lang::Id), "+4,1");
        assert_eq!(signed(-1234.5, Lang::Id), "−1.234,5");
        assert_eq!(signed(-0.01, Lang::En), "±0.0");
    }

    #[test]
    fn methods_flatten_to_keys() {
        let v = serde_json::json!({"normalise": {"min_max": {"low": 0, "high": 100}}, "screen": null, "aggregate": "arithmetic"});
        let flat = flatten("", &v);
        assert!(flat.contains(&("normalise.min_max.low".into(), "0".into())));
        assert!(flat.contains(&("aggregate".into(), "arithmetic".into())));
        assert_eq!(flat.len(), 3);
    }

    #[test]
    fn file_stems_name_the_subject_and_period() {
        let r = Subject::Region(RegionCode::parse("35.09.20").unwrap());
        assert_eq!(r.file_stem("2025"), "profil_35.09.20_2025");
        let c = Subject::Cohort(Cohort::Province(RegionCode::parse("35").unwrap()));
        assert_eq!(c.file_stem("2025"), "kohort_provinsi_35_2025");
    }
}
