//! The first stage of scoring: activity records grouped once by place, period and programme
//! (and target group or organiser when an indicator filters or counts by them), each group
//! placed in the unit (a kecamatan by default) its region code falls in.
//!
//! It only sums and counts; which group feeds which indicator, and how, is decided in
//! [`super::indicators`]. Records whose code is above the scored level are left out here.

use std::collections::{BTreeSet, HashMap};

use polars::prelude::*;

use super::units::code_len;
use super::{Granularity, cols};
use crate::framework::{Aggregation, DistinctOf, Framework, RecordField};
use crate::region::Level;
use crate::store::{Activities, cols as act};

/// One group of placed activity records with the same place, period, programme, target group
/// and organiser.
pub(super) struct Cell {
    pub(super) unit: usize,
    pub(super) period: usize,
    pub(super) region_code: String,
    pub(super) programme: String,
    pub(super) target_group: Option<String>,
    pub(super) organiser: Option<String>,
    /// Sums and counts of present values: quantity, participants, budget.
    pub(super) sums: [f64; 3],
    pub(super) present: [f64; 3],
    pub(super) records: f64,
}

/// The grouped records: the units and periods they were placed in, and the groups.
pub(super) struct Reduced {
    pub(super) units: Vec<String>,
    pub(super) periods: Vec<String>,
    /// The periods' keys ([`Granularity::key_expr`]), in the order of `periods`.
    pub(super) keys: Vec<i32>,
    pub(super) granularity: Granularity,
    pub(super) cells: Vec<Cell>,
    pub(super) records: usize,
}

impl Reduced {
    /// Which (unit, period) positions have at least one record of any programme, a nil report
    /// included: the others have no data, which is not the same as zero.
    pub(super) fn reporting(&self) -> std::collections::HashSet<(usize, usize)> {
        self.cells.iter().map(|c| (c.unit, c.period)).collect()
    }

    /// The period's position on a month scale (a year's key counts as its first month), to
    /// measure how many years lie between two periods.
    pub(super) fn month_of(&self, period: usize) -> i32 {
        let key = self.keys[period];
        match self.granularity {
            Granularity::Year => key * 12,
            Granularity::Quarter => (key / 10) * 12 + (key % 10 - 1) * 3,
            Granularity::Month => (key / 100) * 12 + key % 100 - 1,
        }
    }
}

/// The records grouped once by region code, period and programme (and target group or
/// organiser when an indicator needs them): the expensive pass over every record, which does
/// not depend on the level the groups are then placed at, so one grouping serves the kecamatan
/// and the kab/kota runs alike.
pub(super) struct Grouped {
    df: DataFrame,
    needs: Needs,
    granularity: Granularity,
}

/// Group the records of `activities` for `framework` by period of `granularity`.
pub(super) fn group_records(
    activities: &Activities,
    granularity: Granularity,
    framework: &Framework,
) -> PolarsResult<Grouped> {
    let needs = Needs::of(framework);
    let df = group(activities, granularity, &needs)?;
    Ok(Grouped {
        df,
        needs,
        granularity,
    })
}

/// Group the records once by place, period and programme (and target group or organiser when
/// an indicator needs them), so that each indicator is a pass over far fewer rows. Records whose
/// code is above `level` cannot be placed in a unit and are left out.
pub(super) fn reduce(
    activities: &Activities,
    granularity: Granularity,
    level: Level,
    framework: &Framework,
) -> PolarsResult<Reduced> {
    group_records(activities, granularity, framework)?.place(level)
}

impl Grouped {
    /// The groups placed in units of `level`; groups whose code is above it are left out.
    pub(super) fn place(&self, level: Level) -> PolarsResult<Reduced> {
        let (df, granularity) = (&self.df, self.granularity);
        let groups = Groups::read(df, &self.needs)?;
        // A kecamatan code is `35.09.02` (8 characters); desa codes start with it.
        let len = code_len(level) as usize;
        let placed: Vec<Option<(&str, i32)>> =
            (0..df.height()).map(|i| groups.placed(i, len)).collect();
        let units: BTreeSet<&str> = placed.iter().flatten().map(|x| x.0).collect();
        let keys: BTreeSet<i32> = placed.iter().flatten().map(|x| x.1).collect();
        let unit_ix: HashMap<&str, usize> =
            units.iter().enumerate().map(|(i, u)| (*u, i)).collect();
        let period_ix: HashMap<i32, usize> =
            keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let mut cells = Vec::with_capacity(df.height());
        let mut records = 0usize;
        for (i, place) in placed.iter().enumerate() {
            let Some((u, t)) = place else {
                continue;
            };
            let cell = groups.cell(i, unit_ix[u], period_ix[t]);
            records += cell.records as usize;
            cells.push(cell);
        }
        Ok(Reduced {
            units: units.into_iter().map(str::to_string).collect(),
            periods: keys.iter().map(|k| granularity.label(*k)).collect(),
            keys: keys.into_iter().collect(),
            granularity,
            cells,
            records,
        })
    }
}

/// What the grouping must keep apart and add up: only what some indicator uses, since each
/// key and aggregate is a pass over every record.
struct Needs {
    by_target: bool,
    by_organiser: bool,
    /// Whether a mean needs the counts of present values beside the sums.
    mean: bool,
    /// Whether some indicator aggregates quantity, participants, budget.
    measures: [bool; 3],
}

