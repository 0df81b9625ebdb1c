//! Ingest of real-looking and broken files from tests/data/ingest: each good one lands in the
//! store, each bad one gets a clear error or quarantined rows, none panics, and none changes the
//! store unless valid rows remain.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;
use kotacerdas::framework::Framework;
use kotacerdas::ingest::{self, FileReport, IngestReport, Input, Options, Reference};
use kotacerdas::region::Regions;
use kotacerdas::store::Store;

use crate::helpers::repo;

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/data/ingest").join(name)
}

fn reference() -> Reference<'static> {
    static REF: OnceLock<(Regions, Framework)> = OnceLock::new();
    let (regions, framework) = REF.get_or_init(|| {
        (
            Regions::load(&repo().join("data/regions")).unwrap(),
            Framework::load(&repo().join("data/frameworks/seven_dimensions.toml")).unwrap(),
        )
    });
    Reference {
        regions,
        framework,
        today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        scope: None,
    }
}

struct Run {
    report: IngestReport,
    stored: usize,
    _dir: tempfile::TempDir,
}

impl Run {
    fn file(&self) -> &FileReport {
        &self.report.files[0]
    }
    fn error(&self) -> &str {
        self.file()
            .error
            .as_deref()
            .unwrap_or_else(|| panic!("expected an error: {:?}", self.file()))
    }
}

fn ingest_inputs(inputs: Vec<Input>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let report = ingest::ingest(&inputs, reference(), &store, Options::default()).unwrap();
    let stored = store.load().unwrap().len();
    Run {
        report,
        stored,
        _dir: dir,
    }
}

fn ingest_file(path: &Path, sheet: Option<&str>) -> Run {
    ingest_inputs(vec![Input::from_path(path, sheet).unwrap()])
}

#[test]
fn an_empty_file_is_refused_and_stores_nothing() {
    let run = ingest_file(&fixture("empty.csv"), None);
    assert!(run.error().contains("empty"), "{}", run.error());
    assert_eq!(run.stored, 0);
}

#[test]
fn a_header_only_file_reads_zero_rows_and_stores_nothing() {
    let run = ingest_file(&fixture("header_only.csv"), None);
    assert_eq!((run.file().rows, run.file().accepted), (0, 0));
    assert!(run.file().error.is_none());
    assert_eq!(run.stored, 0);
}

#[test]
fn binary_garbage_is_refused_as_not_text() {
    let run = ingest_file(&fixture("garbage.csv"), None);
    assert!(run.error().contains("binary"), "{}", run.error());
    assert_eq!(run.stored, 0);
}

#[test]
fn a_pdf_renamed_csv_is_refused_as_a_pdf() {
    let run = ingest_file(&fixture("laporan_pdf.csv"), None);
    assert!(run.error().contains("PDF"), "{}", run.error());
}

#[test]
fn semicolons_with_commas_inside_fields_are_not_mistaken_for_the_delimiter() {
    let run = ingest_file(&fixture("titik_koma.csv"), None);
    assert_eq!(
        (run.file().accepted, run.file().rejected),
        (3, 0),
        "{:?}",
        run.report
    );
    assert_eq!(run.stored, 3);
}

#[test]
fn mixed_decimal_styles_quarantine_the_minority_rows_with_a_reason() {
    let run = ingest_file(&fixture("campuran_desimal.csv"), None);
    assert_eq!(
        (run.file().accepted, run.file().rejected),
        (2, 2),
        "{:?}",
        run.report
    );
    for r in &run.report.rejections {
        assert_eq!(r.column, "quantity");
        assert!(r.reason_en.contains("number style"), "{}", r.reason_en);
        assert!(r.reason_id.contains("format angka"), "{}", r.reason_id);
    }
    assert!(run.file().quarantine.is_some());
}

#[test]
fn duplicate_headers_are_refused_naming_both() {
    let run = ingest_file(&fixture("kolom_ganda.csv"), None);
    let e = run.error();
    assert!(e.contains("tanggal") && e.contains("date"), "{e}");
    assert_eq!(run.stored, 0);
}

