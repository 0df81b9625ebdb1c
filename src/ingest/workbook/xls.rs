//! `.xls`: every record the spreadsheet library will lay out checked first, then one sheet
//! read.
//!
//! The library parses the whole workbook as it opens it: each sheet is laid out as a range from
//! its first to its last cell (two cells at A1 and IV65536 make 16.7 million), every cell of a
//! shared string gets its own copy of the string, a sheet's declared dimensions are reserved
//! up front, a text record gets room for as many characters as it declares, and a record's
//! continuations are taken off the front of a list one by one. So before the library sees the
//! file, its compound container is checked ([`super::cfb`]) and the workbook stream is
//! scanned the way the library will read it: sheets, declared and present shared strings, each
//! sheet's declared dimensions, every cell's position against the row and column bounds, the
//! cells every sheet lays out, the text its cells and formulas will copy, and the length each
//! text record declares against what it holds. The library then reads the workbook, and the
//! sheet asked for is taken cell by cell.

use std::io::Cursor;

use calamine::{Reader, Xls};

use super::super::IngestError;
use super::super::format::InputFormat;
use super::super::limits::{Bound, Gate};
use super::archive::unreadable;
use super::cfb::{self, Defect};
use super::{Cells, cell_ref, cell_text, no_panic, pick_sheet};

/// More continuations of one record than a real workbook writes (8,192 of 8 KB each is a
/// 64 MB record): the library takes them off the front of a list, in time that grows with
/// their square.
const MAX_CONTINUES: usize = 8_192;

/// Read sheet `sheet` (the first when `None`) of the workbook in `bytes`.
pub fn read<'g>(
    gate: &Gate<'g>,
    bytes: &[u8],
    format: InputFormat,
    sheet: Option<&str>,
) -> Result<Cells<'g>, IngestError> {
    let stream = cfb::workbook_stream(bytes).map_err(|defect| match defect {
        Defect::Broken(what) => unreadable(gate, format, format!("its compound file's {what}")),
        Defect::Encrypted => IngestError::Unreadable {
            path: gate.file.into(),
            message: "is protected by a password; save it without one".into(),
        },
    })?;
    scan(gate, &stream).map_err(|e| match e {
        Scan::Over(e) => *e,
        Scan::Broken(what) => unreadable(gate, format, what),
    })?;
    drop(stream);
    no_panic(gate, format, || {
        let mut workbook =
            Xls::new(Cursor::new(bytes)).map_err(|e| unreadable(gate, format, e.to_string()))?;
        let sheet_name = pick_sheet(gate, &workbook.sheet_names(), sheet)?;
        let range = workbook
            .worksheet_range(&sheet_name)
            .map_err(|e| IngestError::Unreadable {
                path: gate.file.into(),
                message: format!("sheet {sheet_name:?} cannot be read: {e}"),
            })?;
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let mut cells = Cells::new(gate, sheet_name);
        for (r, c, value) in range.used_cells() {
            if let Some(text) = cell_text(value) {
                cells.push(row0 + r as u32, col0 + c as u32, text.into())?;
            }
        }
        Ok(cells)
    })
}

/// How a scan ends early.
enum Scan {
    /// Over a bound.
    Over(Box<IngestError>),
    /// Malformed where the library would fail, panic or allocate without bound.
    Broken(String),
}

impl From<IngestError> for Scan {
    fn from(e: IngestError) -> Scan {
        Scan::Over(Box::new(e))
    }
}

/// One record and its continuations, as the library groups them.
struct Record<'a> {
    typ: u16,
    data: &'a [u8],
    cont: Vec<&'a [u8]>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("four bytes"))
}

