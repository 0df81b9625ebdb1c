//! Regional targets: a masterplan's target per indicator, per region and period, used as each
//! region's own goalpost ([`engine::Methods::to_target`](super::engine::Methods::to_target)).
//!
//! A targets file is CSV (comma- or semicolon-separated, UTF-8) with a header and one target per
//! row:
//!
//! ```text
//! region_code,indicator,period,target
//! 35.09.01,umkm_go_online,2025,12.5
//! ```
//!
//! * `region_code` (`kode_wilayah`, `kode`, `region`): the Kemendagri code of the scored unit (a
//!   kecamatan `35.09.01` when scoring kecamatan);
//! * `indicator` (`indikator`): an indicator id of the framework;
//! * `period` (`periode`, `tahun`, `year`): a period label as the scores use it, `2025`,
//!   `2025-Q3` or `2025-07`; a target applies only to that exact period (a yearly target is not
//!   split over quarters);
//! * `target` (`sasaran`, `nilai_target`): a non-negative number in the indicator's own units
//!   after its denominator (e.g. per 10,000 residents), the value the masterplan aims at.
//!
//! Header names are matched case-insensitively; other columns (a note, a source) are ignored, and
//! so are lines starting with `#` (comments).
//! Rows are numbered as lines of the file (the header is row 1). A row with an unknown
//! indicator, a malformed region code or period, a missing, negative or non-numeric target, or a
//! second target for the same region, indicator and period rejects the whole file, naming the
//! file and the row. Region codes are checked against the region list when scoring
//! ([`Targets::check_regions`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::engine::TargetSource;
use crate::region::{RegionCode, Regions};

/// What a targets file failed on.
#[derive(Debug, thiserror::Error)]
pub enum TargetsError {
    /// The file could not be read.
    #[error("cannot read targets file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The CSV is malformed (e.g. a row with the wrong number of fields).
    #[error("targets file {path}, row {row}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The row (line number; 0 when unknown).
        row: u64,
        /// The cause.
        source: csv::Error,
    },
    /// A required column is missing from the header.
    #[error("targets file {path}, row 1 (header): no column {column:?} (found: {found})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column (its English name).
        column: &'static str,
        /// The header as found.
        found: String,
    },
    /// A row is wrong.
    #[error("targets file {path}, row {row}: {message}")]
    Row {
        /// The file.
        path: PathBuf,
        /// The row (line number; the header is row 1).
        row: u64,
        /// What is wrong, e.g. `unknown indicator "x"`.
        message: String,
    },
}

/// One target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The region it is for.
    pub region: RegionCode,
    /// The indicator id.
    pub indicator: String,
    /// The period label (`2025`, `2025-Q3`, `2025-07`).
    pub period: String,
    /// The target value, in the indicator's units after its denominator.
    pub target: f64,
    /// Its row in the file.
    pub row: u64,
}

/// The targets of a file, looked up by region, indicator and period.
#[derive(Debug, Clone)]
pub struct Targets {
    /// The file they were read from.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// The targets in file order.
    pub targets: Vec<Target>,
    index: HashMap<(String, String, String), usize>,
}

/// The columns, each with the header names that are accepted for it.
const COLUMNS: [(&str, &[&str]); 4] = [
    (
        "region_code",
        &[
            "region_code",
            "region",
            "kode_wilayah",
            "kode_kemendagri",
            "kode",
        ],
    ),
    ("indicator", &["indicator", "indikator"]),
    ("period", &["period", "periode", "tahun", "year"]),
    ("target", &["target", "sasaran", "nilai_target"]),
];

/// Whether a label is a period label: `2025`, `2025-Q3` or `2025-07`.
fn is_period(p: &str) -> bool {
    let b = p.as_bytes();
    let year = b.len() >= 4 && b[..4].iter().all(u8::is_ascii_digit);
    match b.len() {
        4 => year,
        7 if b[4] == b'-' && b[5] == b'Q' => year && (b'1'..=b'4').contains(&b[6]),
        7 if b[4] == b'-' => {
            year && matches!(p[5..].parse::<u8>(), Ok(1..=12)) && b[5].is_ascii_digit()
        }
        _ => false,
    }
}

