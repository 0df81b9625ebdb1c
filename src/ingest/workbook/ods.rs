//! `.ods`: one sheet of `content.xml` read as a stream, repeated rows and cells counted
//! before they are repeated.
//!
//! The spreadsheet library's OpenDocument reader is not used: it reads every sheet as it opens
//! the file and lays each out whole, repeats a value repeated over 16,384 columns and a
//! million rows in memory, expands `<text:s text:c="1000000000"/>` into a billion spaces, and
//! loops forever on an annotation that is never closed. This reader keeps only the cells with
//! a value of the sheet asked for, checks a repeated row against the row, cell and text bounds
//! before repeating it, holds runs of spaces as counts until text follows them (so a cell of
//! spaces costs nothing and is empty), and stops at the end of the XML whatever is open.
//! Values are read as the library reads them (the first value attribute of a cell; the text
//! of a string cell, paragraphs joined by a newline), so a sheet reads the same either way.

use std::io::{BufReader, Read};

use calamine::Data;
use quick_xml::events::{BytesStart, Event};

use super::super::IngestError;
use super::super::format::InputFormat;
use super::super::limits::{Bound, Gate};
use super::archive::{self, Archive};
use super::xml::TokenGuard;
use super::{Cells, cell_ref, cell_text, pick_sheet};

/// What the `mimetype` entry of a spreadsheet says.
const MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// Read sheet `sheet` (the first when `None`) of the spreadsheet whose archive has passed
/// [`archive::open`].
pub fn read<'g>(
    gate: &Gate<'g>,
    mut zip: Archive<'_>,
    format: InputFormat,
    sheet: Option<&str>,
) -> Result<Cells<'g>, IngestError> {
    let mut mimetype = Vec::new();
    if let Ok(file) = zip.by_name("mimetype") {
        file.take(MIMETYPE.len() as u64 + 1)
            .read_to_end(&mut mimetype)
            .map_err(|e| archive::unreadable(gate, format, format!("mimetype: {e}")))?;
    }
    if mimetype != MIMETYPE {
        return Err(archive::unreadable(
            gate,
            format,
            "its mimetype is not that of an OpenDocument spreadsheet".into(),
        ));
    }
    if let Some(guard) = archive::guarded(gate, &mut zip, "META-INF/manifest.xml") {
        let mut xml = Xml::new(gate, format, "META-INF/manifest.xml", guard);
        loop {
            match xml.next()? {
                Ev::Start(tag) | Ev::Empty(tag) if tag.name == "manifest:encryption-data" => {
                    return Err(IngestError::Unreadable {
                        path: gate.file.into(),
                        message: "is protected by a password; save it without one".into(),
                    });
                }
                Ev::Eof => break,
                _ => {}
            }
        }
    }
    let guard = archive::guarded(gate, &mut zip, "content.xml")
        .ok_or_else(|| archive::unreadable(gate, format, "it has no content.xml".into()))?;
    let mut xml = Xml::new(gate, format, "content.xml", guard);
    let mut names: Vec<String> = Vec::new();
    let mut found = None;
    loop {
        match xml.next()? {
            Ev::Start(tag) if tag.name == "table:table" => {
                let Some(name) = tag.attr("table:name").map(str::to_string) else {
                    continue;
                };
                names.push(name.clone());
                gate.check(Bound::Sheets, names.len() as u64, || {
                    format!("it has {} or more sheets", Gate::n(names.len() as u64))
                })?;
                let wanted = match sheet {
                    None => found.is_none(),
                    Some(s) => found.is_none() && name.eq_ignore_ascii_case(s),
                };
                if wanted {
                    let mut cells = Cells::new(gate, name);
                    read_table(&mut xml, &mut cells)?;
                    found = Some(cells);
                    // The sheet asked for is read: the rest of the file does not matter.
                    break;
                }
                xml.skip("table:table")?;
            }
            Ev::Eof => break,
            _ => {}
        }
    }
    let picked = pick_sheet(gate, &names, sheet)?;
    Ok(found.unwrap_or_else(|| Cells::new(gate, picked)))
}

