//! Indicator values in: CSV files (comma or semicolon, UTF-8) of `region_code, period,
//! indicator, value` with optional `unit, source, status`, checked row by row against the
//! framework and the regions.
//!
//! Headers are matched as activity headers are (case and spacing aside), in English or
//! Indonesian: `kode_wilayah`, `tahun`/`periode`, `indikator`, `nilai`, `satuan`, `sumber`,
//! `status_verifikasi` — and the reference data's `kode_kemendagri`, `tahun_evaluasi`,
//! `dasar`, `source_url`. A row is accepted when its region is a known Kemendagri or BPS code,
//! its period a year (or a `2024-Q1` / `2024-03` label), its indicator one the framework takes
//! from recorded values, its value a number (decimal point or comma) within the indicator's
//! declared range, and no earlier row gave the same region, period and indicator. A refused row
//! is reported with file, row, column, value and the reason in Indonesian and English, and
//! written to the quarantine folder; nothing is dropped silently. A file that cannot be read is
//! reported whole and the other files still go in.
//!
//! Not here: activity records ([`super::ingest`]), and what a value does to a score (scoring).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::parse::{NumberStyle, normalise_region};
use super::report::Rejection;
use crate::framework::{Framework, IndicatorSource};
use crate::region::Regions;
use crate::store::{IndicatorValue, IndicatorValues};

/// A values file larger than this is refused whole: values are a few per region and year, so
/// a file this size is not a values file.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Header spellings per column (after lower-casing and turning spaces and dashes into `_`).
const ALIASES: [(&str, &[&str]); 7] = [
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
    ("source", &["source", "sumber", "dasar", "source_url"]),
    ("status", &["status", "status_verifikasi"]),
];

const REQUIRED: [&str; 4] = ["region_code", "period", "indicator", "value"];

/// What reading one values file gave.
#[derive(Debug, Clone)]
pub struct ValuesFileReport {
    /// The file's name.
    pub file: String,
    /// Rows accepted.
    pub accepted: usize,
    /// Rows refused, with the reasons.
    pub rejected: Vec<Rejection>,
    /// Why the whole file could not be read, if it could not.
    pub error: Option<String>,
}

/// The values files under `dir` (`*.csv`, sorted by name); none when the folder is absent.
pub fn value_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    Ok(files)
}

/// Read and check every file; the accepted values of all of them, and a report per file.
/// Refused rows go to `quarantine` (one `values-{file}` CSV per file with refusals) when given.
pub fn load(
    files: &[PathBuf],
    framework: &Framework,
    regions: &Regions,
    quarantine: Option<&Path>,
) -> (IndicatorValues, Vec<ValuesFileReport>) {
    let mut rows: Vec<IndicatorValue> = Vec::new();
    let mut seen: HashMap<(String, String, String), (String, u64)> = HashMap::new();
    let mut reports = Vec::with_capacity(files.len());
    for path in files {
        let file = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut report = ValuesFileReport {
            file: file.clone(),
            accepted: 0,
            rejected: Vec::new(),
            error: None,
        };
        match read(path, &file) {
            Err(e) => report.error = Some(e),
            Ok(table) => {
                let checker = Checker {
                    framework,
                    regions,
                    file: &file,
                };
                for (row, cells) in table {
                    match checker.check(row, &cells, &mut seen) {
                        Ok(v) => {
                            report.accepted += 1;
                            rows.push(v);
                        }
                        Err(r) => report.rejected.push(*r),
                    }
                }
            }
        }
        if let (Some(dir), false) = (quarantine, report.rejected.is_empty())
            && let Err(e) = write_quarantine(dir, &file, &report.rejected)
        {
            tracing::warn!(file = %file, error = %e, "cannot write the quarantine file of refused values");
        }
        reports.push(report);
    }
    (IndicatorValues::new(rows), reports)
}

/// One table's rows as (row number, column → cell).
type Table = Vec<(u64, HashMap<&'static str, String>)>;

/// The file's rows keyed by canonical column; an error naming what is wrong when the file
/// cannot be read or lacks a required column.
fn read(path: &Path, file: &str) -> Result<Table, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot open {file}: {e}"))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "{file} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit of a values file"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {file}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{file} is not UTF-8 text"))?;
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if header_line.matches(';').count() > header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("{file}: cannot read the header row: {e}"))?
        .clone();
    let columns: Vec<Option<&'static str>> = headers.iter().map(canonical).collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| !columns.contains(&Some(**c)))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{file} lacks required column(s) {}; header found: {}",
            missing.join(", "),
            headers.iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut table = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i as u64 + 2;
        let record = record.map_err(|e| format!("{file} row {row}: {e}"))?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut cells = HashMap::new();
        for (column, cell) in columns.iter().zip(record.iter()) {
            if let Some(c) = column {
                cells.entry(*c).or_insert_with(|| cell.trim().to_string());
            }
        }
        table.push((row, cells));
    }
    Ok(table)
}

