//! Row validation: one pass over the rows of a batch that cleans each cell (trim, empty as
//! missing, programme and dimension lower-cased), parses it under the file's conventions
//! (number style, date forms, BPS codes) and checks the rules in a fixed order; the first rule
//! a row breaks becomes its rejection (column, value, reason in both languages). Accepted rows
//! are built straight into the activity contract's typed columns.
//!
//! Cells are borrowed from the batch, never copied except into the output, and dates and
//! region codes (few distinct values) are parsed once per distinct value. Large batches are
//! split in two halves checked on two threads. Reading the file is not done here.

use std::borrow::Cow;

use chrono::NaiveDate;
use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::parse::{NumberStyle, normalise_region, parse_date};
use super::read::RawTable;
use super::{Reference, Rejection};
use crate::region::{RegionCode, Regions};
use crate::store::cols;

/// Reference data in the shape validation looks things up in, built once per ingest run.
pub(super) struct Lookups<'a> {
    regions: &'a Regions,
    known_regions: PlHashSet<String>,
    /// Programme code → its dimension.
    programmes: PlHashMap<String, String>,
    today: i32,
    /// An upload limited to one region (a steward's): rows for other regions are rejected.
    scope: Option<&'a RegionCode>,
}

impl<'a> Lookups<'a> {
    pub(super) fn new(reference: Reference<'a>) -> Lookups<'a> {
        Lookups {
            regions: reference.regions,
            known_regions: reference
                .regions
                .codes()
                .map(|c| c.as_str().to_string())
                .collect(),
            programmes: reference
                .framework
                .programmes
                .values()
                .map(|p| (p.programme.clone(), p.dimension.clone()))
                // A nil report is in no dimension: a row naming one is refused.
                .chain([(crate::framework::NIL_REPORT.to_string(), String::new())])
                .collect(),
            today: days(reference.today),
            scope: reference.scope,
        }
    }
}

/// Days since 1970-01-01, polars' representation of a date.
fn days(date: NaiveDate) -> i32 {
    use chrono::Datelike;
    /// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
    const UNIX_EPOCH_FROM_CE: i32 = 719_163;
    date.num_days_from_ce() - UNIX_EPOCH_FROM_CE
}

/// The rules, in the order they are checked. Each names the column it judges and the reason
/// in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    TooLong(usize),
    DateMissing,
    DateInvalid,
    DateFuture,
    RegionMissing,
    RegionUnknown,
    OutOfScope,
    ProgrammeMissing,
    ProgrammeUnknown,
    DimensionMismatch,
    QuantityMissing,
    Mixed(usize),
    NotNumber(usize),
    QuantityNegative,
    ParticipantsNotWhole,
    BudgetNegative,
}

impl Rule {
    fn column(self) -> usize {
        match self {
            Rule::TooLong(c) | Rule::Mixed(c) | Rule::NotNumber(c) => c,
            Rule::DateMissing | Rule::DateInvalid | Rule::DateFuture => DATE,
            Rule::RegionMissing | Rule::RegionUnknown | Rule::OutOfScope => REGION,
            Rule::ProgrammeMissing | Rule::ProgrammeUnknown => PROGRAMME,
            Rule::DimensionMismatch => DIMENSION,
            Rule::QuantityMissing | Rule::QuantityNegative => QUANTITY,
            Rule::ParticipantsNotWhole => PARTICIPANTS,
            Rule::BudgetNegative => BUDGET,
        }
    }

