//! Scoring a form: items → sub-dimensions → pillars, and items → evaluation dimensions →
//! Indeks Pencapaian, on the instrument's published scale; and ranking a round's regions.
//!
//! An item scores its share of the full score ([`Item::score`](super::Item::score), 0 to 1)
//! times the scale's maximum. A sub-dimension is the weighted mean of its items, a pillar the
//! mean of its sub-dimensions; an evaluation dimension is the weighted mean of its items (across
//! pillars), and the Indeks Pencapaian the mean of the five weighted by the round year's weights.
//! An item without an answer is left out of every mean (a form is complete before it can be
//! submitted, so a finalised form has none). Pure functions: no database, no I/O.

use std::collections::HashMap;

use serde::Serialize;

use super::instrument::{Instrument, Value};
use crate::region::{Level, RegionCode};

/// A form's scores at every level, on the published scale; `None` where nothing was answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FormScores {
    /// Per item, in instrument order.
    pub items: Vec<Option<f64>>,
    /// Per pillar, per sub-dimension, in instrument order.
    pub subdimensions: Vec<Vec<Option<f64>>>,
    /// Per pillar.
    pub pillars: Vec<Option<f64>>,
    /// Per evaluation dimension.
    pub dimensions: Vec<Option<f64>>,
    /// Indeks Pencapaian.
    pub index: Option<f64>,
}

fn weighted_mean(values: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let (mut sum, mut weight) = (0.0, 0.0);
    for (v, w) in values {
        sum += v * w;
        weight += w;
    }
    (weight > 0.0).then(|| sum / weight)
}

/// Score the answers in `values` (by item id) of a round held in `year`.
pub fn score(instrument: &Instrument, year: i32, values: &HashMap<String, Value>) -> FormScores {
    let max = instrument.scale.max;
    let items: Vec<Option<f64>> = instrument
        .items
        .iter()
        .map(|item| values.get(&item.id).map(|v| item.score(v) * max))
        .collect();
    let scored = |keep: &dyn Fn(&super::Item) -> bool| {
        weighted_mean(
            instrument
                .items
                .iter()
                .zip(&items)
                .filter(|(item, _)| keep(item))
                .filter_map(|(item, s)| s.map(|s| (s, item.weight))),
        )
    };
    let subdimensions: Vec<Vec<Option<f64>>> = instrument
        .pillars
        .iter()
        .map(|p| {
            p.subdimensions
                .iter()
                .map(|s| scored(&|i| i.pillar == p.id && i.subdimension == s.id))
                .collect()
        })
        .collect();
    let pillars = subdimensions
        .iter()
        .map(|subs| weighted_mean(subs.iter().flatten().map(|s| (*s, 1.0))))
        .collect();
    let dimensions: Vec<Option<f64>> = instrument
        .dimensions
        .iter()
        .map(|d| scored(&|i| i.dimension == d.id))
        .collect();
    let weights = instrument.weights_for(year);
    let index = weighted_mean(
        dimensions
            .iter()
            .zip(weights)
            .filter_map(|(d, w)| d.map(|d| (d, *w))),
    );
    FormScores {
        items,
        subdimensions,
        pillars,
        dimensions,
        index,
    }
}

/// A region's place in a round: nationally and in its province. Ties share the better rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rank {
    /// Rank among every finalised region of the round.
    pub national: usize,
    /// How many that is.
    pub national_of: usize,
    /// Rank among the round's finalised regions of the same province.
    pub provincial: usize,
    /// How many that is.
    pub provincial_of: usize,
}

