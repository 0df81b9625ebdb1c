//! Ingest: activity files in, a validated [`Activities`] table and a report out.
//!
//! Reads the canonical activity CSV (DOMAIN.md; English or Indonesian headers, comma-separated,
//! UTF-8) into polars with every column as text, then checks each row: required fields present,
//! date valid and not in the future, region code known, programme known and consistent with the
//! dimension, quantity/participants/budget non-negative numbers. Rows that fail are kept in the
//! report with file, row (as a spreadsheet shows it), column, value and reason in Indonesian and
//! English; they are never dropped silently. A repeated `activity_id` counts once (the first one
//! read wins). A file that cannot be read at all is reported whole and the other files still go in.
//!
//! Not here yet: delimiter/encoding detection, Excel, remote sources, the persistent store.

mod schema;
mod validate;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use crate::framework::Framework;
use crate::region::Regions;
use crate::store::{Activities, ContractError, cols};

pub use schema::{REQUIRED_COLUMNS, canonical_column};

/// Why a whole file could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be opened.
    #[error("cannot open {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file has no header row at all.
    #[error("{path} is empty: expected a header row with {}", REQUIRED_COLUMNS.join(", "))]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The CSV is malformed.
    #[error("{path} is not a readable CSV file: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        source: PolarsError,
    },
    /// Required columns are absent from the header.
    #[error("{path} lacks required column(s) {}; header found: {}", missing.join(", "), found.join(", "))]
    MissingColumns {
        /// The file.
        path: PathBuf,
        /// Canonical names of the missing columns.
        missing: Vec<String>,
        /// The header as written in the file.
        found: Vec<String>,
    },
    /// Two header cells mean the same column.
    #[error("{path} has column {column:?} twice (headers {first:?} and {second:?})")]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// Canonical column name.
        column: String,
        /// First header cell.
        first: String,
        /// Second header cell.
        second: String,
    },
    /// polars failed during validation (a bug, not bad data).
    #[error("validating {path} failed: {source}")]
    Polars {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: PolarsError,
    },
    /// The validated table broke the contract (a bug, not bad data).
    #[error(transparent)]
    Contract(#[from] ContractError),
}

/// One row that was not accepted, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rejection {
    /// File name the row came from.
    pub source: String,
    /// Row number as a spreadsheet shows it (the header is row 1).
    pub row: i64,
    /// Canonical name of the offending column.
    pub column: String,
    /// The offending value as written, if any.
    pub value: Option<String>,
    /// Reason in Bahasa Indonesia.
    pub reason_id: String,
    /// Reason in English.
    pub reason_en: String,
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize, Default)]
pub struct FileReport {
    /// File name.
    pub source: String,
    /// Data rows read (header excluded).
    pub rows: usize,
    /// Rows accepted into the table.
    pub accepted: usize,
    /// Rows rejected (see [`IngestReport::rejections`]).
    pub rejected: usize,
    /// Valid rows whose `activity_id` had already been read.
    pub duplicates: usize,
    /// Why the whole file was refused, if it was.
    pub error: Option<String>,
}

/// The outcome of an ingest run, for logs, the CLI and the API.
#[derive(Debug, Clone, Serialize, Default)]
pub struct IngestReport {
    /// One entry per file, in the order read.
    pub files: Vec<FileReport>,
    /// Every rejected row.
    pub rejections: Vec<Rejection>,
}

impl IngestReport {
    /// Total rows read across files.
    pub fn rows(&self) -> usize {
        self.files.iter().map(|f| f.rows).sum()
    }
    /// Total rows accepted.
    pub fn accepted(&self) -> usize {
        self.files.iter().map(|f| f.accepted).sum()
    }
    /// Total rows rejected.
    pub fn rejected(&self) -> usize {
        self.files.iter().map(|f| f.rejected).sum()
    }
    /// Total duplicate rows skipped.
    pub fn duplicates(&self) -> usize {
        self.files.iter().map(|f| f.duplicates).sum()
    }
    /// Files refused whole.
    pub fn failed_files(&self) -> impl Iterator<Item = &FileReport> {
        self.files.iter().filter(|f| f.error.is_some())
    }
}