/// Read the rows of the table just opened, up to its end.
fn read_table<R: Read>(xml: &mut Xml<'_, R>, cells: &mut Cells<'_>) -> Result<(), IngestError> {
    let gate = xml.gate;
    let mut row: u64 = 0;
    loop {
        let (tag, open) = match xml.next()? {
            Ev::Start(tag) if tag.name == "table:table-row" => (tag, true),
            Ev::Empty(tag) if tag.name == "table:table-row" => (tag, false),
            Ev::End(name) if name == "table:table" => return Ok(()),
            Ev::Eof => return Err(xml.ends_early("table:table")),
            _ => continue,
        };
        let repeats = xml.count(&tag, "table:number-rows-repeated")?;
        let values = if open {
            read_row(xml, &cells.sheet, row)?
        } else {
            Vec::new()
        };
        if !values.is_empty() {
            // Check the repeated row as a whole before it is repeated.
            let last = row.saturating_add(repeats - 1);
            let (first_col, _) = values[0];
            let sheet = cells.sheet.clone();
            gate.check(Bound::Rows, last.saturating_add(1), || {
                format!(
                    "sheet {sheet:?} has a value in cell {}, row {}",
                    cell_ref(u32::try_from(last).unwrap_or(u32::MAX), first_col),
                    Gate::n(last.saturating_add(1))
                )
            })?;
            let more = repeats.saturating_mul(values.len() as u64);
            let count = (cells.len() as u64).saturating_add(more);
            gate.check(Bound::Cells, count, || {
                format!(
                    "sheet {sheet:?} has {} or more cells with a value",
                    Gate::n(count)
                )
            })?;
            let text: u64 = values.iter().map(|(_, t)| t.len() as u64).sum();
            let total = cells.text.saturating_add(repeats.saturating_mul(text));
            gate.check(Bound::TableText, total, || {
                format!(
                    "the text of sheet {sheet:?} adds up to {} or more",
                    Bound::TableText.amount(total)
                )
            })?;
            for r in row..=last {
                for (c, text) in &values {
                    // Within the row bound, checked above.
                    cells.push(r as u32, *c, text.as_str().into())?;
                }
            }
        }
        row = row.saturating_add(repeats);
    }
}

/// The cells with a value of the row just opened (column, text), up to its end. A value
/// repeated over columns is repeated here, within the column bound.
fn read_row<R: Read>(
    xml: &mut Xml<'_, R>,
    sheet: &str,
    row: u64,
) -> Result<Vec<(u32, String)>, IngestError> {
    let gate = xml.gate;
    let columns = gate.limit(Bound::Columns);
    let mut values = Vec::new();
    let mut col: u64 = 0;
    loop {
        let (tag, open) = match xml.next()? {
            Ev::Start(tag) if is_cell(&tag.name) => (tag, true),
            Ev::Empty(tag) if is_cell(&tag.name) => (tag, false),
            Ev::End(name) if name == "table:table-row" => return Ok(values),
            Ev::Eof => return Err(xml.ends_early("table:table-row")),
            _ => continue,
        };
        let repeats = xml.count(&tag, "table:number-columns-repeated")?;
        if let Some(text) = cell_value(xml, &tag, open)? {
            let last = col.saturating_add(repeats - 1);
            if last >= columns {
                // The first column past the bound is the one named.
                let col = u32::try_from(col.max(columns)).unwrap_or(u32::MAX);
                let row = u32::try_from(row).unwrap_or(u32::MAX);
                return Err(gate.refuse(
                    Bound::Columns,
                    u64::from(col) + 1,
                    format!(
                        "sheet {sheet:?} has a value in cell {}, column {}",
                        cell_ref(row, col),
                        Gate::n(u64::from(col) + 1)
                    ),
                ));
            }
            gate.check(Bound::CellText, text.len() as u64, || {
                format!(
                    "cell {} of sheet {sheet:?} holds {}",
                    cell_ref(
                        u32::try_from(row).unwrap_or(u32::MAX),
                        u32::try_from(col).unwrap_or(u32::MAX)
                    ),
                    Bound::CellText.amount(text.len() as u64)
                )
            })?;
            for c in col..=last {
                values.push((c as u32, text.clone()));
            }
        }
        col = col.saturating_add(repeats);
    }
}

fn is_cell(name: &str) -> bool {
    name == "table:table-cell" || name == "table:covered-table-cell"
}

