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

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::{self, Denominate, Hierarchy, Methods, Node};
use crate::i18n::Lang;
pub mod targets;

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
pub enum Measure {
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
    pub measure: Measure,
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

fn quantity() -> Measure {
    Measure::Quantity
}

/// Whether an indicator's dimension must be its programmes' dimension in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeDimensions {
    /// The catalogue's dimensions are this framework's: an indicator must sit in its
    /// programme's dimension.
    #[default]
    Strict,
    /// The framework groups programmes its own way (e.g. Kominfo's six pillars).
    Free,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameworkFile {
    id: String,
    version: String,
    name_id: String,
    name_en: String,
    programmes: PathBuf,
    #[serde(default)]
    programme_dimensions: ProgrammeDimensions,
    #[serde(default = "default_methods")]
    methods: Methods,
    /// Regional targets (CSV), relative to the framework file.
    #[serde(default)]
    targets: Option<PathBuf>,
    #[serde(default, rename = "band")]
    bands: Vec<engine::Band>,
    #[serde(rename = "dimension")]
    dimensions: Vec<Dimension>,
    #[serde(rename = "indicator")]
    indicators: Vec<Indicator>,
}

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
    /// Engine methods (normalisation, aggregation, …), recorded with the scores.
    pub methods: Methods,
    /// Predicate bands for the index (e.g. Memuaskan … Kurang), if the file defines `[[band]]`s.
    pub bands: Option<engine::Bands>,
    /// Regional targets, if the file names a `targets` file (its source is recorded in
    /// [`Framework::methods`]).
    #[serde(skip)]
    pub targets: Option<Targets>,
}

impl Dimension {
    /// The name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name_id, &self.name_en)
    }
}

impl Indicator {
    /// The name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name_id, &self.name_en)
    }
}

