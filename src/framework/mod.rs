//! Scoring frameworks as data: a hierarchy of dimensions (and sub-dimensions, any depth), the
//! indicators under them, weights, directions, goalposts, the method choices of the scoring
//! engine, and the programme catalogue the indicators are built from.
//!
//! A framework file (`data/frameworks/seven_dimensions.toml`, `six_pillars.toml`) names its
//! dimensions in Indonesian and English with weights and an optional `parent` dimension, and
//! defines each indicator as an aggregation (sum, count, distinct count, mean) of activity records
//! of one or more programmes, optionally filtered by target group and organiser, optionally
//! divided by population, area, number of desa or another indicator, times a scale. A
//! `[methods]` table selects the engine's methods ([`crate::engine::Methods`]). The
//! programme catalogue (`programmes.csv`, named by the framework) says which dimension each
//! programme belongs to and in what unit it is counted. Loading checks the whole file (duplicate
//! ids, unknown parents, cycles, negative weights, indicators without a data source) and rejects
//! it with the file and entry named; nothing here touches activity data.
//!
//! An optional top-level `targets = "targets.csv"` (relative to the framework file) loads
//! regional targets ([`crate::framework::targets`]: a masterplan's target per region, indicator and
//! period) and normalises a unit that has a target for an indicator as its distance to that
//! target, `min(value / target, 1) × 100` (see [`engine::Methods::to_target`]); units without a
//! target keep the framework's normalisation. Every indicator uses its targets unless the
//! `[methods]` table says otherwise (`to_target = false` globally, `node.ID = { to_target = true
//! }` per indicator). The file and its SHA-256 are recorded in the methods stored with the scores.
//!
//! The parts of a framework are in `model`, reading and validating its file in `load`, regional
//! targets in [`targets`]; this file holds the assembled [`Framework`] and its errors.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::engine::{self, Denominate, Hierarchy, Methods, Node};
use crate::i18n::Lang;

pub mod edit;
mod load;
mod model;
pub mod targets;

pub use model::{
    Aggregation, Denominator, Dimension, DistinctOf, Indicator, IndicatorSource, Normalisation,
    Programme, ProgrammeDimensions, RecordField, SmallRegions,
};
use targets::{Targets, TargetsError};

/// What a framework file failed on.
#[derive(Debug, thiserror::Error)]
pub enum FrameworkError {
    /// The file could not be read.
    #[error("cannot read framework file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML is malformed or has wrong types.
    #[error("framework file {path} is not valid: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The cause (names line and key).
        source: Box<toml::de::Error>,
    },
    /// The programme catalogue could not be read.
    #[error("cannot read programme catalogue {path}: {source}")]
    Catalogue {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// The targets file it names is unreadable or wrong (names that file and the row).
    #[error("framework file {path}: {source}")]
    Targets {
        /// The framework file.
        path: PathBuf,
        /// The cause.
        source: TargetsError,
    },
    /// An entry is inconsistent.
    #[error("framework file {path}, {entry}: {message}")]
    Entry {
        /// The file.
        path: PathBuf,
        /// Which entry, e.g. `indicator "umkm_go_online"`.
        entry: String,
        /// What is wrong.
        message: String,
    },
}

/// The engine methods a framework uses when its file has no `[methods]` table: today's method
/// (min-max 0–100 among the kecamatan of one kabupaten, weighted arithmetic means).
pub fn default_methods() -> Methods {
    Methods {
        normalise_within: Some(PEER_GROUP.into()),
        ..Methods::default()
    }
}

/// Name of the unit group column the scoring pipeline provides: the parent kabupaten/kota.
pub const PEER_GROUP: &str = "peer";

/// The programme code of a nil report (laporan nihil): a record, with quantity 0, saying that
/// a region did nothing in a period, so that it scores a true zero instead of "no data". It
/// belongs to no dimension and counts for no indicator.
pub const NIL_REPORT: &str = "laporan_nihil";

