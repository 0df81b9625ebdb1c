//! The report's tables as an Excel workbook: one sheet per table, a bold shaded header row,
//! frozen below the header (and beside the first column of wide tables), an autofilter, number
//! formats by the decimals each column is shown with, and column widths from the content.
//!
//! Numbers are stored as numbers (Excel shows them in the reader's locale), so evaluators can
//! recompute; missing values are empty cells.

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};

use super::{Cell, ReportError, Table};

/// Widest column, in characters.
const MAX_WIDTH: usize = 60;

/// The workbook's bytes.
pub fn render(tables: &[Table]) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00_72_B2))
        .set_font_color(Color::White)
        .set_border_bottom(FormatBorder::Thin)
        .set_text_wrap();
    let number_formats: Vec<Format> = (0..=4)
        .map(|d| {
            Format::new().set_num_format(if d == 0 {
                "#,##0".to_string()
            } else {
                format!("#,##0.{}", "0".repeat(d))
            })
        })
        .collect();
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&table.title))?;
        let mut widths: Vec<usize> = table
            .headers
            .iter()
            .map(|h| h.chars().count().min(24))
            .collect();
        for (c, h) in table.headers.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &header)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let width = match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r, c as u16, crate::cells::neutralise(s))?;
                        s.chars().count()
                    }
                    Cell::Number(v, decimals) => {
                        let f = &number_formats[(*decimals).min(4)];
                        sheet.write_number_with_format(r, c as u16, *v, f)?;
                        // Digits, separators and decimals as Excel shows them.
                        let int = format!("{:.0}", v.abs()).len();
                        int + int / 3 + decimals + 2
                    }
                    Cell::Empty => 0,
                };
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(width);
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            sheet.set_column_width(c as u16, (*w).clamp(6, MAX_WIDTH) as f64 + 2.0)?;
        }
        let freeze_cols = if table.headers.len() > 6 { 1 } else { 0 };
        sheet.set_freeze_panes(1, freeze_cols)?;
        if !table.rows.is_empty() {
            sheet.autofilter(
                0,
                0,
                table.rows.len() as u32,
                table.headers.len().saturating_sub(1) as u16,
            )?;
        }
    }
    Ok(book.save_to_buffer()?)
}

/// Excel sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_fit_excel_rules() {
        assert_eq!(sheet_name("Kegiatan per program"), "Kegiatan per program");
        assert_eq!(sheet_name("a/b: c"), "ab c");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }
}
