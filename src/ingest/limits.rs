//! Bounds on what one untrusted file may make ingest read and hold, and the refusal that
//! names the bound a file went over.
//!
//! Every reader checks its bounds before the allocation or the work a bound prevents: a zip
//! archive's sizes from its central directory before anything is inflated, a workbook's
//! declared counts before its reader reserves room for them, a cell's position before a sheet
//! is laid out. A file over a bound is refused whole with an [`IngestError::TooLarge`] naming
//! the file, what was found, the limit and the bound's name (`columns`, `cell_text`, …, the
//! names the README lists); the other files of an upload still go in. The bounds are what a
//! real activity file needs with a wide margin, not what the formats allow: a workbook may
//! address 16,384 columns and 1,048,576 rows, an activity table uses ten columns.
//!
//! This module holds the numbers and the refusal; it does not read files.

use std::path::PathBuf;

use super::IngestError;
use crate::i18n::{Lang, format_number};

/// What a bound limits. The name ([`Bound::name`]) is what a refusal quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bound {
    /// Bytes of a workbook or JSON file read whole into memory.
    FileBytes,
    /// Entries in a workbook's zip archive.
    ZipEntries,
    /// Declared uncompressed bytes of all a workbook's zip entries together.
    UnpackedBytes,
    /// Uncompressed size of one zip entry over its compressed size.
    CompressionRatio,
    /// Bytes of a workbook part the Excel reader holds whole (workbook, styles, relationships,
    /// theme).
    PartBytes,
    /// Bytes of one text run or one tag of a workbook's XML.
    XmlToken,
    /// Sheets in a workbook.
    Sheets,
    /// Shared strings of a workbook, declared or present.
    SharedStrings,
    /// Fonts, fills, borders or cell formats of an Excel workbook's styles.
    CellFormats,
    /// Bytes of a font name or number format of an Excel workbook's styles.
    StyleText,
    /// Row number of a cell with a value, or records of a JSON file.
    Rows,
    /// Column number of a cell with a value, or fields of a JSON file.
    Columns,
    /// Cells of a table read whole (rows × columns, empty ones included).
    Cells,
    /// Cells an `.xls` workbook's sheets span (the reader lays every sheet out whole).
    LaidOutCells,
    /// Bytes of one cell, field or value.
    CellText,
    /// Bytes of all the text of a table read whole.
    TableText,
    /// Bytes of one CSV record or one line of NDJSON.
    RecordBytes,
    /// Nesting depth of JSON.
    JsonDepth,
}

impl Bound {
    /// The name a refusal quotes, as the README's table lists it.
    pub fn name(self) -> &'static str {
        match self {
            Bound::FileBytes => "file_bytes",
            Bound::ZipEntries => "zip_entries",
            Bound::UnpackedBytes => "unpacked_bytes",
            Bound::CompressionRatio => "compression_ratio",
            Bound::PartBytes => "part_bytes",
            Bound::XmlToken => "xml_token",
            Bound::Sheets => "sheets",
            Bound::SharedStrings => "shared_strings",
            Bound::CellFormats => "cell_formats",
            Bound::StyleText => "style_text",
            Bound::Rows => "rows",
            Bound::Columns => "columns",
            Bound::Cells => "cells",
            Bound::LaidOutCells => "laid_out_cells",
            Bound::CellText => "cell_text",
            Bound::TableText => "table_text",
            Bound::RecordBytes => "record_bytes",
            Bound::JsonDepth => "json_depth",
        }
    }

    /// `n` of what this bound counts, in words ("2,000,000 shared strings", "256 MiB").
    pub fn amount(self, n: u64) -> String {
        let count = format_number(n as f64, 0, Lang::En);
        let unit = match self {
            Bound::FileBytes
            | Bound::UnpackedBytes
            | Bound::PartBytes
            | Bound::XmlToken
            | Bound::StyleText
            | Bound::CellText
            | Bound::TableText
            | Bound::RecordBytes => return bytes(n),
            Bound::ZipEntries => "entries",
            Bound::CompressionRatio => return format!("{count} to 1"),
            Bound::Sheets => "sheets",
            Bound::SharedStrings => "shared strings",
            Bound::CellFormats => "formats",
            Bound::Rows => "rows",
            Bound::Columns => "columns",
            Bound::Cells | Bound::LaidOutCells => "cells",
            Bound::JsonDepth => "levels",
        };
        format!("{count} {unit}")
    }
}

/// Bytes in words: whole KiB, MiB or GiB when they are, else bytes.
fn bytes(n: u64) -> String {
    let count = |v: u64| format_number(v as f64, 0, Lang::En);
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{} {unit}", count(n >> shift));
        }
    }
    format!("{} bytes", count(n))
}

/// The bounds readers hold a file to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// See [`Bound::FileBytes`].
    pub file_bytes: u64,
    /// See [`Bound::ZipEntries`].
    pub zip_entries: u64,
    /// See [`Bound::UnpackedBytes`].
    pub unpacked_bytes: u64,
    /// See [`Bound::CompressionRatio`]; applies to entries of more than [`RATIO_FLOOR`] bytes.
    pub compression_ratio: u64,
    /// See [`Bound::PartBytes`].
    pub part_bytes: u64,
    /// See [`Bound::XmlToken`].
    pub xml_token: u64,
    /// See [`Bound::Sheets`].
    pub sheets: u64,
    /// See [`Bound::SharedStrings`].
    pub shared_strings: u64,
    /// See [`Bound::CellFormats`].
    pub cell_formats: u64,
    /// See [`Bound::StyleText`].
    pub style_text: u64,
    /// See [`Bound::Rows`].
    pub rows: u64,
    /// See [`Bound::Columns`].
    pub columns: u64,
    /// See [`Bound::Cells`].
    pub cells: u64,
    /// See [`Bound::LaidOutCells`].
    pub laid_out_cells: u64,
    /// See [`Bound::CellText`].
    pub cell_text: u64,
    /// See [`Bound::TableText`].
    pub table_text: u64,
    /// See [`Bound::RecordBytes`].
    pub record_bytes: u64,
    /// See [`Bound::JsonDepth`].
    pub json_depth: u64,
    /// Which table the file must hold. Not a bound, but carried with them because every
    /// reader takes the limits and the header search is the readers' (see `schema`).
    pub contract: super::schema::Contract,
}

