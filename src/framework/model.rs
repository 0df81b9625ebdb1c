//! The parts a framework is made of: the programmes of the catalogue, dimensions, indicators
//! (what they aggregate, how, and what they are divided by), and how strictly an indicator must
//! sit in its programme's dimension.
//!
//! Plain data with their serde form and names in both languages; reading and validating a
//! framework file is [`super::load`]'s, the assembled framework is [`super::Framework`].

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// A programme from the catalogue: what is counted and in which dimension.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Programme {
    /// Code, e.g. `umkm_go_online`.
    pub programme: String,
    /// Dimension id, e.g. `economy`.
    pub dimension: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// Indonesian unit (`UMKM`, `sekolah`, …).
    pub unit_id: String,
    /// English unit.
    pub unit_en: String,
}

/// A dimension of the framework.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    /// Stable id, e.g. `economy`.
    pub id: String,
    /// Indonesian name, e.g. `Ekonomi`.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// Weight in its parent (relative; need not sum to 1).
    #[serde(default = "one")]
    pub weight: f64,
    /// Parent dimension for a sub-dimension; `None` for a dimension of the index.
    #[serde(default)]
    pub parent: Option<String>,
}

/// Which activity field an indicator aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordField {
    /// Sum of `quantity` (units reached, in the programme's unit).
    Quantity,
    /// Sum of `participants`.
    Participants,
    /// Sum of `budget_idr`.
    BudgetIdr,
    /// Number of activity records.
    Count,
}

/// How an indicator's activity records are combined per region and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Sum of the measure.
    #[default]
    Sum,
    /// Number of records.
    Count,
    /// Number of distinct values of the `distinct` field.
    DistinctCount,
    /// Mean of the measure over the records that have it.
    Mean,
}

/// The field whose distinct values a `distinct_count` indicator counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DistinctOf {
    /// Region codes (e.g. desa reached within a kecamatan).
    #[default]
    Region,
    /// Target groups.
    TargetGroup,
    /// Organisers.
    Organiser,
}

/// What an indicator is divided by before normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Denominator {
    /// Raw totals.
    #[default]
    None,
    /// Residents of the region (from `data/regions`), times `scale`.
    Population,
    /// Area of the region in km² (from `data/regions`).
    Area,
    /// Number of desa/kelurahan in the region (its children in `data/regions`).
    Desa,
    /// Another indicator's raw value (`per_indicator`).
    Indicator,
}

/// How indicator values become 0–100 scores, and so what a change of score means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// Fixed goalposts per indicator (`goalposts = [worst, best]` in the file): 0 at the worst,
    /// 100 at the best, capped. A region's score moves only when its own values move, and
    /// scores compare across years and places. As the UNDP's HDI and the EU's Regional
    /// Competitiveness Index do.
    Goalposts,
    /// Min–max over all periods of the peer group together: years compare within the peer
    /// group, but a new period may move the scale.
    Pooled,
    /// Min–max within the peer group in each period: a ranking of one period only; a change
    /// between periods is a change of position.
    #[default]
    PerPeriod,
}

impl Normalisation {
    /// The name in the framework file and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Normalisation::Goalposts => "goalposts",
            Normalisation::Pooled => "pooled",
            Normalisation::PerPeriod => "per_period",
        }
    }

    /// Whether a score is on an absolute scale (the framework's goalposts), so that predicate
    /// bands and comparisons across years and peer groups mean something.
    pub fn is_absolute(self) -> bool {
        self == Normalisation::Goalposts
    }

    /// A short label for charts, pages and reports.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Normalisation::Goalposts => lang.pick(
                "skala tetap (goalpost per indikator)",
                "fixed scale (goalposts per indicator)",
            ),
            Normalisation::Pooled => lang.pick(
                "relatif terhadap semua periode kelompok",
                "relative to all periods of the peer group",
            ),
            Normalisation::PerPeriod => lang.pick(
                "relatif per periode (peringkat antarwilayah)",
                "relative per period (a cross-section ranking)",
            ),
        }
    }
}

/// `[small_regions]`: per-resident values of kab/kota are weighted by credibility, so that a
/// few records in a region of 25,000 residents do not outrank a province capital. A value above
/// the indicator's `typical` one keeps the share `residents / (residents + weight)` of its
/// lead (see [`crate::engine::Prior`]); values at or below it are left alone. Kecamatan are
/// compared only within their kabupaten, among regions of like size, and are not weighted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmallRegions {
    /// The population at which a kab/kota keeps half of its lead over the typical value.
    pub residents: f64,
}

