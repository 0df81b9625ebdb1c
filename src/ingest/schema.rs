//! The input side of the activity contract: which header cells mean which column.
//!
//! Headers are matched case- and spacing-insensitively, in English (`region_code`) or
//! Indonesian (`kode_wilayah`). Required columns must be present; optional ones that are absent
//! are added as empty so validation sees one shape.

use std::path::Path;

use polars::prelude::*;

use super::IngestError;
use crate::store::cols;

/// Columns a file must have.
pub const REQUIRED_COLUMNS: [&str; 5] = [
    cols::ACTIVITY_ID,
    cols::DATE,
    cols::REGION_CODE,
    cols::PROGRAMME,
    cols::QUANTITY,
];

/// Columns a file may leave out.
pub const OPTIONAL_COLUMNS: [&str; 5] = [
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

/// The canonical column a header cell stands for, if any.
pub fn canonical_column(header: &str) -> Option<&'static str> {
    let key: String = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    ALIASES
        .iter()
        .find(|(_, names)| names.contains(&key.as_str()))
        .map(|(canonical, _)| *canonical)
}

/// Rename header cells to canonical names, refuse files missing required columns, and add
/// absent optional columns as nulls. Unknown columns are dropped.
pub(super) fn canonicalise_header(df: &mut DataFrame, path: &Path) -> Result<(), IngestError> {
    let found: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut mapped: Vec<(&'static str, String)> = Vec::new();
    for header in &found {
        if let Some(canonical) = canonical_column(header) {
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
    let missing: Vec<String> = REQUIRED_COLUMNS
        .iter()
        .filter(|c| !mapped.iter().any(|(m, _)| m == *c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(IngestError::MissingColumns {
            path: path.to_path_buf(),
            missing,
            found,
        });
    }
    let height = df.height();
    let mut columns: Vec<Column> =
        Vec::with_capacity(REQUIRED_COLUMNS.len() + OPTIONAL_COLUMNS.len());
    for canonical in REQUIRED_COLUMNS.iter().chain(OPTIONAL_COLUMNS.iter()) {
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
