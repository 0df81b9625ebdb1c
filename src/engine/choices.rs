//! The method choices of a run: screening, imputation, outlier treatment, normalisation (with
//! distance to target), aggregation, each global with overrides per level and per node, and
//! where the targets came from. Recorded with every result.
//!
//! The choices only; the methods themselves are in [`super::methods`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Aggregate, Impute, Normalise, Treat};

/// Screening units by data availability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screen {
    /// Minimum share of a unit's indicator values present to keep it (0.9 = 90%).
    pub min_share: f64,
    /// Screen after imputation (COINr's example does) rather than before.
    #[serde(default)]
    pub after_impute: bool,
}

/// Method overrides for one node or one level; unset fields fall back to the global choice.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Imputation (indicators).
    #[serde(default)]
    pub impute: Option<Impute>,
    /// Outlier treatment (indicators).
    #[serde(default)]
    pub treat: Option<Treat>,
    /// Normalisation (indicators).
    #[serde(default)]
    pub normalise: Option<Normalise>,
    /// Distance to each unit's own target where it has one (indicators; see
    /// [`Methods::to_target`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_target: Option<bool>,
    /// How this aggregate (or the aggregates of this level) combine their children.
    #[serde(default)]
    pub aggregate: Option<Aggregate>,
    /// Minimum share of children present (aggregates).
    #[serde(default)]
    pub min_share: Option<f64>,
}

/// Every method choice of a run; recorded with the result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Methods {
    /// Screening; `None` keeps every unit.
    #[serde(default)]
    pub screen: Option<Screen>,
    /// Imputation.
    #[serde(default)]
    pub impute: Impute,
    /// Outlier treatment.
    #[serde(default)]
    pub treat: Treat,
    /// Normalisation.
    #[serde(default)]
    pub normalise: Normalise,
    /// Normalise among the units of each group of this column (e.g. the kecamatan of one
    /// kabupaten) instead of among all units.
    #[serde(default)]
    pub normalise_within: Option<String>,
    /// Normalise a unit that has its own target ([`Dataset::targets`]) as its distance to that
    /// target, [`methods::distance_to_target`] on 0–100: `min(value / target, 1) · 100` (lower is
    /// better: `min(target / value, 1) · 100`), from the value before outlier treatment (which
    /// would change its units). Units without a target keep [`Methods::normalise`], computed
    /// among all units as without targets. `None` and `false` are off; per node or level with
    /// [`Override::to_target`]. Sensitivity analysis varies the normalisation of the units
    /// without a target only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_target: Option<bool>,
    /// Where the targets came from (file and checksum), recorded with the result. Set by the
    /// loader of the targets ([`crate::framework::Framework::load`]), never read from a file.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub targets: Option<TargetSource>,
    /// Aggregation.
    #[serde(default)]
    pub aggregate: Aggregate,
    /// Minimum share of an aggregate's children present (0 = any one is enough).
    #[serde(default)]
    pub min_share: f64,
    /// Overrides per level (`"2"`, `"3"`, …; indicators are level 1).
    #[serde(default)]
    pub level: BTreeMap<String, Override>,
    /// Overrides per node id.
    #[serde(default)]
    pub node: BTreeMap<String, Override>,
}

/// Where a run's targets came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TargetSource {
    /// The file, as the framework names it (relative to the framework file).
    pub file: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Number of targets it holds.
    pub targets: usize,
}

impl Methods {
    /// Whether an indicator is normalised as distance to target (where a unit has one).
    pub fn uses_target(&self, id: &str) -> bool {
        self.node
            .get(id)
            .and_then(|o| o.to_target)
            .or_else(|| self.level.get("1").and_then(|o| o.to_target))
            .or(self.to_target)
            .unwrap_or(false)
    }

    /// Whether any indicator may be normalised as distance to target.
    pub fn any_to_target(&self) -> bool {
        self.to_target == Some(true)
            || self
                .node
                .values()
                .chain(self.level.values())
                .any(|o| o.to_target == Some(true))
    }

    /// The choice `field` picks for a node: its own override, else its level's, else `global`.
    pub(super) fn pick<'a, T>(
        &'a self,
        id: &str,
        level: usize,
        field: impl Fn(&'a Override) -> Option<&'a T>,
        global: &'a T,
    ) -> &'a T {
        self.node
            .get(id)
            .and_then(&field)
            .or_else(|| self.level.get(&level.to_string()).and_then(&field))
            .unwrap_or(global)
    }
}