/// What ingest validates against.
#[derive(Clone, Copy)]
pub struct Reference<'a> {
    /// Known regions.
    pub regions: &'a Regions,
    /// Framework with its programme catalogue.
    pub framework: &'a Framework,
    /// Dates after this are rejected as "in the future".
    pub today: NaiveDate,
}

/// The accepted table and the report.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// Accepted, de-duplicated activities.
    pub activities: Activities,
    /// What was read, accepted and rejected.
    pub report: IngestReport,
}

/// The activity files in `dir`: every `*.csv`, sorted by name so runs are reproducible.
pub fn activity_files(dir: &Path) -> Result<Vec<PathBuf>, IngestError> {
    let entries = std::fs::read_dir(dir).map_err(|source| IngestError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    Ok(files)
}

/// Ingest `files` in order. A file that cannot be read is reported and skipped; the others go in.
pub fn ingest_files(files: &[PathBuf], reference: Reference<'_>) -> Result<Ingested, IngestError> {
    let lookups = validate::Lookups::new(reference).map_err(|source| IngestError::Polars {
        path: PathBuf::new(),
        source,
    })?;
    let mut report = IngestReport::default();
    let mut frames = Vec::new();
    let mut seen_ids: HashSet<String> = HashSet::new();
    for path in files {
        let source = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut file_report = FileReport {
            source: source.clone(),
            ..FileReport::default()
        };
        let outcome = read_csv(path).and_then(|raw| {
            file_report.rows = raw.height();
            validate::validate(raw, &source, &lookups).map_err(|source| IngestError::Polars {
                path: path.clone(),
                source,
            })
        });
        match outcome {
            Ok(checked) => {
                let (accepted, duplicates) = drop_seen_ids(checked.accepted, &mut seen_ids)
                    .map_err(|source| IngestError::Polars {
                        path: path.clone(),
                        source,
                    })?;
                file_report.accepted = accepted.height();
                file_report.duplicates = duplicates;
                file_report.rejected = checked.rejections.len();
                report.rejections.extend(checked.rejections);
                frames.push(accepted);
            }
            // Bugs surface; bad files are reported and the run goes on.
            Err(e @ (IngestError::Polars { .. } | IngestError::Contract(_))) => return Err(e),
            Err(e) => file_report.error = Some(e.to_string()),
        }
        report.files.push(file_report);
    }
    let activities = match frames.len() {
        0 => Activities::empty(),
        _ => {
            let mut frames = frames.into_iter();
            let mut all = frames.next().expect("one frame at least");
            for f in frames {
                all.vstack_mut(&f).map_err(|source| IngestError::Polars {
                    path: PathBuf::new(),
                    source,
                })?;
            }
            all.rechunk_mut();
            Activities::new(all)?
        }
    };
    Ok(Ingested { activities, report })
}

/// Keep the first occurrence of each `activity_id` across the whole run; count the rest.
fn drop_seen_ids(df: DataFrame, seen: &mut HashSet<String>) -> PolarsResult<(DataFrame, usize)> {
    let ids = df.column(cols::ACTIVITY_ID)?.str()?;
    let mask: BooleanChunked = ids
        .iter()
        .map(|id| Some(id.is_some_and(|id| seen.insert(id.to_string()))))
        .collect();
    let duplicates = mask.len() - mask.sum().unwrap_or(0) as usize;
    let kept = if duplicates == 0 {
        df
    } else {
        df.filter(&mask)?
    };
    Ok((kept, duplicates))
}

/// Read a CSV with every column as text and headers mapped to canonical names.
fn read_csv(path: &Path) -> Result<DataFrame, IngestError> {
    let meta = std::fs::metadata(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.len() == 0 {
        return Err(IngestError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        // Every column as text: types are decided by validation, row by row, so one bad cell
        // rejects one row instead of failing the file.
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|r| r.finish())
        .map_err(|source| IngestError::Csv {
            path: path.to_path_buf(),
            source,
        })?;
    schema::canonicalise_header(&mut df, path)?;
    Ok(df)
}

#[cfg(test)]
mod tests;
