//! The report's model: everything a report says, gathered once ([`ReportData`]) with its row
//! types (dimensions, indicators, activities, ranked regions, sources, framework weights).
//!
//! Plain data only: how it is gathered is in [`super::gather`], how it is laid out in the
//! renderers and [`super::tables`].

use chrono::{DateTime, Local};
use serde::Serialize;

use super::Audience;
use crate::engine::sensitivity::RankInterval;
use crate::i18n::Lang;
use crate::region::{Level, RegionCode};

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
    /// Whether the value lay beyond the goalposts, so its score was capped at 0 or 100.
    pub capped: bool,
    /// The share of its lead over the typical value that counted, when the value of a small
    /// kab/kota was weighted towards the typical one (`[small_regions]`).
    pub weighted: Option<f64>,
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
    /// How indicator values became 0–100 scores.
    pub normalisation: crate::framework::Normalisation,
    /// The population at which a kab/kota's lead over the typical value counts half
    /// (`[small_regions]`), if the framework weighs small regions.
    pub small_regions: Option<f64>,
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
