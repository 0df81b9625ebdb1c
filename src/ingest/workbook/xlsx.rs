//! `.xlsx`: the parts checked, then one sheet read cell by cell.
//!
//! The Excel library reads some parts whole when it opens a workbook, and what it then holds
//! grows with what those parts declare or repeat: it reserves room for `uniqueCount` shared
//! strings before reading one, keeps every shared string, and copies a font name and number
//! format into each of the cell formats of `styles.xml`. So before the library sees the
//! workbook, every XML part goes through the token guard once (no parser above it buffers more
//! than the bound), the parts held whole are held to a size, the shared strings are counted
//! (declared and present) and the styles' formats and texts counted and measured. The sheet is
//! then read with the library's cell reader, one cell at a time, and only cells with a value
//! are kept (see [`super::Cells`]): the library's range reader would lay the sheet out from its
//! first to its last cell, 17 billion cells for a sheet with values at A1 and XFD1048576.

use std::borrow::Cow;
use std::io::{BufReader, Cursor, Read};

use calamine::{Data, DataRef, Reader, Xlsx, XlsxError};
use quick_xml::events::Event;

use super::super::IngestError;
use super::super::format::InputFormat;
use super::super::limits::{Bound, Gate};
use super::archive::{self, Archive};
use super::xml::TokenGuard;
use super::{Cells, cell_text, no_panic, pick_sheet};

/// Read sheet `sheet` (the first when `None`) of the workbook in `bytes`, whose archive has
/// passed [`archive::open`].
pub fn read<'g>(
    gate: &Gate<'g>,
    mut zip: Archive<'_>,
    bytes: &[u8],
    format: InputFormat,
    sheet: Option<&str>,
) -> Result<Cells<'g>, IngestError> {
    preflight(gate, &mut zip, format)?;
    drop(zip);
    no_panic(gate, format, || {
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
            .map_err(|e| archive::unreadable(gate, format, e.to_string()))?;
        let sheet_name = pick_sheet(gate, &workbook.sheet_names(), sheet)?;
        let mut cells = Cells::new(gate, sheet_name.clone());
        let cannot = |e: XlsxError| IngestError::Unreadable {
            path: gate.file.into(),
            message: format!("sheet {sheet_name:?} cannot be read: {e}"),
        };
        let mut reader = match workbook.worksheet_cells_reader(&sheet_name) {
            Ok(reader) => reader,
            // A chart sheet has no cells.
            Err(XlsxError::NotAWorksheet(_)) => return Ok(cells),
            Err(e) => return Err(cannot(e)),
        };
        while let Some(cell) = reader.next_cell().map_err(cannot)? {
            let (row, col) = cell.get_position();
            if let Some(text) = text_of(cell.get_value()) {
                cells.push(row, col, text)?;
            }
        }
        Ok(cells)
    })
}

/// Text of a cell as the cell reader gives it: a shared string is borrowed until it is kept.
fn text_of<'a>(value: &'a DataRef<'_>) -> Option<Cow<'a, str>> {
    match value {
        DataRef::Empty => None,
        DataRef::SharedString(s) => Some(s.trim()).filter(|t| !t.is_empty()).map(Cow::Borrowed),
        DataRef::String(s) => Some(s.trim()).filter(|t| !t.is_empty()).map(Cow::Borrowed),
        other => cell_text(&Data::from(other.clone())).map(Cow::Owned),
    }
}

/// Check every XML part of the archive before the library opens it (see the module
/// documentation).
fn preflight(
    gate: &Gate<'_>,
    zip: &mut Archive<'_>,
    format: InputFormat,
) -> Result<(), IngestError> {
    for i in 0..zip.len() {
        let (part, size) = {
            let entry = zip
                .by_index_data(i)
                .map_err(|e| archive::unreadable(gate, format, e.to_string()))?;
            let name = entry
                .name()
                .map(|n| n.replace('\\', "/"))
                .unwrap_or_default();
            (name, entry.size())
        };
        let lower = part.to_ascii_lowercase();
        if !(lower.ends_with(".xml") || lower.ends_with(".rels")) {
            continue;
        }
        let file_name = lower.rsplit('/').next().unwrap_or_default();
        // The parts the library reads whole as it opens the workbook, besides the shared
        // strings (counted below).
        let held_whole = lower.ends_with(".rels")
            || file_name == "workbook.xml"
            || file_name == "styles.xml"
            || lower.contains("/theme/");
        if held_whole {
            gate.check(Bound::PartBytes, size, || {
                format!("part {part} unpacks to {}", Bound::PartBytes.amount(size))
            })?;
        }
        let file = zip
            .by_index(i)
            .map_err(|e| archive::unreadable(gate, format, e.to_string()))?;
        let mut guard = TokenGuard::new(file, gate.limit(Bound::XmlToken));
        match file_name {
            "sharedstrings.xml" => shared_strings(gate, format, &part, guard)?,
            "styles.xml" => styles(gate, format, &part, guard)?,
            _ => archive::drain(gate, format, &part, &mut guard)?,
        }
    }
    Ok(())
}

