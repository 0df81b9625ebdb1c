//! CSV in batches: decoding (BOM, UTF-8 or Windows-1252), the delimiter, batches cut at
//! record boundaries, and every record and field held to the bounds of [`Limits`] before the
//! CSV parser sees it.
//!
//! A batch is parsed by polars with the file's header in front, every column as text, so a
//! batch reads exactly as the whole file would. The CSV parser holds a record, and a field,
//! whole while it parses it: each batch's records are measured first (a fast scan for
//! separators, quotes and line ends), and a record over [`Limits::record_bytes`] or a field
//! over [`Limits::cell_text`] refuses the file naming its row. A file on disk is never read
//! further than that bound past a batch while looking for a line end. Judging cell values is
//! not done here.

use std::io::Cursor;

use polars::prelude::*;

use super::limits::{Bound, Gate, Limits};
use super::parse::NumberStyle;
use super::read::{RawTable, polars_err};
use super::{IngestError, schema};
use crate::store::cols;

fn invalid(name: &str, message: impl Into<String>) -> IngestError {
    IngestError::Unreadable {
        path: name.into(),
        message: message.into(),
    }
}

/// UTF-8 (BOM stripped) as is; anything else is taken as Windows-1252, what Excel on Windows
/// writes. Binary content is refused.
pub(super) fn decode<'a>(
    name: &str,
    bytes: &'a [u8],
) -> Result<std::borrow::Cow<'a, str>, IngestError> {
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
pub(super) fn decode_owned(
    name: &str,
    bytes: Vec<u8>,
) -> Result<std::borrow::Cow<'static, str>, IngestError> {
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
    pub(super) fn text(text: std::borrow::Cow<'a, str>) -> CsvSource<'a> {
        CsvSource::Text { text, pos: 0 }
    }

    /// A file source with its first block read (BOM removed, checked for being text).
    pub(super) fn file(
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
    /// boundary; `None` when nothing is left. A record still without its end `longest` bytes
    /// past the batch size is not read further: it comes as it is, for the record check to
    /// refuse, so a file without line ends is never read whole.
    fn next_records(
        &mut self,
        name: &str,
        batch_bytes: usize,
        longest: usize,
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
                    // A record longer than the buffer (or no newline yet): read more, up to
                    // a record of `longest` bytes past the batch.
                    let enough = batch_bytes
                        .saturating_add(batch_bytes / 2)
                        .saturating_add(longest);
                    if end == buf.len() && !*eof && buf.len() <= enough {
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
    limits: &'a Limits,
}

impl<'a> CsvBatches<'a> {
    pub(super) fn new(
        name: &'a str,
        mut source: CsvSource<'a>,
        limits: &'a Limits,
    ) -> Result<CsvBatches<'a>, IngestError> {
        let gate = Gate::new(name, limits);
        let head = source.head();
        // The header's length first: the delimiter is guessed, and the header parsed, from it.
        let header_end = record_end_from(head.as_bytes(), 0, 0);
        gate.check(Bound::RecordBytes, header_end as u64, || {
            format!(
                "row 1 (the header) is {} or more long",
                Bound::RecordBytes.amount(header_end as u64)
            )
        })?;
        let sep = detect_delimiter(head);
        check_records(&gate, &head.as_bytes()[..header_end], sep, 1)?;
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
        schema::check_duplicates(&names, name, limits.contract)?;
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
            limits,
        })
    }

    pub(super) fn next_batch(&mut self) -> Result<Option<RawTable>, IngestError> {
        let (name, sep) = (self.name, self.sep);
        let gate = Gate::new(name, self.limits);
        let longest = gate.limit(Bound::RecordBytes) as usize;
        let records = self.source.next_records(name, self.batch_bytes, longest)?;
        if records.is_none() && self.started {
            return Ok(None);
        }
        self.started = true;
        // Every batch is read with the header in front.
        let records = records.as_deref().unwrap_or_default();
        check_records(&gate, records, sep, self.next_row)?;
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
        schema::canonicalise_header(&mut df, name, self.limits.contract)?;
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

/// Refuse `records` (whole CSV records, separated by `sep`, the first being row `first_row`)
/// when one is longer than [`Limits::record_bytes`] or holds a field longer than
/// [`Limits::cell_text`]: the CSV parser would hold such a record or field whole. A blank line
/// is a row, as the parser counts it.
fn check_records(
    gate: &Gate<'_>,
    records: &[u8],
    sep: u8,
    first_row: i64,
) -> Result<(), IngestError> {
    let (record_limit, field_limit) = (
        gate.limit(Bound::RecordBytes) as usize,
        gate.limit(Bound::CellText) as usize,
    );
    let (mut row, mut record_start, mut field_start, mut quoted) = (first_row, 0, 0, false);
    // The field first: one huge field is named as such, not as a long record.
    let check = |row: i64, at: usize, record_start: usize, field_start: usize| {
        if at - field_start > field_limit {
            let len = (at - field_start) as u64;
            return Err(gate.refuse(
                Bound::CellText,
                len,
                format!(
                    "row {row} has a field of {} or more",
                    Bound::CellText.amount(len)
                ),
            ));
        }
        if at - record_start > record_limit {
            let len = (at - record_start) as u64;
            return Err(gate.refuse(
                Bound::RecordBytes,
                len,
                format!(
                    "row {row} is {} or more long",
                    Bound::RecordBytes.amount(len)
                ),
            ));
        }
        Ok(())
    };
    let mut i = 0;
    // Only separators, quotes and line ends matter; the bytes between them are skipped.
    while let Some(k) = memchr::memchr3(sep, b'"', b'\n', &records[i..]) {
        let at = i + k;
        check(row, at, record_start, field_start)?;
        match records[at] {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                row += 1;
                (record_start, field_start) = (at + 1, at + 1);
            }
            b if b == sep && !quoted => field_start = at + 1,
            _ => {}
        }
        i = at + 1;
    }
    check(row, records.len(), record_start, field_start)
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
pub(super) fn read_csv(name: &str, bytes: &[u8], limits: &Limits) -> Result<RawTable, IngestError> {
    let mut batches = CsvBatches::new(name, CsvSource::text(decode(name, bytes)?), limits)?;
    batches.batch_bytes = usize::MAX / 4;
    Ok(batches
        .next_batch()?
        .expect("a non-empty file has a first batch"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::format::InputFormat;
    use crate::ingest::read::{Batches, batches, file_batches, read};

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
        let whole = read(
            "a.csv",
            text.as_bytes(),
            InputFormat::Csv,
            None,
            &Limits::STANDARD,
        )
        .unwrap()
        .frame;
        assert_eq!(whole.height(), 40);
        for batch_bytes in [1, 7, 64, 200] {
            let mut batches = CsvBatches::new(
                "a.csv",
                CsvSource::text(text.as_str().into()),
                &Limits::STANDARD,
            )
            .unwrap();
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
        let whole = read(
            "a.csv",
            text.as_bytes(),
            InputFormat::Csv,
            None,
            &Limits::STANDARD,
        )
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
                &Limits::STANDARD,
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
            file_batches(
                "a.csv",
                &path,
                InputFormat::Csv,
                None,
                false,
                None,
                &Limits::STANDARD,
            )
            .unwrap(),
            64,
        );
        let from_bytes = stack(
            batches("a.csv", &latin, InputFormat::Csv, None, &Limits::STANDARD).unwrap(),
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

    #[test]
    fn a_long_record_or_field_is_refused_naming_its_row() {
        let limits = Limits {
            record_bytes: 60,
            cell_text: 20,
            ..Limits::STANDARD
        };
        let refused =
            |text: &str| match read("a.csv", text.as_bytes(), InputFormat::Csv, None, &limits) {
                Err(IngestError::TooLarge { bound, what, .. }) => (bound, what),
                other => panic!("{text}: {other:?}"),
            };
        let head = "tanggal,kode_wilayah,program,jumlah\n2024-01-01,35.09.01,p,1\n\n";
        // Row 4: the blank line is row 3, as the CSV parser counts it.
        let (bound, what) = refused(&format!("{head}2024-01-02,35.09.01,{},1\n", "p".repeat(21)));
        assert_eq!(bound, Bound::CellText);
        assert!(what.starts_with("row 4 has a field of"), "{what}");
        // A quoted separator or line end is inside the field; the record goes on.
        let (bound, what) = refused(&format!(
            "{head}2024-01-02,\"35,\n09\",\"{}\",1,{}",
            "q".repeat(8),
            "r,".repeat(20)
        ));
        assert_eq!(bound, Bound::RecordBytes);
        assert!(what.starts_with("row 4 is"), "{what}");
        let (bound, what) = refused(&format!("{},b,c,d\n", "h".repeat(70)));
        assert_eq!(bound, Bound::RecordBytes);
        assert!(what.starts_with("row 1 (the header)"), "{what}");
        assert!(read("a.csv", head.as_bytes(), InputFormat::Csv, None, &limits).is_ok());
    }

    #[test]
    fn a_file_without_line_ends_is_not_read_whole_looking_for_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let mut text = String::from("tanggal,kode_wilayah,program,jumlah\n");
        text.push_str(&"x".repeat(3 << 20));
        std::fs::write(&path, &text).unwrap();
        let limits = Limits {
            record_bytes: 1 << 16,
            cell_text: 1 << 30,
            ..Limits::STANDARD
        };
        TEST_BATCH_BYTES.with(|b| b.set(Some(1 << 16)));
        let read_bytes = std::sync::atomic::AtomicU64::new(0);
        let progress = |n: u64| {
            read_bytes.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        };
        let mut batches = file_batches(
            "a.csv",
            &path,
            InputFormat::Csv,
            None,
            true,
            Some(&progress),
            &limits,
        )
        .unwrap();
        TEST_BATCH_BYTES.with(|b| b.set(None));
        let e = loop {
            match batches.next_batch() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("read without a refusal"),
                Err(e) => break e,
            }
        };
        assert!(
            matches!(
                e,
                IngestError::TooLarge {
                    bound: Bound::RecordBytes,
                    ..
                }
            ),
            "{e}"
        );
        let read = read_bytes.load(std::sync::atomic::Ordering::Relaxed);
        assert!(read < 1 << 20, "{read} bytes of a 3 MiB file read");
    }
}
