//! The scored units: which regions are scored at a level (every kecamatan of a kabupaten with
//! placed activities, by default), their peer group and reference figures (residents, area,
//! number of desa), and those figures as the engine's base data set.
//!
//! It reads the reference regions only; activity values are added per period by
//! [`super::compute`].

use std::collections::BTreeSet;

use crate::engine;
use crate::region::{Level, RegionCode, Regions};

/// Length of a region code at a level: `35`, `35.09`, `35.09.02`, `35.09.02.2001`.
pub(super) fn code_len(level: Level) -> u32 {
    match level {
        Level::Province => 2,
        Level::Regency => 5,
        Level::District => 8,
        Level::Village => 13,
    }
}

/// The name of a level in the score frames' `level` column.
pub(super) fn level_name(level: Level) -> &'static str {
    match level {
        Level::Province => "province",
        Level::Regency => "regency",
        Level::District => "district",
        Level::Village => "village",
    }
}

/// A unit to score (a kecamatan by default): its code, parent and reference figures.
pub(super) struct Unit {
    pub(super) code: RegionCode,
    pub(super) parent: RegionCode,
    pub(super) population: Option<u64>,
    pub(super) area: Option<f64>,
    pub(super) desa: usize,
}

/// Every kecamatan of every kabupaten that has at least one placed activity, so that a
/// kecamatan with no recorded activity still appears (with zeros) among its peers (or the same
/// one level up).
pub(super) fn units_of(placed_units: &[String], regions: &Regions, level: Level) -> Vec<Unit> {
    let parents: BTreeSet<RegionCode> = placed_units
        .iter()
        .filter_map(|c| RegionCode::parse(c).ok()?.parent())
        .collect();
    let mut units = Vec::new();
    for parent in parents {
        let mut children: Vec<&RegionCode> = regions
            .children(&parent)
            .iter()
            .filter(|c| c.level() == level)
            .collect();
        children.sort();
        for code in children {
            let region = regions.get(code);
            units.push(Unit {
                code: code.clone(),
                parent: parent.clone(),
                population: region.and_then(|r| r.population),
                area: region.and_then(|r| r.area_km2),
                desa: villages(regions, code),
            });
        }
    }
    units
}

/// Number of desa/kelurahan in a region.
fn villages(regions: &Regions, code: &RegionCode) -> usize {
    regions
        .children(code)
        .iter()
        .map(|c| {
            if c.level() == Level::Village {
                1
            } else {
                villages(regions, c)
            }
        })
        .sum()
}

/// The engine data set of the units without indicator columns: denominators and the peer group.
pub(super) fn base_dataset(units: &[Unit]) -> engine::Dataset {
    let mut base = engine::Dataset {
        units: units.iter().map(|u| u.code.to_string()).collect(),
        ..engine::Dataset::default()
    };
    base.columns.insert(
        "population".into(),
        units
            .iter()
            .map(|u| u.population.map(|p| p as f64))
            .collect(),
    );
    base.columns
        .insert("area".into(), units.iter().map(|u| u.area).collect());
    base.columns.insert(
        "desa".into(),
        units
            .iter()
            .map(|u| Some(u.desa as f64).filter(|d| *d > 0.0))
            .collect(),
    );
    base.groups.insert(
        crate::framework::PEER_GROUP.into(),
        units.iter().map(|u| Some(u.parent.to_string())).collect(),
    );
    base
}
