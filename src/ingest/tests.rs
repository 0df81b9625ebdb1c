use std::path::Path;

use chrono::NaiveDate;

use super::*;
use crate::framework::Framework;
use crate::region::Regions;
use crate::store::Contents;

struct Fixture {
    regions: Regions,
    framework: Framework,
    dir: tempfile::TempDir,
    store: Store,
}

struct Ingested {
    activities: Activities,
    report: IngestReport,
}

impl Fixture {
    fn new() -> Fixture {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        Fixture {
            regions: Regions::load(&data.join("regions")).unwrap(),
            framework: Framework::load(&data.join("frameworks/seven_dimensions.toml")).unwrap(),
            dir,
            store,
        }
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn reference(&self) -> Reference<'_> {
        Reference {
            regions: &self.regions,
            framework: &self.framework,
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            scope: None,
        }
    }

    fn ingest_with(&self, files: &[PathBuf], options: Options) -> Ingested {
        let inputs: Vec<Input> = files
            .iter()
            .map(|p| Input::from_path(p, None).unwrap())
            .collect();
        let report = ingest(&inputs, self.reference(), &self.store, options).unwrap();
        let activities = self.contents().activities().unwrap();
        Ingested { activities, report }
    }

    fn ingest(&self, files: &[PathBuf]) -> Ingested {
        self.ingest_with(files, Options::default())
    }

    fn contents(&self) -> Contents {
        self.store.load().unwrap()
    }
}

const HEADER: &str = "activity_id,date,region_code,programme,dimension,target_group,quantity,participants,budget_idr,organiser\n";

#[test]
fn good_rows_are_typed_and_bad_rows_are_reported_with_row_column_and_reason() {
    let fx = Fixture::new();
    let text = format!(
        "{HEADER}\
A1,2018-07-10,35.09.20,umkm_go_online,economy,UMKM,100,,,Relawan TIK Jember
A2,2018-07-11,35.09.20.1001,internet_sehat,,SMA,20,600,1500000,Relawan TIK Jember
A3,31/02/2020,35.09.20,internet_sehat,,SMA,20,,,x
A4,2019-01-01,99.99.99,internet_sehat,,SMA,20,,,x
A5,2019-01-01,35.09.20,unknown_programme,,SMA,20,,,x
A6,2019-01-01,35.09.20,internet_sehat,economy,SMA,20,,,x
A7,2019-01-01,35.09.20,internet_sehat,,SMA,-3,,,x
A8,2019-01-01,35.09.20,internet_sehat,,SMA,3,2.5,,x
A9,2019-01-01,35.09.20,internet_sehat,,SMA,3,,lots,x
A10,2027-01-01,35.09.20,internet_sehat,,SMA,3,,,x
,2019-01-01,35.09.20,internet_sehat,,SMA,3,,,x
"
    );
    let out = fx.ingest(&[fx.file("acts.csv", &text)]);
    let f = &out.report.files[0];
    assert_eq!(
        (f.rows, f.accepted, f.rejected, f.duplicates),
        (11, 3, 8, 0)
    );
    let df = out.activities.frame();
    assert_eq!(
        df.column("dimension").unwrap().str().unwrap().get(1),
        Some("people")
    );
    assert_eq!(
        df.column("participants").unwrap().i64().unwrap().get(1),
        Some(600)
    );
    assert_eq!(
        df.column("source_row").unwrap().i64().unwrap().get(1),
        Some(3)
    );

    let got: Vec<(i64, &str)> = out
        .report
        .rejections
        .iter()
        .map(|r| (r.row, r.column.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (4, "date"),
            (5, "region_code"),
            (6, "programme"),
            (7, "dimension"),
            (8, "quantity"),
            (9, "participants"),
            (10, "budget_idr"),
            (11, "date"),
        ]
    );
    let bad_date = &out.report.rejections[0];
    assert_eq!(bad_date.value.as_deref(), Some("31/02/2020"));
    assert_eq!(bad_date.source, "acts.csv");
    assert!(bad_date.reason_id.contains("tanggal"));
    assert!(bad_date.reason_en.contains("date"));
    assert!(out.report.rejections[7].reason_en.contains("future"));
    // A row without an id gets a content hash, so sending it again changes nothing.
    let ids = df.column("activity_id").unwrap().str().unwrap();
    assert!(ids.get(2).unwrap().starts_with("h:"));
    let quarantine = fx.contents().manifest.sources[0]
        .quarantine
        .clone()
        .unwrap();
    let text = std::fs::read_to_string(fx.store.dir().join(quarantine)).unwrap();
    assert!(
        text.contains("31/02/2020") && text.contains("tanggal"),
        "{text}"
    );
}

