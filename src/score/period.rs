//! Period granularity: how activity dates are grouped into the periods scores are computed for.

use std::fmt;
use std::str::FromStr;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

/// How dates are grouped into periods. Labels sort chronologically as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// `2025`
    #[default]
    Year,
    /// `2025-Q3`
    Quarter,
    /// `2025-07`
    Month,
}

/// A granularity name that is not one of the three.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a period granularity: expected \"year\", \"quarter\" or \"month\"")]
pub struct BadGranularity(String);

impl FromStr for Granularity {
    type Err = BadGranularity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "year" | "tahun" => Ok(Granularity::Year),
            "quarter" | "triwulan" => Ok(Granularity::Quarter),
            "month" | "bulan" => Ok(Granularity::Month),
            _ => Err(BadGranularity(s.to_string())),
        }
    }
}

impl fmt::Display for Granularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Granularity::Year => "year",
            Granularity::Quarter => "quarter",
            Granularity::Month => "month",
        })
    }
}

impl Granularity {
    /// The period label of a date column.
    pub fn period_expr(self, date: Expr) -> Expr {
        match self {
            Granularity::Year => date.dt().to_string("%Y"),
            Granularity::Month => date.dt().to_string("%Y-%m"),
            Granularity::Quarter => concat_str(
                [
                    date.clone().dt().to_string("%Y"),
                    lit("-Q"),
                    date.dt().quarter().cast(DataType::String),
                ],
                "",
                false,
            ),
        }
    }
}

impl Granularity {
    /// An integer key per period, cheaper to group by than a label: `2025`, `20253`, `202507`.
    pub(crate) fn key_expr(self, date: Expr) -> Expr {
        let year = date.clone().dt().year().cast(DataType::Int32);
        match self {
            Granularity::Year => year,
            Granularity::Quarter => year * lit(10) + date.dt().quarter().cast(DataType::Int32),
            Granularity::Month => year * lit(100) + date.dt().month().cast(DataType::Int32),
        }
    }

    /// The label of a key from [`Granularity::key_expr`].
    pub(crate) fn label(self, key: i32) -> String {
        match self {
            Granularity::Year => key.to_string(),
            Granularity::Quarter => format!("{}-Q{}", key / 10, key % 10),
            Granularity::Month => format!("{}-{:02}", key / 100, key % 100),
        }
    }
}