/// The text of the cell just read (`open`: it has content, up to its end), as the library
/// reads it; `None` when it is empty or spaces only.
fn cell_value<R: Read>(
    xml: &mut Xml<'_, R>,
    tag: &Tag,
    open: bool,
) -> Result<Option<String>, IngestError> {
    let (mut value, mut is_string, mut is_error) = (None, false, false);
    for (key, v) in &tag.attrs {
        match key.as_str() {
            "office:value" if value.is_none() => {
                let f = v.trim().parse::<f64>().map_err(|_| {
                    archive::unreadable(
                        &xml.gate,
                        xml.format,
                        format!("content.xml: office:value {v:?} is not a number"),
                    )
                })?;
                value = Some(Data::Float(f));
            }
            "office:string-value" if value.is_none() => value = Some(Data::String(v.clone())),
            "office:date-value" if value.is_none() => value = Some(Data::DateTimeIso(v.clone())),
            "office:time-value" if value.is_none() => value = Some(Data::DurationIso(v.clone())),
            "office:boolean-value" if value.is_none() => {
                value = Some(Data::Bool(v == "TRUE" || v == "true"));
            }
            "office:value-type" if value.is_none() => is_string = v == "string",
            "calcext:value-type" => is_error = v == "error",
            _ => {}
        }
    }
    let from_content = (value.is_none() && is_string)
        || (is_error && matches!(&value, Some(Data::String(s)) if s.is_empty()));
    if !open {
        return Ok(if from_content {
            None
        } else {
            value.as_ref().and_then(cell_text)
        });
    }
    if !from_content {
        xml.skip(&tag.name)?;
        return Ok(value.as_ref().and_then(cell_text));
    }
    let mut text = Text::new(xml.gate.limit(Bound::CellText));
    let mut first_paragraph = true;
    loop {
        match xml.next()? {
            Ev::Text(t) | Ev::Ref(t) => {
                for ch in t.chars() {
                    text.push(xml.gate, ch)?;
                }
            }
            Ev::End(name) if is_cell(&name) => return Ok(text.finish()),
            Ev::Start(t) if t.name == "office:annotation" => xml.skip("office:annotation")?,
            Ev::Start(t) | Ev::Empty(t) => match t.name.as_str() {
                "text:p" if first_paragraph => first_paragraph = false,
                "text:p" => text.push(xml.gate, '\n')?,
                "text:s" => {
                    let n = xml.count_or(&t, "text:c", 1)?;
                    text.spaces(' ', n);
                }
                "text:tab" => text.push(xml.gate, '\t')?,
                "text:line-break" => text.push(xml.gate, '\n')?,
                _ => {}
            },
            Ev::Eof => return Err(xml.ends_early(&tag.name)),
            _ => {}
        }
    }
}

/// A cell's text as it is read: runs of whitespace are held as counts until more text follows
/// them, so whitespace at either end (trimmed away) is never written out.
struct Text {
    s: String,
    /// Whitespace not yet written: (character, how many), in order.
    pending: Vec<(char, u64)>,
    limit: u64,
}

impl Text {
    fn new(limit: u64) -> Text {
        Text {
            s: String::new(),
            pending: Vec::new(),
            limit,
        }
    }

    fn spaces(&mut self, ch: char, n: u64) {
        match self.pending.last_mut() {
            Some((c, count)) if *c == ch => *count = count.saturating_add(n),
            _ => self.pending.push((ch, n)),
        }
    }

    fn push(&mut self, gate: Gate<'_>, ch: char) -> Result<(), IngestError> {
        if ch.is_whitespace() {
            self.spaces(ch, 1);
            return Ok(());
        }
        if !self.s.is_empty() {
            let held: u64 = self
                .pending
                .iter()
                .map(|(c, n)| n.saturating_mul(c.len_utf8() as u64))
                .fold(0, u64::saturating_add);
            let len = (self.s.len() as u64).saturating_add(held);
            gate.check(Bound::CellText, len, || {
                format!("a cell holds {} or more", Bound::CellText.amount(len))
            })?;
            for (c, n) in self.pending.drain(..) {
                self.s.extend(std::iter::repeat_n(c, n as usize));
            }
        }
        self.pending.clear();
        self.s.push(ch);
        let len = self.s.len() as u64;
        if len > self.limit {
            return Err(gate.refuse(
                Bound::CellText,
                len,
                format!("a cell holds {} or more", Bound::CellText.amount(len)),
            ));
        }
        Ok(())
    }

