//! Indicator values in: files of `region_code, period, indicator, value` with optional `unit,
//! source, status` (CSV with comma or semicolon, Excel, OpenDocument, JSON or NDJSON, read by
//! the same readers and bounds as activity files), checked row by row against the framework,
//! the regions and the sender's scope.
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

use super::format::InputFormat;
use super::limits::Limits;
use super::parse::{NumberStyle, normalise_region};
use super::report::Rejection;
use super::schema::Contract;
use crate::framework::{Framework, IndicatorSource};
use crate::region::{RegionCode, Regions};
use crate::store::{IndicatorValue, IndicatorValues};

/// A values file larger than this is refused whole: values are a few per region and year, so
/// a file this size is not a values file.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

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

/// The values files under `dir` (CSV, Excel, OpenDocument, JSON, sorted by name); none when
/// the folder is absent.
pub fn value_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| InputFormat::from_name(&n.to_string_lossy()))
                .is_some()
        })
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
    let mut seen = Seen::new();
    let mut reports = Vec::with_capacity(files.len());
    let checks = Checks {
        framework,
        regions,
        scope: None,
    };
    for path in files {
        let file = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let (values, report) = match read_file(path, &file) {
            Ok(bytes) => checks.file(&file, &bytes, &mut seen),
            Err(e) => (Vec::new(), ValuesFileReport::unreadable(&file, e)),
        };
        rows.extend(values);
        if let Some(dir) = quarantine {
            report.quarantine(dir);
        }
        reports.push(report);
    }
    (IndicatorValues::new(rows), reports)
}

/// What a values file is checked against: the framework, the regions, and the region the
/// sender may write (`None`: every region).
pub struct Checks<'a> {
    /// The framework whose value indicators a row may name.
    pub framework: &'a Framework,
    /// The regions a row's code must be one of.
    pub regions: &'a Regions,
    /// The sender's scope.
    pub scope: Option<&'a RegionCode>,
}

/// The first file and row of each (region, period, indicator) accepted so far.
pub type Seen = HashMap<(String, String, String), (String, u64)>;

impl Checks<'_> {
    /// The accepted values of the file `file` holding `bytes` (CSV, Excel, OpenDocument, JSON
    /// or NDJSON, told by its name and first bytes), and its report. `seen` carries the keys
    /// of earlier files, so a second value for one key is refused wherever it comes.
    pub fn file(
        &self,
        file: &str,
        bytes: &[u8],
        seen: &mut Seen,
    ) -> (Vec<IndicatorValue>, ValuesFileReport) {
        self.table(file, read(file, bytes), seen)
    }

    /// As [`Checks::file`], for a file already read (or the reason it could not be).
    fn table(
        &self,
        file: &str,
        table: Result<Table, String>,
        seen: &mut Seen,
    ) -> (Vec<IndicatorValue>, ValuesFileReport) {
        let mut report = ValuesFileReport {
            file: file.to_string(),
            accepted: 0,
            rejected: Vec::new(),
            error: None,
        };
        let mut values = Vec::new();
        match table {
            Err(e) => report.error = Some(e),
            Ok(table) => {
                let checker = Checker {
                    framework: self.framework,
                    regions: self.regions,
                    scope: self.scope,
                    file,
                };
                for (row, cells) in table {
                    match checker.check(row, &cells, seen) {
                        Ok(v) => {
                            report.accepted += 1;
                            values.push(v);
                        }
                        Err(r) => report.rejected.push(*r),
                    }
                }
            }
        }
        (values, report)
    }
}

impl ValuesFileReport {
    /// The report of a file that could not be read at all.
    fn unreadable(file: &str, error: String) -> ValuesFileReport {
        ValuesFileReport {
            file: file.to_string(),
            accepted: 0,
            rejected: Vec::new(),
            error: Some(error),
        }
    }

    /// Put the counts into the ingest's report of the file, marked as values; the refused
    /// rows, for the quarantine file and the report.
    pub(super) fn into_file_report(self, file: &mut super::FileReport) -> Vec<Rejection> {
        file.values = true;
        (file.accepted, file.rejected) = (self.accepted, self.rejected.len());
        file.rows = file.accepted + file.rejected;
        self.rejected
    }

