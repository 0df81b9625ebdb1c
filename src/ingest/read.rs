//! Readers: bytes of a CSV, Excel or JSON file in, one all-text table out.
//!
//! Every reader produces the same shape, a [`RawTable`]: canonical column names (see
//! [`super::schema`]), every cell as text or null, and the row number as the person who made the
//! file sees it. Decoding (BOM, UTF-8 or Windows-1252), delimiter detection, header rows below
//! titles and merged header cells are handled here; judging cell values is not.

use std::io::Cursor;

use calamine::{Data, Reader};
use polars::prelude::*;

use super::format::InputFormat;
use super::parse::NumberStyle;
use super::{IngestError, schema};
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

/// Read `bytes` (named `name`) in `format`; `sheet` picks an Excel sheet by name.
pub fn read(
    name: &str,
    bytes: &[u8],
    format: InputFormat,
    sheet: Option<&str>,
) -> Result<RawTable, IngestError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::Empty { path: name.into() });
    }
    match format {
        InputFormat::Csv => read_csv(name, bytes),
        InputFormat::Xlsx | InputFormat::Xls | InputFormat::Ods => {
            read_workbook(name, bytes, format, sheet)
        }
        InputFormat::Json | InputFormat::Ndjson => read_json(name, bytes, format),
    }
}

fn invalid(name: &str, message: impl Into<String>) -> IngestError {
    IngestError::Unreadable {
        path: name.into(),
        message: message.into(),
    }
}

/// UTF-8 (BOM stripped) as is; anything else is taken as Windows-1252, what Excel on Windows
/// writes. Binary content is refused.
fn decode<'a>(name: &str, bytes: &'a [u8]) -> Result<std::borrow::Cow<'a, str>, IngestError> {
    sniff_text(name, bytes)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        // UTF-8 is used in place; only Windows-1252 text is copied while it is converted.
        Ok(s) => Ok(std::borrow::Cow::Borrowed(s)),
        Err(_) => Ok(std::borrow::Cow::Owned(
            bytes.iter().map(|&b| windows_1252(b)).collect(),
        )),
    }
}

/// As [`decode`], for bytes the reader owns (a file read whole): UTF-8 is kept without a copy.
fn decode_owned(name: &str, bytes: Vec<u8>) -> Result<std::borrow::Cow<'static, str>, IngestError> {
    match decode(name, &bytes)? {
        std::borrow::Cow::Owned(text) => Ok(std::borrow::Cow::Owned(text)),
        std::borrow::Cow::Borrowed(_) => {
            let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
                3
            } else {
                0
            };
            let mut bytes = bytes;
            bytes.drain(..start);
            Ok(std::borrow::Cow::Owned(
                String::from_utf8(bytes).expect("checked by decode"),
            ))
        }
    }
}

/// Refuse what is not text at all, judged on the first 64 KiB: a PDF, a zip archive, binary.
fn sniff_text(name: &str, bytes: &[u8]) -> Result<(), IngestError> {
    if bytes.starts_with(b"%PDF") {
        return Err(invalid(name, "is a PDF document, not a CSV file"));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(invalid(
            name,
            "is a zip archive (an Excel workbook?), not a CSV file; upload it as .xlsx",
        ));
    }
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t'))
        .count();
    if control > sample.len() / 100 + 1 {
        return Err(invalid(
            name,
            "contains binary data (control characters), not text",
        ));
    }
    Ok(())
}

/// Windows-1252 → char. Only 0x80–0x9F differ from Latin-1.
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

/// Count `sep` outside quotes in a line.
fn count_outside_quotes(line: &str, sep: char) -> usize {
    let mut quoted = false;
    line.chars()
        .filter(|&c| {
            if c == '"' {
                quoted = !quoted;
            }
            c == sep && !quoted
        })
        .count()
}

