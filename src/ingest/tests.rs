use std::path::Path;

use chrono::NaiveDate;

use super::*;
use crate::framework::Framework;
use crate::region::Regions;

struct Fixture {
    regions: Regions,
    framework: Framework,
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        Fixture {
            regions: Regions::load(&data.join("regions")).unwrap(),
            framework: Framework::load(&data.join("frameworks/seven_dimensions.toml")).unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn ingest(&self, files: &[PathBuf]) -> Ingested {
        ingest_files(
            files,
            Reference {
                regions: &self.regions,
                framework: &self.framework,
                today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            },
        )
        .unwrap()
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
        (11, 2, 9, 0)
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
            (12, "activity_id"),
        ]
    );
    let bad_date = &out.report.rejections[0];
    assert_eq!(bad_date.value.as_deref(), Some("31/02/2020"));
    assert_eq!(bad_date.source, "acts.csv");
    assert!(bad_date.reason_id.contains("tanggal"));
    assert!(bad_date.reason_en.contains("date"));
    assert!(out.report.rejections[7].reason_en.contains("future"));
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
        err.contains("activity_id") && err.contains("programme") && err.contains("bad.csv"),
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
fn a_repeated_activity_id_counts_once_across_files() {
    let fx = Fixture::new();
    let row = "D1,2024-01-01,35.09.01,wifi_publik,,,2,,,\n";
    let a = fx.file("a.csv", &format!("{HEADER}{row}"));
    let b = fx.file(
        "b.csv",
        &format!("{HEADER}{row}D2,2024-01-02,35.09.01,wifi_publik,,,1,,,\n"),
    );
    let out = fx.ingest(&[a, b]);
    assert_eq!(out.activities.len(), 2);
    assert_eq!(out.report.files[1].duplicates, 1);
}