/// A loaded, validated framework.
#[derive(Debug, Clone, Serialize)]
pub struct Framework {
    /// Framework id, e.g. `seven_dimensions`.
    pub id: String,
    /// Version string, recorded with every score.
    pub version: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// Dimensions in display order.
    pub dimensions: Vec<Dimension>,
    /// Indicators in file order.
    pub indicators: Vec<Indicator>,
    /// The programme catalogue, by code.
    pub programmes: HashMap<String, Programme>,
    /// How values become scores: fixed goalposts, pooled or per period.
    pub normalisation: Normalisation,
    /// Engine methods (normalisation, aggregation, …), recorded with the scores.
    pub methods: Methods,
    /// Predicate bands for the index (e.g. Memuaskan … Kurang), if the file defines `[[band]]`s.
    pub bands: Option<engine::Bands>,
    /// How the per-resident values of small kab/kota are weighted (`[small_regions]`), if at
    /// all.
    pub small_regions: Option<SmallRegions>,
    /// Regional targets, if the file names a `targets` file (its source is recorded in
    /// [`Framework::methods`]).
    #[serde(skip)]
    pub targets: Option<Targets>,
}

impl Framework {
    /// Whether some indicator takes recorded values (`source = "values"`), so that values
    /// files mean something to this framework.
    pub fn takes_values(&self) -> bool {
        self.indicators
            .iter()
            .any(|i| i.source == IndicatorSource::Values)
    }

    /// How `[small_regions]` weighs `indicator` when units of `level` are scored: at kab/kota
    /// level, for an activity indicator per resident with a typical value; `None` otherwise
    /// (kecamatan, goalpost derivation with no level, other indicators). The one place that
    /// decides which values are weighted, for the scoring and the explanation alike.
    pub fn prior(
        &self,
        indicator: &Indicator,
        level: Option<crate::region::Level>,
    ) -> Option<engine::Prior> {
        let small = self.small_regions?;
        if level != Some(crate::region::Level::Regency) || !indicator.per_resident_activity() {
            return None;
        }
        Some(engine::Prior {
            weight: small.residents,
            typical: indicator.typical?,
        })
    }

    /// The framework's name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name_id, &self.name_en)
    }

    /// The scoring hierarchy: indicators → dimensions (→ parent dimensions) → the index, whose
    /// id is the framework's. Indicators are denominated by the pipeline, not the engine.
    pub fn hierarchy(&self) -> Hierarchy {
        // Validated at load; a framework built in code that is inconsistent is a bug.
        self.try_hierarchy()
            .expect("framework hierarchy was validated at load")
    }

    fn try_hierarchy(&self) -> Result<Hierarchy, engine::EngineError> {
        let mut nodes = vec![Node::aggregate(&self.id, None)];
        for d in &self.dimensions {
            let mut n = Node::aggregate(&d.id, Some(d.parent.as_deref().unwrap_or(&self.id)));
            n.weight = d.weight;
            nodes.push(n);
        }
        for i in &self.indicators {
            let mut n = Node::indicator(&i.id, &i.dimension);
            n.weight = i.weight;
            n.direction = i.direction;
            n.goalposts = i.goalposts.map(|[a, b]| (a, b));
            n.denominator = None::<Denominate>;
            nodes.push(n);
        }
        Hierarchy::new(nodes)
    }

    /// Dimensions directly under the index, in file order.
    pub fn top_dimensions(&self) -> impl Iterator<Item = &Dimension> {
        self.dimensions.iter().filter(|d| d.parent.is_none())
    }

    /// The predicate bands of the index, when its scale is absolute: the file's `[[band]]`s,
    /// which belong to its goalpost scale. A relative score (pooled or per period) gets no
    /// predicate: a band says how good a value is, a relative score only where it stands.
    pub fn index_bands(&self) -> Option<&engine::Bands> {
        self.bands
            .as_ref()
            .filter(|_| self.normalisation.is_absolute())
    }

    /// The dimension with this id.
    pub fn dimension(&self, id: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.id == id)
    }

    /// The indicator with this id.
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }
}

#[cfg(test)]
mod tests;