/// Zip entries up to this size are not held to the compression ratio: small parts of real
/// workbooks (styles, repeated empty rows) compress far better than data does, and inflating
/// them costs nothing.
pub const RATIO_FLOOR: u64 = 1 << 20;

impl Limits {
    /// The bounds every path of ingest uses (upload, form, CLI, dry run, remote source). The
    /// README's "Limits on uploaded files" gives the reason for each number.
    pub const STANDARD: Limits = Limits {
        file_bytes: 256 << 20,
        zip_entries: 4_096,
        unpacked_bytes: 256 << 20,
        compression_ratio: 200,
        part_bytes: 16 << 20,
        xml_token: 1 << 20,
        sheets: 256,
        shared_strings: 2_000_000,
        cell_formats: 65_536,
        style_text: 256,
        rows: 1_000_000,
        columns: 64,
        cells: 5_000_000,
        laid_out_cells: 1 << 20,
        cell_text: 128 << 10,
        table_text: 256 << 20,
        record_bytes: 1 << 20,
        json_depth: 32,
        contract: super::schema::Contract::Activities,
    };

    /// [`Limits::STANDARD`] for a file of indicator values.
    pub const VALUES: Limits = Limits {
        contract: super::schema::Contract::Values,
        ..Limits::STANDARD
    };

    /// The limit of `bound`.
    pub fn get(&self, bound: Bound) -> u64 {
        match bound {
            Bound::FileBytes => self.file_bytes,
            Bound::ZipEntries => self.zip_entries,
            Bound::UnpackedBytes => self.unpacked_bytes,
            Bound::CompressionRatio => self.compression_ratio,
            Bound::PartBytes => self.part_bytes,
            Bound::XmlToken => self.xml_token,
            Bound::Sheets => self.sheets,
            Bound::SharedStrings => self.shared_strings,
            Bound::CellFormats => self.cell_formats,
            Bound::StyleText => self.style_text,
            Bound::Rows => self.rows,
            Bound::Columns => self.columns,
            Bound::Cells => self.cells,
            Bound::LaidOutCells => self.laid_out_cells,
            Bound::CellText => self.cell_text,
            Bound::TableText => self.table_text,
            Bound::RecordBytes => self.record_bytes,
            Bound::JsonDepth => self.json_depth,
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::STANDARD
    }
}

/// One file's limits, and the refusal that names the file.
#[derive(Debug, Clone, Copy)]
pub struct Gate<'a> {
    /// The file, as its refusals name it.
    pub file: &'a str,
    /// The bounds it is held to.
    pub limits: &'a Limits,
}

impl<'a> Gate<'a> {
    /// The gate of file `file` under `limits`.
    pub fn new(file: &'a str, limits: &'a Limits) -> Gate<'a> {
        Gate { file, limits }
    }

    /// The limit of `bound`.
    pub fn limit(&self, bound: Bound) -> u64 {
        self.limits.get(bound)
    }

    /// Refuse the file when `found` is over the limit of `bound`; `what` says in words what
    /// was found (it is only built for a refusal).
    pub fn check(
        &self,
        bound: Bound,
        found: u64,
        what: impl FnOnce() -> String,
    ) -> Result<(), IngestError> {
        let limit = self.limit(bound);
        if found > limit {
            return Err(self.refuse(bound, found, what()));
        }
        Ok(())
    }

    /// The refusal of this file for `found` over `bound`, `what` saying what was found.
    pub fn refuse(&self, bound: Bound, found: u64, what: String) -> IngestError {
        IngestError::TooLarge {
            path: PathBuf::from(self.file),
            bound,
            limit: self.limit(bound),
            found,
            what,
        }
    }

    /// `n` in words with thousands separators, for the `what` of a refusal.
    pub fn n(n: u64) -> String {
        format_number(n as f64, 0, Lang::En)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_file_what_was_found_the_limit_and_the_bound() {
        let limits = Limits::STANDARD;
        let gate = Gate::new("kegiatan.xlsx", &limits);
        assert!(gate.check(Bound::Columns, 64, String::new).is_ok());
        let e = gate
            .check(Bound::Columns, 16_384, || {
                "sheet \"Kegiatan\" has a value in cell XFD1, column 16,384".into()
            })
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "kegiatan.xlsx is refused: sheet \"Kegiatan\" has a value in cell XFD1, column \
             16,384, more than the limit of 64 columns (columns)"
        );
        let e = gate.refuse(Bound::UnpackedBytes, 3 << 30, "it unpacks to 3 GiB".into());
        assert!(
            e.to_string()
                .ends_with("the limit of 256 MiB (unpacked_bytes)"),
            "{e}"
        );
        assert_eq!(bytes(1000), "1,000 bytes");
        assert_eq!(Bound::CompressionRatio.amount(200), "200 to 1");
    }
}
