//! Row validation as one polars query: every rule is an expression, and the first rule a row
//! breaks becomes its rejection (column, value, reason in both languages).

use polars::prelude::*;

use super::{Reference, Rejection};
use crate::store::cols;

/// Reference tables as frames, built once per ingest run.
pub(super) struct Lookups {
    regions: DataFrame,
    programmes: DataFrame,
    today: chrono::NaiveDate,
}

const KNOWN: &str = "_region_known";
const PROG_DIM: &str = "_programme_dimension";
const DATE: &str = "_date";
const QTY: &str = "_quantity";
const PART: &str = "_participants";
const BUDGET: &str = "_budget";

impl Lookups {
    pub(super) fn new(reference: Reference<'_>) -> PolarsResult<Lookups> {
        let codes: Vec<&str> = reference.regions.codes().map(|c| c.as_str()).collect();
        let regions = df!(
            cols::REGION_CODE => codes.as_slice(),
            KNOWN => vec![true; codes.len()],
        )?;
        let (progs, dims): (Vec<&str>, Vec<&str>) = reference
            .framework
            .programmes
            .values()
            .map(|p| (p.programme.as_str(), p.dimension.as_str()))
            .unzip();
        let programmes = df!(cols::PROGRAMME => progs, PROG_DIM => dims)?;
        Ok(Lookups {
            regions,
            programmes,
            today: reference.today,
        })
    }
}

/// A validation rule: when `fails` is true for a row, the row is rejected.
struct Rule {
    fails: Expr,
    column: &'static str,
    reason_id: &'static str,
    reason_en: &'static str,
}

fn rule(
    fails: Expr,
    column: &'static str,
    reason_id: &'static str,
    reason_en: &'static str,
) -> Rule {
    Rule {
        fails,
        column,
        reason_id,
        reason_en,
    }
}

fn missing(column: &'static str) -> Rule {
    rule(col(column).is_null(), column, "wajib diisi", "is required")
}

/// Trimmed text with empty cells as null.
fn cleaned(name: &str) -> Expr {
    let trimmed = col(name).str().strip_chars(lit(NULL));
    when(trimmed.clone().eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(trimmed)
        .alias(name)
}

fn number(name: &str, alias: &str) -> Expr {
    col(name).cast(DataType::Float64).alias(alias)
}

fn rules(today: chrono::NaiveDate) -> Vec<Rule> {
    let not_number = |raw: &'static str, parsed: &str| {
        rule(
            col(raw)
                .is_not_null()
                .and(col(parsed).is_null().or(col(parsed).is_finite().not())),
            raw,
            "bukan angka",
            "is not a number",
        )
    };
    vec![
        missing(cols::ACTIVITY_ID),
        missing(cols::DATE),
        rule(
            col(DATE).is_null(),
            cols::DATE,
            "bukan tanggal yang sah (format TTTT-BB-HH)",
            "is not a valid date (expected YYYY-MM-DD)",
        ),
        rule(
            col(DATE).gt(lit(today)),
            cols::DATE,
            "tanggal di masa depan",
            "is in the future",
        ),
        missing(cols::REGION_CODE),
        rule(
            col(KNOWN).is_null(),
            cols::REGION_CODE,
            "kode wilayah Kemendagri tidak dikenal",
            "is not a known Kemendagri region code",
        ),
        missing(cols::PROGRAMME),
        rule(
            col(PROG_DIM).is_null(),
            cols::PROGRAMME,
            "program tidak ada dalam katalog",
            "is not a programme in the catalogue",
        ),
        rule(
            col(cols::DIMENSION)
                .is_not_null()
                .and(col(cols::DIMENSION).neq(col(PROG_DIM))),
            cols::DIMENSION,
            "tidak sesuai dengan dimensi program",
            "does not match the programme's dimension",
        ),
        missing(cols::QUANTITY),
        not_number(cols::QUANTITY, QTY),
        rule(
            col(QTY).lt(lit(0.0)),
            cols::QUANTITY,
            "negatif",
            "is negative",
        ),
        not_number(cols::PARTICIPANTS, PART),
        rule(
            col(PART).lt(lit(0.0)).or(col(PART).neq(col(PART).floor())),
            cols::PARTICIPANTS,
            "harus bilangan bulat tidak negatif",
            "must be a non-negative whole number",
        ),
        not_number(cols::BUDGET_IDR, BUDGET),
        rule(
            col(BUDGET).lt(lit(0.0)),
            cols::BUDGET_IDR,
            "negatif",
            "is negative",
        ),
    ]
}

