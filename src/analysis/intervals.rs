//! The rank intervals every report and rank-interval chart of one scoring run shares: the
//! sensitivity analysis of every unit of a level in a period, with the shared settings
//! ([`MonteCarlo::SHARED`]), computed at most once per scoring run.
//!
//! The Monte Carlo re-aggregates every activity, which on national data costs far more than
//! typesetting a report, and its result does not depend on the region a report is about. The
//! memo lives in the job's snapshot, so a new scoring run starts with an empty one. This module
//! decides nothing about presentation.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use crate::engine::sensitivity::RankInterval;
use crate::framework::Framework;
use crate::region::{Level, Regions};
use crate::score::{Granularity, ScoreError};
use crate::store::Activities;

use super::sensitivity::MonteCarlo;

/// Rank intervals by unit code, as a report shows them.
pub type Intervals = BTreeMap<String, RankInterval>;

/// The rank intervals of one scoring run, computed once per level and period and shared by every
/// report of that run: the Monte Carlo re-aggregates every activity, which on national data costs
/// far more than typesetting, and its result does not depend on the region a report is about.
///
/// Lives in the job's snapshot, so a new scoring run starts with an empty memo. Two requests for the
/// same level and period wait for one computation; a failed computation is not kept.
#[derive(Default)]
pub struct IntervalMemo {
    slots: std::sync::Mutex<HashMap<(Level, String), Arc<IntervalSlot>>>,
}

/// One level and period: empty until computed; locked while computing.
type IntervalSlot = std::sync::Mutex<Option<Arc<Intervals>>>;

impl fmt::Debug for IntervalMemo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.slots.lock().map_or(0, |s| s.len());
        f.debug_struct("IntervalMemo").field("slots", &n).finish()
    }
}

impl IntervalMemo {
    /// The intervals of `level` in `period`, computing them with `compute` on the first call.
    pub fn get_or_compute<E>(
        &self,
        level: Level,
        period: &str,
        compute: impl FnOnce() -> Result<Intervals, E>,
    ) -> Result<Arc<Intervals>, E> {
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((level, period.to_string()))
            .or_default()
            .clone();
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(done) = slot.as_ref() {
            return Ok(done.clone());
        }
        let done = Arc::new(compute()?);
        *slot = Some(done.clone());
        Ok(done)
    }
}

/// What a run of the analysis reads.
#[derive(Clone, Copy)]
pub struct Run<'a> {
    /// The activities scored.
    pub activities: &'a Activities,
    /// Region reference data.
    pub regions: &'a Regions,
    /// The framework.
    pub framework: &'a Framework,
    /// Period granularity.
    pub granularity: Granularity,
}

impl IntervalMemo {
    /// The intervals of every unit of `level` in `period` (ranks within peer groups), by code:
    /// computed on the first call of this scoring run, then shared.
    pub fn get(
        &self,
        run: Run<'_>,
        level: Level,
        period: &str,
    ) -> Result<Arc<Intervals>, ScoreError> {
        self.get_or_compute(level, period, || {
            let spec = MonteCarlo::SHARED.spec(&run.framework.id);
            let intervals = crate::score::sensitivity(
                run.activities,
                run.framework,
                run.regions,
                run.granularity,
                level,
                period,
                &spec,
            )?;
            Ok(intervals.into_iter().map(|r| (r.unit.clone(), r)).collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_intervals_are_computed_once_per_level_and_period_and_failures_not_kept() {
        let memo = IntervalMemo::default();
        let calls = std::cell::Cell::new(0);
        let compute = || -> Result<Intervals, String> {
            calls.set(calls.get() + 1);
            Ok(Intervals::new())
        };
        memo.get_or_compute(Level::Regency, "2025", compute)
            .unwrap();
        memo.get_or_compute(Level::Regency, "2025", compute)
            .unwrap();
        assert_eq!(calls.get(), 1);
        memo.get_or_compute(Level::District, "2025", compute)
            .unwrap();
        memo.get_or_compute(Level::Regency, "2024", compute)
            .unwrap();
        assert_eq!(calls.get(), 3);
        let failed: Result<_, String> =
            memo.get_or_compute(Level::Regency, "2023", || Err("no".to_string()));
        assert!(failed.is_err());
        memo.get_or_compute(Level::Regency, "2023", compute)
            .unwrap();
        assert_eq!(calls.get(), 4, "a failure is tried again");
    }
}
