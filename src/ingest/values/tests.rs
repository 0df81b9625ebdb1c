use std::path::Path;

use super::*;

fn reference() -> (Framework, Regions) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    (
        Framework::load(&data.join("frameworks/seven_dimensions_with_values.toml")).unwrap(),
        Regions::load(&data.join("regions")).unwrap(),
    )
}

fn load_text(
    files: &[(&str, &str)],
) -> (IndicatorValues, Vec<ValuesFileReport>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(name, text)| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect();
    let (fw, regions) = reference();
    let (values, reports) = load(&paths, &fw, &regions, Some(&dir.path().join("quarantine")));
    (values, reports, dir)
}

#[test]
fn indonesian_headers_semicolons_and_decimal_commas_are_read() {
    let (values, reports, _dir) = load_text(&[(
        "spbe.csv",
        "Kode Wilayah;Tahun;Indikator;Nilai;Satuan;Sumber;Status Verifikasi\n\
         35.09;2022;indeks_spbe;1,99;indeks;KepmenPANRB 108/2023;terverifikasi\n\
         3509;2023;indeks_spbe;2,5;;;\n",
    )]);
    assert_eq!(reports[0].accepted, 2, "{:?}", reports[0].rejected);
    let v = values.get("35.09", "2022", "indeks_spbe").unwrap();
    assert_eq!(v.value, 1.99);
    assert_eq!(v.source.as_deref(), Some("KepmenPANRB 108/2023"));
    assert_eq!(v.status.as_deref(), Some("terverifikasi"));
    assert_eq!((v.file.as_str(), v.row), ("spbe.csv", 2));
    // A BPS code is read as the Kemendagri code.
    assert_eq!(
        values.get("35.09", "2023", "indeks_spbe").unwrap().value,
        2.5
    );
}

#[test]
fn every_bad_row_is_refused_naming_column_value_and_reason_and_the_good_rows_stay() {
    let (values, reports, dir) = load_text(&[(
        "mixed.csv",
        "region_code,period,indicator,value\n\
         35.09,2022,indeks_spbe,1.99\n\
         99.99,2022,indeks_spbe,3\n\
         35.78,tahun lalu,indeks_spbe,3\n\
         35.78,2023,ipm,70\n\
         35.78,2023,umkm_go_online,12\n\
         35.78,2023,indeks_spbe,lima\n\
         35.78,2023,indeks_spbe,7\n\
         35.09,2022,indeks_spbe,2.1\n\
         35.78,2023,indeks_spbe,4.49\n",
    )]);
    let r = &reports[0];
    assert_eq!(r.accepted, 2, "{:?}", r.rejected);
    let got: Vec<(i64, &str, &str)> = r
        .rejected
        .iter()
        .map(|x| (x.row, x.column.as_str(), x.reason_en.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                3,
                "region_code",
                "is not a known Kemendagri or BPS region code"
            ),
            (
                4,
                "period",
                "is not a period (a year such as 2024, or 2024-Q1, 2024-03)"
            ),
            (
                5,
                "indicator",
                "is not an indicator of framework seven_dimensions_with_values"
            ),
            (
                6,
                "indicator",
                "this indicator is computed from activity records, not from recorded values"
            ),
            (7, "value", "is not a number"),
            (8, "value", "is outside the indicator's range 1–5"),
            (
                9,
                "indicator",
                "a second value: the same region, period and indicator are in mixed.csv row 2"
            ),
        ]
    );
    assert!(r.rejected.iter().all(|x| !x.reason_id.is_empty()));
    assert_eq!(
        values.get("35.09", "2022", "indeks_spbe").unwrap().value,
        1.99
    );
    assert_eq!(
        values.get("35.78", "2023", "indeks_spbe").unwrap().value,
        4.49
    );
    // The refused rows are kept, with their reasons, for the steward to correct.
    let quarantined =
        std::fs::read_to_string(dir.path().join("quarantine/values-mixed.csv")).unwrap();
    assert_eq!(quarantined.lines().count(), 1 + 7);
    assert!(quarantined.contains("lima") && quarantined.contains("bukan angka"));
}

