//! The engine's input: units × named columns of values (indicators and denominators), unit
//! group columns, each unit's last earlier value and its own targets.
//!
//! Only the container; the scoring pipeline and the COINr-layout loader fill it, and
//! [`super::prepare`] reads it.

use std::collections::HashMap;

/// Units × named columns: indicators, denominators and groups.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Unit codes, in order.
    pub units: Vec<String>,
    /// Numeric columns (indicators and denominators) by name, one value per unit.
    pub columns: HashMap<String, Vec<Option<f64>>>,
    /// Group columns (e.g. `EurAsia_group`, the parent kabupaten) by name.
    pub groups: HashMap<String, Vec<Option<String>>>,
    /// Each unit's last available earlier value per indicator, for [`Impute::LastPeriod`]
    /// (already denominated).
    pub last: HashMap<String, Vec<Option<f64>>>,
    /// Each unit's own target per indicator (e.g. a masterplan's), in the indicator's units after
    /// the denominator, for [`Methods::to_target`]; a unit without one is `None`.
    pub targets: HashMap<String, Vec<Option<f64>>>,
    /// Goalposts (worst, best) per indicator and value of the grouping column, in the
    /// indicator's units after the denominator: used instead of the indicator's own goalposts
    /// for the units of that group when normalising within groups (e.g. the min and max of
    /// every period of a peer group, for normalisation pooled over the periods).
    pub group_goalposts: HashMap<String, HashMap<String, (f64, f64)>>,
}