    /// The reason in Indonesian and English; `scope` names the region an out-of-scope row
    /// should have been in.
    fn reasons(self, scope: Option<&RegionCode>) -> (Cow<'static, str>, Cow<'static, str>) {
        if self == Rule::OutOfScope {
            let root = scope.map_or_else(String::new, ToString::to_string);
            return (
                format!("di luar wilayah yang boleh Anda unggah ({root} dan wilayah di dalamnya)")
                    .into(),
                format!(
                    "is outside the region you may upload for ({root} and the regions within it)"
                )
                .into(),
            );
        }
        let (id, en) = match self {
            Rule::TooLong(_) => (
                "teks terlalu panjang (lebih dari 1.000 karakter)",
                "text too long (over 1,000 characters)",
            ),
            Rule::DateMissing
            | Rule::RegionMissing
            | Rule::ProgrammeMissing
            | Rule::QuantityMissing => ("wajib diisi", "is required"),
            Rule::DateInvalid => (
                "bukan tanggal yang sah (contoh: 2018-07-10, 10/07/2018, 10 Juli 2018)",
                "is not a valid date (e.g. 2018-07-10, 10/07/2018, 10 Juli 2018)",
            ),
            Rule::DateFuture => ("tanggal di masa depan", "is in the future"),
            Rule::RegionUnknown => (
                "kode wilayah Kemendagri/BPS tidak dikenal",
                "is not a known Kemendagri or BPS region code",
            ),
            Rule::ProgrammeUnknown => (
                "program tidak ada dalam katalog",
                "is not a programme in the catalogue",
            ),
            Rule::DimensionMismatch => (
                "tidak sesuai dengan dimensi program",
                "does not match the programme's dimension",
            ),
            Rule::Mixed(_) => (
                "format angka berbeda dari bagian lain berkas (1.234,5 dan 1,234.5 tercampur)",
                "number style differs from the rest of the file (1.234,5 and 1,234.5 mixed)",
            ),
            Rule::NotNumber(_) => ("bukan angka", "is not a number"),
            Rule::QuantityNegative | Rule::BudgetNegative => ("negatif", "is negative"),
            Rule::ParticipantsNotWhole => (
                "harus bilangan bulat tidak negatif",
                "must be a non-negative whole number",
            ),
            Rule::OutOfScope => unreachable!("answered above"),
        };
        (id.into(), en.into())
    }
}

/// The accepted rows (in the activity contract's columns) and the rejections of one batch.
pub(super) struct Checked {
    pub(super) accepted: DataFrame,
    pub(super) rejections: Vec<Rejection>,
}

/// Longest text accepted in a cell; longer is a broken export (an unterminated quote
/// swallowing the file, say), not an activity record.
const MAX_TEXT_BYTES: usize = 1_000;

/// The text columns of a raw table, in the order the length rule checks them.
const TEXT_COLUMNS: [&str; 10] = [
    cols::ACTIVITY_ID,
    cols::DATE,
    cols::REGION_CODE,
    cols::PROGRAMME,
    cols::DIMENSION,
    cols::TARGET_GROUP,
    cols::QUANTITY,
    cols::PARTICIPANTS,
    cols::BUDGET_IDR,
    cols::ORGANISER,
];
const ID: usize = 0;
const DATE: usize = 1;
const REGION: usize = 2;
const PROGRAMME: usize = 3;
const DIMENSION: usize = 4;
const TARGET: usize = 5;
const QUANTITY: usize = 6;
const PARTICIPANTS: usize = 7;
const BUDGET: usize = 8;
const ORGANISER: usize = 9;

/// Rows below which a batch is checked on one thread: splitting costs more than it saves.
const PARALLEL_ROWS: usize = 50_000;

/// The number style of a table, decided from its number cells (see [`NumberStyle::decide`]).
pub(super) fn decide_style(frame: &DataFrame, fallback: NumberStyle) -> PolarsResult<NumberStyle> {
    let texts: Vec<&StringChunked> = [cols::QUANTITY, cols::PARTICIPANTS, cols::BUDGET_IDR]
        .iter()
        .map(|c| frame.column(c).and_then(|c| c.str()))
        .collect::<PolarsResult<_>>()?;
    Ok(NumberStyle::decide(
        texts
            .iter()
            .flat_map(|ca| ca.iter().flatten().map(str::trim)),
        fallback,
    ))
}

/// Validate a raw table (or one batch of a file) in number style `style`.
pub(super) fn validate(
    table: &RawTable,
    source: &str,
    style: NumberStyle,
    lookups: &Lookups<'_>,
) -> PolarsResult<Checked> {
    let frame = &table.frame;
    let height = frame.height();
    let columns: Vec<StringChunked> = TEXT_COLUMNS
        .iter()
        .map(|c| Ok(frame.column(c)?.str()?.rechunk().into_owned()))
        .collect::<PolarsResult<_>>()?;
    let rows = frame.column(cols::SOURCE_ROW)?.cast(&DataType::Int64)?;
    let rows = rows.i64()?.rechunk().into_owned();
    let cells = Cells {
        columns: columns.iter().map(|ca| ca.downcast_iter().next()).collect(),
        rows: rows.downcast_iter().next(),
    };
    let check = |range: std::ops::Range<usize>| check_rows(&cells, range, source, style, lookups);
    let parts = if height >= PARALLEL_ROWS {
        let mid = height / 2;
        std::thread::scope(|s| {
            let first = s.spawn(|| check(0..mid));
            let second = check(mid..height);
            vec![first.join().expect("validation thread panicked"), second]
        })
    } else {
        vec![check(0..height)]
    };
    let mut rejections = Vec::new();
    let mut accepted: Option<DataFrame> = None;
    for part in parts {
        rejections.extend(part.rejections);
        let frame = part.accepted.frame(source)?;
        match accepted.as_mut() {
            None => accepted = Some(frame),
            Some(all) => {
                all.vstack_mut(&frame)?;
            }
        }
    }
    let accepted = accepted.expect("at least one part");
    Ok(Checked {
        accepted,
        rejections,
    })
}