/// The delimiter whose count is the same (and non-zero) on most of the first lines, the header
/// weighing most. Comma when nothing fits (a one-column file).
pub(super) fn detect_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let Some(header) = lines.first() else {
        return b',';
    };
    let mut best = (b',', 0usize);
    for sep in [',', ';', '\t', '|'] {
        let in_header = count_outside_quotes(header, sep);
        if in_header == 0 {
            continue;
        }
        let consistent = lines[1..]
            .iter()
            .filter(|l| count_outside_quotes(l, sep) == in_header)
            .count();
        let score = in_header * 4 + consistent;
        if score > best.1 {
            best = (sep as u8, score);
        }
    }
    best.0
}

/// A file read batch by batch: CSV files larger than [`CSV_BATCH_BYTES`] are cut into row
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

/// Read `bytes` (named `name`) in `format` batch by batch; `sheet` picks an Excel sheet.
pub fn batches<'a>(
    name: &'a str,
    bytes: &'a [u8],
    format: InputFormat,
    sheet: Option<&str>,
) -> Result<Batches<'a>, IngestError> {
    in_memory(name, std::borrow::Cow::Borrowed(bytes), format, sheet)
}

/// Read the file at `path` (named `name`) in `format` batch by batch. A UTF-8 CSV file
/// (`utf8`: the caller has checked the whole file) is read from disk as the batches go, so it
/// is never in memory whole; other files are read whole first. `progress` hears the bytes read.
pub fn file_batches<'a>(
    name: &'a str,
    path: &std::path::Path,
    format: InputFormat,
    sheet: Option<&str>,
    utf8: bool,
    progress: Option<&'a (dyn Fn(u64) + Send + Sync)>,
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
        )?));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    if let Some(report) = progress {
        report(bytes.len() as u64);
    }
    in_memory(name, std::borrow::Cow::Owned(bytes), format, sheet)
}

/// Batches of bytes held in memory, borrowed (an upload) or owned (a file read whole).
fn in_memory<'a>(
    name: &'a str,
    bytes: std::borrow::Cow<'a, [u8]>,
    format: InputFormat,
    sheet: Option<&str>,
) -> Result<Batches<'a>, IngestError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::Empty { path: name.into() });
    }
    match (format, bytes) {
        (InputFormat::Csv, std::borrow::Cow::Borrowed(b)) => Ok(Batches::Csv(CsvBatches::new(
            name,
            CsvSource::text(decode(name, b)?),
        )?)),
        (InputFormat::Csv, std::borrow::Cow::Owned(b)) => Ok(Batches::Csv(CsvBatches::new(
            name,
            CsvSource::text(decode_owned(name, b)?),
        )?)),
        (_, b) => Ok(Batches::Whole(Some(read(name, &b, format, sheet)?))),
    }
}

/// Size of the CSV text in one batch (about 180,000 rows of a typical activity file): big
/// enough that the per-batch costs vanish, small enough that a batch's cells, parsed values
/// and Parquet part stay well under 100 MB.
const CSV_BATCH_BYTES: usize = 16 << 20;

#[cfg(test)]
thread_local! {
    /// Batch size for CSV readers made on this thread: tests cut small files into many batches.
    pub(super) static TEST_BATCH_BYTES: std::cell::Cell<Option<usize>> =
        const { std::cell::Cell::new(None) };
}

fn csv_batch_bytes() -> usize {
    #[cfg(test)]
    if let Some(bytes) = TEST_BATCH_BYTES.with(std::cell::Cell::get) {
        return bytes;
    }
    CSV_BATCH_BYTES
}

/// Where a CSV file's text comes from.
pub enum CsvSource<'a> {
    /// All of it in memory; `pos` is where the next batch starts.
    Text {
        /// The decoded text.
        text: std::borrow::Cow<'a, str>,
        /// Start of the next batch.
        pos: usize,
    },
    /// A UTF-8 file read as the batches go; `buf` holds what was read beyond the last batch,
    /// starting at a record boundary.
    File {
        /// The open file.
        file: std::fs::File,
        /// Read, not yet handed out.
        buf: Vec<u8>,
        /// Whether the file is read to its end.
        eof: bool,
        /// Told the number of bytes of each read.
        progress: Option<&'a (dyn Fn(u64) + Send + Sync)>,
    },
}

