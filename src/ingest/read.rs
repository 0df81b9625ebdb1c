//! Readers: bytes of a CSV, Excel or JSON file in, one all-text table out.
//!
//! Every reader produces the same shape, a [`RawTable`]: canonical column names (see
//! [`super::schema`]), every cell as text or null, and the row number as the person who made the
//! file sees it. This module picks the reader by format and hands out the table in batches: CSV
//! is read by [`super::delimited`] batch by batch, JSON by [`super::json`] and workbooks here,
//! whole, a workbook only when it is within [`Limits::file_bytes`]. Header rows below titles
//! and merged header cells are handled here; judging cell values is not.

use std::io::Cursor;

use calamine::{Data, Reader};
use polars::prelude::*;

use super::delimited::{CsvBatches, CsvSource, decode, decode_owned, read_csv};
use super::format::InputFormat;
use super::limits::{Bound, Gate, Limits};
use super::parse::NumberStyle;
use super::{IngestError, json, schema};
use crate::store::cols;

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
            read_workbook(name, bytes, format, sheet)
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

fn invalid(name: &str, message: impl Into<String>) -> IngestError {
    IngestError::Unreadable {
        path: name.into(),
        message: message.into(),
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
pub(super) fn dedupe_names(columns: &mut [Column]) {
    let mut seen = std::collections::HashSet::new();
    for c in columns.iter_mut() {
        let mut name = c.name().to_string();
        let mut n = 2;
        while !seen.insert(name.clone()) {
            if schema::canonical_column(&name).is_some() {
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

/// Text of a spreadsheet cell: numbers without a spurious `.0`, dates as ISO.
fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        Data::Float(f) => Some(f.to_string()),
        Data::Int(i) => Some(i.to_string()),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|d| d.date().format("%Y-%m-%d").to_string())
            .or_else(|| Some(dt.as_f64().to_string())),
        Data::DateTimeIso(s) => Some(s.split('T').next().unwrap_or(s).to_string()),
        Data::DurationIso(s) => Some(s.clone()),
        Data::Error(e) => Some(format!("#{e:?}")),
    }
}

const TOTAL_WORDS: [&str; 4] = ["total", "jumlah", "grand total", "sub total"];

fn read_workbook(
    name: &str,
    bytes: &[u8],
    format: InputFormat,
    sheet: Option<&str>,
) -> Result<RawTable, IngestError> {
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| invalid(name, format!("is not a readable {format} workbook: {e}")))?;
    let names = workbook.sheet_names();
    let sheet_name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(s))
            .cloned()
            .ok_or_else(|| {
                invalid(
                    name,
                    format!("has no sheet {s:?}; its sheets are: {}", names.join(", ")),
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| invalid(name, "has no sheets"))?,
    };
    let range = workbook
        .worksheet_range(&sheet_name)
        .map_err(|e| invalid(name, format!("sheet {sheet_name:?} cannot be read: {e}")))?;
    let (row0, _) = range.start().unwrap_or((0, 0));
    let rows: Vec<Vec<Option<String>>> = range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();

    let known = |row: &[Option<String>]| {
        row.iter()
            .flatten()
            .filter(|c| schema::canonical_column(c).is_some())
            .count()
    };
    // The header is the row (of the first 30) naming the most known columns, at least three;
    // titles above the table are common, and in a two-level header the lower row wins a tie.
    let header_idx = rows
        .iter()
        .take(30)
        .enumerate()
        .map(|(i, r)| (known(r), i))
        .filter(|(n, _)| *n >= 3)
        .max()
        .map(|(_, i)| i)
        .ok_or_else(|| {
            invalid(
                name,
                format!(
                    "sheet {sheet_name:?} has no header row naming the activity columns ({}) in its first 30 rows",
                    schema::REQUIRED_COLUMNS.join(", ")
                ),
            )
        })?;
    // Merged header cells keep their value in the top-left cell only: a blank header cell takes
    // the nearest known column name above it, within the rows above the header.
    let width = rows[header_idx].len();
    let mut header: Vec<String> = Vec::with_capacity(width);
    for c in 0..width {
        let mut h = rows[header_idx][c].clone();
        if h.is_none() {
            h = (0..header_idx)
                .rev()
                .filter_map(|r| rows[r].get(c).cloned().flatten())
                .find(|t| schema::canonical_column(t).is_some());
        }
        header.push(h.unwrap_or_else(|| format!("column_{}", c + 1)));
    }

    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); width];
    let mut source_rows = Vec::new();
    let mut notes = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(header_idx + 1) {
        if row.iter().all(Option::is_none) {
            continue;
        }
        let excel_row = (row0 as usize + i + 1) as i64;
        let first = row.iter().flatten().next().map(|s| s.to_lowercase());
        if first
            .as_deref()
            .is_some_and(|f| TOTAL_WORDS.iter().any(|w| f.starts_with(w)))
        {
            notes.push(format!(
                "row {excel_row} looks like a totals row and was skipped"
            ));
            continue;
        }
        for (c, col) in columns.iter_mut().enumerate() {
            col.push(row.get(c).cloned().flatten());
        }
        source_rows.push(excel_row);
    }
    let height = source_rows.len();
    let mut frame_cols: Vec<Column> = header
        .iter()
        .zip(columns)
        .map(|(h, values)| Column::new(h.as_str().into(), values))
        .collect();
    dedupe_names(&mut frame_cols);
    let mut df = DataFrame::new(height, frame_cols).map_err(|e| polars_err(name, e))?;
    schema::canonicalise_header(&mut df, name)?;
    df.with_column(Column::new(cols::SOURCE_ROW.into(), source_rows))
        .map_err(|e| polars_err(name, e))?;
    Ok(RawTable {
        frame: df,
        fallback_style: NumberStyle::DecimalComma,
        notes,
    })
}
