//! Workbooks (`.xlsx`, `.xls`, `.ods`): one sheet in, its cells with a value out, within the
//! bounds of [`Limits`], then one all-text table ([`table`]).
//!
//! The format is told from the bytes (a zip archive is `.xlsx` or `.ods`, an OLE compound file
//! `.xls`), whatever the file is called. Each format has its hazards and its reader:
//! - `.xlsx` ([`xlsx`]): the archive's declared sizes are checked first ([`archive`]); every
//!   XML part is then passed once through a token guard ([`xml`]) and the parts the Excel
//!   library holds whole (shared strings, styles) are counted, before the library opens the
//!   workbook; the sheet is read cell by cell, never laid out as a range.
//! - `.xls` ([`xls`]): the Excel library reads every sheet of the workbook, laid out whole, as
//!   it opens it; so the compound file's sector chains ([`cfb`]) and every record the library
//!   will lay out are checked first.
//! - `.ods` ([`ods`]): read here, as a stream, because the library's reader lays every sheet
//!   out at open, repeats repeated cells in memory, expands a space count of any size and
//!   loops forever on an unclosed annotation.
//!
//! Only cells with a value are kept: a cell holding spaces only is empty, wherever it is, so
//! padding costs no memory. A cell with a value beyond the bounds (row, column) refuses the
//! file whole. What this module does not do: judge the values (validation does).

mod archive;
mod cfb;
mod ods;
mod table;
mod xls;
mod xlsx;
mod xml;

use std::borrow::Cow;
use std::panic::AssertUnwindSafe;

use calamine::Data;

use super::IngestError;
use super::format::InputFormat;
use super::limits::{Bound, Gate, Limits};
use super::read::RawTable;

/// Read sheet `sheet` (the first when `None`) of the workbook in `bytes`, named `name`, as a
/// table, refusing it whole when it goes over a bound of `limits`.
pub fn read(
    name: &str,
    bytes: &[u8],
    format: InputFormat,
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<RawTable, IngestError> {
    let gate = Gate::new(name, limits);
    let cells = if bytes.starts_with(&cfb::SIGNATURE) {
        xls::read(&gate, bytes, format, sheet)?
    } else if bytes.starts_with(b"PK") {
        let (archive, kind) = archive::open(&gate, bytes, format)?;
        match kind {
            archive::Kind::Ods => ods::read(&gate, archive, format, sheet)?,
            archive::Kind::Xlsx => xlsx::read(&gate, archive, bytes, format, sheet)?,
            archive::Kind::Xlsb => {
                return Err(IngestError::Unreadable {
                    path: name.into(),
                    message: "is an Excel binary workbook (.xlsb), which ingest does not read; \
                              save it as .xlsx"
                        .into(),
                });
            }
        }
    } else {
        return Err(archive::unreadable(
            &gate,
            format,
            "it is neither a zip archive (xlsx, ods) nor an OLE compound file (xls)".into(),
        ));
    };
    table::build(&gate, cells)
}

/// One sheet's cells with a value, checked against the bounds as they arrive.
#[derive(Debug)]
pub struct Cells<'g> {
    gate: Gate<'g>,
    /// The sheet's name.
    sheet: String,
    /// (row, column, text), 0-based, in the order read.
    cells: Vec<(u32, u32, String)>,
    /// Bytes of text so far.
    text: u64,
}

impl<'g> Cells<'g> {
    /// No cells yet of sheet `sheet`.
    pub fn new(gate: &Gate<'g>, sheet: String) -> Cells<'g> {
        Cells {
            gate: *gate,
            sheet,
            cells: Vec::new(),
            text: 0,
        }
    }

    /// Add the cell at (`row`, `col`), 0-based, holding `text` (trimmed, not empty); refuse the
    /// file when the cell is beyond the bounds.
    pub fn push(&mut self, row: u32, col: u32, text: Cow<'_, str>) -> Result<(), IngestError> {
        let gate = self.gate;
        let sheet = &self.sheet;
        let at = || cell_ref(row, col);
        gate.check(Bound::Columns, u64::from(col) + 1, || {
            format!(
                "sheet {sheet:?} has a value in cell {}, column {}",
                at(),
                Gate::n(u64::from(col) + 1)
            )
        })?;
        gate.check(Bound::Rows, u64::from(row) + 1, || {
            format!(
                "sheet {sheet:?} has a value in cell {}, row {}",
                at(),
                Gate::n(u64::from(row) + 1)
            )
        })?;
        gate.check(Bound::CellText, text.len() as u64, || {
            format!(
                "cell {} of sheet {sheet:?} holds {}",
                at(),
                Bound::CellText.amount(text.len() as u64)
            )
        })?;
        let count = self.cells.len() as u64 + 1;
        gate.check(Bound::Cells, count, || {
            format!(
                "sheet {sheet:?} has {} or more cells with a value",
                Gate::n(count)
            )
        })?;
        let total = self.text + text.len() as u64;
        gate.check(Bound::TableText, total, || {
            format!(
                "the text of sheet {sheet:?} adds up to {} or more",
                Bound::TableText.amount(total)
            )
        })?;
        self.text = total;
        self.cells.push((row, col, text.into_owned()));
        Ok(())
    }

    /// How many cells are held.
    pub fn len(&self) -> usize {
        self.cells.len()
    }
}

/// `A1`-style name of the cell at (`row`, `col`), 0-based.
pub fn cell_ref(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = u64::from(col) + 1;
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.push(b'A' + rem as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8(letters).expect("ASCII letters"),
        u64::from(row) + 1
    )
}

/// Pick sheet `wanted` (by name, any case) of `names`, or the first; refuse when there are
/// more sheets than the bound.
pub fn pick_sheet(
    gate: &Gate<'_>,
    names: &[String],
    wanted: Option<&str>,
) -> Result<String, IngestError> {
    gate.check(Bound::Sheets, names.len() as u64, || {
        format!("it has {} sheets", Gate::n(names.len() as u64))
    })?;
    let invalid = |message: String| IngestError::Unreadable {
        path: gate.file.into(),
        message,
    };
    match wanted {
        Some(s) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(s))
            .cloned()
            .ok_or_else(|| {
                invalid(format!(
                    "has no sheet {s:?}; its sheets are: {}",
                    names.join(", ")
                ))
            }),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| invalid("has no sheets".into())),
    }
}

/// Run `read` (a call into the spreadsheet library), turning a panic on malformed content into
/// a refusal of the file: the library indexes records it has not checked the length of.
pub fn no_panic<T>(
    gate: &Gate<'_>,
    format: InputFormat,
    read: impl FnOnce() -> Result<T, IngestError>,
) -> Result<T, IngestError> {
    std::panic::catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(archive::unreadable(
            gate,
            format,
            "its content is malformed (the reader failed on it)".into(),
        ))
    })
}

/// Text of a spreadsheet cell, trimmed: numbers without a spurious `.0`, dates as ISO; `None`
/// for an empty cell or one holding spaces only.
pub fn cell_text(cell: &Data) -> Option<String> {
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

#[cfg(test)]
mod tests;
