//! The workbook readers against the real fixtures (read as the spreadsheet library's range
//! reader reads them), and what they keep of padded and repeated sheets. The hostile corpus
//! as a whole is in the ingest tests.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use calamine::Reader;

use super::*;
use crate::ingest::format::InputFormat;

fn fixture(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir)
        .join(name)
}

/// The table of `sheet` as the library's range reader lays it out (how every workbook was read
/// before the bounded readers): what the readers must still give for real files.
fn as_the_range_reader_reads(bytes: &[u8], sheet: &str) -> RawTable {
    let limits = Limits::STANDARD;
    let gate = Gate::new("x", &limits);
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = workbook.worksheet_range(sheet).unwrap();
    let (row0, col0) = range.start().unwrap();
    let mut cells = Cells::new(&gate, sheet.to_string());
    for (r, c, value) in range.used_cells() {
        if let Some(text) = cell_text(value) {
            cells
                .push(row0 + r as u32, col0 + c as u32, text.into())
                .unwrap();
        }
    }
    table::build(&gate, cells).unwrap()
}

fn read_file(path: &Path, sheet: Option<&str>, limits: &Limits) -> Result<RawTable, IngestError> {
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let format = InputFormat::from_name(name).unwrap();
    read(name, &bytes, format, sheet, limits)
}

#[test]
fn real_workbooks_read_as_the_range_reader_reads_them() {
    for (name, sheet) in [
        ("kegiatan_jember.xlsx", "Kegiatan"),
        ("kegiatan.ods", "Sheet1"),
        ("kegiatan.xls", "Sheet1"),
    ] {
        let path = fixture("ingest", name);
        let bytes = std::fs::read(&path).unwrap();
        let expected = as_the_range_reader_reads(&bytes, sheet);
        let read = read_file(&path, Some(sheet), &Limits::STANDARD).unwrap();
        assert!(
            read.frame.equals_missing(&expected.frame),
            "{name}:\n{}\nexpected:\n{}",
            read.frame,
            expected.frame
        );
        assert_eq!(read.notes, expected.notes, "{name}");
        assert!(read.frame.height() >= 2, "{name}");
    }
}

#[test]
fn a_wrong_sheet_or_a_non_workbook_is_named() {
    let path = fixture("ingest", "kegiatan_jember.xlsx");
    let e = read_file(&path, Some("Rekap"), &Limits::STANDARD)
        .unwrap_err()
        .to_string();
    assert!(e.contains("its sheets are: Catatan, Kegiatan"), "{e}");
    let e = read(
        "x.xlsx",
        b"PK\x03\x04 not a zip",
        InputFormat::Xlsx,
        None,
        &Limits::STANDARD,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("is not a readable xlsx workbook"), "{e}");
    let e = read_file(
        &fixture("ingest", "not_really.xlsx"),
        None,
        &Limits::STANDARD,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("workbook"), "{e}");
}

#[test]
fn whitespace_padding_within_the_bounds_is_skipped_and_costs_nothing() {
    // Past the compression bound, the padded sheet is read: 100,000 cells of spaces go by and
    // only the table's ten cells are kept.
    let limits = Limits {
        compression_ratio: 1_000,
        ..Limits::STANDARD
    };
    let bytes = std::fs::read(fixture("hostile", "whitespace_padded.xlsx")).unwrap();
    let gate = Gate::new("whitespace_padded.xlsx", &limits);
    let (zip, _) = archive::open(&gate, &bytes, InputFormat::Xlsx).unwrap();
    let cells = xlsx::read(&gate, zip, &bytes, InputFormat::Xlsx, None).unwrap();
    assert_eq!(cells.len(), 10);
    let table = table::build(&gate, cells).unwrap();
    assert_eq!(table.frame.height(), 1);
}

/// An `.ods` of one sheet whose rows are `rows` (XML of `table:table-row` elements).
fn ods(rows: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Data">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let mut out = Cursor::new(Vec::new());
    let mut zip = ::zip::ZipWriter::new(&mut out);
    let stored = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap();
    out.into_inner()
}

fn string_cell(text: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
    )
}

fn header_row() -> String {
    let cells: String = ["tanggal", "kode_wilayah", "program", "jumlah"]
        .iter()
        .map(|h| string_cell(h))
        .collect();
    format!("<table:table-row>{cells}</table:table-row>")
}