/// The cells of a batch as arrow arrays (`None` for a batch of no rows).
struct Cells<'a> {
    columns: Vec<Option<&'a <StringType as PolarsDataType>::Array>>,
    rows: Option<&'a <Int64Type as PolarsDataType>::Array>,
}

impl<'a> Cells<'a> {
    /// Cell `c` of row `i`, trimmed; empty as missing.
    fn get(&self, c: usize, i: usize) -> Option<&'a str> {
        let s = self.columns[c]?.get(i)?;
        let t = if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
            s.trim()
        } else {
            s
        };
        (!t.is_empty()).then_some(t)
    }

    fn row(&self, i: usize) -> i64 {
        self.rows.and_then(|r| r.get(i)).unwrap_or_default()
    }
}

/// Lower-cased where it has upper-case letters (catalogue codes are lower-case).
fn lowered(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Accepted rows of a range, column by column, in the contract's types.
#[derive(Default)]
struct Accepted<'a> {
    ids: Vec<Cow<'a, str>>,
    dates: Vec<i32>,
    regions: Vec<&'a str>,
    programmes: Vec<Cow<'a, str>>,
    dimensions: Vec<&'a str>,
    targets: Vec<Option<&'a str>>,
    quantities: Vec<f64>,
    participants: Vec<Option<i64>>,
    budgets: Vec<Option<f64>>,
    organisers: Vec<Option<&'a str>>,
    rows: Vec<i64>,
}

impl Accepted<'_> {
    fn frame(self, source: &str) -> PolarsResult<DataFrame> {
        let n = self.rows.len();
        let text = |name: &str, v: &[&str]| StringChunked::from_slice(name.into(), v).into_column();
        let opt_text = |name: &str, v: &[Option<&str>]| {
            StringChunked::from_slice_options(name.into(), v).into_column()
        };
        let ids: Vec<&str> = self.ids.iter().map(|s| s.as_ref()).collect();
        let programmes: Vec<&str> = self.programmes.iter().map(|s| s.as_ref()).collect();
        DataFrame::new(
            n,
            vec![
                text(cols::ACTIVITY_ID, &ids),
                Int32Chunked::from_vec(cols::DATE.into(), self.dates)
                    .into_date()
                    .into_column(),
                text(cols::REGION_CODE, &self.regions),
                text(cols::PROGRAMME, &programmes),
                text(cols::DIMENSION, &self.dimensions),
                opt_text(cols::TARGET_GROUP, &self.targets),
                Float64Chunked::from_vec(cols::QUANTITY.into(), self.quantities).into_column(),
                Int64Chunked::from_slice_options(cols::PARTICIPANTS.into(), &self.participants)
                    .into_column(),
                Float64Chunked::from_slice_options(cols::BUDGET_IDR.into(), &self.budgets)
                    .into_column(),
                opt_text(cols::ORGANISER, &self.organisers),
                Column::new_scalar(
                    cols::SOURCE.into(),
                    Scalar::new(DataType::String, AnyValue::StringOwned(source.into())),
                    n,
                ),
                Int64Chunked::from_vec(cols::SOURCE_ROW.into(), self.rows).into_column(),
            ],
        )
    }
}

struct Partial<'a> {
    accepted: Accepted<'a>,
    rejections: Vec<Rejection>,
}

/// Parse the ISO form `2018-07-10` directly (what machine-written files hold); anything else
/// goes to [`parse_date`].
fn fast_iso_days(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)?;
    Some(days(date))
}

