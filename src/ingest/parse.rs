//! Cell parsers for the conventions real uploads use: decimal commas or points (decided per
//! file), Indonesian and English dates, Excel serial dates, BPS region codes.
//!
//! Pure functions on text; the per-file decisions live in [`NumberStyle::decide`].

use chrono::NaiveDate;

use crate::region::{RegionCode, Regions};

/// How a file writes numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberStyle {
    /// `1.234,5` (Indonesian).
    DecimalComma,
    /// `1,234.5` (English).
    DecimalPoint,
}

/// What one cell says about the file's number style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Evidence {
    Comma,
    Point,
    Neither,
}

fn evidence(cell: &str) -> Evidence {
    let s = cell.trim().trim_start_matches(['-', '+']);
    // One pass over the bytes: this runs for every number cell of a file.
    let (mut dots, mut commas, mut last_sep) = (0usize, 0usize, None);
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'.' => (dots, last_sep) = (dots + 1, Some(i)),
            b',' => (commas, last_sep) = (commas + 1, Some(i)),
            _ => {}
        }
    }
    match (dots, commas, last_sep) {
        (0, 0, _) | (_, _, None) => Evidence::Neither,
        // Both separators: the last one is the decimal separator.
        (d, c, Some(i)) if d > 0 && c > 0 => {
            if s.as_bytes()[i] == b',' {
                Evidence::Comma
            } else {
                Evidence::Point
            }
        }
        // Repeated separator: it groups thousands.
        (d, 0, _) if d > 1 => Evidence::Comma,
        (0, c, _) if c > 1 => Evidence::Point,
        // One separator: three digits after it is ambiguous (1.234 / 1,234); otherwise decimal.
        (_, _, Some(i)) => {
            let digits_after = s.len() - i - 1;
            match (s.as_bytes()[i], digits_after) {
                (_, 3) => Evidence::Neither,
                (b',', _) => Evidence::Comma,
                _ => Evidence::Point,
            }
        }
    }
}

impl NumberStyle {
    /// Decide a file's style from its number cells. Unambiguous cells vote; with no
    /// unambiguous cell, `fallback` decides (semicolon files come from Indonesian-locale Excel).
    pub fn decide<'a>(cells: impl Iterator<Item = &'a str>, fallback: NumberStyle) -> NumberStyle {
        let (mut comma, mut point) = (0usize, 0usize);
        for c in cells {
            match evidence(c) {
                Evidence::Comma => comma += 1,
                Evidence::Point => point += 1,
                Evidence::Neither => {}
            }
        }
        match comma.cmp(&point) {
            std::cmp::Ordering::Greater => NumberStyle::DecimalComma,
            std::cmp::Ordering::Less => NumberStyle::DecimalPoint,
            std::cmp::Ordering::Equal => fallback,
        }
    }

    /// Whether `cell` is written in the other style (so the file mixes styles).
    pub fn contradicted_by(self, cell: &str) -> bool {
        matches!(
            (self, evidence(cell)),
            (NumberStyle::DecimalComma, Evidence::Point)
                | (NumberStyle::DecimalPoint, Evidence::Comma)
        )
    }

    /// Parse a number in this style; `Rp`, spaces and non-breaking spaces are ignored.
    pub fn parse(self, cell: &str) -> Option<f64> {
        // Fast path for what machine-written files hold: a plain number with at most a decimal
        // point, read without building a normalised copy.
        if self == NumberStyle::DecimalPoint
            && !cell.is_empty()
            && cell
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-'))
        {
            return cell.parse::<f64>().ok().filter(|v| v.is_finite());
        }
        let mut s = cell.trim();
        for prefix in ["Rp.", "Rp", "IDR"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.trim_start();
            }
        }
        let (group, decimal) = match self {
            NumberStyle::DecimalComma => ('.', ','),
            NumberStyle::DecimalPoint => (',', '.'),
        };
        let normalised: String = s
            .chars()
            .filter(|c| *c != group && !c.is_whitespace() && *c != '\u{a0}')
            .map(|c| if c == decimal { '.' } else { c })
            .collect();
        if normalised.is_empty()
            || !normalised
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        {
            return None;
        }
        normalised.parse::<f64>().ok().filter(|v| v.is_finite())
    }
}

const MONTHS: [(&str, u32); 27] = [
    ("januari", 1),
    ("january", 1),
    ("februari", 2),
    ("february", 2),
    ("pebruari", 2),
    ("maret", 3),
    ("march", 3),
    ("april", 4),
    ("mei", 5),
    ("may", 5),
    ("juni", 6),
    ("june", 6),
    ("juli", 7),
    ("july", 7),
    ("agustus", 8),
    ("august", 8),
    ("september", 9),
    ("oktober", 10),
    ("october", 10),
    ("november", 11),
    ("nopember", 11),
    ("desember", 12),
    ("december", 12),
    ("agu", 8),
    ("okt", 10),
    ("des", 12),
    ("nop", 11),
];