/// Rank regions by index, best first, nationally and per province.
pub fn rank(indices: &[(RegionCode, f64)]) -> HashMap<RegionCode, Rank> {
    let province = |c: &RegionCode| c.at_level(Level::Province);
    let rank_in = |v: f64, same: &dyn Fn(&RegionCode) -> bool| {
        let peers: Vec<f64> = indices
            .iter()
            .filter(|(p, _)| same(p))
            .map(|(_, v)| *v)
            .collect();
        (peers.iter().filter(|p| **p > v).count() + 1, peers.len())
    };
    indices
        .iter()
        .map(|(code, v)| {
            let (national, national_of) = rank_in(*v, &|_| true);
            let (provincial, provincial_of) = rank_in(*v, &|p| province(p) == province(code));
            (
                code.clone(),
                Rank {
                    national,
                    national_of,
                    provincial,
                    provincial_of,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn instrument() -> Instrument {
        Instrument::load(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data/frameworks/evaluasi_smart_city_contoh.toml"),
        )
        .unwrap()
    }

    /// Every item answered at its best, one item's answer given.
    fn all_best(i: &Instrument) -> HashMap<String, Value> {
        i.items
            .iter()
            .map(|item| {
                let v = match &item.answer {
                    super::super::AnswerType::Maturity { .. } => Value::Level(5),
                    super::super::AnswerType::YesNo => Value::Bool(true),
                    super::super::AnswerType::Number { target, .. } => Value::Number(*target),
                    super::super::AnswerType::MasterplanShare => Value::Number(100.0),
                };
                (item.id.clone(), v)
            })
            .collect()
    }

    #[test]
    fn a_perfect_form_scores_the_top_of_the_scale_everywhere() {
        let i = instrument();
        let s = score(&i, 2025, &all_best(&i));
        assert_eq!(s.index, Some(100.0));
        assert!(s.pillars.iter().all(|p| *p == Some(100.0)));
        assert!(s.dimensions.iter().all(|d| *d == Some(100.0)));
    }

    #[test]
    fn the_index_is_the_year_weighted_mean_of_the_five_dimensions() {
        let i = instrument();
        let mut values = all_best(&i);
        // Every Impact item at zero: Impact scores 0, the rest 100.
        for item in i.items.iter().filter(|it| it.dimension == "impact") {
            let zero = match &item.answer {
                super::super::AnswerType::Number { min, .. } => Value::Number(*min),
                _ => unreachable!("impact items of the example are numbers"),
            };
            values.insert(item.id.clone(), zero);
        }
        // 2019 weights 10/20/30/30/10: Impact carries 30 %; 2024 weights: 20 %.
        assert!((score(&i, 2019, &values).index.unwrap() - 70.0).abs() < 1e-9);
        assert!((score(&i, 2024, &values).index.unwrap() - 80.0).abs() < 1e-9);
        let s = score(&i, 2024, &values);
        // A pillar's impact item is one of its three sub-dimensions' two items.
        let governance = s.pillars[0].unwrap();
        assert!(
            (governance - (100.0 + 50.0 + 100.0) / 3.0).abs() < 1e-9,
            "{governance}"
        );
    }

    #[test]
    fn unanswered_items_are_left_out_not_zero() {
        let i = instrument();
        let mut values = all_best(&i);
        values.remove("GOV-02");
        let s = score(&i, 2024, &values);
        assert_eq!(s.items[1], None);
        assert_eq!(s.index, Some(100.0));
    }

    #[test]
    fn ranks_share_ties_and_count_provinces_apart() {
        let c = |s: &str| RegionCode::parse(s).unwrap();
        let r = rank(&[
            (c("35.09"), 80.0),
            (c("35.78"), 90.0),
            (c("32.73"), 80.0),
            (c("35.10"), 60.0),
        ]);
        assert_eq!(r[&c("35.78")].national, 1);
        assert_eq!(r[&c("35.09")].national, 2);
        assert_eq!(r[&c("32.73")].national, 2);
        assert_eq!(r[&c("35.10")].national, 4);
        assert_eq!(
            (r[&c("35.09")].provincial, r[&c("35.09")].provincial_of),
            (2, 3)
        );
        assert_eq!(
            (r[&c("32.73")].provincial, r[&c("32.73")].provincial_of),
            (1, 1)
        );
    }
}