#[test]
fn a_file_without_a_required_column_is_refused_whole_and_the_next_still_goes_in() {
    let (values, reports, _dir) = load_text(&[
        ("a_bad.csv", "kode_wilayah,tahun,nilai\n35.09,2022,1.99\n"),
        (
            "b_good.csv",
            "kode_wilayah,tahun,indikator,nilai\n35.09,2022,indeks_spbe,1.99\n",
        ),
    ]);
    let error = reports[0].error.as_deref().unwrap();
    assert!(
        error.contains("a_bad.csv lacks required column(s) indicator"),
        "{error}"
    );
    assert_eq!(reports[1].accepted, 1);
    assert_eq!(values.len(), 1);
}

#[test]
fn the_shipped_values_file_is_read_whole_with_its_sources() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/values");
    let files = value_files(&dir).unwrap();
    let (fw, regions) = reference();
    let (values, reports) = load(&files, &fw, &regions, None);
    for r in &reports {
        assert!(r.error.is_none() && r.rejected.is_empty(), "{r:?}");
    }
    let jember = values.get("35.09", "2022", "indeks_spbe").unwrap();
    assert_eq!(jember.value, 1.99);
    assert!(jember.source.as_deref().unwrap().contains("KepmenPANRB"));
    assert_eq!(
        values
            .get("35.09", "2024", "indeks_pelayanan_publik")
            .unwrap()
            .value,
        4.62
    );
}

#[test]
fn periods_are_years_quarters_or_months() {
    for ok in ["2024", "2024-Q1", "2024-03", "2024-12"] {
        assert!(is_period(ok), "{ok}");
    }
    for bad in [
        "24",
        "2024-Q5",
        "2024-13",
        "2024-1",
        "1800",
        "tahun 2024",
        "",
    ] {
        assert!(!is_period(bad), "{bad}");
    }
}

/// `rows` (header first) as the bytes of an .xlsx workbook with a title row above the table,
/// as stewards' workbooks often have.
fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Nilai indikator 2024").unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 2, c as u16);
            match cell.parse::<f64>() {
                Ok(n) => sheet.write_number(r, c, n).unwrap(),
                Err(_) => sheet.write_string(r, c, *cell).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn values_come_from_workbooks_and_json_as_from_csv() {
    let (fw, regions) = reference();
    let checks = Checks {
        framework: &fw,
        regions: &regions,
        scope: None,
    };
    let xlsx = workbook(&[
        &["kode_wilayah", "tahun", "indikator", "nilai", "sumber"],
        &["35.09", "2024", "indeks_spbe", "2.31", "KepmenPANRB"],
    ]);
    let (from_xlsx, report) = checks.file("spbe.xlsx", &xlsx, &mut Seen::new());
    assert_eq!(report.accepted, 1, "{report:?}");
    assert_eq!(from_xlsx[0].value, 2.31);
    // The workbook's row number, as the steward sees it (title, blank, header, then row 4).
    assert_eq!(from_xlsx[0].row, 4);
    let json = br#"[{"region_code": "35.09", "period": "2024", "indicator": "indeks_spbe", "value": "2.31"},
                    {"region_code": "35.09", "period": "2024", "indicator": "indeks_spbe", "value": "6"}]"#;
    let (from_json, report) = checks.file("spbe.json", json, &mut Seen::new());
    assert_eq!(report.accepted, 1);
    assert_eq!(from_json[0].value, 2.31);
    // The second row is refused twice over; the reason named is the first found.
    assert_eq!(report.rejected[0].column, "value");
    // A workbook without the values header is refused whole, naming the columns it lacks.
    let activities = workbook(&[&["tanggal", "kode_wilayah", "program", "jumlah"]]);
    let (_, report) = checks.file("kegiatan.xlsx", &activities, &mut Seen::new());
    let error = report.error.unwrap();
    assert!(error.contains("indicator value columns"), "{error}");
}

#[test]
fn a_steward_sends_values_only_for_their_own_region() {
    let (fw, regions) = reference();
    let jember = crate::region::RegionCode::parse("35.09").unwrap();
    let checks = Checks {
        framework: &fw,
        regions: &regions,
        scope: Some(&jember),
    };
    let csv = "region_code,period,indicator,value\n\
               35.09,2024,indeks_spbe,2.5\n\
               35.74,2024,indeks_spbe,2.5\n";
    let (values, report) = checks.file("spbe.csv", csv.as_bytes(), &mut Seen::new());
    assert_eq!(values.len(), 1);
    let refused = &report.rejected[0];
    assert_eq!((refused.row, refused.column.as_str()), (3, "region_code"));
    assert!(refused.reason_en.contains("outside your region (35.09)"));
    assert!(refused.reason_id.contains("di luar wilayah Anda"));
}