impl Framework {
    /// The framework's name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name_id, &self.name_en)
    }

    /// Read and validate a framework file; its programme catalogue path is relative to it.
    pub fn load(path: &Path) -> Result<Framework, FrameworkError> {
        let text = std::fs::read_to_string(path).map_err(|source| FrameworkError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file: FrameworkFile = toml::from_str(&text).map_err(|e| FrameworkError::Toml {
            path: path.to_path_buf(),
            source: Box::new(e),
        })?;
        let catalogue_path = path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&file.programmes);
        let programmes = load_catalogue(&catalogue_path)?;
        let targets_name = file.targets.clone();
        let entry_err = |(entry, message)| FrameworkError::Entry {
            path: path.to_path_buf(),
            entry,
            message,
        };
        let mut fw = Framework::from_parts(file, programmes).map_err(entry_err)?;
        if let Some(name) = targets_name {
            let targets_path = path.parent().unwrap_or(Path::new(".")).join(&name);
            let targets = Targets::load(&targets_path, fw.indicators.iter().map(|i| i.id.as_str()))
                .map_err(|source| FrameworkError::Targets {
                    path: path.to_path_buf(),
                    source,
                })?;
            fw.methods.to_target.get_or_insert(true);
            if !fw.methods.any_to_target() {
                return Err(entry_err((
                    "targets".into(),
                    "a targets file is named but `to_target` is off for every indicator".into(),
                )));
            }
            fw.methods.targets = Some(targets.source(&name.to_string_lossy()));
            fw.targets = Some(targets);
        } else if fw.methods.any_to_target() {
            return Err(entry_err((
                "[methods]".into(),
                "`to_target` needs a `targets` file (top-level key `targets = \"….csv\"`)".into(),
            )));
        }
        Ok(fw)
    }

    fn from_parts(
        file: FrameworkFile,
        programmes: HashMap<String, Programme>,
    ) -> Result<Framework, (String, String)> {
        if file.dimensions.is_empty() {
            return Err(("[[dimension]]".into(), "no dimensions defined".into()));
        }
        let mut ids = HashSet::new();
        for d in &file.dimensions {
            let entry = format!("dimension {:?}", d.id);
            if d.id == file.id || !ids.insert(d.id.as_str()) {
                return Err((entry, "duplicate id".into()));
            }
            check_weight(d.weight).map_err(|m| (entry.clone(), m))?;
        }
        let dim_ids: HashSet<&str> = file.dimensions.iter().map(|d| d.id.as_str()).collect();
        for d in &file.dimensions {
            let entry = format!("dimension {:?}", d.id);
            if let Some(p) = &d.parent
                && !dim_ids.contains(p.as_str())
            {
                return Err((entry, format!("unknown parent {p:?}")));
            }
            // Follow parents: more steps than dimensions means a cycle.
            let mut at = d.parent.as_deref();
            for _ in 0..=file.dimensions.len() {
                let Some(p) = at else { break };
                if p == d.id {
                    return Err((entry, "its parents form a cycle".into()));
                }
                at = file
                    .dimensions
                    .iter()
                    .find(|x| x.id == p)
                    .and_then(|x| x.parent.as_deref());
            }
        }
        let all_ind_ids: HashSet<&str> = file.indicators.iter().map(|i| i.id.as_str()).collect();
        let mut ind_ids = HashSet::new();
        let mut indicators = Vec::with_capacity(file.indicators.len());
        for mut ind in file.indicators.clone() {
            let entry = format!("indicator {:?}", ind.id);
            if ind.id == file.id
                || dim_ids.contains(ind.id.as_str())
                || !ind_ids.insert(ind.id.clone())
            {
                return Err((entry, "duplicate id".into()));
            }
            if !dim_ids.contains(ind.dimension.as_str()) {
                return Err((entry, format!("unknown dimension {:?}", ind.dimension)));
            }
            if !ind.programme.is_empty() && !ind.programmes.contains(&ind.programme) {
                ind.programmes.insert(0, ind.programme.clone());
            }
            if ind.programmes.is_empty() {
                return Err((
                    entry,
                    "has no data source: set `programme` or `programmes`".into(),
                ));
            }
            ind.programme.clone_from(&ind.programmes[0]);
            for code in &ind.programmes {
                let Some(prog) = programmes.get(code) else {
                    return Err((
                        entry,
                        format!("programme {code:?} is not in the programme catalogue"),
                    ));
                };
                if file.programme_dimensions == ProgrammeDimensions::Strict
                    && prog.dimension != ind.dimension
                {
                    return Err((
                        entry,
                        format!(
                            "programme {code:?} belongs to dimension {:?}, not {:?}",
                            prog.dimension, ind.dimension
                        ),
                    ));
                }
            }
            check_weight(ind.weight).map_err(|m| (entry.clone(), m))?;
            if !(ind.scale.is_finite() && ind.scale > 0.0) {
                return Err((entry, format!("scale must be positive, got {}", ind.scale)));
            }
            if ind.direction != 1.0 && ind.direction != -1.0 {
                return Err((
                    entry,
                    format!("direction must be 1 or -1, got {}", ind.direction),
                ));
            }
            match (&ind.per, &ind.per_indicator) {
                (Denominator::Indicator, Some(other))
                    if other != &ind.id && all_ind_ids.contains(other.as_str()) => {}
                (Denominator::Indicator, Some(other)) => {
                    return Err((
                        entry,
                        format!("per_indicator {other:?} is not another indicator"),
                    ));
                }
                (Denominator::Indicator, None) => {
                    return Err((entry, "per = \"indicator\" needs per_indicator".into()));
                }
                (_, Some(_)) => {
                    return Err((entry, "per_indicator needs per = \"indicator\"".into()));
                }
                _ => {}
            }
            let prog = &programmes[&ind.programme];
            for (field, fallback) in [
                (&mut ind.name_id, &prog.name_id),
                (&mut ind.name_en, &prog.name_en),
                (&mut ind.unit_id, &prog.unit_id),
                (&mut ind.unit_en, &prog.unit_en),
            ] {
                if field.is_empty() {
                    field.clone_from(fallback);
                }
            }
            indicators.push(ind);
        }
        for d in &file.dimensions {
            if !indicators.iter().any(|i| i.dimension == d.id)
                && !file
                    .dimensions
                    .iter()
                    .any(|x| x.parent.as_deref() == Some(&d.id))
            {
                return Err((format!("dimension {:?}", d.id), "has no indicators".into()));
            }
        }
        let fw = Framework {
            id: file.id,
            version: file.version,
            name_id: file.name_id,
            name_en: file.name_en,
            dimensions: file.dimensions,
            indicators,
            programmes,
            methods: file.methods,
            bands: (!file.bands.is_empty()).then_some(engine::Bands { bands: file.bands }),
            targets: None,
        };
        // The engine's own checks, and method choices that name group columns it will not have.
        fw.try_hierarchy()
            .map_err(|e| ("hierarchy".to_string(), e.to_string()))?;
        let impute_groups = std::iter::once(&fw.methods.impute)
            .chain(fw.methods.node.values().filter_map(|o| o.impute.as_ref()))
            .chain(fw.methods.level.values().filter_map(|o| o.impute.as_ref()))
            .filter_map(|i| match i {
                engine::Impute::GroupMean { group } | engine::Impute::GroupMedian { group } => {
                    Some(group)
                }
                _ => None,
            });
        for group in fw.methods.normalise_within.iter().chain(impute_groups) {
            if group != PEER_GROUP {
                return Err((
                    "[methods]".into(),
                    format!("unknown unit group {group:?}: the only group is {PEER_GROUP:?}"),
                ));
            }
        }
        Ok(fw)
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

    /// The predicate bands of the 0–100 index: the file's `[[band]]`s, or
    /// [`engine::Bands::index_default`] when it defines none, so every page can name a predicate.
    pub fn index_bands(&self) -> std::borrow::Cow<'_, engine::Bands> {
        match &self.bands {
            Some(b) => std::borrow::Cow::Borrowed(b),
            None => std::borrow::Cow::Owned(engine::Bands::index_default()),
        }
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

fn check_weight(w: f64) -> Result<(), String> {
    if w.is_finite() && w >= 0.0 {
        Ok(())
    } else {
        Err(format!("weight must be a non-negative number, got {w}"))
    }
}

fn load_catalogue(path: &Path) -> Result<HashMap<String, Programme>, FrameworkError> {
    let err = |source| FrameworkError::Catalogue {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::Reader::from_path(path).map_err(err)?;
    reader
        .deserialize::<Programme>()
        .map(|row| row.map(|p| (p.programme.clone(), p)))
        .collect::<Result<HashMap<_, _>, _>>()
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/frameworks/seven_dimensions.toml")
    }

    #[test]
    fn shipped_framework_has_seven_dimensions_and_28_indicators() {
        let fw = Framework::load(&shipped()).unwrap();
        assert_eq!(fw.dimensions.len(), 7);
        assert_eq!(fw.indicators.len(), 28);
        assert_eq!(fw.programmes.len(), 28);
        for d in &fw.dimensions {
            assert_eq!(
                fw.indicators.iter().filter(|i| i.dimension == d.id).count(),
                4,
                "{}",
                d.id
            );
        }
    }

    fn load_modified(from: &str, to: &str) -> String {
        load_edited(&[(from, to)])
    }

    fn load_edited(edits: &[(&str, &str)]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let mut text = std::fs::read_to_string(shipped()).unwrap();
        for (from, to) in edits {
            assert!(
                text.contains(from),
                "fixture text {from:?} not in framework"
            );
            text = text.replacen(from, to, 1);
        }
        let text = text.replace(
            "programmes = \"programmes.csv\"",
            &format!(
                "programmes = {:?}",
                shipped().parent().unwrap().join("programmes.csv")
            ),
        );
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text).unwrap();
        Framework::load(&path).unwrap_err().to_string()
    }

    #[test]
    fn six_pillars_framework_maps_all_28_programmes_to_six_pillars() {
        let path = shipped().parent().unwrap().join("six_pillars.toml");
        let fw = Framework::load(&path).unwrap();
        let ids: Vec<&str> = fw.dimensions.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "governance",
                "branding",
                "economy",
                "living",
                "society",
                "environment"
            ]
        );
        let mut programmes: Vec<&str> = fw
            .indicators
            .iter()
            .flat_map(|i| i.programmes.iter().map(String::as_str))
            .collect();
        programmes.sort();
        programmes.dedup();
        assert_eq!(programmes.len(), 28);
        assert_eq!(fw.hierarchy().level("six_pillars"), Some(3));
        let bands = fw.bands.as_ref().unwrap();
        assert_eq!(bands.predicate(45.0).unwrap().label_id, "Baik");
        assert_eq!(bands.predicate(0.0).unwrap().label_id, "Kurang");
    }

    #[test]
    fn shipped_framework_without_a_methods_table_uses_todays_method() {
        let fw = Framework::load(&shipped()).unwrap();
        assert_eq!(fw.methods, default_methods());
        assert_eq!(fw.methods.normalise_within.as_deref(), Some(PEER_GROUP));
    }

    #[test]
    fn a_methods_table_selects_engine_methods_per_level_and_indicator() {
        let dir = tempfile::tempdir().unwrap();
        let methods = r#"
[methods]
impute = { method = "median" }
treat = { method = "skew_kurt", winmax = 3, cap = "cumulative" }
normalise = { method = "z_score", mean = 50.0, sd = 10.0 }
normalise_within = "peer"
level.3 = { aggregate = { method = "geometric" } }
node.umkm_go_online = { normalise = { method = "percent_rank" } }

[[dimension]]"#;
        let text = std::fs::read_to_string(shipped())
            .unwrap()
            .replacen("\n[[dimension]]", methods, 1)
            .replace(
                "programmes = \"programmes.csv\"",
                &format!(
                    "programmes = {:?}",
                    shipped().parent().unwrap().join("programmes.csv")
                ),
            );
        let path = dir.path().join("methods.toml");
        std::fs::write(&path, text).unwrap();
        let fw = Framework::load(&path).unwrap();
        assert_eq!(fw.methods.impute, engine::Impute::Median);
        assert_eq!(
            fw.methods.level["3"].aggregate,
            Some(engine::Aggregate::Geometric)
        );
        assert_eq!(
            fw.methods.node["umkm_go_online"].normalise,
            Some(engine::Normalise::PercentRank)
        );
        assert!(matches!(
            fw.methods.treat,
            engine::Treat::SkewKurt {
                winmax: 3,
                cap: engine::WinCap::Cumulative,
                ..
            }
        ));
    }

    #[test]
    fn a_dimension_with_an_unknown_parent_is_rejected_naming_it() {
        let err = load_modified(
            "id = \"economy\"\nname_id",
            "id = \"economy\"\nparent = \"nowhere\"\nname_id",
        );
        assert!(
            err.contains("bad.toml")
                && err.contains("dimension \"economy\"")
                && err.contains("unknown parent \"nowhere\""),
            "{err}"
        );
    }

    #[test]
    fn dimensions_whose_parents_form_a_cycle_are_rejected() {
        let err = load_edited(&[
            (
                "id = \"economy\"\nname_id",
                "id = \"economy\"\nparent = \"people\"\nname_id",
            ),
            (
                "id = \"people\"\nname_id",
                "id = \"people\"\nparent = \"economy\"\nname_id",
            ),
        ]);
        assert!(err.contains("bad.toml") && err.contains("cycle"), "{err}");
        assert!(err.contains("dimension \"economy\""), "{err}");
    }

    #[test]
    fn a_duplicate_id_is_rejected_naming_the_entry() {
        let err = load_modified("id = \"qris_merchant\"", "id = \"umkm_go_online\"");
        assert!(
            err.contains("bad.toml")
                && err.contains("indicator \"umkm_go_online\"")
                && err.contains("duplicate id"),
            "{err}"
        );
    }

    #[test]
    fn an_indicator_with_no_data_source_is_rejected() {
        let err = load_modified("programme = \"qris_merchant\"\n", "");
        assert!(
            err.contains("bad.toml")
                && err.contains("indicator \"qris_merchant\"")
                && err.contains("no data source"),
            "{err}"
        );
    }

    #[test]
    fn sub_dimensions_make_a_deeper_hierarchy() {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(shipped())
            .unwrap()
            .replacen(
                "id = \"economy\"\nname_id",
                "id = \"economy\"\nparent = \"people\"\nname_id",
                1,
            )
            .replace(
                "programmes = \"programmes.csv\"",
                &format!(
                    "programmes = {:?}",
                    shipped().parent().unwrap().join("programmes.csv")
                ),
            );
        let path = dir.path().join("deep.toml");
        std::fs::write(&path, text).unwrap();
        let fw = Framework::load(&path).unwrap();
        let h = fw.hierarchy();
        assert_eq!(h.level("economy"), Some(2));
        assert_eq!(h.level("people"), Some(3));
        assert_eq!(h.level("seven_dimensions"), Some(4));
        assert_eq!(fw.top_dimensions().count(), 6);
    }

    #[test]
    fn negative_weight_is_rejected_naming_the_entry() {
        let err = load_modified("weight = 1.0", "weight = -1.0");
        assert!(err.contains("bad.toml") && err.contains("weight"), "{err}");
    }

    #[test]
    fn unknown_programme_is_rejected_naming_the_indicator() {
        let err = load_modified(
            "programme = \"umkm_go_online\"",
            "programme = \"umkm_go_offline\"",
        );
        assert!(
            err.contains("indicator \"umkm_go_online\"") && err.contains("umkm_go_offline"),
            "{err}"
        );
    }

    #[test]
    fn indicator_in_the_wrong_dimension_is_rejected() {
        let err = load_modified(
            "dimension = \"economy\"\nprogramme",
            "dimension = \"people\"\nprogramme",
        );
        assert!(err.contains("belongs to dimension"), "{err}");
    }

    /// The shipped framework with `edits`, written next to a `targets.csv` holding `targets`.
    fn load_with_targets(
        edits: &[(&str, &str)],
        targets: &str,
    ) -> Result<Framework, FrameworkError> {
        let dir = tempfile::tempdir().unwrap();
        let mut text = std::fs::read_to_string(shipped()).unwrap().replace(
            "programmes = \"programmes.csv\"",
            &format!(
                "programmes = {:?}",
                shipped().parent().unwrap().join("programmes.csv")
            ),
        );
        for (from, to) in edits {
            assert!(
                text.contains(from),
                "fixture text {from:?} not in framework"
            );
            text = text.replacen(from, to, 1);
        }
        std::fs::write(dir.path().join("targets.csv"), targets).unwrap();
        let path = dir.path().join("with_targets.toml");
        std::fs::write(&path, text).unwrap();
        Framework::load(&path)
    }

    const WITH_TARGETS: (&str, &str) = (
        "\n[[dimension]]",
        "targets = \"targets.csv\"\n\n[[dimension]]",
    );

    #[test]
    fn shipped_frameworks_have_no_targets() {
        for name in ["seven_dimensions.toml", "six_pillars.toml"] {
            let fw = Framework::load(&shipped().parent().unwrap().join(name)).unwrap();
            assert!(fw.targets.is_none(), "{name}");
            assert!(
                !fw.methods.any_to_target() && fw.methods.targets.is_none(),
                "{name}"
            );
        }
    }

    #[test]
    fn the_example_targets_load_as_goalposts_for_jember_kecamatan() {
        let example = std::fs::read_to_string(
            shipped()
                .parent()
                .unwrap()
                .join("targets_jember_example.csv"),
        )
        .unwrap();
        let fw = load_with_targets(&[WITH_TARGETS], &example).unwrap();
        let targets = fw.targets.as_ref().unwrap();
        assert_eq!(targets.len(), 10);
        assert_eq!(
            targets.get("35.09.02", "umkm_go_online", "2025"),
            Some(10.0)
        );
        // Every indicator uses its targets; the file is recorded with the methods.
        assert_eq!(fw.methods.to_target, Some(true));
        assert!(fw.methods.uses_target("qris_merchant"));
        let source = fw.methods.targets.as_ref().unwrap();
        assert_eq!(source.file, "targets.csv");
        assert_eq!(source.sha256, targets.sha256);
        let json = serde_json::to_string(&fw.methods).unwrap();
        assert!(
            json.contains("targets.csv") && json.contains(&targets.sha256),
            "{json}"
        );
        // Its kecamatan are Jember's.
        let regions = crate::region::Regions::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/regions"),
        )
        .unwrap();
        targets.check_regions(&regions).unwrap();
    }

    #[test]
    fn a_bad_targets_file_is_rejected_naming_both_files_and_the_row() {
        let err = load_with_targets(
            &[WITH_TARGETS],
            "region_code,indicator,period,target\n35.09.01,umkm_go_online,2025,5\n\
             35.09.01,umkm_go_offline,2025,5\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("with_targets.toml")
                && err.contains("targets.csv")
                && err.contains("row 3")
                && err.contains("unknown indicator \"umkm_go_offline\""),
            "{err}"
        );
        let err = load_with_targets(
            &[WITH_TARGETS],
            "region_code,indicator,period,target\n35.09.01,umkm_go_online,2025,-5\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("row 2") && err.contains("\"-5\""), "{err}");
        let err = load_with_targets(
            &[(
                "\n[[dimension]]",
                "targets = \"nowhere.csv\"\n\n[[dimension]]",
            )],
            "",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("nowhere.csv"), "{err}");
    }

    #[test]
    fn to_target_needs_a_targets_file_and_a_targets_file_some_indicator_using_it() {
        let methods = "[methods]\nnormalise_within = \"peer\"\nto_target = true\n\n[[dimension]]";
        let err = load_with_targets(&[("\n[[dimension]]", methods)], "")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[methods]") && err.contains("needs a `targets` file"),
            "{err}"
        );
        let off = "targets = \"targets.csv\"\n[methods]\nnormalise_within = \"peer\"\n\
                   to_target = false\n\n[[dimension]]";
        let targets = "region_code,indicator,period,target\n35.09.01,umkm_go_online,2025,5\n";
        let err = load_with_targets(&[("\n[[dimension]]", off)], targets)
            .unwrap_err()
            .to_string();
        assert!(err.contains("off for every indicator"), "{err}");
        // Off globally, on for one indicator.
        let one = "targets = \"targets.csv\"\n[methods]\nnormalise_within = \"peer\"\n\
                   to_target = false\nnode.umkm_go_online = { to_target = true }\n\n[[dimension]]";
        let fw = load_with_targets(&[("\n[[dimension]]", one)], targets).unwrap();
        assert!(
            fw.methods.uses_target("umkm_go_online") && !fw.methods.uses_target("qris_merchant")
        );
        // The loader, not the file, says where targets came from.
        let forged =
            "[methods]\ntargets = { file = \"x\", sha256 = \"y\", targets = 1 }\n\n[[dimension]]";
        assert!(load_with_targets(&[("\n[[dimension]]", forged)], "").is_err());
    }
}