    /// Write the refused rows to `values-{file}` in `dir`, if there are any; a failure is
    /// logged, since the refusals are also in the report.
    pub fn quarantine(&self, dir: &Path) {
        if self.rejected.is_empty() {
            return;
        }
        if let Err(e) = write_quarantine(dir, &self.file, &self.rejected) {
            tracing::warn!(file = %self.file, error = %e, "cannot write the quarantine file of refused values");
        }
    }
}

/// A file of an ingest run that lacked the activity columns, tried as indicator values: its
/// checked values and report, or `None` when it is no values table either (lacking their
/// columns too), so that the activity refusal stands. Only for a framework that takes
/// recorded values; the sender's scope is `reference.scope`.
pub(super) fn try_ingest(
    input: &super::Input,
    reference: &super::Reference<'_>,
    seen: &mut Seen,
) -> Option<(Vec<IndicatorValue>, ValuesFileReport)> {
    if !reference.framework.takes_values() {
        return None;
    }
    let bytes = match &input.data {
        super::InputData::Bytes(b) => std::borrow::Cow::Borrowed(b.as_slice()),
        super::InputData::File(path) => std::borrow::Cow::Owned(read_file(path, &input.name).ok()?),
    };
    // Read once: a file that is no values table leaves the activity refusal standing.
    let table = read(&input.name, &bytes).ok()?;
    let checks = Checks {
        framework: reference.framework,
        regions: reference.regions,
        scope: reference.scope,
    };
    Some(checks.table(&input.name, Ok(table), seen))
}

/// One table's rows as (row number, column → cell).
type Table = Vec<(u64, HashMap<&'static str, String>)>;

/// The bytes of the values file at `path`, refused when it is too large to be one.
fn read_file(path: &Path, file: &str) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot open {file}: {e}"))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "{file} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit of a values file"
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {file}: {e}"))
}

/// The file's rows keyed by canonical column, read by ingest's readers (the same bounds and
/// header search as activity files) under the values contract; an error naming what is wrong
/// when the file cannot be read or lacks a required column.
fn read(file: &str, bytes: &[u8]) -> Result<Table, String> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "{file} is {} bytes, over the {MAX_FILE_BYTES}-byte limit of a values file",
            bytes.len()
        ));
    }
    let format = InputFormat::detect(file, bytes);
    let table =
        super::read::read(file, bytes, format, None, &Limits::VALUES).map_err(|e| e.to_string())?;
    let frame = &table.frame;
    let text = |c: &str| frame.column(c).ok().and_then(|c| c.str().ok().cloned());
    let columns: Vec<(&'static str, polars::prelude::StringChunked)> = Contract::Values
        .required()
        .iter()
        .chain(Contract::Values.optional())
        .filter_map(|c| Some((*c, text(c)?)))
        .collect();
    let rows = frame
        .column(crate::store::cols::SOURCE_ROW)
        .and_then(|c| c.i64().cloned())
        .map_err(|e| format!("{file}: {e}"))?;
    let mut out = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let cells: HashMap<&'static str, String> = columns
            .iter()
            .filter_map(|(c, col)| Some((*c, col.get(i)?.trim().to_string())))
            .collect();
        if cells.values().all(|v| v.is_empty()) {
            continue;
        }
        out.push((rows.get(i).unwrap_or(i as i64 + 2) as u64, cells));
    }
    Ok(out)
}

/// What a row is checked against.
struct Checker<'a> {
    framework: &'a Framework,
    regions: &'a Regions,
    scope: Option<&'a RegionCode>,
    file: &'a str,
}

impl Checker<'_> {
    /// The row as a value, or why it is refused.
    fn check(
        &self,
        row: u64,
        cells: &HashMap<&'static str, String>,
        seen: &mut Seen,
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
        if let Some(scope) = self.scope
            && !scope.contains_code(region.as_str())
        {
            return Err(refuse(
                "region_code",
                format!("di luar wilayah Anda ({scope})"),
                format!("is outside your region ({scope})"),
            ));
        }
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
            // A legal basis and the address it was read at are both the value's source.
            source: match (optional("source"), optional("source_url")) {
                (Some(s), Some(url)) => Some(format!("{s} ({url})")),
                (s, url) => s.or(url),
            },
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