    fn finish(self) -> Option<String> {
        (!self.s.is_empty()).then_some(self.s)
    }
}

/// A start tag: its name and attributes (values unescaped), as written.
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The events this reader uses, owned, so that reading the next one needs no borrow of the
/// last.
enum Ev {
    Start(Tag),
    Empty(Tag),
    End(String),
    /// Text, line ends normalised.
    Text(String),
    /// An entity or character reference, resolved.
    Ref(String),
    Eof,
}

/// A guarded XML part and its parser.
struct Xml<'g, R> {
    gate: Gate<'g>,
    format: InputFormat,
    part: &'static str,
    parser: quick_xml::Reader<BufReader<TokenGuard<R>>>,
    buf: Vec<u8>,
}

impl<'g, R: Read> Xml<'g, R> {
    fn new(
        gate: &Gate<'g>,
        format: InputFormat,
        part: &'static str,
        guard: TokenGuard<R>,
    ) -> Xml<'g, R> {
        Xml {
            gate: *gate,
            format,
            part,
            parser: quick_xml::Reader::from_reader(BufReader::new(guard)),
            buf: Vec::new(),
        }
    }

    fn next(&mut self) -> Result<Ev, IngestError> {
        self.buf.clear();
        let fail = |xml: &Self, detail: String| {
            let stop = xml.parser.get_ref().get_ref().stop();
            archive::xml_failure(&xml.gate, xml.format, xml.part, stop, &detail)
        };
        let event = match self.parser.read_event_into(&mut self.buf) {
            Ok(event) => event,
            Err(e) => {
                let detail = e.to_string();
                return Err(fail(self, detail));
            }
        };
        let tag = |e: &BytesStart<'_>| -> Result<Tag, String> {
            let mut attrs = Vec::new();
            for a in e.attributes().with_checks(false) {
                let a = a.map_err(|e| e.to_string())?;
                let value = quick_xml::escape::unescape(&a.value).map_err(|e| e.to_string())?;
                attrs.push((a.key.as_ref().to_string(), value.into_owned()));
            }
            Ok(Tag {
                name: e.name().as_ref().to_string(),
                attrs,
            })
        };
        let ev = match event {
            Event::Start(e) => tag(&e).map(Ev::Start),
            Event::Empty(e) => tag(&e).map(Ev::Empty),
            Event::End(e) => Ok(Ev::End(e.name().as_ref().to_string())),
            Event::Text(t) => Ok(Ev::Text(t.xml10_content().into_owned())),
            Event::GeneralRef(r) => match quick_xml::escape::resolve_xml_entity(&r) {
                Some(s) => Ok(Ev::Ref(s.to_string())),
                None => match r.resolve_char_ref() {
                    Ok(Some(c)) => Ok(Ev::Ref(c.to_string())),
                    Ok(None) => Err(format!("unknown entity &{};", &*r)),
                    Err(e) => Err(e.to_string()),
                },
            },
            Event::Eof => Ok(Ev::Eof),
            _ => Ok(Ev::Text(String::new())),
        };
        ev.map_err(|detail| fail(self, detail))
    }

    /// Read past the end of element `name`, just opened.
    fn skip(&mut self, name: &str) -> Result<(), IngestError> {
        let mut depth = 1u64;
        loop {
            match self.next()? {
                Ev::Start(t) if t.name == name => depth += 1,
                Ev::End(n) if n == name => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Ev::Eof => return Err(self.ends_early(name)),
                _ => {}
            }
        }
    }

    /// A repeat count of `tag` (1 when absent; at least 1).
    fn count(&self, tag: &Tag, attr: &str) -> Result<u64, IngestError> {
        Ok(self.count_or(tag, attr, 1)?.max(1))
    }

    fn count_or(&self, tag: &Tag, attr: &str, default: u64) -> Result<u64, IngestError> {
        match tag.attr(attr) {
            None => Ok(default),
            Some(v) => v.trim().parse::<u64>().map_err(|_| {
                archive::unreadable(
                    &self.gate,
                    self.format,
                    format!("{}: {attr} {v:?} is not a count", self.part),
                )
            }),
        }
    }

    fn ends_early(&self, open: &str) -> IngestError {
        archive::unreadable(
            &self.gate,
            self.format,
            format!("{} ends inside <{open}>", self.part),
        )
    }
}