impl<'a> CsvSource<'a> {
    fn text(text: std::borrow::Cow<'a, str>) -> CsvSource<'a> {
        CsvSource::Text { text, pos: 0 }
    }

    /// A file source with its first block read (BOM removed, checked for being text).
    fn file(
        name: &str,
        file: std::fs::File,
        progress: Option<&'a (dyn Fn(u64) + Send + Sync)>,
    ) -> Result<CsvSource<'a>, IngestError> {
        let mut source = CsvSource::File {
            file,
            buf: Vec::new(),
            eof: false,
            progress,
        };
        source.fill(name, csv_batch_bytes().max(64 * 1024))?;
        if let CsvSource::File { buf, .. } = &mut source {
            if buf.starts_with(b"\xEF\xBB\xBF") {
                buf.drain(..3);
            }
            sniff_text(name, buf)?;
            if buf.iter().all(|b| b.is_ascii_whitespace()) {
                return Err(IngestError::Empty { path: name.into() });
            }
        }
        Ok(source)
    }

    /// Read until `buf` holds at least `want` bytes or the file ends.
    fn fill(&mut self, name: &str, want: usize) -> Result<(), IngestError> {
        use std::io::Read;
        let CsvSource::File {
            file,
            buf,
            eof,
            progress,
        } = self
        else {
            return Ok(());
        };
        while !*eof && buf.len() < want {
            let old = buf.len();
            buf.resize(want.max(old + (1 << 16)), 0);
            let n = file
                .read(&mut buf[old..])
                .map_err(|e| invalid(name, format!("could not be read to its end: {e}")))?;
            buf.truncate(old + n);
            *eof = n == 0;
            if let Some(report) = progress {
                report(n as u64);
            }
        }
        Ok(())
    }

    /// The text read so far from the start of the file (enough for the header and the
    /// delimiter), as far as it is whole UTF-8.
    fn head(&self) -> &str {
        match self {
            CsvSource::Text { text, .. } => text,
            CsvSource::File { buf, .. } => match std::str::from_utf8(buf) {
                Ok(s) => s,
                // A block can end inside a character: everything before it.
                Err(e) => std::str::from_utf8(&buf[..e.valid_up_to()]).unwrap_or_default(),
            },
        }
    }

    /// The next records, at least `batch_bytes` of them unless the file ends sooner (the rest
    /// comes in one batch unless it is well over the batch size), starting at a record
    /// boundary; `None` when nothing is left.
    fn next_records(
        &mut self,
        name: &str,
        batch_bytes: usize,
    ) -> Result<Option<std::borrow::Cow<'_, [u8]>>, IngestError> {
        let cut = |bytes: &[u8]| {
            if bytes.len() > batch_bytes + batch_bytes / 2 {
                record_end_from(bytes, 0, batch_bytes)
            } else {
                bytes.len()
            }
        };
        match self {
            CsvSource::Text { text, pos } => {
                let rest = &text.as_bytes()[*pos..];
                if rest.is_empty() {
                    return Ok(None);
                }
                let end = cut(rest);
                let start = *pos;
                *pos += end;
                Ok(Some(std::borrow::Cow::Borrowed(
                    &text.as_bytes()[start..start + end],
                )))
            }
            CsvSource::File { .. } => {
                let mut want = batch_bytes + batch_bytes / 2 + 1;
                loop {
                    self.fill(name, want)?;
                    let CsvSource::File { buf, eof, .. } = self else {
                        unreachable!("a file source stays one")
                    };
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let end = cut(buf);
                    // A record longer than the buffer (or no newline yet): read more.
                    if end == buf.len() && !*eof {
                        want = buf.len() * 2;
                        continue;
                    }
                    let rest = buf.split_off(end);
                    return Ok(Some(std::borrow::Cow::Owned(std::mem::replace(buf, rest))));
                }
            }
        }
    }
}

/// A CSV file cut into batches at record boundaries. Every batch is read by the same CSV
/// reader with the file's header line in front, so a batch is read exactly as the whole file
/// would be; row numbers continue across batches.
pub struct CsvBatches<'a> {
    name: &'a str,
    source: CsvSource<'a>,
    sep: u8,
    /// The header record, ending in a newline.
    header: Vec<u8>,
    /// Whether the first batch (which may hold no records) was handed out.
    started: bool,
    /// Spreadsheet row number of the next batch's first record.
    next_row: i64,
    batch_bytes: usize,
}

