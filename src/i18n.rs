//! Language and locale formatting for everything a person reads: pages, charts, reports.
//!
//! Bahasa Indonesia is the default; English is available on request (`lang=en`). Numbers are
//! written `1.234,5` in Indonesian and `1,234.5` in English; dates `10 Juli 2018` / `10 July 2018`.
//! This module only formats; it does not know what a score or a region is.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The language of user-facing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Bahasa Indonesia (the default).
    #[default]
    Id,
    /// English.
    En,
}

impl Lang {
    /// The ISO 639-1 code, as used in `lang=` query parameters and the HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// Pick the text for this language.
    pub fn pick<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    fn separators(self) -> (char, char) {
        // (thousands, decimal)
        match self {
            Lang::Id => ('.', ','),
            Lang::En => (',', '.'),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Error for a `lang` value that is neither `id` nor `en`.
#[derive(Debug, thiserror::Error)]
#[error("unknown language {0:?}: expected \"id\" or \"en\"")]
pub struct UnknownLang(String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "id" | "ind" | "indonesia" => Ok(Lang::Id),
            "en" | "eng" | "english" => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_string())),
        }
    }
}

/// Format a number with `decimals` digits after the separator and grouped thousands.
///
/// `format_number(1234.5, 1, Lang::Id)` is `"1.234,5"`. Non-finite values print as `–`.
pub fn format_number(value: f64, decimals: usize, lang: Lang) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    let (thousands, decimal) = lang.separators();
    let formatted = format!("{:.*}", decimals, value.abs());
    let (int_part, frac_part) = match formatted.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (formatted.as_str(), None),
    };
    let mut out = String::with_capacity(formatted.len() + int_part.len() / 3 + 1);
    // A value that rounds to zero must not print as "-0,0".
    if value < 0.0 && formatted.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            out.push(thousands);
        }
        out.push(c);
    }
    if let Some(frac) = frac_part {
        out.push(decimal);
        out.push_str(frac);
    }
    out
}

/// Format an optional score with one decimal, `–` when missing.
pub fn format_score(value: Option<f64>, lang: Lang) -> String {
    value.map_or_else(|| "–".to_string(), |v| format_number(v, 1, lang))
}

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The full month name (1-based month).
pub fn month_name(month: u32, lang: Lang) -> &'static str {
    let idx = (month.clamp(1, 12) - 1) as usize;
    match lang {
        Lang::Id => MONTHS_ID[idx],
        Lang::En => MONTHS_EN[idx],
    }
}

/// Format a date as `10 Juli 2018` (Indonesian) or `10 July 2018` (English).
pub fn format_date(date: NaiveDate, lang: Lang) -> String {
    format!(
        "{} {} {}",
        date.day(),
        month_name(date.month(), lang),
        date.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_indonesian_separators_by_default() {
        assert_eq!(format_number(1234.5, 1, Lang::Id), "1.234,5");
        assert_eq!(format_number(1234.5, 1, Lang::En), "1,234.5");
        assert_eq!(format_number(2_615_874.0, 0, Lang::Id), "2.615.874");
        assert_eq!(format_number(999.0, 0, Lang::Id), "999");
        assert_eq!(format_number(-1234567.891, 2, Lang::Id), "-1.234.567,89");
        assert_eq!(format_number(-0.01, 1, Lang::Id), "0,0");
        assert_eq!(format_number(f64::NAN, 1, Lang::Id), "–");
    }

    #[test]
    fn dates_use_month_names() {
        let d = NaiveDate::from_ymd_opt(2018, 7, 10).unwrap();
        assert_eq!(format_date(d, Lang::Id), "10 Juli 2018");
        assert_eq!(format_date(d, Lang::En), "10 July 2018");
    }

    #[test]
    fn lang_parses_codes() {
        assert_eq!("ID".parse::<Lang>().unwrap(), Lang::Id);
        assert_eq!("en".parse::<Lang>().unwrap(), Lang::En);
        assert!("fr".parse::<Lang>().is_err());
    }
}