fn month_number(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .find(|(name, _)| *name == w || (w.len() == 3 && name.starts_with(&w)))
        .map(|(_, m)| *m)
}

/// Parse a date written as `2018-07-10`, `10/07/2018`, `10-07-2018`, `10.07.2018`,
/// `10 Juli 2018`, `10 Jul 2018`, an ISO date-time, or an Excel serial day number.
/// Day-first for slashed dates, as Indonesian files write them.
pub fn parse_date(cell: &str) -> Option<NaiveDate> {
    let s = cell.trim();
    if s.is_empty() {
        return None;
    }
    // ISO date, possibly with a time part (Excel and JSON exports add one).
    let iso = s.split(['T', ' ']).next().unwrap_or(s);
    if let Ok(d) = NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        return Some(d);
    }
    for fmt in ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some(d);
        }
    }
    let words: Vec<&str> = s.split([' ', '-']).filter(|w| !w.is_empty()).collect();
    if let [day, month, year] = words.as_slice()
        && let (Ok(day), Some(month), Ok(year)) =
            (day.parse::<u32>(), month_number(month), year.parse::<i32>())
    {
        return NaiveDate::from_ymd_opt(year, month, day);
    }
    // Excel serial date: days since 1899-12-30 (which absorbs Excel's 1900 leap-year bug for
    // every date after February 1900). Only plausible activity dates are accepted.
    if let Ok(serial) = s.parse::<f64>()
        && (20_000.0..=80_000.0).contains(&serial)
    {
        let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
        return base.checked_add_days(chrono::Days::new(serial.trunc() as u64));
    }
    None
}

/// Normalise a region code: Kemendagri codes as they are, BPS codes (`3509010`, `3509`)
/// mapped to Kemendagri where the reference data knows them. `None` when neither.
pub fn normalise_region(cell: &str, regions: &Regions) -> Option<RegionCode> {
    let s = cell.trim();
    if let Ok(code) = RegionCode::parse(s) {
        return Some(code);
    }
    let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(code) = regions.from_bps(&digits) {
        return Some(code.clone());
    }
    // Province and kab/kota BPS codes equal the Kemendagri digits without dots.
    match digits.len() {
        2 => RegionCode::parse(&digits).ok(),
        4 => RegionCode::parse(&format!("{}.{}", &digits[..2], &digits[2..])).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_style_is_decided_by_unambiguous_cells() {
        let id = ["1.234,5", "12", "3,5"];
        assert_eq!(
            NumberStyle::decide(id.into_iter(), NumberStyle::DecimalPoint),
            NumberStyle::DecimalComma
        );
        let en = ["1,234.5", "0.25"];
        assert_eq!(
            NumberStyle::decide(en.into_iter(), NumberStyle::DecimalComma),
            NumberStyle::DecimalPoint
        );
        let ambiguous = ["1.234", "12"];
        assert_eq!(
            NumberStyle::decide(ambiguous.into_iter(), NumberStyle::DecimalComma),
            NumberStyle::DecimalComma
        );
    }

    #[test]
    fn numbers_parse_in_the_file_style() {
        let id = NumberStyle::DecimalComma;
        assert_eq!(id.parse("1.234,5"), Some(1234.5));
        assert_eq!(id.parse("1.500.000"), Some(1_500_000.0));
        assert_eq!(id.parse("Rp 2.500.000"), Some(2_500_000.0));
        assert_eq!(id.parse("-3"), Some(-3.0));
        assert_eq!(id.parse("banyak"), None);
        let en = NumberStyle::DecimalPoint;
        assert_eq!(en.parse("1,234.5"), Some(1234.5));
        assert_eq!(en.parse("12.75"), Some(12.75));
        assert!(id.contradicted_by("1,234.5"));
        assert!(!id.contradicted_by("1.234"));
        assert!(en.contradicted_by("3,5"));
    }

    #[test]
    fn dates_in_every_common_form() {
        let d = NaiveDate::from_ymd_opt(2018, 7, 10).unwrap();
        for s in [
            "2018-07-10",
            "2018-07-10T00:00:00",
            "10/07/2018",
            "10-07-2018",
            "10 Juli 2018",
            "10 Jul 2018",
            "10 july 2018",
            "10-Jul-2018",
            "43291",
        ] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        assert_eq!(parse_date("31/02/2020"), None);
        assert_eq!(parse_date("kemarin"), None);
        assert_eq!(parse_date("12"), None);
    }
}