/// Where an indicator's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorSource {
    /// Aggregated from activity records of its programmes.
    #[default]
    Activities,
    /// Indicator values recorded per region and period (BPS statistics, the SPBE index, survey
    /// results, maturity levels, yes/no documents).
    Values,
}

/// An indicator: an aggregation of activity records of one or more programmes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable id.
    pub id: String,
    /// Dimension id it belongs to.
    pub dimension: String,
    /// Programme code whose activities it aggregates (the first of `programmes` when several).
    #[serde(default)]
    pub programme: String,
    /// All programme codes it aggregates (filled from `programme` when only that is given).
    #[serde(default)]
    pub programmes: Vec<String>,
    /// Only records for these target groups (empty: all).
    #[serde(default)]
    pub target_groups: Vec<String>,
    /// Only records by these organisers (empty: all).
    #[serde(default)]
    pub organisers: Vec<String>,
    /// Which field is aggregated.
    #[serde(default = "quantity")]
    pub measure: RecordField,
    /// How records are combined.
    #[serde(default)]
    pub aggregation: Aggregation,
    /// What a `distinct_count` counts.
    #[serde(default)]
    pub distinct: DistinctOf,
    /// Denominator.
    #[serde(default)]
    pub per: Denominator,
    /// The indicator used as denominator when `per = "indicator"`.
    #[serde(default)]
    pub per_indicator: Option<String>,
    /// 1 when more is better, −1 when less is.
    #[serde(default = "one")]
    pub direction: f64,
    /// Goalposts (worst, best) for goalpost normalisation, in the indicator's units after the
    /// denominator.
    #[serde(default)]
    pub goalposts: Option<[f64; 2]>,
    /// Scale applied with the denominator (10,000 for "per 10,000 residents").
    #[serde(default = "one")]
    pub scale: f64,
    /// The typical value after the denominator (the base period's median, written by
    /// `kotacerdas framework goalposts`), towards which `[small_regions]` weighs a small
    /// kab/kota's per-resident value.
    #[serde(default)]
    pub typical: Option<f64>,
    /// A stock: the value at a period is the total of the programme's records up to its end
    /// (CCTV, Wi-Fi points, street lights, sensors installed), not of the period alone.
    #[serde(default)]
    pub stock: bool,
    /// A stock's unit stops counting this many years after it was recorded (its service
    /// life); `None`: it counts for ever.
    #[serde(default)]
    pub service_life_years: Option<u32>,
    /// Where the values come from.
    #[serde(default)]
    pub source: IndicatorSource,
    /// The values an indicator of recorded values may take (e.g. `[1, 5]` for a maturity
    /// level, `[0, 100]` for a percentage, `[0, 1]` for yes/no).
    #[serde(default)]
    pub range: Option<[f64; 2]>,
    /// Predicates of the indicator's own declared scale (`[[indicator.band]]`: the SPBE index's
    /// Memuaskan … Kurang on 1–5), read off its value, not off a 0–100 score.
    #[serde(default, rename = "band")]
    pub bands: Vec<crate::engine::Band>,
    /// Weight within its dimension.
    #[serde(default = "one")]
    pub weight: f64,
    /// Indonesian name (defaults to the programme's).
    #[serde(default)]
    pub name_id: String,
    /// English name (defaults to the programme's).
    #[serde(default)]
    pub name_en: String,
    /// Indonesian unit (defaults to the programme's).
    #[serde(default)]
    pub unit_id: String,
    /// English unit (defaults to the programme's).
    #[serde(default)]
    pub unit_en: String,
}

fn one() -> f64 {
    1.0
}

fn quantity() -> RecordField {
    RecordField::Quantity
}

/// Whether an indicator's dimension must be its programmes' dimension in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeDimensions {
    /// The catalogue's dimensions are this framework's: an indicator must sit in its
    /// programme's dimension.
    #[default]
    Strict,
    /// The framework groups programmes its own way (e.g. the six pillars of Komdigi, formerly Kominfo).
    Free,
}

impl Dimension {
    /// The name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name_id, &self.name_en)
    }
}

impl Indicator {
    /// Whether the indicator counts activities per resident, the values `[small_regions]`
    /// weighs.
    pub fn per_resident_activity(&self) -> bool {
        self.source == IndicatorSource::Activities && self.per == Denominator::Population
    }

    /// The predicate of `value` on the indicator's own scale, when it has bands.
    pub fn predicate(&self, value: f64) -> Option<&crate::engine::Band> {
        crate::engine::band_of(&self.bands, value)
    }

    /// The name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name_id, &self.name_en)
    }
}