#[test]
fn indonesian_headers_and_missing_optional_columns_are_accepted() {
    let fx = Fixture::new();
    let path = fx.file(
        "kegiatan.csv",
        "\u{feff}ID Kegiatan,Tanggal,Kode Wilayah,Program,Jumlah\nK1,2024-05-02,35.09.01,desa_go_online,3\n",
    );
    let out = fx.ingest(&[path]);
    assert_eq!(out.report.accepted(), 1, "{:?}", out.report);
    assert_eq!(out.activities.len(), 1);
}

#[test]
fn a_file_missing_required_columns_is_refused_whole_and_others_still_go_in() {
    let fx = Fixture::new();
    let bad = fx.file(
        "bad.csv",
        "tanggal,kode_wilayah,jumlah\n2024-01-01,35.09.01,3\n",
    );
    let good = fx.file(
        "good.csv",
        &format!("{HEADER}G1,2024-01-01,35.09.01,wifi_publik,,,2,,,\n"),
    );
    let out = fx.ingest(&[bad, good]);
    let err = out.report.files[0].error.as_deref().unwrap();
    assert!(
        err.contains("programme") && err.contains("bad.csv"),
        "{err}"
    );
    assert_eq!(out.report.files[1].accepted, 1);
    assert_eq!(out.activities.len(), 1);
}

#[test]
fn an_empty_file_is_reported_not_fatal() {
    let fx = Fixture::new();
    let out = fx.ingest(&[fx.file("empty.csv", "")]);
    assert!(
        out.report.files[0]
            .error
            .as_deref()
            .unwrap()
            .contains("empty")
    );
    assert!(out.activities.is_empty());
}

#[test]
fn a_repeated_activity_id_in_one_file_counts_once() {
    let fx = Fixture::new();
    let row = "D1,2024-01-01,35.09.01,wifi_publik,,,2,,,\n";
    let a = fx.file(
        "a.csv",
        &format!("{HEADER}{row}{row}D2,2024-01-02,35.09.01,wifi_publik,,,1,,,\n"),
    );
    let out = fx.ingest(&[a]);
    assert_eq!(out.activities.len(), 2);
    assert_eq!(out.report.files[0].duplicates, 1);
}

#[test]
fn the_same_file_ingested_twice_is_skipped_and_adds_nothing() {
    let fx = Fixture::new();
    let a = fx.file(
        "a.csv",
        &format!("{HEADER}D1,2024-01-01,35.09.01,wifi_publik,,,2,,,\n"),
    );
    fx.ingest(std::slice::from_ref(&a));
    let again = fx.ingest(std::slice::from_ref(&a));
    assert!(again.report.files[0].skipped_unchanged);
    let forced = fx.ingest_with(
        &[a],
        Options {
            force: true,
            ..Options::default()
        },
    );
    let f = &forced.report.files[0];
    assert_eq!((f.added, f.unchanged), (0, 1));
    assert_eq!(forced.activities.len(), 1);
}

#[test]
fn a_corrected_row_replaces_the_earlier_one() {
    let fx = Fixture::new();
    let a = fx.file(
        "a.csv",
        &format!("{HEADER}D1,2024-01-01,35.09.01,wifi_publik,,,2,,,\n"),
    );
    fx.ingest(std::slice::from_ref(&a));
    std::fs::write(
        &a,
        format!("{HEADER}D1,2024-01-01,35.09.01,wifi_publik,,,5,,,\n"),
    )
    .unwrap();
    let out = fx.ingest(&[a]);
    assert_eq!(out.report.files[0].replaced, 1);
    assert_eq!(out.activities.len(), 1);
    let q = out
        .activities
        .frame()
        .column("quantity")
        .unwrap()
        .f64()
        .unwrap()
        .get(0);
    assert_eq!(q, Some(5.0));
}

