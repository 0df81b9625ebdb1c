//! One report table as CSV: comma-separated, UTF-8, a header row, numbers with a point as the
//! decimal separator and no thousands separator (machine-readable, for recomputing), missing
//! values empty. Formatting for people is the PDF's and the workbook's job.

use super::{Cell, ReportError, Table};

/// The table as CSV bytes.
pub fn render(table: &Table) -> Result<Vec<u8>, ReportError> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(&table.headers)?;
    for row in &table.rows {
        w.write_record(row.iter().map(|c| match c {
            Cell::Text(s) => crate::cells::neutralise(s).into_owned(),
            Cell::Number(v, _) => v.to_string(),
            Cell::Empty => String::new(),
        }))?;
    }
    w.into_inner()
        .map_err(|e| ReportError::Csv(e.into_error().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_machine_readable_and_missing_values_empty() {
        let t = Table {
            id: "scores",
            title: "Skor".into(),
            headers: vec!["Ukuran".into(), "Skor".into()],
            rows: vec![
                vec![
                    Cell::Text("Ekonomi, digital".into()),
                    Cell::Number(1234.5, 1),
                ],
                vec![Cell::Text("Mobilitas".into()), Cell::Empty],
            ],
        };
        let text = String::from_utf8(render(&t).unwrap()).unwrap();
        assert_eq!(
            text,
            "Ukuran,Skor\n\"Ekonomi, digital\",1234.5\nMobilitas,\n"
        );
    }
}