/// The first failing rule's `pick`, or null when the row passes every rule.
fn first_failure(rules: &[Rule], pick: impl Fn(&Rule) -> Expr) -> Expr {
    rules
        .iter()
        .rev()
        .fold(lit(NULL).cast(DataType::String), |acc, r| {
            when(r.fails.clone()).then(pick(r)).otherwise(acc)
        })
}

/// The accepted rows (in the activity contract's columns) and the rejections of one file.
pub(super) struct Checked {
    pub(super) accepted: DataFrame,
    pub(super) rejections: Vec<Rejection>,
}

/// Validate a raw all-text frame with canonical column names.
pub(super) fn validate(raw: DataFrame, source: &str, lookups: &Lookups) -> PolarsResult<Checked> {
    let text_columns = [
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
    let rules = rules(lookups.today);
    let date_options = StrptimeOptions {
        format: Some("%Y-%m-%d".into()),
        strict: false,
        exact: true,
        cache: true,
    };
    let checked = raw
        .lazy()
        .with_row_index(cols::SOURCE_ROW, Some(2))
        .with_columns(text_columns.map(cleaned))
        .with_columns([
            col(cols::PROGRAMME).str().to_lowercase(),
            col(cols::DIMENSION).str().to_lowercase(),
        ])
        .with_columns([
            col(cols::DATE).str().to_date(date_options).alias(DATE),
            number(cols::QUANTITY, QTY),
            number(cols::PARTICIPANTS, PART),
            number(cols::BUDGET_IDR, BUDGET),
        ])
        .left_join(
            lookups.regions.clone().lazy(),
            col(cols::REGION_CODE),
            col(cols::REGION_CODE),
        )
        .left_join(
            lookups.programmes.clone().lazy(),
            col(cols::PROGRAMME),
            col(cols::PROGRAMME),
        )
        .with_columns([
            first_failure(&rules, |r| lit(r.column)).alias("_column"),
            first_failure(&rules, |r| col(r.column)).alias("_value"),
            first_failure(&rules, |r| lit(r.reason_id)).alias("_reason_id"),
            first_failure(&rules, |r| lit(r.reason_en)).alias("_reason_en"),
        ])
        .sort([cols::SOURCE_ROW], SortMultipleOptions::default())
        .collect()?;

    let passed = checked.column("_column")?.is_null();
    let accepted = checked
        .filter(&passed)?
        .lazy()
        .select([
            col(cols::ACTIVITY_ID),
            col(DATE).alias(cols::DATE),
            col(cols::REGION_CODE),
            col(cols::PROGRAMME),
            col(PROG_DIM).alias(cols::DIMENSION),
            col(cols::TARGET_GROUP),
            col(QTY).alias(cols::QUANTITY),
            col(PART).cast(DataType::Int64).alias(cols::PARTICIPANTS),
            col(BUDGET).alias(cols::BUDGET_IDR),
            col(cols::ORGANISER),
            lit(source).alias(cols::SOURCE),
            col(cols::SOURCE_ROW).cast(DataType::Int64),
        ])
        .collect()?;

    let failed = checked.filter(&!passed)?;
    let rows = failed.column(cols::SOURCE_ROW)?.cast(&DataType::Int64)?;
    let rows = rows.i64()?;
    let column = failed.column("_column")?.str()?;
    let value = failed.column("_value")?.str()?;
    let reason_id = failed.column("_reason_id")?.str()?;
    let reason_en = failed.column("_reason_en")?.str()?;
    let rejections = (0..failed.height())
        .map(|i| Rejection {
            source: source.to_string(),
            row: rows.get(i).unwrap_or_default(),
            column: column.get(i).unwrap_or_default().to_string(),
            value: value.get(i).map(str::to_string),
            reason_id: reason_id.get(i).unwrap_or_default().to_string(),
            reason_en: reason_en.get(i).unwrap_or_default().to_string(),
        })
        .collect();
    Ok(Checked {
        accepted,
        rejections,
    })
}
