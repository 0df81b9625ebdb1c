//! The activity table every stage after ingest reads, and its contract.
//!
//! [`Activities`] wraps a polars frame whose columns and types are declared once, in
//! [`ACTIVITY_COLUMNS`], and checked when the wrapper is built: ingest produces it, scoring and
//! the dashboard consume it, and neither has to re-check types. Persisting it is the job of the
//! parent module.

use polars::prelude::*;

/// Column names of the activity table, as constants so no stage spells them by hand.
pub mod cols {
    /// Unique id of the activity within its source.
    pub const ACTIVITY_ID: &str = "activity_id";
    /// Date the activity took place.
    pub const DATE: &str = "date";
    /// Kemendagri code of the region where it took place.
    pub const REGION_CODE: &str = "region_code";
    /// Programme code from the catalogue.
    pub const PROGRAMME: &str = "programme";
    /// Dimension id (filled in from the programme when the source left it empty).
    pub const DIMENSION: &str = "dimension";
    /// Who was reached.
    pub const TARGET_GROUP: &str = "target_group";
    /// Units reached, in the programme's unit.
    pub const QUANTITY: &str = "quantity";
    /// People reached.
    pub const PARTICIPANTS: &str = "participants";
    /// Rupiah spent.
    pub const BUDGET_IDR: &str = "budget_idr";
    /// Who ran it.
    pub const ORGANISER: &str = "organiser";
    /// File (or source name) the record came from.
    pub const SOURCE: &str = "source";
    /// Row in that file, as a spreadsheet shows it (header = row 1).
    pub const SOURCE_ROW: &str = "source_row";
}

/// The contract: every column of the activity table, its type and whether it may be null.
pub const ACTIVITY_COLUMNS: [(&str, DataType, bool); 12] = [
    (cols::ACTIVITY_ID, DataType::String, false),
    (cols::DATE, DataType::Date, false),
    (cols::REGION_CODE, DataType::String, false),
    (cols::PROGRAMME, DataType::String, false),
    (cols::DIMENSION, DataType::String, false),
    (cols::TARGET_GROUP, DataType::String, true),
    (cols::QUANTITY, DataType::Float64, false),
    (cols::PARTICIPANTS, DataType::Int64, true),
    (cols::BUDGET_IDR, DataType::Float64, true),
    (cols::ORGANISER, DataType::String, true),
    (cols::SOURCE, DataType::String, false),
    (cols::SOURCE_ROW, DataType::Int64, false),
];

/// A frame that breaks the activity contract: a bug in the producing stage, not bad user data.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// A column is absent.
    #[error("activity table lacks column {0:?}")]
    MissingColumn(&'static str),
    /// A column has the wrong type.
    #[error("activity column {column:?} is {found}, expected {expected}")]
    WrongType {
        /// Column name.
        column: &'static str,
        /// Type found.
        found: DataType,
        /// Type required.
        expected: DataType,
    },
    /// A required column has nulls.
    #[error("activity column {column:?} has {nulls} nulls but may not have any")]
    Nulls {
        /// Column name.
        column: &'static str,
        /// How many.
        nulls: usize,
    },
    /// polars failed while selecting the columns.
    #[error(transparent)]
    Polars(#[from] PolarsError),
}

/// The validated activity table (see [`ACTIVITY_COLUMNS`]), columns in contract order, with
/// the indicator values recorded beside it: what a scoring run reads, carried together so that
/// every scoring of these records sees the same values.
#[derive(Debug, Clone)]
pub struct Activities {
    frame: DataFrame,
    values: std::sync::Arc<super::IndicatorValues>,
}

impl Activities {
    /// Check `df` against the contract and keep exactly the contract's columns, in order.
    pub fn new(df: DataFrame) -> Result<Activities, ContractError> {
        for (name, dtype, nullable) in &ACTIVITY_COLUMNS {
            let column = df
                .column(name)
                .map_err(|_| ContractError::MissingColumn(name))?;
            if column.dtype() != dtype {
                return Err(ContractError::WrongType {
                    column: name,
                    found: column.dtype().clone(),
                    expected: dtype.clone(),
                });
            }
            if !nullable && column.null_count() > 0 {
                return Err(ContractError::Nulls {
                    column: name,
                    nulls: column.null_count(),
                });
            }
        }
        let df = df.select(ACTIVITY_COLUMNS.iter().map(|(name, _, _)| *name))?;
        Ok(Activities::of(df))
    }

    /// An empty table with the contract's schema.
    pub fn empty() -> Activities {
        let columns = ACTIVITY_COLUMNS
            .iter()
            .map(|(name, dtype, _)| Column::new_empty((*name).into(), dtype))
            .collect();
        Activities::of(DataFrame::new(0, columns).expect("contract columns are unique"))
    }

    fn of(frame: DataFrame) -> Activities {
        Activities {
            frame,
            values: Default::default(),
        }
    }

    /// The same records with these indicator values beside them.
    pub fn with_values(self, values: super::IndicatorValues) -> Activities {
        Activities {
            values: std::sync::Arc::new(values),
            ..self
        }
    }

    /// The indicator values recorded beside the records (none unless given).
    pub fn values(&self) -> &super::IndicatorValues {
        &self.values
    }

    /// The frame, for reading.
    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    /// A lazy view for queries.
    pub fn lazy(&self) -> LazyFrame {
        self.frame.clone().lazy()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.frame.height()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.frame.height() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_table_satisfies_the_contract() {
        let empty = Activities::empty();
        assert!(Activities::new(empty.frame().clone()).is_ok());
        assert!(empty.is_empty());
    }

    #[test]
    fn a_frame_with_a_wrong_type_is_refused() {
        let mut df = Activities::empty().frame().clone();
        df.with_column(Column::new_empty(cols::QUANTITY.into(), &DataType::String))
            .unwrap();
        let err = Activities::new(df).unwrap_err().to_string();
        assert!(err.contains("quantity"), "{err}");
    }
}
