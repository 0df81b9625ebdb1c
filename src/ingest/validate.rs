//! Row validation. Cells are first parsed in Rust under the file's conventions (number style,
//! date forms, BPS codes: few distinct dates and codes, so those are parsed once per distinct
//! value); then every rule is a polars expression and the first rule a row breaks becomes its
//! rejection (column, value, reason in both languages).

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::parse::{NumberStyle, normalise_region, parse_date};
use super::read::RawTable;
use super::{Reference, Rejection};
use crate::region::{RegionCode, Regions};
use crate::store::cols;

/// Reference tables as frames, built once per ingest run.
pub(super) struct Lookups<'a> {
    regions: &'a Regions,
    known_regions: DataFrame,
    programmes: DataFrame,
    today: NaiveDate,
    scope: Option<&'a RegionCode>,
}

const KNOWN: &str = "_region_known";
const PROG_DIM: &str = "_programme_dimension";
const REGION: &str = "_region";
const DATE: &str = "_date";
const QTY: &str = "_quantity";
const PART: &str = "_participants";
const BUDGET: &str = "_budget";

fn mixed(column: &str) -> String {
    format!("_mixed_{column}")
}

impl<'a> Lookups<'a> {
    pub(super) fn new(reference: Reference<'a>) -> PolarsResult<Lookups<'a>> {
        let codes: Vec<&str> = reference.regions.codes().map(|c| c.as_str()).collect();
        let known_regions = df!(
            REGION => codes.as_slice(),
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
            regions: reference.regions,
            known_regions,
            programmes,
            today: reference.today,
            scope: reference.scope,
        })
    }
}

/// A validation rule: when `fails` is true for a row, the row is rejected.
struct Rule {
    fails: Expr,
    column: &'static str,
    reason_id: Cow<'static, str>,
    reason_en: Cow<'static, str>,
}