fn ods_cells(rows: &str, limits: &Limits) -> Result<usize, IngestError> {
    let bytes = ods(rows);
    let gate = Gate::new("a.ods", limits);
    let (zip, _) = archive::open(&gate, &bytes, InputFormat::Ods).unwrap();
    ods::read(&gate, zip, InputFormat::Ods, None).map(|c| c.len())
}

#[test]
fn ods_repeats_are_counted_before_they_are_repeated() {
    let data = |repeat: &str| {
        format!(
            r#"{}<table:table-row{repeat}><table:table-cell office:value-type="date" office:date-value="2024-01-02"/>{}{}<table:table-cell office:value-type="float" office:value="2"/></table:table-row>"#,
            header_row(),
            string_cell("35.09.01"),
            string_cell("wifi_publik"),
        )
    };
    assert_eq!(ods_cells(&data(""), &Limits::STANDARD).unwrap(), 8);
    assert_eq!(
        ods_cells(
            &data(r#" table:number-rows-repeated="3""#),
            &Limits::STANDARD
        )
        .unwrap(),
        16
    );
    let few = Limits {
        cells: 10,
        ..Limits::STANDARD
    };
    let e = ods_cells(&data(r#" table:number-rows-repeated="100000""#), &few).unwrap_err();
    assert!(
        matches!(
            e,
            IngestError::TooLarge {
                bound: Bound::Cells,
                found: 400_004,
                ..
            }
        ),
        "{e}"
    );
    // Empty repeated rows and cells cost nothing; a repeated value past the last row is refused.
    let padded = format!(
        r#"{}<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#,
        data("")
    );
    assert_eq!(ods_cells(&padded, &Limits::STANDARD).unwrap(), 8);
    let tall = format!(
        r#"{}<table:table-row table:number-rows-repeated="1048000">{}</table:table-row>"#,
        header_row(),
        string_cell("x")
    );
    let e = ods_cells(&tall, &Limits::STANDARD).unwrap_err();
    assert!(
        matches!(
            e,
            IngestError::TooLarge {
                bound: Bound::Rows,
                found: 1_048_001,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn ods_text_is_read_as_the_library_reads_it_and_spaces_cost_nothing() {
    let read_one = |cell: &str| {
        let bytes = ods(&format!(
            "{}<table:table-row>{cell}{}{}{}</table:table-row>",
            header_row(),
            string_cell("b"),
            string_cell("c"),
            string_cell("1")
        ));
        let gate_limits = Limits::STANDARD;
        let gate = Gate::new("a.ods", &gate_limits);
        let (zip, _) = archive::open(&gate, &bytes, InputFormat::Ods).unwrap();
        let cells = ods::read(&gate, zip, InputFormat::Ods, None)?;
        Ok::<_, IngestError>(
            cells
                .cells
                .iter()
                .find(|(r, c, _)| (*r, *c) == (1, 0))
                .map(|(_, _, t)| t.clone()),
        )
    };
    let cell = |inner: &str| {
        format!(r#"<table:table-cell office:value-type="string">{inner}</table:table-cell>"#)
    };
    assert_eq!(
        read_one(&cell(
            "<text:p>a<text:s text:c=\"2\"/>b</text:p><text:p>c&amp;d<text:tab/>e</text:p>"
        ))
        .unwrap()
        .as_deref(),
        Some("a  b\nc&d\te")
    );
    // Spaces at either end are trimmed without being written out, however many.
    assert_eq!(
        read_one(&cell(r#"<text:p><text:s text:c="1000000000"/></text:p>"#)).unwrap(),
        None
    );
    assert_eq!(
        read_one(&cell(
            r#"<text:p><text:s text:c="1000000000"/>x<text:s text:c="1000000000"/></text:p>"#
        ))
        .unwrap()
        .as_deref(),
        Some("x")
    );
    // Between words they are the cell's text, and held to its bound.
    let e = read_one(&cell(r#"<text:p>a<text:s text:c="1000000000"/>b</text:p>"#)).unwrap_err();
    assert!(
        matches!(
            e,
            IngestError::TooLarge {
                bound: Bound::CellText,
                ..
            }
        ),
        "{e}"
    );
    // The first value attribute wins; an annotation is not the value.
    assert_eq!(
        read_one(r#"<table:table-cell office:value-type="float" office:value="2.50" office:string-value="x"><text:p>2,5</text:p></table:table-cell>"#).unwrap().as_deref(),
        Some("2.5")
    );
    assert_eq!(
        read_one(&cell(
            "<office:annotation><text:p>note</text:p></office:annotation><text:p>v</text:p>"
        ))
        .unwrap()
        .as_deref(),
        Some("v")
    );
}