/// The records of `stream` from its start, continuations gathered as the library gathers
/// them; an error where the library's reading fails.
fn records(mut stream: &[u8]) -> impl Iterator<Item = Result<Record<'_>, Scan>> {
    std::iter::from_fn(move || {
        if stream.len() < 4 {
            return (!stream.is_empty()).then(|| Err(Scan::Broken("a record is cut short".into())));
        }
        let typ = u16_at(stream, 0);
        let len = u16_at(stream, 2) as usize;
        if stream.len() < len + 4 {
            return Some(Err(Scan::Broken(
                "a record runs past the end of the stream".into(),
            )));
        }
        let data = &stream[4..len + 4];
        stream = &stream[len + 4..];
        let mut cont = Vec::new();
        while stream.len() > 4 && u16_at(stream, 0) == 0x003C {
            let len = u16_at(stream, 2) as usize;
            if stream.len() < len + 4 {
                return Some(Err(Scan::Broken(
                    "a record runs past the end of the stream".into(),
                )));
            }
            cont.push(&stream[4..len + 4]);
            stream = &stream[len + 4..];
            if cont.len() > MAX_CONTINUES {
                return Some(Err(Scan::Broken(format!(
                    "a record is continued more than {MAX_CONTINUES} times"
                ))));
            }
        }
        Some(Ok(Record { typ, data, cont }))
    })
}

/// What the globals say that the sheets' check needs.
#[derive(Default)]
struct Globals {
    /// Where each sheet starts in the stream.
    sheets: Vec<usize>,
    /// Bytes each shared string will take (an estimate: UTF-16 text counts three per
    /// character).
    strings: Vec<u64>,
    /// The longest sheet or defined name, in bytes: what one reference in a formula can copy.
    longest_name: u64,
    /// Whether the records are BIFF8 (strings carry a flags byte).
    biff8: bool,
}

/// Scan the workbook stream as the library reads it (see the module documentation).
fn scan(gate: &Gate<'_>, stream: &[u8]) -> Result<(), Scan> {
    let globals = scan_globals(gate, stream)?;
    let mut totals = Totals::default();
    for &at in &globals.sheets {
        if at > stream.len() {
            return Err(Scan::Broken(
                "a sheet starts past the end of the workbook stream".into(),
            ));
        }
        scan_sheet(gate, &globals, &stream[at..], &mut totals)?;
    }
    Ok(())
}

fn scan_globals(gate: &Gate<'_>, stream: &[u8]) -> Result<Globals, Scan> {
    let mut g = Globals {
        biff8: true,
        ..Globals::default()
    };
    for record in records(stream) {
        let r = record?;
        match r.typ {
            // BOF: the BIFF version decides how strings are stored.
            0x0809 if r.data.len() >= 2 => {
                let kind = if r.data.len() >= 4 {
                    u16_at(r.data, 2)
                } else {
                    0
                };
                g.biff8 = match u16_at(r.data, 0) {
                    0x0200 | 0x0002 | 0x0007 | 0x0300 | 0x0400 | 0x0500 => false,
                    0 => kind != 0x1000,
                    _ => true,
                };
            }
            // BoundSheet8: one sheet.
            0x0085 => {
                if r.data.len() < 8 {
                    return Err(Scan::Broken("a sheet record is cut short".into()));
                }
                g.sheets.push(u32_at(r.data, 0) as usize);
                let wide = g.biff8 && r.data[7] & 1 != 0;
                g.longest_name = g
                    .longest_name
                    .max(u64::from(r.data[6]) * if wide { 3 } else { 1 });
                gate.check(Bound::Sheets, g.sheets.len() as u64, || {
                    format!("it has {} or more sheets", Gate::n(g.sheets.len() as u64))
                })?;
            }
            // Lbl: a defined name, which a formula may spell out.
            0x0018 if r.data.len() >= 4 => {
                g.longest_name = g.longest_name.max(u64::from(r.data[3]) * 3);
            }
            0x00FC => g.strings = scan_strings(gate, &r)?,
            0x000A => break,
            _ => {}
        }
    }
    Ok(g)
}

