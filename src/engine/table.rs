//! Loading an index defined as tables in COINr's layout: a data file (one row per unit; unit
//! code, group columns, denominators and indicators as columns) and a metadata file (one row per
//! indicator, aggregate, group or denominator: `iCode`, `Level`, `Type`, `Parent`, `Weight`,
//! `Direction`, `Denominator`), with the method choices in a TOML file that names both.
//!
//! This is how an external composite indicator (e.g. COINr's ASEM example) is built with the
//! engine from files alone; it does not read activity records.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Dataset, Denominate, EngineError, Hierarchy, Methods, Node};

/// What loading a table-defined index failed on.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML configuration is malformed.
    #[error("configuration {path} is not valid: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: Box<toml::de::Error>,
    },
    /// A CSV file is malformed.
    #[error("{path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// An entry is inconsistent.
    #[error("{path}, {entry}: {message}")]
    Entry {
        /// The file.
        path: PathBuf,
        /// Row or column.
        entry: String,
        /// What is wrong.
        message: String,
    },
    /// The hierarchy or the methods do not fit the data.
    #[error("{path}: {source}")]
    Engine {
        /// The metadata file.
        path: PathBuf,
        /// The cause.
        source: EngineError,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// Data file, relative to the configuration file.
    data: PathBuf,
    /// Metadata file, relative to the configuration file.
    meta: PathBuf,
    /// Column of the data file holding the unit code.
    #[serde(default = "u_code")]
    unit: String,
    /// Apply the metadata's denominators.
    #[serde(default = "yes")]
    denominate: bool,
    #[serde(default)]
    methods: Methods,
}

fn u_code() -> String {
    "uCode".into()
}
fn yes() -> bool {
    true
}

/// An index ready to run: data, hierarchy and methods.
#[derive(Debug, Clone)]
pub struct TableIndex {
    /// Units and columns.
    pub data: Dataset,
    /// The framework from the metadata.
    pub hierarchy: Hierarchy,
    /// The methods from the configuration.
    pub methods: Methods,
}

/// Load the configuration at `path` and the two files it names.
pub fn load(path: &Path) -> Result<TableIndex, TableError> {
    let config = read_config(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let meta_path = base.join(&config.meta);
    let data_path = base.join(&config.data);
    let meta = read_csv(&meta_path)?;
    let data = read_csv(&data_path)?;
    let (hierarchy, group_cols) = hierarchy_of(&meta, &meta_path, config.denominate)?;
    let data = dataset_of(&data, &data_path, &config.unit, &group_cols, &hierarchy)?;
    Ok(TableIndex {
        data,
        hierarchy,
        methods: config.methods,
    })
}

fn read_config(path: &Path) -> Result<Config, TableError> {
    let text = std::fs::read_to_string(path).map_err(|source| TableError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| TableError::Toml {
        path: path.to_path_buf(),
        source: Box::new(e),
    })
}

/// The hierarchy the metadata rows describe (indicators and aggregates, with their
/// denominators when `denominate`), and the names of its group columns.
fn hierarchy_of(
    meta: &Csv,
    meta_path: &Path,
    denominate: bool,
) -> Result<(Hierarchy, Vec<String>), TableError> {
    let entry = |row: usize, message: String| TableError::Entry {
        path: meta_path.to_path_buf(),
        entry: format!("row {}", row + 2),
        message,
    };
    let mut nodes = Vec::new();
    let mut group_cols = Vec::new();
    for (r, row) in meta.rows.iter().enumerate() {
        let get = |c: &str| meta.get(row, c).unwrap_or("");
        let num = |c: &str, default: f64| -> Result<f64, TableError> {
            let v = get(c);
            if v.is_empty() {
                Ok(default)
            } else {
                v.parse()
                    .map_err(|_| entry(r, format!("{c} {v:?} is not a number")))
            }
        };
        let id = get("iCode");
        let parent = Some(get("Parent"))
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        match get("Type") {
            "Indicator" | "Aggregate" => {
                let indicator = get("Type") == "Indicator";
                let denominator = Some(get("Denominator"))
                    .filter(|d| indicator && denominate && !d.is_empty())
                    .map(|d| Denominate {
                        column: d.to_string(),
                        scale: 1.0,
                        prior: None,
                    });
                nodes.push(Node {
                    id: id.to_string(),
                    parent,
                    weight: num("Weight", 1.0)?,
                    direction: num("Direction", 1.0)?,
                    indicator,
                    denominator,
                    goalposts: None,
                });
            }
            "Group" => group_cols.push(id.to_string()),
            "Denominator" | "Other" | "" => {}
            other => return Err(entry(r, format!("unknown Type {other:?}"))),
        }
    }
    let hierarchy = Hierarchy::new(nodes).map_err(|source| TableError::Engine {
        path: meta_path.to_path_buf(),
        source,
    })?;
    Ok((hierarchy, group_cols))
}

/// The data file as the engine's data set: the unit column, the group columns as groups, the
/// numeric columns as columns (a text column the hierarchy uses as a number is an error).
fn dataset_of(
    data: &Csv,
    data_path: &Path,
    unit: &str,
    group_cols: &[String],
    hierarchy: &Hierarchy,
) -> Result<Dataset, TableError> {
    let unit_col = data.col(unit).ok_or_else(|| TableError::Entry {
        path: data_path.to_path_buf(),
        entry: format!("column {unit:?}"),
        message: "unit code column not found".into(),
    })?;
    let mut ds = Dataset {
        units: data.rows.iter().map(|r| r[unit_col].clone()).collect(),
        ..Dataset::default()
    };
    for (c, name) in data.header.iter().enumerate() {
        if c == unit_col {
            continue;
        }
        if group_cols.contains(name) {
            ds.groups.insert(
                name.clone(),
                data.rows
                    .iter()
                    .map(|r| Some(r[c].clone()).filter(|v| !v.is_empty()))
                    .collect(),
            );
            continue;
        }
        let parsed: Result<Vec<Option<f64>>, usize> = data
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| match r[c].trim() {
                "" | "NA" => Ok(None),
                v => v.parse().map(Some).map_err(|_| i),
            })
            .collect();
        match parsed {
            Ok(v) => {
                ds.columns.insert(name.clone(), v);
            }
            // Text columns (names) are fine unless the metadata uses them as numbers.
            Err(i) if hierarchy.node(name).is_some() => {
                return Err(TableError::Entry {
                    path: data_path.to_path_buf(),
                    entry: format!("row {}, column {name:?}", i + 2),
                    message: format!("{:?} is not a number", data.rows[i][c]),
                });
            }
            Err(_) => {}
        }
    }
    Ok(ds)
}

struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    by_name: HashMap<String, usize>,
}

impl Csv {
    fn col(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }
    fn get<'a>(&self, row: &'a [String], name: &str) -> Option<&'a str> {
        self.col(name).and_then(|c| row.get(c)).map(String::as_str)
    }
}

fn read_csv(path: &Path) -> Result<Csv, TableError> {
    let err = |source| TableError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::Reader::from_path(path).map_err(err)?;
    let header: Vec<String> = reader
        .headers()
        .map_err(err)?
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_string).collect()))
        .collect::<Result<Vec<Vec<String>>, _>>()
        .map_err(err)?;
    let by_name = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.clone(), i))
        .collect();
    Ok(Csv {
        header,
        rows,
        by_name,
    })
}
