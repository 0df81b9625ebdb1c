//! Scoring on a tiny example computed by hand (numbers in the comments).

use std::collections::HashMap;

use polars::prelude::*;

use super::*;
use crate::framework::{Dimension, Indicator};
use crate::region::Region;
use crate::store::cols as act;

fn region(code: &str, population: Option<u64>) -> Region {
    let code = RegionCode::parse(code).unwrap();
    Region {
        level: code.level(),
        name: format!("R{code}"),
        code,
        population,
        area_km2: None,
        bps_code: None,
    }
}

/// Kabupaten 99.01 with three kecamatan of 10,000, 20,000 and 10,000 residents.
fn regions() -> Regions {
    let mut r = Regions::default();
    for (code, pop) in [
        ("99", None),
        ("99.01", Some(40_000)),
        ("99.01.01", Some(10_000)),
        ("99.01.02", Some(20_000)),
        ("99.01.03", Some(10_000)),
        ("99.01.03.2001", None),
    ] {
        r.insert(region(code, pop));
    }
    r
}

fn indicator(id: &str, dimension: &str, weight: f64) -> Indicator {
    Indicator {
        id: id.into(),
        dimension: dimension.into(),
        programme: id.into(),
        measure: Measure::Quantity,
        per: Denominator::Population,
        scale: 10_000.0,
        weight,
        name_id: id.into(),
        name_en: id.into(),
        unit_id: "unit".into(),
        unit_en: "unit".into(),
    }
}

/// Dimension `a` = (1 × a1 + 3 × a2) / 4, dimension `b` = b1, index = mean of a and b.
fn framework() -> Framework {
    let dim = |id: &str| Dimension {
        id: id.into(),
        name_id: id.into(),
        name_en: id.into(),
        weight: 1.0,
    };
    Framework {
        id: "test".into(),
        version: "1".into(),
        name_id: "t".into(),
        name_en: "t".into(),
        dimensions: vec![dim("a"), dim("b")],
        indicators: vec![
            indicator("a1", "a", 1.0),
            indicator("a2", "a", 3.0),
            indicator("b1", "b", 1.0),
        ],
        programmes: HashMap::new(),
    }
}

pub(crate) fn activities(rows: &[(&str, &str, &str, f64)]) -> Activities {
    let n = rows.len();
    let df = df!(
        act::ACTIVITY_ID => (0..n).map(|i| format!("T{i}")).collect::<Vec<_>>(),
        act::DATE => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        act::REGION_CODE => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        act::PROGRAMME => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        act::DIMENSION => rows.iter().map(|r| &r.2[..1]).collect::<Vec<_>>(),
        act::TARGET_GROUP => vec![None::<&str>; n],
        act::QUANTITY => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        act::PARTICIPANTS => vec![None::<i64>; n],
        act::BUDGET_IDR => vec![None::<f64>; n],
        act::ORGANISER => vec![None::<&str>; n],
        act::SOURCE => vec!["test"; n],
        act::SOURCE_ROW => (2..n as i64 + 2).collect::<Vec<_>>(),
    )
    .unwrap()
    .lazy()
    .with_column(col(act::DATE).str().to_date(StrptimeOptions::default()))
    .collect()
    .unwrap();
    Activities::new(df).unwrap()
}

fn example() -> Scores {
    let acts = activities(&[
        // per 10,000 residents: a1 = 10, 5, 0; a2 = 4, 0, 2; b1 = 2, 4, 1
        ("2024-03-01", "99.01.01", "a1", 10.0),
        ("2024-04-01", "99.01.01", "a2", 4.0),
        ("2024-05-01", "99.01.01", "b1", 2.0),
        ("2024-03-01", "99.01.02", "a1", 6.0),
        ("2024-09-01", "99.01.02", "a1", 4.0),
        ("2024-05-01", "99.01.02", "b1", 8.0),
        // a desa counts for its kecamatan
        ("2024-04-01", "99.01.03.2001", "a2", 2.0),
        ("2024-05-01", "99.01.03", "b1", 1.0),
        // a kabupaten-wide activity cannot be placed in a kecamatan
        ("2024-05-01", "99.01", "b1", 100.0),
    ]);
    compute(&acts, &framework(), &regions(), Granularity::Year).unwrap()
}

fn book() -> ScoreBook {
    ScoreBook::new(&example(), &["a".to_string(), "b".to_string()]).unwrap()
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("a score");
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}

