//! A composite-indicator engine on plain data, following the OECD/JRC Handbook and COINr:
//! denominate → screen → impute → treat outliers → normalise → aggregate level by level → rank.
//!
//! Input is a [`Dataset`] (units × named columns of `Option<f64>`, with unit group columns), a
//! [`Hierarchy`] of any depth (indicators at the leaves, aggregates above) and [`Methods`] (every
//! method selectable globally, per level or per node). The [`Outcome`] keeps every stage's
//! values, what the treatment did and the methods used, so each number can be explained.
//!
//! It knows nothing of polars, activity records or Indonesian regions: the scoring pipeline
//! ([`crate::score::compute`]) and the COINr-layout loader ([`table`]) build its inputs. It does
//! not rank or compare periods by itself beyond the helpers in [`methods`].
//!
//! Its files follow the run: [`Dataset`] (the input), [`Hierarchy`] (the nodes), the method
//! choices ([`Methods`]), `prepare` (denominate, screen, impute, treat), `aggregate` (normalise,
//! aggregate, the [`Outcome`]), with the methods themselves in [`methods`].

mod aggregate;
mod choices;
mod dataset;
mod hierarchy;
pub mod methods;
mod prepare;
pub mod sensitivity;
pub mod table;

pub use aggregate::{Outcome, aggregate_all, finish, normalise_all};
pub use choices::{Methods, Override, Screen, TargetSource};
pub use dataset::{Dataset, GroupGoalposts};
pub use hierarchy::{Denominate, Hierarchy, Node, Prior};
pub use methods::{Aggregate, Band, Bands, Impute, Normalise, Treat, TreatLog, WinCap, band_of};
pub use prepare::{Prepared, prepare};

/// The engine was given inconsistent input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// Two nodes share an id.
    #[error("node {0:?}: duplicate id")]
    Duplicate(String),
    /// A node names a parent that does not exist or is an indicator.
    #[error("node {node:?}: unknown parent {parent:?}")]
    UnknownParent {
        /// The node.
        node: String,
        /// The parent it names.
        parent: String,
    },
    /// Following parents from this node comes back to it.
    #[error("node {0:?}: its parents form a cycle")]
    Cycle(String),
    /// A weight is negative or not a number.
    #[error("node {node:?}: weight must be a non-negative number, got {weight}")]
    Weight {
        /// The node.
        node: String,
        /// The weight.
        weight: f64,
    },
    /// An aggregate with no children.
    #[error("node {0:?}: aggregate has no children")]
    Childless(String),
    /// An indicator, denominator or group column is missing from the data.
    #[error("node {node:?}: no data column {column:?}")]
    NoColumn {
        /// The node (or `methods` for a group column named by a method).
        node: String,
        /// The column.
        column: String,
    },
    /// A column's length differs from the number of units.
    #[error("column {0:?} does not have one value per unit")]
    Length(String),
}

/// Run every step.
pub fn run(data: &Dataset, h: &Hierarchy, m: &Methods) -> Result<Outcome, EngineError> {
    let prepared = prepare(data, h, m)?;
    finish(prepared, h, m)
}

#[cfg(test)]
mod tests;
