//! Scoring frameworks as data: dimensions, the indicators under them, weights, and the
//! programme catalogue the indicators are built from.
//!
//! A framework file (`data/frameworks/seven_dimensions.toml`) names its dimensions in
//! Indonesian and English with weights, and defines each indicator as an aggregate of activity
//! records of one programme, optionally per N residents. The programme catalogue
//! (`programmes.csv`, named by the framework) says which dimension each programme belongs to and
//! in what unit it is counted. Loading checks the whole file and rejects it with the file and
//! entry named; nothing here touches activity data.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

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
    /// Weight in the index (relative; need not sum to 1).
    #[serde(default = "one")]
    pub weight: f64,
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

/// What an indicator is divided by before normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Denominator {
    /// Raw totals.
    #[default]
    None,
    /// Residents of the region (from `data/regions`), times `scale`.
    Population,
}

/// An indicator: an aggregate of one programme's activity records.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable id.
    pub id: String,
    /// Dimension id it belongs to.
    pub dimension: String,
    /// Programme code whose activities it aggregates.
    pub programme: String,
    /// Which field is aggregated.
    #[serde(default = "quantity")]
    pub measure: Measure,
    /// Denominator.
    #[serde(default)]
    pub per: Denominator,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameworkFile {
    id: String,
    version: String,
    name_id: String,
    name_en: String,
    programmes: PathBuf,
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
        Framework::from_parts(file, programmes).map_err(|(entry, message)| FrameworkError::Entry {
            path: path.to_path_buf(),
            entry,
            message,
        })
    }

    fn from_parts(
        file: FrameworkFile,
        programmes: HashMap<String, Programme>,
    ) -> Result<Framework, (String, String)> {
        if file.dimensions.is_empty() {
            return Err(("[[dimension]]".into(), "no dimensions defined".into()));
        }
        let mut dim_ids = HashSet::new();
        for d in &file.dimensions {
            let entry = format!("dimension {:?}", d.id);
            if !dim_ids.insert(d.id.as_str()) {
                return Err((entry, "duplicate dimension id".into()));
            }
            check_weight(d.weight).map_err(|m| (entry.clone(), m))?;
        }
        let mut ind_ids = HashSet::new();
        let mut indicators = Vec::with_capacity(file.indicators.len());
        for mut ind in file.indicators {
            let entry = format!("indicator {:?}", ind.id);
            if !ind_ids.insert(ind.id.clone()) {
                return Err((entry, "duplicate indicator id".into()));
            }
            if !dim_ids.contains(ind.dimension.as_str()) {
                return Err((entry, format!("unknown dimension {:?}", ind.dimension)));
            }
            let Some(prog) = programmes.get(&ind.programme) else {
                return Err((
                    entry,
                    format!(
                        "programme {:?} is not in the programme catalogue",
                        ind.programme
                    ),
                ));
            };
            if prog.dimension != ind.dimension {
                return Err((
                    entry,
                    format!(
                        "programme {:?} belongs to dimension {:?}, not {:?}",
                        ind.programme, prog.dimension, ind.dimension
                    ),
                ));
            }
            check_weight(ind.weight).map_err(|m| (entry.clone(), m))?;
            if !(ind.scale.is_finite() && ind.scale > 0.0) {
                return Err((entry, format!("scale must be positive, got {}", ind.scale)));
            }
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
            if !indicators.iter().any(|i| i.dimension == d.id) {
                return Err((format!("dimension {:?}", d.id), "has no indicators".into()));
            }
        }
        Ok(Framework {
            id: file.id,
            version: file.version,
            name_id: file.name_id,
            name_en: file.name_en,
            dimensions: file.dimensions,
            indicators,
            programmes,
        })
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
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(shipped()).unwrap();
        assert!(
            text.contains(from),
            "fixture text {from:?} not in framework"
        );
        let text = text.replacen(from, to, 1).replace(
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
}