/// Check rows `range` of a batch: each row is accepted into typed columns or rejected with the
/// first rule it breaks.
fn check_rows<'a>(
    cells: &Cells<'a>,
    range: std::ops::Range<usize>,
    source: &str,
    style: NumberStyle,
    lookups: &'a Lookups<'_>,
) -> Partial<'a> {
    let mut checker = RowChecker::new(lookups, style);
    let mut accepted = Accepted::default();
    let mut rejections = Vec::new();
    for i in range {
        let row = Row::read(cells, i);
        match checker.check(&row) {
            Ok(valid) => accepted.push(row, valid, cells.row(i)),
            Err(rule) => rejections.push(checker.rejection(rule, &row, source, cells.row(i))),
        }
    }
    Partial {
        accepted,
        rejections,
    }
}

/// One row's cells, trimmed (empty as missing), with programme and dimension lower-cased.
struct Row<'a> {
    text: [Option<&'a str>; 10],
    programme: Option<Cow<'a, str>>,
    dimension: Option<Cow<'a, str>>,
}

impl<'a> Row<'a> {
    fn read(cells: &Cells<'a>, i: usize) -> Row<'a> {
        let text: [Option<&'a str>; 10] = std::array::from_fn(|c| cells.get(c, i));
        Row {
            programme: text[PROGRAMME].map(lowered),
            dimension: text[DIMENSION].map(lowered),
            text,
        }
    }

    /// Column `c` as the rules judge it (programme and dimension cleaned).
    fn value(&self, c: usize) -> Option<&str> {
        match c {
            PROGRAMME => self.programme.as_deref(),
            DIMENSION => self.dimension.as_deref(),
            _ => self.text[c],
        }
    }

    /// The row's `activity_id`, or one made from its content when it has none.
    fn id(&self) -> Cow<'a, str> {
        match self.text[ID] {
            Some(id) => Cow::Borrowed(id),
            None => Cow::Owned(content_id(
                &self.text,
                self.programme.as_deref(),
                self.dimension.as_deref(),
            )),
        }
    }
}

/// What a row that breaks no rule holds, parsed.
struct Valid<'a> {
    date: i32,
    region: &'a str,
    /// The programme's dimension (the row's own, if given, matches it).
    dimension: &'a str,
    quantity: f64,
    participants: Option<f64>,
    budget: Option<f64>,
}

impl<'a> Accepted<'a> {
    fn push(&mut self, row: Row<'a>, valid: Valid<'a>, source_row: i64) {
        self.ids.push(row.id());
        self.dates.push(valid.date);
        self.regions.push(valid.region);
        self.programmes
            .push(row.programme.expect("checked present"));
        self.dimensions.push(valid.dimension);
        self.targets.push(row.text[TARGET]);
        self.quantities.push(valid.quantity);
        self.participants.push(valid.participants.map(|p| p as i64));
        self.budgets.push(valid.budget);
        self.organisers.push(row.text[ORGANISER]);
        self.rows.push(source_row);
    }
}

/// The rules applied to the rows of one range, in their order, with dates and region codes
/// parsed once per distinct cell.
struct RowChecker<'a, 'r> {
    lookups: &'a Lookups<'r>,
    style: NumberStyle,
    dates: PlHashMap<&'a str, Option<i32>>,
    /// Raw region cell → normalised code, if known.
    regions: PlHashMap<&'a str, Option<&'a str>>,
}

impl<'a, 'r> RowChecker<'a, 'r> {
    fn new(lookups: &'a Lookups<'r>, style: NumberStyle) -> RowChecker<'a, 'r> {
        RowChecker {
            lookups,
            style,
            dates: PlHashMap::default(),
            regions: PlHashMap::default(),
        }
    }