/// The measures that are sums, in the order of [`Cell::sums`], with their column and the
/// names of their sum and count aggregates.
const SUMMED: [(RecordField, &str, &str, &str); 3] = [
    (RecordField::Quantity, act::QUANTITY, "q", "qn"),
    (RecordField::Participants, act::PARTICIPANTS, "p", "pn"),
    (RecordField::BudgetIdr, act::BUDGET_IDR, "b", "bn"),
];

impl Needs {
    fn of(framework: &Framework) -> Needs {
        let by_target = framework.indicators.iter().any(|i| {
            !i.target_groups.is_empty()
                || (i.aggregation == Aggregation::DistinctCount
                    && i.distinct == DistinctOf::TargetGroup)
        });
        let by_organiser = framework.indicators.iter().any(|i| {
            !i.organisers.is_empty()
                || (i.aggregation == Aggregation::DistinctCount
                    && i.distinct == DistinctOf::Organiser)
        });
        let uses = |m: RecordField| framework.indicators.iter().any(|i| i.measure == m);
        Needs {
            by_target,
            by_organiser,
            mean: framework
                .indicators
                .iter()
                .any(|i| i.aggregation == Aggregation::Mean),
            measures: SUMMED.map(|(measure, ..)| uses(measure)),
        }
    }

    fn keys(&self) -> Vec<Expr> {
        let mut keys = vec![
            col(act::REGION_CODE),
            col(cols::PERIOD),
            col(act::PROGRAMME),
        ];
        if self.by_target {
            keys.push(col(act::TARGET_GROUP));
        }
        if self.by_organiser {
            keys.push(col(act::ORGANISER));
        }
        keys
    }

    fn aggregates(&self) -> Vec<Expr> {
        let mut aggs = vec![len().cast(DataType::Float64).alias("n")];
        for ((_, column, sum, count), used) in SUMMED.iter().zip(self.measures) {
            if used {
                aggs.push(col(*column).cast(DataType::Float64).sum().alias(*sum));
                if self.mean {
                    aggs.push(col(*column).count().cast(DataType::Float64).alias(*count));
                }
            }
        }
        aggs
    }
}

/// The records grouped by period key and the keys `needs` asks for.
fn group(
    activities: &Activities,
    granularity: Granularity,
    needs: &Needs,
) -> PolarsResult<DataFrame> {
    activities
        .lazy()
        .with_column(granularity.key_expr(col(act::DATE)).alias(cols::PERIOD))
        .group_by(needs.keys())
        .agg(needs.aggregates())
        .collect()
}

/// The grouped frame's columns, typed once.
struct Groups {
    code: StringChunked,
    programme: StringChunked,
    target: Option<StringChunked>,
    organiser: Option<StringChunked>,
    period: Int32Chunked,
    sums: [Float64Chunked; 3],
    present: [Float64Chunked; 3],
    records: Float64Chunked,
}

impl Groups {
    fn read(df: &DataFrame, needs: &Needs) -> PolarsResult<Groups> {
        let s = |c: &str| -> PolarsResult<StringChunked> { Ok(df.column(c)?.str()?.clone()) };
        // An aggregate no indicator asked for reads as zeros.
        let zeros = Float64Chunked::full("zero".into(), 0.0, df.height());
        let f = |c: &str| -> PolarsResult<Float64Chunked> {
            match df.column(c) {
                Ok(col) => Ok(col.f64()?.clone()),
                Err(_) => Ok(zeros.clone()),
            }
        };
        Ok(Groups {
            code: s(act::REGION_CODE)?,
            programme: s(act::PROGRAMME)?,
            target: needs.by_target.then(|| s(act::TARGET_GROUP)).transpose()?,
            organiser: needs.by_organiser.then(|| s(act::ORGANISER)).transpose()?,
            period: df.column(cols::PERIOD)?.i32()?.clone(),
            sums: [f("q")?, f("p")?, f("b")?],
            present: [f("qn")?, f("pn")?, f("bn")?],
            records: f("n")?,
        })
    }

    /// The unit code (the first `len` characters of the region code) and period key of group
    /// `i`; `None` for a code above the unit's level.
    fn placed(&self, i: usize, len: usize) -> Option<(&str, i32)> {
        let c = self.code.get(i)?;
        Some((c.get(..len)?, self.period.get(i)?))
    }

    /// Group `i` as a cell of `unit` and `period` (their positions).
    fn cell(&self, i: usize, unit: usize, period: usize) -> Cell {
        Cell {
            unit,
            period,
            region_code: self.code.get(i).unwrap_or_default().to_string(),
            programme: self.programme.get(i).unwrap_or_default().to_string(),
            target_group: self
                .target
                .as_ref()
                .and_then(|t| t.get(i))
                .map(str::to_string),
            organiser: self
                .organiser
                .as_ref()
                .and_then(|o| o.get(i))
                .map(str::to_string),
            sums: self.sums.each_ref().map(|c| c.get(i).unwrap_or(0.0)),
            present: self.present.each_ref().map(|c| c.get(i).unwrap_or(0.0)),
            records: self.records.get(i).unwrap_or(0.0),
        }
    }
}
