//! One sheet's cells with a value in, the all-text table of activities out: the header row
//! found below title rows, merged header cells filled from the row above, empty rows and a
//! trailing totals row skipped (with a note), row numbers as the spreadsheet shows them.
//!
//! The sheet is used as the spreadsheet shows it: from its first row and column holding a
//! value to its last. Only cells with a value are held until the table is laid out, and the
//! table (data rows × header width) is laid out only when it is within the cell bound.

use polars::prelude::*;

use super::super::IngestError;
use super::super::limits::{Bound, Gate};
use super::super::parse::NumberStyle;
use super::super::read::{RawTable, dedupe_names, polars_err};
use super::super::schema::{self, Contract};
use super::Cells;
use crate::store::cols;

const TOTAL_WORDS: [&str; 4] = ["total", "jumlah", "grand total", "sub total"];

/// The header is looked for in this many rows from the sheet's first.
const HEADER_ROWS: u32 = 30;

/// One row of the sheet: its 0-based number and its cells (column from the sheet's first,
/// text), in column order.
/// The header row's names, `width` of them. Merged header cells keep their value in the
/// top-left cell only: a blank header cell takes the nearest known column name above it, within
/// the rows above the header.
fn header_names(rows: &[Row], header_idx: usize, width: usize, contract: Contract) -> Vec<String> {
    (0..width as u32)
        .map(|c| {
            rows[header_idx]
                .get(c)
                .or_else(|| {
                    rows[..header_idx]
                        .iter()
                        .rev()
                        .filter_map(|r| r.get(c))
                        .find(|t| contract.canonical(t).is_some())
                })
                .map_or_else(|| format!("column_{}", c + 1), str::to_string)
        })
        .collect()
}

struct Row {
    number: u32,
    cells: Vec<(u32, String)>,
}

impl Row {
    fn get(&self, col: u32) -> Option<&str> {
        self.cells
            .binary_search_by_key(&col, |(c, _)| *c)
            .ok()
            .map(|i| self.cells[i].1.as_str())
    }
}

/// The table of `cells` (see the module documentation).
pub fn build(gate: &Gate<'_>, cells: Cells<'_>) -> Result<RawTable, IngestError> {
    let name = gate.file;
    let contract = gate.limits.contract;
    let sheet_name = cells.sheet;
    let mut cells = cells.cells;
    // In reading order, and a cell given twice keeps its last value, as Excel does.
    cells.sort_by_key(|&(r, c, _)| (r, c));
    cells.reverse();
    cells.dedup_by_key(|&mut (r, c, _)| (r, c));
    cells.reverse();
    let first_col = cells.iter().map(|&(_, c, _)| c).min().unwrap_or(0);
    let width = cells
        .iter()
        .map(|&(_, c, _)| c - first_col + 1)
        .max()
        .unwrap_or(0) as usize;
    let mut rows: Vec<Row> = Vec::new();
    for (r, c, text) in cells {
        match rows.last_mut() {
            Some(row) if row.number == r => row.cells.push((c - first_col, text)),
            _ => rows.push(Row {
                number: r,
                cells: vec![(c - first_col, text)],
            }),
        }
    }
    let first_row = rows.first().map_or(0, |r| r.number);

    let known = |row: &Row| {
        row.cells
            .iter()
            .filter(|(_, t)| contract.canonical(t).is_some())
            .count()
    };
    // The header is the row (of the first 30) naming the most known columns, at least three;
    // titles above the table are common, and in a two-level header the lower row wins a tie.
    let header_idx = rows
        .iter()
        .enumerate()
        .take_while(|(_, r)| r.number < first_row.saturating_add(HEADER_ROWS))
        .map(|(i, r)| (known(r), i))
        .filter(|(n, _)| *n >= 3)
        .max()
        .map(|(_, i)| i)
        .ok_or_else(|| IngestError::Unreadable {
            path: name.into(),
            message: format!(
                "sheet {sheet_name:?} has no header row naming the {} columns ({}) in its first 30 rows",
                contract.noun(),
                contract.required().join(", ")
            ),
        })?;
    let header = header_names(&rows, header_idx, width, contract);

    let data_rows = rows.len() - header_idx - 1;
    let laid_out = (data_rows as u64).saturating_mul(width as u64);
    gate.check(Bound::Cells, laid_out, || {
        format!(
            "the table of sheet {sheet_name:?} is {} rows of {} columns, {} cells",
            Gate::n(data_rows as u64),
            Gate::n(width as u64),
            Gate::n(laid_out)
        )
    })?;
    let mut columns: Vec<Vec<Option<String>>> =
        (0..width).map(|_| Vec::with_capacity(data_rows)).collect();
    let mut source_rows = Vec::with_capacity(data_rows);
    let mut notes = Vec::new();
    for row in rows.into_iter().skip(header_idx + 1) {
        let excel_row = i64::from(row.number) + 1;
        let first = row.cells.first().map(|(_, t)| t.to_lowercase());
        if first
            .as_deref()
            .is_some_and(|f| TOTAL_WORDS.iter().any(|w| f.starts_with(w)))
        {
            notes.push(format!(
                "row {excel_row} looks like a totals row and was skipped"
            ));
            continue;
        }
        let mut cells = row.cells.into_iter().peekable();
        for (c, col) in columns.iter_mut().enumerate() {
            col.push(cells.next_if(|(at, _)| *at == c as u32).map(|(_, t)| t));
        }
        source_rows.push(excel_row);
    }
    let height = source_rows.len();
    let mut frame_cols: Vec<Column> = header
        .iter()
        .zip(columns)
        .map(|(h, values)| Column::new(h.as_str().into(), values))
        .collect();
    dedupe_names(&mut frame_cols, contract);
    let mut df = DataFrame::new(height, frame_cols).map_err(|e| polars_err(name, e))?;
    schema::canonicalise_header(&mut df, name, contract)?;
    df.with_column(Column::new(cols::SOURCE_ROW.into(), source_rows))
        .map_err(|e| polars_err(name, e))?;
    Ok(RawTable {
        frame: df,
        fallback_style: NumberStyle::DecimalComma,
        notes,
    })
}