    /// The row parsed, or the first rule it breaks.
    fn check(&mut self, row: &Row<'a>) -> Result<Valid<'a>, Rule> {
        let text = &row.text;
        if let Some(c) = (0..10).find(|&c| text[c].is_some_and(|s| s.len() > MAX_TEXT_BYTES)) {
            return Err(Rule::TooLong(c));
        }
        let date = self.date(text[DATE])?;
        let region = self.region(text[REGION])?;
        self.in_scope(region)?;
        let dimension = self.programme_dimension(row)?;
        if text[QUANTITY].is_none() {
            return Err(Rule::QuantityMissing);
        }
        let quantity = self.number(QUANTITY, text[QUANTITY])?.unwrap_or_default();
        if quantity < 0.0 {
            return Err(Rule::QuantityNegative);
        }
        let participants = self.number(PARTICIPANTS, text[PARTICIPANTS])?;
        if participants.is_some_and(|p| p < 0.0 || p != p.floor()) {
            return Err(Rule::ParticipantsNotWhole);
        }
        let budget = self.number(BUDGET, text[BUDGET])?;
        if budget.is_some_and(|b| b < 0.0) {
            return Err(Rule::BudgetNegative);
        }
        Ok(Valid {
            date,
            region,
            dimension,
            quantity,
            participants,
            budget,
        })
    }

    /// A date, not in the future, as days since 1970.
    fn date(&mut self, cell: Option<&'a str>) -> Result<i32, Rule> {
        let date_text = cell.ok_or(Rule::DateMissing)?;
        let date = match fast_iso_days(date_text) {
            Some(d) => d,
            None => (*self
                .dates
                .entry(date_text)
                .or_insert_with(|| parse_date(date_text).map(days)))
            .ok_or(Rule::DateInvalid)?,
        };
        if date > self.lookups.today {
            return Err(Rule::DateFuture);
        }
        Ok(date)
    }

    /// A known region code (Kemendagri, or BPS normalised to Kemendagri).
    fn region(&mut self, cell: Option<&'a str>) -> Result<&'a str, Rule> {
        let lookups = self.lookups;
        let known = |code: &str| lookups.known_regions.get(code).map(String::as_str);
        let region_text = cell.ok_or(Rule::RegionMissing)?;
        match known(region_text) {
            Some(code) => Some(code),
            None => *self.regions.entry(region_text).or_insert_with(|| {
                normalise_region(region_text, lookups.regions).and_then(|code| known(code.as_str()))
            }),
        }
        .ok_or(Rule::RegionUnknown)
    }

    /// A steward's upload quarantines rows for other regions; the rest still goes in.
    fn in_scope(&self, region: &str) -> Result<(), Rule> {
        if let Some(root) = self.lookups.scope {
            let root = root.as_str();
            let inside = region == root
                || region
                    .strip_prefix(root)
                    .is_some_and(|rest| rest.starts_with('.'));
            if !inside {
                return Err(Rule::OutOfScope);
            }
        }
        Ok(())
    }

    /// The programme's dimension in the catalogue, which the row's own dimension (if given)
    /// must match.
    fn programme_dimension(&self, row: &Row<'a>) -> Result<&'a str, Rule> {
        let programme = row.programme.as_deref().ok_or(Rule::ProgrammeMissing)?;
        let programme_dimension = self
            .lookups
            .programmes
            .get(programme)
            .ok_or(Rule::ProgrammeUnknown)?;
        if row
            .dimension
            .as_deref()
            .is_some_and(|d| d != programme_dimension)
        {
            return Err(Rule::DimensionMismatch);
        }
        Ok(programme_dimension.as_str())
    }

    /// A number in the file's style, if the cell has one.
    fn number(&self, c: usize, cell: Option<&str>) -> Result<Option<f64>, Rule> {
        match cell {
            None => Ok(None),
            Some(s) if self.style.contradicted_by(s) => Err(Rule::Mixed(c)),
            Some(s) => self.style.parse(s).map(Some).ok_or(Rule::NotNumber(c)),
        }
    }

    /// The rejection of a row for breaking `rule`: its column, value and reasons.
    fn rejection(&self, rule: Rule, row: &Row<'_>, source: &str, source_row: i64) -> Rejection {
        let c = rule.column();
        let (reason_id, reason_en) = rule.reasons(self.lookups.scope);
        Rejection {
            source: source.to_string(),
            row: source_row,
            column: TEXT_COLUMNS[c].to_string(),
            value: row.value(c).map(str::to_string),
            reason_id: reason_id.into_owned(),
            reason_en: reason_en.into_owned(),
        }
    }
}

/// `h:` + a hash of the row's cleaned cells, for a row without `activity_id`, so that a source
/// without ids is still idempotent: the same row sent twice gets the same id.
fn content_id(
    text: &[Option<&str>; 10],
    programme: Option<&str>,
    dimension: Option<&str>,
) -> String {
    let mut hasher = Sha256::new();
    for (c, cell) in text.iter().enumerate().skip(1) {
        let cell = match c {
            PROGRAMME => programme,
            DIMENSION => dimension,
            _ => *cell,
        };
        hasher.update(cell.unwrap_or("").as_bytes());
        hasher.update([0x1f]);
    }
    let digest = hasher.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("h:{hex}")
}