#[test]
fn a_dry_run_reports_but_stores_nothing() {
    let fx = Fixture::new();
    let a = fx.file(
        "a.csv",
        &format!(
            "{HEADER}D1,2024-01-01,35.09.01,wifi_publik,,,2,,,\nD2,2024-01-01,35.09.99,wifi_publik,,,2,,,\n"
        ),
    );
    let out = fx.ingest_with(
        &[a],
        Options {
            dry_run: true,
            ..Options::default()
        },
    );
    let f = &out.report.files[0];
    assert_eq!((f.accepted, f.rejected), (1, 1));
    assert!(out.activities.is_empty());
    assert!(f.quarantine.is_none());
}

#[test]
fn semicolons_decimal_commas_indonesian_dates_and_bps_codes_are_understood() {
    let fx = Fixture::new();
    let text = "id_kegiatan;tanggal;kode_wilayah;program;jumlah;peserta;anggaran\n\
S1;10 Juli 2018;3509010;umkm_go_online;1.234,5;12;Rp 1.500.000\n\
S2;10/07/2018;35.09.02;umkm_go_online;2,5;;2.000.000,50\n";
    let out = fx.ingest(&[fx.file("kegiatan.csv", text)]);
    assert_eq!(
        out.report.accepted(),
        2,
        "{}",
        out.report.to_text(crate::i18n::Lang::En)
    );
    let df = out.activities.frame();
    let q: Vec<f64> = df
        .column("quantity")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(q, [1234.5, 2.5]);
    let b = df.column("budget_idr").unwrap().f64().unwrap();
    assert_eq!((b.get(0), b.get(1)), (Some(1_500_000.0), Some(2_000_000.5)));
    let regions: Vec<&str> = df
        .column("region_code")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert_eq!(regions, ["35.09.02", "35.09.02"]);
    assert_eq!(
        out.report.files[0].number_style,
        Some(NumberStyle::DecimalComma)
    );
}

#[test]
fn the_same_name_twice_in_one_run_is_refused_the_second_time() {
    let f = Fixture::new();
    let first = f.file(
        "kegiatan.csv",
        &format!("{HEADER}K1,2024-05-01,35.09.01,wifi_publik,,,3,,,\n"),
    );
    let inputs = vec![
        Input::from_path(&first, None).unwrap(),
        Input {
            data: InputData::Bytes(
                format!("{HEADER}K2,2024-05-01,35.09.01,wifi_publik,,,4,,,\n").into_bytes(),
            ),
            ..Input::from_path(&first, None).unwrap()
        },
    ];
    let report = ingest(&inputs, f.reference(), &f.store, Options::default()).unwrap();
    assert_eq!(report.files[0].added, 1);
    let error = report.files[1].error.as_deref().unwrap();
    assert!(error.contains("twice"), "{error}");
    assert_eq!(f.contents().len(), 1);
}

/// A file of `rows` generated records with a bad row, a repeated id and a row without an id
/// spread over it.
fn many_rows(rows: usize) -> String {
    let mut text = String::from(HEADER);
    for i in 0..rows {
        let line = match i {
            i if i == rows / 2 => "B1,2019-13-01,35.09.20,internet_sehat,,SMA,3,,,x\n".to_string(),
            i if i == rows - 1 => "R0,2019-01-01,35.09.20,internet_sehat,,SMA,9,,,x\n".to_string(),
            i if i == rows - 2 => ",2019-01-01,35.09.20,internet_sehat,,SMA,3,,,x\n".to_string(),
            i => format!(
                "R{i},2019-01-{:02},35.09.{:02},internet_sehat,,SMA,{}.5,{},\"1.000\",\"Dinas, Kominfo\"\n",
                i % 28 + 1,
                i % 31 + 1,
                i % 50,
                i % 7
            ),
        };
        text.push_str(&line);
    }
    text
}