/// A parser over a guarded part, configured as the library's (lenient about end names).
fn parser<R: Read>(guard: TokenGuard<R>) -> quick_xml::Reader<BufReader<TokenGuard<R>>> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(guard));
    xml.config_mut().check_end_names = false;
    xml
}

/// The declared count (`uniqueCount`, before the library reserves room for it), the strings
/// present, and the length of each.
fn shared_strings<R: Read>(
    gate: &Gate<'_>,
    format: InputFormat,
    part: &str,
    guard: TokenGuard<R>,
) -> Result<(), IngestError> {
    let mut xml = parser(guard);
    let mut buf = Vec::new();
    let (mut count, mut text, mut in_string) = (0u64, 0u64, false);
    loop {
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(e) => {
                let stop = xml.get_ref().get_ref().stop();
                return Err(archive::xml_failure(
                    gate,
                    format,
                    part,
                    stop,
                    &e.to_string(),
                ));
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sst" => {
                for attribute in ["uniqueCount", "count"] {
                    let declared = e
                        .try_get_attribute(attribute)
                        .ok()
                        .flatten()
                        .and_then(|a| a.value.trim().parse::<u64>().ok());
                    if let Some(n) = declared {
                        gate.check(Bound::SharedStrings, n, || {
                            format!(
                                "{part} declares {} shared strings ({attribute})",
                                Gate::n(n)
                            )
                        })?;
                    }
                }
            }
            Event::Start(e) if e.local_name().as_ref() == "si" => {
                count += 1;
                (text, in_string) = (0, true);
            }
            Event::Empty(e) if e.local_name().as_ref() == "si" => count += 1,
            Event::End(e) if e.local_name().as_ref() == "si" => in_string = false,
            Event::Text(t) if in_string => text += t.len() as u64,
            Event::GeneralRef(_) if in_string => text += 4,
            Event::Eof => break,
            _ => {}
        }
        gate.check(Bound::SharedStrings, count, || {
            format!("{part} holds {} or more shared strings", Gate::n(count))
        })?;
        gate.check(Bound::CellText, text, || {
            format!(
                "shared string {} of {part} holds {} or more",
                Gate::n(count),
                Bound::CellText.amount(text)
            )
        })?;
    }
    Ok(())
}

/// The fonts, fills, borders and cell formats (each copied into every cell format that uses
/// it) and the length of font names and number formats.
fn styles<R: Read>(
    gate: &Gate<'_>,
    format: InputFormat,
    part: &str,
    guard: TokenGuard<R>,
) -> Result<(), IngestError> {
    let mut xml = parser(guard);
    let mut buf = Vec::new();
    // fonts, fills, borders, cell formats
    let mut counts = [0u64; 4];
    let mut in_cell_formats = false;
    loop {
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(e) => {
                let stop = xml.get_ref().get_ref().stop();
                return Err(archive::xml_failure(
                    gate,
                    format,
                    part,
                    stop,
                    &e.to_string(),
                ));
            }
        };
        let (start, element) = match &event {
            Event::Start(e) => (true, e),
            Event::Empty(e) => (false, e),
            Event::End(e) if e.local_name().as_ref() == "cellXfs" => {
                in_cell_formats = false;
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let text_attribute = match element.local_name().as_ref() {
            "cellXfs" => {
                in_cell_formats = start;
                None
            }
            "font" => {
                counts[0] += 1;
                None
            }
            "fill" => {
                counts[1] += 1;
                None
            }
            "border" => {
                counts[2] += 1;
                None
            }
            "xf" if in_cell_formats => {
                counts[3] += 1;
                None
            }
            "name" => Some("val"),
            "numFmt" => Some("formatCode"),
            _ => None,
        };
        if let Some(attribute) = text_attribute {
            let len = element
                .try_get_attribute(attribute)
                .ok()
                .flatten()
                .map_or(0, |a| a.value.len() as u64);
            gate.check(Bound::StyleText, len, || {
                format!(
                    "a font name or number format of {part} holds {}",
                    Bound::StyleText.amount(len)
                )
            })?;
        }
        for (n, what) in counts
            .iter()
            .zip(["fonts", "fills", "borders", "cell formats"])
        {
            gate.check(Bound::CellFormats, *n, || {
                format!("{part} declares {} or more {what}", Gate::n(*n))
            })?;
        }
    }
    Ok(())
}