#[test]
fn a_long_field_is_quarantined_and_a_ten_megabyte_one_refuses_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, organiser: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!("activity_id,date,region_code,programme,quantity,organiser\nBIG-1,2024-01-01,35.09.01,wifi_publik,1,{organiser}\nOK-1,2024-01-01,35.09.01,wifi_publik,1,Diskominfo\n"),
        )
        .unwrap();
        path
    };
    // Over 1,000 characters: the row is rejected, the rest of the file goes in.
    let run = ingest_file(&file("panjang.csv", &"x".repeat(100 * 1024)), None);
    assert_eq!((run.file().accepted, run.file().rejected), (1, 1));
    let r = &run.report.rejections[0];
    assert_eq!((r.row, r.column.as_str()), (2, "organiser"));
    assert!(r.reason_en.contains("too long"));
    assert_eq!(run.stored, 1);
    // Over the field bound (128 KiB): the parser would hold it whole, so the file is refused
    // before it is parsed, naming the row and the bound.
    let run = ingest_file(&file("sangat_panjang.csv", &"x".repeat(10 << 20)), None);
    let e = run.error();
    assert!(e.contains("row 2") && e.contains("(cell_text)"), "{e}");
    assert_eq!(run.stored, 0);
}

#[test]
fn an_unterminated_quote_does_not_swallow_the_file_silently() {
    let run = ingest_file(&fixture("kutip_terbuka.csv"), None);
    // The quote runs to the end of the file: either the reader refuses it, or the row that
    // swallowed the rest is rejected. Never a silent half-ingest.
    match &run.file().error {
        Some(e) => assert!(e.contains("kutip_terbuka.csv"), "{e}"),
        None => assert_eq!(run.file().accepted + run.file().rejected, run.file().rows),
    }
    assert!(run.stored <= 1);
}

#[test]
fn an_xlsx_that_is_really_another_zip_is_refused() {
    let run = ingest_file(&fixture("not_really.xlsx"), None);
    assert!(run.error().contains("workbook"), "{}", run.error());
}

#[test]
fn a_missing_sheet_is_refused_listing_the_sheets() {
    let run = ingest_file(&fixture("kegiatan_jember.xlsx"), Some("Rekap"));
    let e = run.error();
    assert!(
        e.contains("Rekap") && e.contains("Kegiatan") && e.contains("Catatan"),
        "{e}"
    );
}

#[test]
fn an_excel_sheet_with_titles_merged_headers_and_a_totals_row_is_read() {
    let run = ingest_file(&fixture("kegiatan_jember.xlsx"), Some("Kegiatan"));
    let f = run.file();
    assert!(f.error.is_none(), "{:?}", f.error);
    assert_eq!(
        (f.rows, f.accepted, f.rejected),
        (4, 3, 1),
        "{:?}",
        run.report
    );
    let bad = &run.report.rejections[0];
    // Row numbers as Excel shows them: the table starts at row 5.
    assert_eq!((bad.row, bad.column.as_str()), (8, "region_code"));
    assert!(f.notes.iter().any(|n| n.contains("row 9")), "{:?}", f.notes);
    assert_eq!(run.stored, 3);
}

#[test]
fn the_first_sheet_is_read_when_none_is_named() {
    // The first sheet of this workbook is a note, not a table: a clear error says so.
    let run = ingest_file(&fixture("kegiatan_jember.xlsx"), None);
    assert!(run.error().contains("Catatan"), "{}", run.error());
}

#[test]
fn ods_and_xls_workbooks_are_read() {
    for name in ["kegiatan.ods", "kegiatan.xls"] {
        let run = ingest_file(&fixture(name), None);
        assert_eq!(run.file().accepted, 2, "{name}: {:?}", run.report);
    }
}

#[test]
fn a_json_object_instead_of_an_array_is_refused_with_the_expected_shape() {
    let run = ingest_file(&fixture("objek.json"), None);
    assert!(run.error().contains("array"), "{}", run.error());
}

#[test]
fn json_arrays_with_string_numbers_and_ndjson_are_read() {
    let run = ingest_file(&fixture("kegiatan.json"), None);
    assert_eq!(run.file().accepted, 2, "{:?}", run.report);
    let run = ingest_file(&fixture("kegiatan.ndjson"), None);
    assert_eq!((run.file().accepted, run.file().rejected), (1, 1));
    assert_eq!(run.report.rejections[0].row, 2);
}

#[test]
fn windows_1252_text_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let input = Input::from_path(&fixture("windows1252.csv"), None).unwrap();
    ingest::ingest(&[input], reference(), &store, Options::default()).unwrap();
    let acts = store.load().unwrap().activities().unwrap();
    let org = acts
        .frame()
        .column("organiser")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .map(str::to_string);
    assert_eq!(org.as_deref(), Some("Dinas Koperasi – UMKM"));
}