/// The shared string table: its declared count, then each string's length as the library
/// will read it.
fn scan_strings<'a>(gate: &Gate<'_>, r: &Record<'a>) -> Result<Vec<u64>, Scan> {
    if r.data.len() < 8 {
        return Ok(Vec::new());
    }
    let declared = u64::from(u32_at(r.data, 4));
    gate.check(Bound::SharedStrings, declared, || {
        format!(
            "its shared string table declares {} strings",
            Gate::n(declared)
        )
    })?;
    let mut lens = Vec::new();
    let mut data: &'a [u8] = &r.data[8..];
    let mut cont = r.cont.iter();
    let mut next = |data: &mut &'a [u8]| match cont.next() {
        Some(c) => {
            *data = *c;
            true
        }
        None => false,
    };
    let cut = || Scan::Broken("its shared string table is cut short".into());
    while !data.is_empty() || next(&mut data) {
        if data.is_empty() {
            lens.push(0);
        } else {
            if data.len() < 3 {
                return Err(cut());
            }
            let mut chars = u64::from(u16_at(data, 0));
            let flags = data[2];
            data = &data[3..];
            let mut skip = 0u64;
            for (flag, width) in [(0x8, 2usize), (0x4, 4)] {
                if flags & flag != 0 {
                    if data.len() < width {
                        return Err(cut());
                    }
                    skip += if width == 2 {
                        u64::from(u16_at(data, 0)) * 4
                    } else {
                        u64::from(u32_at(data, 0))
                    };
                    data = &data[width..];
                }
            }
            lens.push(chars * if flags & 1 != 0 { 3 } else { 1 });
            let mut wide = flags & 1 != 0;
            while chars > 0 {
                let unit = if wide { 2 } else { 1 };
                let here = chars.min((data.len() / unit) as u64);
                data = if here == 0 {
                    &[]
                } else {
                    &data[here as usize * unit..]
                };
                chars -= here;
                if chars > 0 {
                    if !next(&mut data) || data.is_empty() {
                        return Err(cut());
                    }
                    wide = data[0] & 1 != 0;
                    data = &data[1..];
                }
            }
            while skip > 0 {
                if data.is_empty() && !next(&mut data) {
                    return Err(cut());
                }
                let l = skip.min(data.len() as u64);
                data = &data[l as usize..];
                skip -= l;
            }
        }
        gate.check(Bound::SharedStrings, lens.len() as u64, || {
            format!(
                "its shared string table holds {} or more strings",
                Gate::n(lens.len() as u64)
            )
        })?;
    }
    Ok(lens)
}

/// What all sheets lay out, summed as the sheets are scanned.
#[derive(Default)]
struct Totals {
    cells: u64,
    laid_out: u64,
    text: u64,
}

/// The extent of the cells of one kind (values, formulas) of a sheet.
#[derive(Default, Clone, Copy)]
struct Extent(Option<(u32, u32, u32, u32)>);

impl Extent {
    fn add(&mut self, row: u32, col: u32) {
        self.0 = Some(match self.0 {
            None => (row, row, col, col),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        });
    }

    fn cells(self) -> u64 {
        self.0.map_or(0, |(r0, r1, c0, c1)| {
            u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1)
        })
    }
}