#[test]
fn dimension_scores_are_weighted_means_of_min_max_normalised_indicators() {
    let book = book();
    // a1 → 100, 50, 0; a2 → 100, 0, 50; a = (a1 + 3·a2) / 4
    close(
        book.get(&code("99.01.01"), "2024")
            .unwrap()
            .dimension("a")
            .unwrap()
            .score,
        100.0,
    );
    close(
        book.get(&code("99.01.02"), "2024")
            .unwrap()
            .dimension("a")
            .unwrap()
            .score,
        12.5,
    );
    close(
        book.get(&code("99.01.03"), "2024")
            .unwrap()
            .dimension("a")
            .unwrap()
            .score,
        37.5,
    );
    // b1 → (2−1)/3·100, 100, 0
    close(
        book.get(&code("99.01.01"), "2024")
            .unwrap()
            .dimension("b")
            .unwrap()
            .score,
        100.0 / 3.0,
    );
}

#[test]
fn index_is_the_mean_of_dimensions_and_ranks_follow_it() {
    let book = book();
    let k1 = book.get(&code("99.01.01"), "2024").unwrap();
    let k2 = book.get(&code("99.01.02"), "2024").unwrap();
    let k3 = book.get(&code("99.01.03"), "2024").unwrap();
    close(k1.index, (100.0 + 100.0 / 3.0) / 2.0);
    close(k2.index, (12.5 + 100.0) / 2.0);
    close(k3.index, (37.5 + 0.0) / 2.0);
    assert_eq!((k1.rank, k2.rank, k3.rank), (Some(1), Some(2), Some(3)));
    assert_eq!(k1.peers, 3);
    let ranking: Vec<&str> = book
        .ranking("99.01", "2024")
        .iter()
        .map(|r| r.region.as_str())
        .collect();
    assert_eq!(ranking, ["99.01.01", "99.01.02", "99.01.03"]);
}

#[test]
fn kabupaten_scores_are_population_weighted_means_of_its_kecamatan() {
    let book = book();
    let kab = book.get(&code("99.01"), "2024").unwrap();
    // weights 10k : 20k : 10k
    let a = (100.0 + 2.0 * 12.5 + 37.5) / 4.0;
    let b = (100.0 / 3.0 + 2.0 * 100.0 + 0.0) / 4.0;
    close(kab.dimension("a").unwrap().score, a);
    close(kab.dimension("b").unwrap().score, b);
    close(kab.index, (a + b) / 2.0);
    assert_eq!((kab.rank, kab.peers), (Some(1), 1));
}

#[test]
fn kabupaten_wide_activities_are_counted_as_unplaced() {
    assert_eq!(example().unplaced_activities, 1);
}

#[test]
fn an_indicator_on_which_all_peers_are_equal_is_left_out() {
    let acts = activities(&[
        ("2024-03-01", "99.01.01", "a1", 10.0),
        ("2024-03-01", "99.01.02", "a1", 20.0),
        ("2024-03-01", "99.01.03", "a1", 10.0),
    ]);
    let scores = compute(&acts, &framework(), &regions(), Granularity::Year).unwrap();
    let book = ScoreBook::new(&scores, &["a".to_string(), "b".to_string()]).unwrap();
    // a1 is 10 per 10,000 everywhere; a2 and b1 are 0 everywhere: only a1 informs, and it ties.
    let k1 = book.get(&code("99.01.01"), "2024").unwrap();
    assert_eq!(k1.dimension("b").unwrap().score, None);
    assert_eq!(k1.dimension("a").unwrap().score, None);
    assert_eq!(k1.index, None);
}

#[test]
fn quarters_and_months_make_their_own_periods() {
    let acts = activities(&[
        ("2024-03-01", "99.01.01", "a1", 10.0),
        ("2024-11-01", "99.01.02", "a1", 20.0),
    ]);
    let scores = compute(&acts, &framework(), &regions(), Granularity::Quarter).unwrap();
    let book = ScoreBook::new(&scores, &["a".to_string(), "b".to_string()]).unwrap();
    assert_eq!(book.periods(), ["2024-Q1", "2024-Q4"]);
    let scores = compute(&acts, &framework(), &regions(), Granularity::Month).unwrap();
    let book = ScoreBook::new(&scores, &["a".to_string(), "b".to_string()]).unwrap();
    assert_eq!(book.periods(), ["2024-03", "2024-11"]);
    assert_eq!(book.previous_period("2024-11"), Some("2024-03"));
}