impl Targets {
    /// Read and check a targets file against the framework's indicator ids.
    pub fn load<'a>(
        path: &Path,
        indicators: impl IntoIterator<Item = &'a str>,
    ) -> Result<Targets, TargetsError> {
        let bytes = std::fs::read(path).map_err(|source| TargetsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Targets::parse(path, &bytes, indicators)
    }

    /// As [`Targets::load`], from the file's bytes.
    pub fn parse<'a>(
        path: &Path,
        bytes: &[u8],
        indicators: impl IntoIterator<Item = &'a str>,
    ) -> Result<Targets, TargetsError> {
        let known: HashSet<&str> = indicators.into_iter().collect();
        let sha256 = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let first_line = text
            .split(|b| *b == b'\n')
            .find(|l| !l.starts_with(b"#"))
            .unwrap_or_default();
        let delimiter = if !first_line.contains(&b',') && first_line.contains(&b';') {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(text);
        let csv_err = |source: csv::Error| TargetsError::Csv {
            path: path.to_path_buf(),
            row: source.position().map_or(0, |p| p.line()),
            source,
        };
        let header = reader.headers().map_err(csv_err)?.clone();
        let mut at = [0usize; 4];
        for (k, (name, aliases)) in COLUMNS.iter().enumerate() {
            at[k] = header
                .iter()
                .position(|h| aliases.contains(&h.to_lowercase().as_str()))
                .ok_or_else(|| TargetsError::MissingColumn {
                    path: path.to_path_buf(),
                    column: name,
                    found: header.iter().collect::<Vec<_>>().join(","),
                })?;
        }
        let mut targets = Vec::new();
        let mut index = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(csv_err)?;
            let row = record.position().map_or(0, |p| p.line());
            let bad = |message: String| TargetsError::Row {
                path: path.to_path_buf(),
                row,
                message,
            };
            if record.iter().all(str::is_empty) {
                continue;
            }
            let field = |k: usize| record.get(at[k]).unwrap_or_default();
            let region = RegionCode::parse(field(0))
                .map_err(|e| bad(format!("{:?} is not a Kemendagri region code", e.0)))?;
            let indicator = field(1);
            if !known.contains(indicator) {
                return Err(bad(format!(
                    "unknown indicator {indicator:?}: not an indicator of the framework"
                )));
            }
            let period = field(2);
            if !is_period(period) {
                return Err(bad(format!(
                    "period {period:?} is not a period label (2025, 2025-Q3 or 2025-07)"
                )));
            }
            let value = field(3);
            let target = value
                .parse::<f64>()
                .ok()
                .filter(|t| t.is_finite() && *t >= 0.0)
                .ok_or_else(|| {
                    bad(format!(
                        "target must be a non-negative number, got {value:?}"
                    ))
                })?;
            let key = (
                region.as_str().to_string(),
                indicator.to_string(),
                period.to_string(),
            );
            if let Some(&first) = index.get(&key) {
                let first: &Target = &targets[first];
                return Err(bad(format!(
                    "a second target for region {}, indicator {indicator:?}, period {period} \
                     (the first is on row {})",
                    region.as_str(),
                    first.row
                )));
            }
            index.insert(key, targets.len());
            targets.push(Target {
                region,
                indicator: indicator.to_string(),
                period: period.to_string(),
                target,
                row,
            });
        }
        Ok(Targets {
            path: path.to_path_buf(),
            sha256,
            targets,
            index,
        })
    }

    /// Reject a target for a region that is not in the region list, naming its row.
    pub fn check_regions(&self, regions: &Regions) -> Result<(), TargetsError> {
        match self.targets.iter().find(|t| !regions.contains(&t.region)) {
            Some(t) => Err(TargetsError::Row {
                path: self.path.clone(),
                row: t.row,
                message: format!("unknown region {:?}", t.region.as_str()),
            }),
            None => Ok(()),
        }
    }

    /// The target of a region for an indicator and period.
    pub fn get(&self, region: &str, indicator: &str, period: &str) -> Option<f64> {
        self.index
            .get(&(
                region.to_string(),
                indicator.to_string(),
                period.to_string(),
            ))
            .map(|&i| self.targets[i].target)
    }

    /// Number of targets.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the file holds no target.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// What to record with the results: the file as `name` says it, its checksum and size.
    pub fn source(&self, name: &str) -> TargetSource {
        TargetSource {
            file: name.to_string(),
            sha256: self.sha256.clone(),
            targets: self.targets.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: [&str; 2] = ["a1", "b1"];

    fn parse(text: &str) -> Result<Targets, TargetsError> {
        Targets::parse(Path::new("t.csv"), text.as_bytes(), IDS)
    }

    fn rejected(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn a_targets_file_is_read_and_looked_up_by_region_indicator_and_period() {
        let t = parse(
            "# a comment\nregion_code,indicator,period,target,note\n\
             99.01.01,a1,2024,20,RPJMD\n99.01.02, a1 ,2024-Q3, 4.5 ,\n",
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.get("99.01.01", "a1", "2024"), Some(20.0));
        assert_eq!(t.get("99.01.02", "a1", "2024-Q3"), Some(4.5));
        assert_eq!(t.get("99.01.02", "a1", "2024"), None);
        assert_eq!(t.get("99.01.01", "b1", "2024"), None);
        // Rows are lines of the file, comments included.
        assert_eq!(t.targets[0].row, 3);
        assert_eq!(t.sha256.len(), 64);
        let source = t.source("t.csv");
        assert_eq!((source.file.as_str(), source.targets), ("t.csv", 2));
    }

    #[test]
    fn indonesian_headers_and_semicolons_are_accepted() {
        let t = parse("Kode_Wilayah;Indikator;Tahun;Sasaran\n99.01.01;b1;2025;3\n").unwrap();
        assert_eq!(t.get("99.01.01", "b1", "2025"), Some(3.0));
    }

    #[test]
    fn an_unknown_indicator_is_rejected_naming_the_file_and_row() {
        let err = rejected(
            "region_code,indicator,period,target\n99.01.01,a1,2024,1\n99.01.01,zz,2024,1\n",
        );
        assert!(
            err.contains("t.csv")
                && err.contains("row 3")
                && err.contains("unknown indicator \"zz\""),
            "{err}"
        );
    }

    #[test]
    fn a_negative_empty_or_non_numeric_target_is_rejected() {
        for bad in ["-1", "lima", "", "NaN", "inf"] {
            let err = rejected(&format!(
                "region_code,indicator,period,target\n99.01.01,a1,2024,{bad}\n"
            ));
            assert!(
                err.contains("t.csv")
                    && err.contains("row 2")
                    && err.contains("non-negative number")
                    && err.contains(&format!("{bad:?}")),
                "{err}"
            );
        }
    }

    #[test]
    fn a_malformed_region_or_period_or_a_duplicate_is_rejected() {
        let err = rejected("region_code,indicator,period,target\n35.9.1,a1,2024,1\n");
        assert!(err.contains("row 2") && err.contains("\"35.9.1\""), "{err}");
        let err = rejected("region_code,indicator,period,target\n99.01.01,a1,2024-13,1\n");
        assert!(
            err.contains("row 2") && err.contains("\"2024-13\""),
            "{err}"
        );
        let err = rejected(
            "region_code,indicator,period,target\n99.01.01,a1,2024,1\n99.01.01,a1,2024,2\n",
        );
        assert!(
            err.contains("row 3") && err.contains("second target") && err.contains("row 2"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_column_is_rejected_naming_it() {
        let err = rejected("region_code,indicator,target\n99.01.01,a1,1\n");
        assert!(
            err.contains("t.csv") && err.contains("row 1") && err.contains("no column \"period\""),
            "{err}"
        );
        // A row short of a field.
        let err =
            rejected("region_code,indicator,period,target\n99.01.01,a1,2024,1\n99.01.02,a1,2024\n");
        assert!(err.contains("t.csv") && err.contains("row 3"), "{err}");
    }

    #[test]
    fn a_region_not_in_the_region_list_is_rejected_naming_the_row() {
        let t =
            parse("region_code,indicator,period,target\n99.01.01,a1,2024,1\n99.01.09,a1,2024,1\n")
                .unwrap();
        let mut regions = Regions::default();
        let code = RegionCode::parse("99.01.01").unwrap();
        regions.insert(crate::region::Region {
            level: code.level(),
            name: "R".into(),
            code,
            population: None,
            area_km2: None,
            bps_code: None,
        });
        let err = t.check_regions(&regions).unwrap_err().to_string();
        assert!(
            err.contains("t.csv")
                && err.contains("row 3")
                && err.contains("unknown region \"99.01.09\""),
            "{err}"
        );
    }

    #[test]
    fn period_labels_are_years_quarters_or_months() {
        for ok in ["2025", "2025-Q1", "2025-Q4", "2025-01", "2025-12"] {
            assert!(is_period(ok), "{ok}");
        }
        for bad in [
            "25", "2025-Q5", "2025-00", "2025-13", "2025-1", "2025/07", "2025-+1",
        ] {
            assert!(!is_period(bad), "{bad}");
        }
    }
}
