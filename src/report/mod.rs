//! Reports evaluators download: a region's profile and a cohort's ranking, as PDF, Excel
//! workbook and CSV.
//!
//! [`gather()`] collects everything a report says, once, from a scoring run ([`Snapshot`]), the
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

mod appendix;
pub mod cache;
pub mod csv;
mod data;
mod gather;
pub mod pdf;
mod profile;
mod ranking;
mod subject;
mod tables;
pub mod xlsx;

use polars::prelude::PolarsError;

use crate::framework::Framework;
use crate::job::Snapshot;
use crate::region::{Level, Regions};
use crate::score::{Granularity, ScoreBook, Scores};

pub use cache::{ReportCache, ReportKey};
pub use data::{
    ActivityRow, DimensionRow, FrameworkRow, IndicatorRow, Profile, RankRange, RankedRegion,
    ReportData, SourceRow,
};
pub use gather::{gather, prepare, rank_intervals};
pub use ranking::signed;
pub use subject::{Audience, Cohort, ReportFormat, Subject};
pub use tables::{COHORT_TABLES, Cell, REGION_TABLES, Table};

/// The settings of a report's rank intervals: the scoring run's shared analysis, as the
/// dashboard's rank-interval chart shows it.
pub const SENSITIVITY: crate::analysis::sensitivity::MonteCarlo =
    crate::analysis::sensitivity::MonteCarlo::SHARED;

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
                &self.snapshot.book,
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
