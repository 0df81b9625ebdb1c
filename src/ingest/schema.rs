//! The input side of the two tables ingest takes, activity records and indicator values
//! ([`Contract`]): which header cells mean which column.
//!
//! Headers are matched case- and spacing-insensitively, in English (`region_code`) or
//! Indonesian (`kode_wilayah`). Required columns must be present; optional ones that are absent
//! are added as empty so validation sees one shape.

use polars::prelude::*;

use super::IngestError;
use crate::store::cols;

/// Columns a file must have. (`activity_id` may be absent: rows then get a content hash.)
pub const REQUIRED_COLUMNS: [&str; 4] = [
    cols::DATE,
    cols::REGION_CODE,
    cols::PROGRAMME,
    cols::QUANTITY,
];

/// Columns a file may leave out.
pub const OPTIONAL_COLUMNS: [&str; 6] = [
    cols::ACTIVITY_ID,
    cols::DIMENSION,
    cols::TARGET_GROUP,
    cols::PARTICIPANTS,
    cols::BUDGET_IDR,
    cols::ORGANISER,
];

/// Header spellings per canonical column (after lower-casing and turning spaces and dashes
/// into underscores).
const ALIASES: [(&str, &[&str]); 10] = [
    (cols::ACTIVITY_ID, &["activity_id", "id_kegiatan", "id"]),
    (cols::DATE, &["date", "tanggal", "tgl"]),
    (
        cols::REGION_CODE,
        &["region_code", "kode_wilayah", "kode_wil", "kode"],
    ),
    (cols::PROGRAMME, &["programme", "program", "kode_program"]),
    (cols::DIMENSION, &["dimension", "dimensi"]),
    (
        cols::TARGET_GROUP,
        &["target_group", "sasaran", "kelompok_sasaran"],
    ),
    (cols::QUANTITY, &["quantity", "jumlah", "qty"]),
    (
        cols::PARTICIPANTS,
        &["participants", "peserta", "jumlah_peserta"],
    ),
    (
        cols::BUDGET_IDR,
        &["budget_idr", "anggaran", "anggaran_idr", "budget"],
    ),
    (
        cols::ORGANISER,
        &["organiser", "organizer", "penyelenggara"],
    ),
];

/// Indicator values: required columns.
const VALUE_REQUIRED: [&str; 4] = ["region_code", "period", "indicator", "value"];
/// Indicator values: optional columns.
const VALUE_OPTIONAL: [&str; 4] = ["unit", "source", "source_url", "status"];
/// Indicator values: header spellings, with the reference data's own (`kode_kemendagri`,
/// `tahun_evaluasi`, `dasar`, `source_url`).
const VALUE_ALIASES: [(&str, &[&str]); 8] = [
    (
        "region_code",
        &["region_code", "kode_wilayah", "kode_kemendagri", "kode"],
    ),
    (
        "period",
        &["period", "periode", "tahun", "year", "tahun_evaluasi"],
    ),
    ("indicator", &["indicator", "indikator"]),
    ("value", &["value", "nilai"]),
    ("unit", &["unit", "satuan"]),
    ("source", &["source", "sumber", "dasar"]),
    ("source_url", &["source_url", "url_sumber", "tautan"]),
    ("status", &["status", "status_verifikasi"]),
];

/// Which table a file must hold. The readers are the same for both (the same bounds, the same
/// header search); only the columns differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Contract {
    /// Activity records (`date, region_code, programme, quantity`, …).
    #[default]
    Activities,
    /// Indicator values (`region_code, period, indicator, value`, …).
    Values,
}

impl Contract {
    /// Columns a file must have.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Contract::Activities => &REQUIRED_COLUMNS,
            Contract::Values => &VALUE_REQUIRED,
        }
    }

    /// Columns a file may leave out.
    pub fn optional(self) -> &'static [&'static str] {
        match self {
            Contract::Activities => &OPTIONAL_COLUMNS,
            Contract::Values => &VALUE_OPTIONAL,
        }
    }

    fn aliases(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Contract::Activities => &ALIASES,
            Contract::Values => &VALUE_ALIASES,
        }
    }

    /// What the table holds, for messages: "activity" or "indicator value".
    pub fn noun(self) -> &'static str {
        match self {
            Contract::Activities => "activity",
            Contract::Values => "indicator value",
        }
    }

    /// The canonical column a header cell stands for, if any.
    pub fn canonical(self, header: &str) -> Option<&'static str> {
        let key = header_key(header);
        self.aliases()
            .iter()
            .find(|(_, names)| names.contains(&key.as_str()))
            .map(|(canonical, _)| *canonical)
    }
}