/// The column a header cell stands for, if any.
fn canonical(header: &str) -> Option<&'static str> {
    let h = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace([' ', '-'], "_");
    ALIASES
        .iter()
        .find(|(_, spellings)| spellings.contains(&h.as_str()))
        .map(|(c, _)| *c)
}

/// What a row is checked against.
struct Checker<'a> {
    framework: &'a Framework,
    regions: &'a Regions,
    file: &'a str,
}

impl Checker<'_> {
    /// The row as a value, or why it is refused.
    fn check(
        &self,
        row: u64,
        cells: &HashMap<&'static str, String>,
        seen: &mut HashMap<(String, String, String), (String, u64)>,
    ) -> Result<IndicatorValue, Box<Rejection>> {
        let cell = |c: &str| cells.get(c).map(String::as_str).unwrap_or_default();
        let refuse = |column: &str, id: String, en: String| {
            Box::new(Rejection {
                source: self.file.to_string(),
                row: row as i64,
                column: column.to_string(),
                value: Some(cell(column).to_string()).filter(|v| !v.is_empty()),
                reason_id: id,
                reason_en: en,
            })
        };
        let region = normalise_region(cell("region_code"), self.regions)
            .filter(|c| self.regions.contains(c))
            .ok_or_else(|| {
                refuse(
                    "region_code",
                    "bukan kode wilayah Kemendagri atau BPS yang dikenal".into(),
                    "is not a known Kemendagri or BPS region code".into(),
                )
            })?;
        let period = cell("period");
        if !is_period(period) {
            return Err(refuse(
                "period",
                "bukan periode (tahun, mis. 2024, atau 2024-Q1, 2024-03)".into(),
                "is not a period (a year such as 2024, or 2024-Q1, 2024-03)".into(),
            ));
        }
        let id = cell("indicator");
        let Some(indicator) = self.framework.indicator(id) else {
            return Err(refuse(
                "indicator",
                format!("bukan indikator kerangka {}", self.framework.id),
                format!("is not an indicator of framework {}", self.framework.id),
            ));
        };
        if indicator.source != IndicatorSource::Values {
            return Err(refuse(
                "indicator",
                "indikator ini dihitung dari catatan kegiatan, bukan dari nilai tercatat".into(),
                "this indicator is computed from activity records, not from recorded values".into(),
            ));
        }
        let raw = cell("value");
        let style = NumberStyle::decide(std::iter::once(raw), NumberStyle::DecimalPoint);
        let value = style
            .parse(raw)
            .filter(|v| v.is_finite())
            .ok_or_else(|| refuse("value", "bukan angka".into(), "is not a number".into()))?;
        if let Some([lo, hi]) = indicator.range
            && !(lo..=hi).contains(&value)
        {
            return Err(refuse(
                "value",
                format!("di luar rentang indikator {lo}–{hi}"),
                format!("is outside the indicator's range {lo}–{hi}"),
            ));
        }
        let key = (region.to_string(), period.to_string(), id.to_string());
        if let Some((file, first)) = seen.get(&key) {
            return Err(refuse(
                "indicator",
                format!(
                    "nilai ganda: wilayah, periode dan indikator yang sama sudah ada di {file} baris {first}"
                ),
                format!(
                    "a second value: the same region, period and indicator are in {file} row {first}"
                ),
            ));
        }
        seen.insert(key, (self.file.to_string(), row));
        let optional = |c: &str| Some(cell(c).to_string()).filter(|v| !v.is_empty());
        Ok(IndicatorValue {
            region: region.to_string(),
            period: period.to_string(),
            indicator: id.to_string(),
            value,
            unit: optional("unit"),
            source: optional("source"),
            status: optional("status"),
            file: self.file.to_string(),
            row,
        })
    }
}

/// `2024`, `2024-Q1` or `2024-03`.
fn is_period(s: &str) -> bool {
    let year = |y: &str| y.len() == 4 && y.parse::<u16>().is_ok_and(|y| (1900..=2100).contains(&y));
    match s.split_once('-') {
        None => year(s),
        Some((y, rest)) => {
            year(y)
                && (matches!(rest, "Q1" | "Q2" | "Q3" | "Q4")
                    || rest.len() == 2 && rest.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m)))
        }
    }
}

/// The refused rows of `file` as `values-{file}` in `dir`, cells neutralised against formula
/// injection when the file is opened in a spreadsheet.
fn write_quarantine(dir: &Path, file: &str, rejected: &[Rejection]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut w = csv::Writer::from_path(dir.join(format!("values-{file}")))?;
    w.write_record(["source", "row", "column", "value", "reason_id", "reason_en"])?;
    for r in rejected {
        let row = r.row.to_string();
        let value = r.value.as_deref().unwrap_or_default();
        w.write_record([
            crate::cells::neutralise(&r.source).as_ref(),
            &row,
            &r.column,
            crate::cells::neutralise(value).as_ref(),
            &r.reason_id,
            &r.reason_en,
        ])?;
    }
    w.flush()
}

#[cfg(test)]
mod tests;