impl<'a> CsvBatches<'a> {
    fn new(name: &'a str, mut source: CsvSource<'a>) -> Result<CsvBatches<'a>, IngestError> {
        let head = source.head();
        let sep = detect_delimiter(head);
        // Check the header ourselves first: the CSV reader would silently rename a repeated
        // header.
        let names: Vec<String> = csv::ReaderBuilder::new()
            .delimiter(sep)
            .from_reader(head.as_bytes())
            .headers()
            .map_err(|e| invalid(name, format!("has no readable header row: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        schema::check_duplicates(&names, name)?;
        let header_end = record_end_from(head.as_bytes(), 0, 0);
        let mut header = head.as_bytes()[..header_end].to_vec();
        if !header.ends_with(b"\n") {
            header.push(b'\n');
        }
        match &mut source {
            CsvSource::Text { pos, .. } => *pos = header_end,
            CsvSource::File { buf, .. } => {
                buf.drain(..header_end);
            }
        }
        Ok(CsvBatches {
            name,
            source,
            sep,
            header,
            started: false,
            next_row: 2,
            batch_bytes: csv_batch_bytes(),
        })
    }

    fn next_batch(&mut self) -> Result<Option<RawTable>, IngestError> {
        let (name, sep) = (self.name, self.sep);
        let records = self.source.next_records(name, self.batch_bytes)?;
        if records.is_none() && self.started {
            return Ok(None);
        }
        self.started = true;
        // Every batch is read with the header in front.
        let records = records.as_deref().unwrap_or_default();
        let mut chunk = Vec::with_capacity(self.header.len() + records.len());
        chunk.extend_from_slice(&self.header);
        chunk.extend_from_slice(records);
        let mut df = CsvReadOptions::default()
            .with_has_header(true)
            // Every column as text: types are decided by validation, cell by cell, so one bad
            // cell rejects one row instead of failing the file.
            .with_infer_schema_length(Some(0))
            .map_parse_options(|o| o.with_separator(sep).with_quote_char(Some(b'"')))
            .into_reader_with_file_handle(Cursor::new(chunk))
            .finish()
            .map_err(|e| invalid(name, format!("is not a readable CSV file: {e}")))?;
        schema::canonicalise_header(&mut df, name)?;
        let first = self.next_row;
        self.next_row += df.height() as i64;
        let rows = (first..self.next_row).collect::<Vec<i64>>();
        df.with_column(Column::new(cols::SOURCE_ROW.into(), rows))
            .map_err(|e| polars_err(name, e))?;
        Ok(Some(RawTable {
            frame: df,
            fallback_style: if sep == b';' {
                NumberStyle::DecimalComma
            } else {
                NumberStyle::DecimalPoint
            },
            notes: Vec::new(),
        }))
    }
}

/// End (one past the newline) of the record in progress at `from`, or the end of the text,
/// given that `boundary <= from` starts a record.
fn record_end_from(bytes: &[u8], boundary: usize, from: usize) -> usize {
    // Inside quotes when an odd number of quote characters lie between the boundary and `from`
    // (an escaped quote `""` counts twice, so it does not flip the parity).
    let mut quoted = bytes[boundary..from].iter().filter(|&&b| b == b'"').count() % 2 == 1;
    for (i, &b) in bytes[from..].iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => return from + i + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// Read a whole CSV file as one table (the first batch of a reader with no size limit).
fn read_csv(name: &str, bytes: &[u8]) -> Result<RawTable, IngestError> {
    let mut batches = CsvBatches::new(name, CsvSource::text(decode(name, bytes)?))?;
    batches.batch_bytes = usize::MAX / 4;
    Ok(batches
        .next_batch()?
        .expect("a non-empty file has a first batch"))
}

fn polars_err(name: &str, source: PolarsError) -> IngestError {
    IngestError::Polars {
        path: name.into(),
        source,
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

/// Unknown extra columns may share a name (two blank headers); give them distinct names so
/// the frame can be built. Known columns appearing twice are caught by the header check.
fn dedupe_names(columns: &mut [Column]) {
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

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

fn read_json(name: &str, bytes: &[u8], format: InputFormat) -> Result<RawTable, IngestError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| invalid(name, "is not UTF-8 text, as JSON must be"))?;
    let records: Vec<(i64, serde_json::Map<String, serde_json::Value>)> = match format {
        InputFormat::Json => {
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| invalid(name, format!("is not valid JSON: {e}")))?;
            match value {
                serde_json::Value::Array(items) => items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        serde_json::Value::Object(m) => Ok((i as i64 + 1, m)),
                        other => Err(invalid(
                            name,
                            format!("record {} is not an object but {other}", i + 1),
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                serde_json::Value::Object(_) => {
                    return Err(invalid(
                        name,
                        "is a single JSON object; expected an array of activity records ([{…}, {…}]) or one object per line",
                    ));
                }
                other => {
                    return Err(invalid(
                        name,
                        format!("is JSON {other} ; expected an array of activity records"),
                    ));
                }
            }
        }
        _ => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| match serde_json::from_str::<serde_json::Value>(l) {
                Ok(serde_json::Value::Object(m)) => Ok((i as i64 + 1, m)),
                Ok(_) => Err(invalid(name, format!("line {} is not a JSON object", i + 1))),
                Err(e) => Err(invalid(
                    name,
                    format!("line {} is not valid JSON ({e}); expected one object per line, or a JSON array", i + 1),
                )),
            })
            .collect::<Result<_, _>>()?,
    };
    let mut keys: Vec<String> = Vec::new();
    for (_, m) in &records {
        for k in m.keys() {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let height = records.len();
    let columns: Vec<Column> = keys
        .iter()
        .map(|k| {
            let values: Vec<Option<String>> = records
                .iter()
                .map(|(_, m)| m.get(k).and_then(json_text))
                .collect();
            Column::new(k.as_str().into(), values)
        })
        .collect();
    let mut df = DataFrame::new(height, columns).map_err(|e| polars_err(name, e))?;
    schema::canonicalise_header(&mut df, name)?;
    let rows: Vec<i64> = records.iter().map(|(i, _)| *i).collect();
    df.with_column(Column::new(cols::SOURCE_ROW.into(), rows))
        .map_err(|e| polars_err(name, e))?;
    Ok(RawTable {
        frame: df,
        fallback_style: NumberStyle::DecimalPoint,
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected_outside_quotes() {
        assert_eq!(detect_delimiter("a;b;c\n1;\"2,5\";3\n"), b';');
        assert_eq!(detect_delimiter("a,b,c\n1,\"x;y\",3\n"), b',');
        assert_eq!(detect_delimiter("a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(detect_delimiter("single\n1\n"), b',');
    }

    #[test]
    fn windows_1252_text_is_decoded() {
        let text = decode("x.csv", b"caf\xe9 \x93kutip\x94").unwrap();
        assert_eq!(text, "café “kutip”");
    }

    #[test]
    fn pdf_and_binary_files_are_refused() {
        assert!(
            decode("x.csv", b"%PDF-1.7 ...")
                .unwrap_err()
                .to_string()
                .contains("PDF")
        );
        let garbage: Vec<u8> = (0..200u8).collect();
        assert!(
            decode("x.csv", &garbage)
                .unwrap_err()
                .to_string()
                .contains("binary")
        );
    }

    /// A CSV file with quoted separators, quoted newlines, escaped quotes and a CRLF line, cut
    /// into batches of a few records.
    fn awkward_csv() -> String {
        let mut text = String::from("Tanggal;Kode Wilayah;Program;Jumlah;Penyelenggara\r\n");
        for i in 0..40 {
            let organiser = match i % 4 {
                0 => "\"Dinas; Kominfo\"".to_string(),
                1 => "\"baris\nkedua\"".to_string(),
                2 => "\"kata \"\"kutip\"\"\"".to_string(),
                _ => "biasa".to_string(),
            };
            text.push_str(&format!(
                "2024-01-{:02};35.09;wifi_publik;{i},5;{organiser}\n",
                i % 28 + 1
            ));
        }
        text
    }

    #[test]
    fn batches_cut_at_record_boundaries_read_as_the_whole_file_does() {
        let text = awkward_csv();
        let whole = read("a.csv", text.as_bytes(), InputFormat::Csv, None)
            .unwrap()
            .frame;
        assert_eq!(whole.height(), 40);
        for batch_bytes in [1, 7, 64, 200] {
            let mut batches =
                CsvBatches::new("a.csv", CsvSource::text(text.as_str().into())).unwrap();
            batches.batch_bytes = batch_bytes;
            let mut frames = Vec::new();
            while let Some(table) = batches.next_batch().unwrap() {
                frames.push(table.frame);
            }
            assert!(frames.len() > 1, "batch size {batch_bytes} gave one batch");
            let mut stacked = frames.remove(0);
            for f in &frames {
                stacked.vstack_mut(f).unwrap();
            }
            assert!(
                stacked.equals_missing(&whole),
                "batch size {batch_bytes}:\n{stacked}\nwhole:\n{whole}"
            );
        }
    }

    /// Every batch of `batches`, stacked.
    fn stack(mut batches: Batches<'_>, batch_bytes: usize) -> DataFrame {
        if let Batches::Csv(csv) = &mut batches {
            csv.batch_bytes = batch_bytes;
        }
        let mut frames = Vec::new();
        while let Some(table) = batches.next_batch().unwrap() {
            frames.push(table.frame);
        }
        let mut stacked = frames.remove(0);
        for f in &frames {
            stacked.vstack_mut(f).unwrap();
        }
        stacked
    }

    #[test]
    fn a_file_read_from_disk_batch_by_batch_reads_as_the_bytes_do() {
        // A BOM, multi-byte characters, quoted newlines and CRLF, in batches of a few records.
        let text = format!("\u{feff}{}", awkward_csv().replace("biasa", "Désa Ağu"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, &text).unwrap();
        let whole = read("a.csv", text.as_bytes(), InputFormat::Csv, None)
            .unwrap()
            .frame;
        assert_eq!(whole.height(), 40);
        let read_bytes = std::sync::atomic::AtomicU64::new(0);
        let progress = |n: u64| {
            read_bytes.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        };
        for batch_bytes in [1, 7, 64, 200, 1 << 20] {
            read_bytes.store(0, std::sync::atomic::Ordering::Relaxed);
            let batches = file_batches(
                "a.csv",
                &path,
                InputFormat::Csv,
                None,
                true,
                Some(&progress),
            )
            .unwrap();
            assert!(matches!(
                &batches,
                Batches::Csv(CsvBatches {
                    source: CsvSource::File { .. },
                    ..
                })
            ));
            let stacked = stack(batches, batch_bytes);
            assert!(
                stacked.equals_missing(&whole),
                "batch size {batch_bytes}:\n{stacked}\nwhole:\n{whole}"
            );
            assert_eq!(
                read_bytes.load(std::sync::atomic::Ordering::Relaxed),
                text.len() as u64
            );
        }
        // Not UTF-8 throughout: read whole and decoded as Windows-1252, as the bytes are.
        let latin: Vec<u8> = awkward_csv()
            .replace("biasa", "D\u{e9}sa")
            .chars()
            .map(|c| c as u8)
            .collect();
        std::fs::write(&path, &latin).unwrap();
        let from_file = stack(
            file_batches("a.csv", &path, InputFormat::Csv, None, false, None).unwrap(),
            64,
        );
        let from_bytes = stack(
            batches("a.csv", &latin, InputFormat::Csv, None).unwrap(),
            64,
        );
        assert!(from_file.equals_missing(&from_bytes));
    }

    #[test]
    fn a_record_end_is_never_inside_quotes() {
        let text = b"a,b\n1,\"x\ny\"\n2,z\n";
        // From inside the quoted field, the record ends after `"x\ny"`, not at the newline in it.
        assert_eq!(record_end_from(text, 4, 8), 12);
        assert_eq!(record_end_from(text, 0, 0), 4);
        assert_eq!(record_end_from(text, 12, 12), text.len());
    }
}