fn rule(
    fails: Expr,
    column: &'static str,
    reason_id: impl Into<Cow<'static, str>>,
    reason_en: impl Into<Cow<'static, str>>,
) -> Rule {
    Rule {
        fails,
        column,
        reason_id: reason_id.into(),
        reason_en: reason_en.into(),
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

fn rules(today: NaiveDate, scope: Option<&RegionCode>) -> Vec<Rule> {
    let number_rules = |raw: &'static str, parsed: &'static str| {
        [
            rule(
                col(mixed(raw)),
                raw,
                "format angka berbeda dari bagian lain berkas (1.234,5 dan 1,234.5 tercampur)",
                "number style differs from the rest of the file (1.234,5 and 1,234.5 mixed)",
            ),
            rule(
                col(raw).is_not_null().and(col(parsed).is_null()),
                raw,
                "bukan angka",
                "is not a number",
            ),
        ]
    };
    let too_long = |c: &'static str| {
        rule(
            col(c).str().len_bytes().gt(lit(MAX_TEXT_BYTES)),
            c,
            "teks terlalu panjang (lebih dari 1.000 karakter)",
            "text too long (over 1,000 characters)",
        )
    };
    let mut rules: Vec<Rule> = TEXT_COLUMNS.iter().map(|c| too_long(c)).collect();
    rules.extend([
        missing(cols::DATE),
        rule(
            col(DATE).is_null(),
            cols::DATE,
            "bukan tanggal yang sah (contoh: 2018-07-10, 10/07/2018, 10 Juli 2018)",
            "is not a valid date (e.g. 2018-07-10, 10/07/2018, 10 Juli 2018)",
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
            "kode wilayah Kemendagri/BPS tidak dikenal",
            "is not a known Kemendagri or BPS region code",
        ),
    ]);
    // An upload limited to one region (a steward's) quarantines rows for other regions with a
    // reason naming the region allowed; the rest of the file still goes in.
    if let Some(root) = scope {
        let outside = col(REGION)
            .neq(lit(root.as_str()))
            .and(col(REGION).str().starts_with(lit(format!("{root}."))).not());
        rules.push(rule(
            outside,
            cols::REGION_CODE,
            format!("di luar wilayah yang boleh Anda unggah ({root} dan wilayah di dalamnya)"),
            format!("is outside the region you may upload for ({root} and the regions within it)"),
        ));
    }
    rules.extend([
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
    ]);
    rules.extend(number_rules(cols::QUANTITY, QTY));
    rules.push(rule(
        col(QTY).lt(lit(0.0)),
        cols::QUANTITY,
        "negatif",
        "is negative",
    ));
    rules.extend(number_rules(cols::PARTICIPANTS, PART));
    rules.push(rule(
        col(PART).lt(lit(0.0)).or(col(PART).neq(col(PART).floor())),
        cols::PARTICIPANTS,
        "harus bilangan bulat tidak negatif",
        "must be a non-negative whole number",
    ));
    rules.extend(number_rules(cols::BUDGET_IDR, BUDGET));
    rules.push(rule(
        col(BUDGET).lt(lit(0.0)),
        cols::BUDGET_IDR,
        "negatif",
        "is negative",
    ));
    rules
}

/// The accepted rows (in the activity contract's columns) and the rejections of one file.
pub(super) struct Checked {
    pub(super) accepted: DataFrame,
    pub(super) rejections: Vec<Rejection>,
    pub(super) style: NumberStyle,
}

/// Longest text accepted in a cell; longer is a broken export (an unterminated quote
/// swallowing the file, say), not an activity record.
const MAX_TEXT_BYTES: u32 = 1_000;

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

/// Validate a raw table from one file.
pub(super) fn validate(
    table: RawTable,
    source: &str,
    lookups: &Lookups<'_>,
) -> PolarsResult<Checked> {
    // Trim and lower-case only the columns that need it: a scan is far cheaper than rewriting
    // a million strings, and machine-written files rarely need either.
    let mut fixes = Vec::new();
    for name in TEXT_COLUMNS {
        let ca = table.frame.column(name)?.str()?;
        let untidy = |s: &str| {
            s.is_empty() || s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace)
        };
        let lower = matches!(name, cols::PROGRAMME | cols::DIMENSION);
        let needs_lowering = |s: &str| lower && s.bytes().any(|b| b.is_ascii_uppercase());
        if ca.iter().flatten().any(|s| untidy(s) || needs_lowering(s)) {
            let expr = cleaned(name);
            fixes.push(if lower {
                expr.str().to_lowercase().alias(name)
            } else {
                expr
            });
        }
    }
    let mut df = if fixes.is_empty() {
        table.frame
    } else {
        table.frame.lazy().with_columns(fixes).collect()?
    };
    let t = std::time::Instant::now();
    let style = parse_cells(&mut df, table.fallback_style, lookups)?;
    tracing::debug!(ms = t.elapsed().as_millis(), "cells parsed");
    let t = std::time::Instant::now();
    let rules = rules(lookups.today, lookups.scope);
    // Which rule a row breaks first, as a small integer: one pass over all rows. Column, value
    // and reasons are looked up afterwards for the (few) failed rows only.
    let first_broken = rules
        .iter()
        .enumerate()
        .rev()
        .fold(lit(NULL).cast(DataType::UInt32), |acc, (i, r)| {
            when(r.fails.clone()).then(lit(i as u32)).otherwise(acc)
        });
    let checked = df
        .lazy()
        .left_join(
            lookups.known_regions.clone().lazy(),
            col(REGION),
            col(REGION),
        )
        .left_join(
            lookups.programmes.clone().lazy(),
            col(cols::PROGRAMME),
            col(cols::PROGRAMME),
        )
        .with_column(first_broken.alias("_rule"))
        .sort([cols::SOURCE_ROW], SortMultipleOptions::default())
        .collect()?;

    tracing::debug!(ms = t.elapsed().as_millis(), "rules applied");
    let passed = checked.column("_rule")?.is_null();
    let accepted = checked
        .filter(&passed)?
        .lazy()
        .select([
            col(cols::ACTIVITY_ID),
            col(DATE).alias(cols::DATE),
            col(REGION).alias(cols::REGION_CODE),
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

    let value_of_broken_column =
        rules
            .iter()
            .enumerate()
            .rev()
            .fold(lit(NULL).cast(DataType::String), |acc, (i, r)| {
                when(col("_rule").eq(lit(i as u32)))
                    .then(col(r.column))
                    .otherwise(acc)
            });
    let failed = checked
        .filter(&!&passed)?
        .lazy()
        .select([
            col(cols::SOURCE_ROW).cast(DataType::Int64),
            col("_rule"),
            value_of_broken_column.alias("_value"),
        ])
        .collect()?;
    let rows = failed.column(cols::SOURCE_ROW)?.i64()?;
    let broken = failed.column("_rule")?.u32()?;
    let value = failed.column("_value")?.str()?;
    let rejections = (0..failed.height())
        .map(|i| {
            let rule = &rules[broken.get(i).unwrap_or_default() as usize];
            Rejection {
                source: source.to_string(),
                row: rows.get(i).unwrap_or_default(),
                column: rule.column.to_string(),
                value: value.get(i).map(str::to_string),
                reason_id: rule.reason_id.to_string(),
                reason_en: rule.reason_en.to_string(),
            }
        })
        .collect();
    Ok(Checked {
        accepted,
        rejections,
        style,
    })
}

/// Add the parsed columns: numbers in the file's style (and whether a cell contradicts it),
/// dates, normalised region codes, and a content-hash id where the source gave none.
fn parse_cells(
    df: &mut DataFrame,
    fallback: NumberStyle,
    lookups: &Lookups<'_>,
) -> PolarsResult<NumberStyle> {
    let numeric = [
        (cols::QUANTITY, QTY),
        (cols::PARTICIPANTS, PART),
        (cols::BUDGET_IDR, BUDGET),
    ];
    let style = {
        let texts: Vec<&StringChunked> = numeric
            .iter()
            .map(|(raw, _)| df.column(raw).and_then(|c| c.str()))
            .collect::<PolarsResult<_>>()?;
        NumberStyle::decide(texts.iter().flat_map(|ca| ca.iter().flatten()), fallback)
    };
    let mut new_columns = Vec::new();
    for (raw, parsed) in numeric {
        let ca = df.column(raw)?.str()?;
        let values: Float64Chunked = ca.iter().map(|c| c.and_then(|c| style.parse(c))).collect();
        let contradicted: BooleanChunked = ca
            .iter()
            .map(|c| Some(c.is_some_and(|c| style.contradicted_by(c))))
            .collect();
        new_columns.push(values.with_name(parsed.into()).into_column());
        new_columns.push(contradicted.with_name(mixed(raw).into()).into_column());
    }

    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let mut date_cache: HashMap<&str, Option<i32>> = HashMap::new();
    let dates: Int32Chunked = df
        .column(cols::DATE)?
        .str()?
        .iter()
        .map(|c| {
            let c = c?;
            *date_cache
                .entry(c)
                .or_insert_with(|| parse_date(c).map(|d| (d - epoch).num_days() as i32))
        })
        .collect();
    new_columns.push(dates.with_name(DATE.into()).into_date().into_column());

    let mut region_cache: HashMap<&str, Option<String>> = HashMap::new();
    let regions: StringChunked = df
        .column(cols::REGION_CODE)?
        .str()?
        .iter()
        .map(|c| {
            let c = c?;
            region_cache
                .entry(c)
                .or_insert_with(|| normalise_region(c, lookups.regions).map(|r| r.to_string()))
                .clone()
        })
        .collect();
    new_columns.push(regions.with_name(REGION.into()).into_column());

    let ids = content_ids(df)?;
    for c in new_columns {
        df.with_column(c)?;
    }
    df.with_column(ids)?;
    Ok(style)
}

/// `activity_id` as given, or `h:` + a hash of the row's cells where it is empty, so that a
/// source without ids is still idempotent: the same row sent twice gets the same id.
fn content_ids(df: &DataFrame) -> PolarsResult<Column> {
    let ids = df.column(cols::ACTIVITY_ID)?.str()?;
    if ids.null_count() == 0 {
        return Ok(ids.clone().into_column());
    }
    let texts: Vec<&StringChunked> = TEXT_COLUMNS[1..]
        .iter()
        .map(|c| df.column(c).and_then(|c| c.str()))
        .collect::<PolarsResult<_>>()?;
    let out: StringChunked = (0..df.height())
        .map(|i| {
            if let Some(id) = ids.get(i) {
                return Some(id.to_string());
            }
            let mut hasher = Sha256::new();
            for t in &texts {
                hasher.update(t.get(i).unwrap_or("").as_bytes());
                hasher.update([0x1f]);
            }
            let digest = hasher.finalize();
            let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            Some(format!("h:{hex}"))
        })
        .collect();
    Ok(out.with_name(cols::ACTIVITY_ID.into()).into_column())
}
