//! Readers: bytes of a CSV, Excel or JSON file in, one all-text table out.
//!
//! Every reader produces the same shape, a [`RawTable`]: canonical column names (see
//! [`super::schema`]), every cell as text or null, and the row number as the person who made the
//! file sees it. This module picks the reader by format and hands out the table in batches: CSV
//! is read by [`super::delimited`] batch by batch, workbooks by [`super::workbook`] and JSON by
//! [`super::json`] whole, a file read whole only when it is within [`Limits::file_bytes`]. Every
//! reader holds the file to the bounds of [`Limits`]. Judging cell values is not done here.

use polars::prelude::*;

use super::delimited::{CsvBatches, CsvSource, decode, decode_owned, read_csv};
use super::format::InputFormat;
use super::limits::{Bound, Gate, Limits};
use super::parse::NumberStyle;
use super::{IngestError, json, schema, workbook};

/// A table read from a file, before validation.
#[derive(Debug)]
pub struct RawTable {
    /// Canonical text columns plus `source_row` (Int64).
    pub frame: DataFrame,
    /// The number style to assume when the cells do not decide it.
    pub fallback_style: NumberStyle,
    /// Things the reader skipped that the person should know about (e.g. a totals row).
    pub notes: Vec<String>,
}

/// Read `bytes` (named `name`) in `format` within `limits`; `sheet` picks an Excel sheet by
/// name.
pub fn read(
    name: &str,
    bytes: &[u8],
    format: InputFormat,
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<RawTable, IngestError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::Empty { path: name.into() });
    }
    match format {
        InputFormat::Csv => read_csv(name, bytes, limits),
        InputFormat::Xlsx | InputFormat::Xls | InputFormat::Ods => {
            Gate::new(name, limits).check(Bound::FileBytes, bytes.len() as u64, || {
                format!("it is {}", Bound::FileBytes.amount(bytes.len() as u64))
            })?;
            workbook::read(name, bytes, format, sheet, limits)
        }
        InputFormat::Json | InputFormat::Ndjson => json::read(name, bytes, format, limits),
    }
}

/// A file read batch by batch: CSV files larger than a batch (16 MB) are cut into row
/// batches at record boundaries, so memory holds one batch of cells at a time; other formats
/// come as one batch.
pub enum Batches<'a> {
    /// A CSV file, cut as it is read.
    Csv(CsvBatches<'a>),
    /// A table read whole (Excel, JSON), not yet handed out.
    Whole(Option<RawTable>),
}

impl Batches<'_> {
    /// The next batch, `None` after the last.
    pub fn next_batch(&mut self) -> Result<Option<RawTable>, IngestError> {
        match self {
            Batches::Csv(csv) => csv.next_batch(),
            Batches::Whole(table) => Ok(table.take()),
        }
    }
}

/// Read `bytes` (named `name`) in `format` batch by batch within `limits`; `sheet` picks an
/// Excel sheet.
pub fn batches<'a>(
    name: &'a str,
    bytes: &'a [u8],
    format: InputFormat,
    sheet: Option<&str>,
    limits: &'a Limits,
) -> Result<Batches<'a>, IngestError> {
    in_memory(
        name,
        std::borrow::Cow::Borrowed(bytes),
        format,
        sheet,
        limits,
    )
}

/// Read the file at `path` (named `name`) in `format` batch by batch within `limits`. A UTF-8
/// CSV file (`utf8`: the caller has checked the whole file) is read from disk as the batches
/// go, so it is never in memory whole; other files are read whole first, a workbook or JSON
/// file only when it is within [`Limits::file_bytes`]. `progress` hears the bytes read.
pub fn file_batches<'a>(
    name: &'a str,
    path: &std::path::Path,
    format: InputFormat,
    sheet: Option<&str>,
    utf8: bool,
    progress: Option<&'a (dyn Fn(u64) + Send + Sync)>,
    limits: &'a Limits,
) -> Result<Batches<'a>, IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    if format == InputFormat::Csv && utf8 {
        let file = std::fs::File::open(path).map_err(io)?;
        return Ok(Batches::Csv(CsvBatches::new(
            name,
            CsvSource::file(name, file, progress)?,
            limits,
        )?));
    }
    if format != InputFormat::Csv {
        // Told by the file system, before a byte is read.
        let len = std::fs::metadata(path).map_err(io)?.len();
        Gate::new(name, limits).check(Bound::FileBytes, len, || {
            format!("it is {}", Bound::FileBytes.amount(len))
        })?;
    }
    let bytes = std::fs::read(path).map_err(io)?;
    if let Some(report) = progress {
        report(bytes.len() as u64);
    }
    in_memory(name, std::borrow::Cow::Owned(bytes), format, sheet, limits)
}

/// Batches of bytes held in memory, borrowed (an upload) or owned (a file read whole).
fn in_memory<'a>(
    name: &'a str,
    bytes: std::borrow::Cow<'a, [u8]>,
    format: InputFormat,
    sheet: Option<&str>,
    limits: &'a Limits,
) -> Result<Batches<'a>, IngestError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::Empty { path: name.into() });
    }
    match (format, bytes) {
        (InputFormat::Csv, std::borrow::Cow::Borrowed(b)) => Ok(Batches::Csv(CsvBatches::new(
            name,
            CsvSource::text(decode(name, b)?),
            limits,
        )?)),
        (InputFormat::Csv, std::borrow::Cow::Owned(b)) => Ok(Batches::Csv(CsvBatches::new(
            name,
            CsvSource::text(decode_owned(name, b)?),
            limits,
        )?)),
        (_, b) => Ok(Batches::Whole(Some(read(name, &b, format, sheet, limits)?))),
    }
}

/// The refusal of a file because polars failed on it (a bug, not bad data).
pub(super) fn polars_err(name: &str, source: PolarsError) -> IngestError {
    IngestError::Polars {
        path: name.into(),
        source,
    }
}

/// Unknown extra columns may share a name (two blank headers); give them distinct names so
/// the frame can be built. Known columns appearing twice are caught by the header check.
pub(super) fn dedupe_names(columns: &mut [Column], contract: schema::Contract) {
    let mut seen = std::collections::HashSet::new();
    for c in columns.iter_mut() {
        let mut name = c.name().to_string();
        let mut n = 2;
        while !seen.insert(name.clone()) {
            if contract.canonical(&name).is_some() {
                // Leave it: the header check reports the duplicate with both spellings.
                name = format!("{} ", c.name());
            } else {
                name = format!("{}_{n}", c.name());
            }
            n += 1;
        }
        c.rename(name.into());
    }
}