/// The canonical activity column a header cell stands for, if any.
pub fn canonical_column(header: &str) -> Option<&'static str> {
    Contract::Activities.canonical(header)
}

/// A header cell lower-cased, its words joined by `_`.
fn header_key(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// Refuse a header in which two cells name the same column (`tanggal` and `date`, or
/// `jumlah` twice).
pub(super) fn check_duplicates(
    header: &[String],
    name: &str,
    contract: Contract,
) -> Result<(), IngestError> {
    let mut seen: Vec<(&'static str, &str)> = Vec::new();
    for h in header {
        if let Some(canonical) = contract.canonical(h) {
            if let Some((_, first)) = seen.iter().find(|(c, _)| *c == canonical) {
                return Err(IngestError::DuplicateColumn {
                    path: name.into(),
                    column: canonical.to_string(),
                    first: first.to_string(),
                    second: h.clone(),
                });
            }
            seen.push((canonical, h));
        }
    }
    Ok(())
}

/// Rename header cells to canonical names, refuse files missing required columns, and add
/// absent optional columns as nulls. Unknown columns are dropped.
pub(super) fn canonicalise_header(
    df: &mut DataFrame,
    name: &str,
    contract: Contract,
) -> Result<(), IngestError> {
    let path = std::path::Path::new(name);
    let found: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut mapped: Vec<(&'static str, String)> = Vec::new();
    for header in &found {
        if let Some(canonical) = contract.canonical(header) {
            if let Some((_, first)) = mapped.iter().find(|(c, _)| *c == canonical) {
                return Err(IngestError::DuplicateColumn {
                    path: path.to_path_buf(),
                    column: canonical.to_string(),
                    first: first.clone(),
                    second: header.clone(),
                });
            }
            mapped.push((canonical, header.clone()));
        }
    }
    let missing: Vec<String> = contract
        .required()
        .iter()
        .filter(|c| !mapped.iter().any(|(m, _)| m == *c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        let closest = missing
            .iter()
            .filter_map(|m| closest_header(m, &found, contract).map(|h| format!("{m} ~ {h:?}")))
            .collect();
        return Err(IngestError::MissingColumns {
            path: path.to_path_buf(),
            missing,
            found,
            closest,
        });
    }
    let height = df.height();
    let (required, optional) = (contract.required(), contract.optional());
    let mut columns: Vec<Column> = Vec::with_capacity(required.len() + optional.len());
    for canonical in required.iter().chain(optional.iter()) {
        let column = match mapped.iter().find(|(c, _)| c == canonical) {
            Some((_, header)) => df
                .column(header)
                .expect("header came from this frame")
                .clone()
                .with_name((*canonical).into()),
            None => Column::full_null((*canonical).into(), height, &DataType::String),
        };
        columns.push(column);
    }
    *df = DataFrame::new(height, columns).map_err(|source| IngestError::Polars {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(())
}

/// The header cell most like a missing column (or one of its Indonesian names), if any is close.
fn closest_header<'a>(missing: &str, found: &'a [String], contract: Contract) -> Option<&'a str> {
    let names = contract
        .aliases()
        .iter()
        .find(|(c, _)| *c == missing)
        .map_or(&[][..], |(_, n)| *n);
    found
        .iter()
        .filter_map(|h| {
            let key = h.trim().to_lowercase();
            let score = names
                .iter()
                .map(|n| strsim::normalized_levenshtein(&key, n))
                .fold(0.0, f64::max);
            (score >= 0.5).then_some((score, h.as_str()))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, h)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_in_either_language_and_any_case() {
        assert_eq!(canonical_column("Kode Wilayah"), Some(cols::REGION_CODE));
        assert_eq!(
            canonical_column("\u{feff}activity_id"),
            Some(cols::ACTIVITY_ID)
        );
        assert_eq!(canonical_column(" TANGGAL "), Some(cols::DATE));
        assert_eq!(canonical_column("budget-idr"), Some(cols::BUDGET_IDR));
        assert_eq!(canonical_column("keterangan"), None);
    }
}
