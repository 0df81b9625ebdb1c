//! Text cells made safe for spreadsheet programs: a cell that begins with `=`, `+`, `-`, `@`, a
//! tab or a carriage return is read by Excel, LibreOffice and Google Sheets as a formula
//! (`=HYPERLINK(…)` in an uploaded organiser or file name), so every CSV and workbook
//! kotacerdas writes passes its text cells through [`neutralise`], which puts a `'` in front,
//! as OWASP recommends for CSV injection.
//!
//! A plain number (`-3.5`, `-3,5`, `+62`) is left as it is: it is data, not a formula. This
//! module only rewrites text; it writes no file.

use std::borrow::Cow;

/// Whether a spreadsheet program would start a formula at `text`.
fn starts_formula(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// A signed number, as written in either decimal convention: nothing a program would evaluate.
fn plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    !digits.is_empty()
        && digits.bytes().any(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
}

/// `text`, with a `'` in front when a spreadsheet program would read it as a formula.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if starts_formula(text) && !plain_number(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_made_inert() {
        for cell in [
            "=HYPERLINK(\"http://evil.example\",\"klik\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1",
            "\r=1",
            "-",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"), "{cell:?}");
        }
    }

    #[test]
    fn ordinary_text_and_numbers_are_left_alone() {
        for cell in [
            "Relawan TIK Jember",
            "kegiatan.csv",
            "-3.5",
            "-3,5",
            "+62",
            "1.234,5",
            "",
            "a=b",
        ] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
    }
}