/// One sheet's records, from its BOF to its EOF.
fn scan_sheet(
    gate: &Gate<'_>,
    g: &Globals,
    stream: &[u8],
    totals: &mut Totals,
) -> Result<(), Scan> {
    let (mut values, mut formulas) = (Extent::default(), Extent::default());
    let (mut seen_bof, mut depth) = (false, 0usize);
    let mut formula_at = (0u32, 0u32);
    let mut declared = 0u64;
    let per_formula_byte = g.longest_name.max(48) + 16;
    for record in records(stream) {
        let r = record?;
        if depth > 0 {
            match r.typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let d = r.data;
        // (row, column) of each cell the record adds, and the bytes of text it copies.
        let mut at: Vec<(u32, u32)> = Vec::new();
        let mut text = 0u64;
        match r.typ {
            0x0809 => {
                if seen_bof {
                    depth += 1;
                }
                seen_bof = true;
            }
            0x000A => break,
            // DIMENSIONS: the library reserves room for the declared range (checked after the
            // cells, so that a cell out of bounds is named first).
            0x0200 => declared = declared.max(declared_cells(d)),
            // NUMBER, BOOLERR, RK
            0x0203 | 0x0205 | 0x027E if d.len() >= 8 => at.push(position(d)),
            // LABEL, RSTRING: a string of its own.
            0x0204 | 0x00D6 if d.len() >= 6 => {
                at.push(position(d));
                text = string_len(&d[6..], g.biff8)?;
            }
            // LABELSST: a copy of a shared string.
            0x00FD if d.len() >= 10 => {
                if let Some(len) = g.strings.get(u32_at(d, 6) as usize) {
                    at.push(position(d));
                    text = *len;
                }
            }
            // MULRK: a run of numbers along a row.
            0x00BD if d.len() >= 6 => {
                let (row, first) = position(d);
                let last = u32::from(u16_at(d, d.len() - 2));
                if last >= first && d.len() as u64 == 6 + 6 * u64::from(last - first + 1) {
                    at.extend((first..=last).map(|c| (row, c)));
                }
            }
            // FORMULA: its value (or a STRING record next) and its text.
            0x0006 if d.len() >= 22 => {
                formula_at = position(d);
                at.push(formula_at);
                formulas.add(formula_at.0, formula_at.1);
                text = u64::from(u16_at(d, 20)) * per_formula_byte;
            }
            0x0207 => {
                at.push(formula_at);
                text = string_len(d, g.biff8)?;
            }
            _ => {}
        }
        for &(row, col) in &at {
            check_position(gate, row, col)?;
            values.add(row, col);
        }
        if !at.is_empty() && r.typ != 0x0006 {
            gate.check(Bound::CellText, text, || {
                format!(
                    "cell {} holds {} or more",
                    cell_ref(at[0].0, at[0].1),
                    Bound::CellText.amount(text)
                )
            })?;
        }
        totals.cells += at.len() as u64;
        totals.text += text;
        gate.check(Bound::LaidOutCells, totals.cells, || {
            format!("its sheets hold {} or more cells", Gate::n(totals.cells))
        })?;
        gate.check(Bound::TableText, totals.text, || {
            format!(
                "the text of its sheets adds up to {} or more",
                Bound::TableText.amount(totals.text)
            )
        })?;
    }
    gate.check(Bound::LaidOutCells, declared, || {
        format!("a sheet declares a range of {} cells", Gate::n(declared))
    })?;
    totals.laid_out += values.cells() + formulas.cells();
    gate.check(Bound::LaidOutCells, totals.laid_out, || {
        format!(
            "its sheets span {} cells from their first to their last",
            Gate::n(totals.laid_out)
        )
    })?;
    Ok(())
}

fn position(d: &[u8]) -> (u32, u32) {
    (u32::from(u16_at(d, 0)), u32::from(u16_at(d, 2)))
}

fn check_position(gate: &Gate<'_>, row: u32, col: u32) -> Result<(), IngestError> {
    gate.check(Bound::Columns, u64::from(col) + 1, || {
        format!(
            "a sheet has a value in cell {}, column {}",
            cell_ref(row, col),
            Gate::n(u64::from(col) + 1)
        )
    })?;
    gate.check(Bound::Rows, u64::from(row) + 1, || {
        format!(
            "a sheet has a value in cell {}, row {}",
            cell_ref(row, col),
            Gate::n(u64::from(row) + 1)
        )
    })
}

/// Cells of the range a DIMENSIONS record declares, computed as the library computes them
/// (its arithmetic wraps on a range that ends before it starts).
fn declared_cells(d: &[u8]) -> u64 {
    let (rf, rl, mut cf, cl) = match d.len() {
        10 => (
            u32::from(u16_at(d, 0)),
            u32::from(u16_at(d, 2)),
            u32::from(u16_at(d, 4)),
            u32::from(u16_at(d, 6)),
        ),
        14 | 16 => (
            u32_at(d, 0),
            u32_at(d, 4),
            u32::from(u16_at(d, 8)),
            u32::from(u16_at(d, 10)),
        ),
        _ => return 0,
    };
    if cf > 0xFF || cl < cf {
        cf = 0;
    }
    if rl >= 1 && cl >= 1 {
        let rows = (rl - 1).wrapping_sub(rf).wrapping_add(1);
        let cols = (cl - 1).wrapping_sub(cf).wrapping_add(1);
        u64::from(rows) * u64::from(cols)
    } else {
        1
    }
}

/// Bytes of the string record `d` (an `XLUnicodeString`), refusing one that declares more
/// characters than it holds: the library makes room for what it declares.
fn string_len(d: &[u8], biff8: bool) -> Result<u64, Scan> {
    let header = if biff8 { 3 } else { 2 };
    if d.len() < header {
        return Ok(0);
    }
    let chars = u64::from(u16_at(d, 0));
    let wide = biff8 && d[2] & 1 != 0;
    let held = (d.len() - header) as u64;
    if chars * if wide { 2 } else { 1 } > held {
        return Err(Scan::Broken(format!(
            "a text record declares {chars} characters but holds {held} bytes"
        )));
    }
    Ok(chars * if wide { 3 } else { 1 })
}