#[test]
fn a_file_cut_into_many_batches_ingests_exactly_as_one_batch() {
    let text = many_rows(3_000);
    let whole = Fixture::new();
    let one = whole.ingest(&[whole.file("banyak.csv", &text)]);
    let batched = Fixture::new();
    super::delimited::TEST_BATCH_BYTES.with(|b| b.set(Some(4_096)));
    let many = batched.ingest(&[batched.file("banyak.csv", &text)]);
    super::delimited::TEST_BATCH_BYTES.with(|b| b.set(None));

    let parts = batched.contents().manifest.parts.len();
    assert!(parts > 20, "expected many parts, got {parts}");
    let (a, b) = (&one.report.files[0], &many.report.files[0]);
    assert_eq!(
        (a.rows, a.accepted, a.rejected, a.duplicates, a.added),
        (3_000, 2_998, 1, 1, 2_998)
    );
    assert_eq!(
        (
            b.rows,
            b.accepted,
            b.rejected,
            b.duplicates,
            b.added,
            b.number_style
        ),
        (
            a.rows,
            a.accepted,
            a.rejected,
            a.duplicates,
            a.added,
            a.number_style
        )
    );
    assert_eq!(one.report.rejections, many.report.rejections);
    assert_eq!(one.report.rejections[0].row, 1_502);
    let sorted = |acts: &Activities| {
        acts.frame()
            .sort([cols::ACTIVITY_ID], SortMultipleOptions::default())
            .unwrap()
    };
    assert!(sorted(&one.activities).equals_missing(&sorted(&many.activities)));
}

#[test]
fn quarantine_files_of_one_name_in_one_second_do_not_overwrite_each_other() {
    let f = Fixture::new();
    std::fs::create_dir_all(f.store.quarantine_dir()).unwrap();
    let at = chrono::Utc::now();
    let rejection = |value: &str| Rejection {
        source: "kegiatan.csv".into(),
        row: 2,
        column: "quantity".into(),
        value: Some(value.into()),
        reason_id: "x".into(),
        reason_en: "x".into(),
    };
    let first = report::write_quarantine(&f.store, "kegiatan.csv", &at, &[rejection("1")]).unwrap();
    let second =
        report::write_quarantine(&f.store, "kegiatan.csv", &at, &[rejection("2")]).unwrap();
    assert_ne!(first, second);
    let read = |name: &str| std::fs::read_to_string(f.store.dir().join(name)).unwrap();
    assert!(read(&first).contains(",1,"), "{}", read(&first));
    assert!(read(&second).contains(",2,"), "{}", read(&second));
}

#[test]
fn every_file_of_the_hostile_corpus_is_refused_by_its_reader_naming_the_bound() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile");
    // The bound each file goes over; `None`: malformed, refused as unreadable.
    for (name, bound) in [
        ("shared_strings_bomb.xlsx", Some(Bound::SharedStrings)),
        ("far_cell.xlsx", Some(Bound::Columns)),
        ("lying_dimension.xlsx", Some(Bound::Rows)),
        ("zip_bomb.xlsx", Some(Bound::CompressionRatio)),
        ("huge_declared.xlsx", Some(Bound::UnpackedBytes)),
        ("whitespace_padded.xlsx", Some(Bound::CompressionRatio)),
        ("many_sheets.xlsx", Some(Bound::Sheets)),
        ("sst_count.xls", Some(Bound::SharedStrings)),
        ("far_cell.xls", Some(Bound::Columns)),
        ("cfb_loop.xls", None),
        ("repeats.ods", Some(Bound::Columns)),
        ("spaces.ods", Some(Bound::CellText)),
        ("unclosed_annotation.ods", None),
        ("deep.json", Some(Bound::JsonDepth)),
        ("wide.json", Some(Bound::Columns)),
        ("long_line.ndjson", Some(Bound::RecordBytes)),
        ("long_line.csv", Some(Bound::RecordBytes)),
        ("long_field.csv", Some(Bound::CellText)),
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let format = InputFormat::detect(name, &bytes);
        let started = std::time::Instant::now();
        let read_all = || -> Result<(), IngestError> {
            let mut batches = read::batches(name, &bytes, format, None, &Limits::STANDARD)?;
            while batches.next_batch()?.is_some() {}
            Ok(())
        };
        let result = read_all();
        let elapsed = started.elapsed();
        match (result, bound) {
            (Err(IngestError::TooLarge { bound: found, .. }), Some(bound)) => {
                assert_eq!(found, bound, "{name}");
            }
            (Err(IngestError::Unreadable { .. }), None) => {}
            (other, _) => panic!("{name}: {other:?}"),
        }
        // Shown with --nocapture, for BENCHMARKS.md; not asserted.
        println!(
            "{name}: refused by its reader in {} µs",
            elapsed.as_micros()
        );
    }
}
