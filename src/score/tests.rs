//! Scoring on a tiny example computed by hand (numbers in the comments).

use std::collections::HashMap;

use polars::prelude::*;

use super::*;
use crate::framework::{Aggregation, Denominator, Dimension, DistinctOf, Indicator, RecordField};
use crate::region::{Region, RegionCode};
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
        programmes: vec![id.into()],
        target_groups: vec![],
        organisers: vec![],
        measure: RecordField::Quantity,
        aggregation: Aggregation::Sum,
        distinct: DistinctOf::Region,
        per: Denominator::Population,
        per_indicator: None,
        direction: 1.0,
        goalposts: None,
        scale: 10_000.0,
        typical: None,
        stock: false,
        service_life_years: None,
        source: crate::framework::IndicatorSource::Activities,
        range: None,
        bands: vec![],
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
        parent: None,
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
        normalisation: crate::framework::Normalisation::PerPeriod,
        methods: crate::framework::default_methods(),
        bands: None,
        small_regions: None,
        targets: None,
    }
}

pub(crate) fn activities(rows: &[(&str, &str, &str, f64)]) -> Activities {
    let rows: Vec<_> = rows.iter().map(|r| (r.0, r.1, r.2, r.3, None)).collect();
    activities_with_groups(&rows)
}

fn activities_with_groups(rows: &[(&str, &str, &str, f64, Option<&str>)]) -> Activities {
    let n = rows.len();
    let df = df!(
        act::ACTIVITY_ID => (0..n).map(|i| format!("T{i}")).collect::<Vec<_>>(),
        act::DATE => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        act::REGION_CODE => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        act::PROGRAMME => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        act::DIMENSION => rows.iter().map(|r| &r.2[..1]).collect::<Vec<_>>(),
        act::TARGET_GROUP => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
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
    compute(
        &example_activities(),
        &framework(),
        &regions(),
        Granularity::Year,
    )
    .unwrap()
}

fn example_activities() -> Activities {
    activities(&[
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
    ])
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
fn a_kab_kota_has_one_number_measured_whole_with_its_own_activities() {
    let acts = example_activities();
    let fw = framework();
    let units = compute(&acts, &fw, &regions(), Granularity::Year).unwrap();
    let wide = compute_at(&acts, &fw, &regions(), Granularity::Year, Level::Regency).unwrap();
    let dims = ["a".to_string(), "b".to_string()];
    // The kecamatan-level run has no kabupaten rows of its own.
    assert!(
        ScoreBook::new(&units, &dims)
            .unwrap()
            .get(&code("99.01"), "2024")
            .is_none()
    );
    let book = ScoreBook::merged(&units, &wide, &dims, false).unwrap();
    let kab = book.get(&code("99.01"), "2024").unwrap();
    let whole = ScoreBook::new(&wide, &dims).unwrap();
    assert_eq!(kab.index, whole.get(&code("99.01"), "2024").unwrap().index);
    // The kabupaten-wide activity counts for the kabupaten: its b1 raw value includes it.
    let b1: f64 = explain_value(&wide, "99.01", "2024", "b1", cols::RAW).unwrap();
    assert_eq!(b1, 2.0 + 8.0 + 1.0 + 100.0);
    // Kecamatan keep their own numbers.
    close(book.get(&code("99.01.01"), "2024").unwrap().index, {
        (100.0 + 100.0 / 3.0) / 2.0
    });
}

/// One column of the explain frame for a region, period and indicator.
fn explain_value(
    scores: &Scores,
    region: &str,
    period: &str,
    ind: &str,
    column: &str,
) -> Option<f64> {
    let df = scores
        .explain
        .clone()
        .lazy()
        .filter(
            col(cols::REGION)
                .eq(lit(region))
                .and(col(cols::PERIOD).eq(lit(period)))
                .and(col(cols::INDICATOR).eq(lit(ind))),
        )
        .collect()
        .unwrap();
    df.column(column).ok()?.f64().ok()?.get(0)
}

/// The framework on fixed goalposts: a1 0–100, a2 0–50, b1 0–40 per 10,000 residents.
fn goalposts_framework() -> Framework {
    let mut fw = framework();
    fw.normalisation = crate::framework::Normalisation::Goalposts;
    fw.methods.normalise = crate::engine::Normalise::Goalposts { scale: 100.0 };
    fw.methods.normalise_within = None;
    for (ind, hi) in fw.indicators.iter_mut().zip([100.0, 50.0, 40.0]) {
        ind.goalposts = Some([0.0, hi]);
    }
    fw
}

/// Two years of activity in every kecamatan; `late` multiplies the second year's quantities.
fn two_years(late: f64) -> Activities {
    let mut rows = Vec::new();
    for (k, q) in [("99.01.01", 3.0), ("99.01.02", 5.0), ("99.01.03", 2.0)] {
        for (year, factor) in [("2023", 1.0), ("2024", late)] {
            for ind in ["a1", "a2", "b1"] {
                rows.push((format!("{year}-06-01"), k, ind, q * factor));
            }
        }
    }
    let rows: Vec<(&str, &str, &str, f64)> =
        rows.iter().map(|r| (r.0.as_str(), r.1, r.2, r.3)).collect();
    activities(&rows)
}

fn scored(acts: &Activities, fw: &Framework) -> ScoreBook {
    let dims = ["a".to_string(), "b".to_string()];
    let units = compute(acts, fw, &regions(), Granularity::Year).unwrap();
    let wide = compute_at(acts, fw, &regions(), Granularity::Year, Level::Regency).unwrap();
    ScoreBook::merged(&units, &wide, &dims, fw.normalisation.is_absolute()).unwrap()
}

const PLACES: [&str; 4] = ["99.01", "99.01.01", "99.01.02", "99.01.03"];

#[test]
fn on_fixed_goalposts_adding_a_year_leaves_the_earlier_scores_as_they_were() {
    let fw = goalposts_framework();
    let both = scored(&two_years(1.0), &fw);
    let acts = two_years(1.0);
    let first_year = acts
        .frame()
        .clone()
        .lazy()
        .filter(col(act::DATE).dt().year().eq(lit(2023)))
        .collect()
        .unwrap();
    let earlier = scored(&Activities::new(first_year).unwrap(), &fw);
    for place in PLACES {
        let (a, b) = (
            both.get(&code(place), "2023").unwrap(),
            earlier.get(&code(place), "2023").unwrap(),
        );
        assert_eq!(a.index, b.index, "{place}");
        assert!(a.index.is_some(), "{place}");
        for (x, y) in a.dimensions.iter().zip(&b.dimensions) {
            assert_eq!(x.score, y.score, "{place} {}", x.dimension);
        }
    }
}

#[test]
fn on_fixed_goalposts_doubling_every_regions_activity_raises_every_score_and_its_change() {
    let fw = goalposts_framework();
    let (same, doubled) = (scored(&two_years(1.0), &fw), scored(&two_years(2.0), &fw));
    for place in PLACES {
        let (s, d) = (
            same.get(&code(place), "2024").unwrap(),
            doubled.get(&code(place), "2024").unwrap(),
        );
        assert!(d.index.unwrap() > s.index.unwrap(), "{place} index");
        for (x, y) in s.dimensions.iter().zip(&d.dimensions) {
            assert!(
                y.score.unwrap() > x.score.unwrap(),
                "{place} {}",
                x.dimension
            );
        }
        let change = |b: &ScoreBook| {
            b.get(&code(place), "2024").unwrap().index.unwrap()
                - b.get(&code(place), "2023").unwrap().index.unwrap()
        };
        assert!(
            change(&doubled) > 0.0 && change(&same).abs() < 1e-9,
            "{place}"
        );
    }
}

#[test]
fn per_period_normalisation_reads_doubling_everywhere_as_no_change() {
    let fw = framework();
    let (same, doubled) = (scored(&two_years(1.0), &fw), scored(&two_years(2.0), &fw));
    for place in ["99.01.01", "99.01.02", "99.01.03"] {
        assert_eq!(
            same.get(&code(place), "2024").unwrap().index,
            doubled.get(&code(place), "2024").unwrap().index,
            "a relative score cannot see progress everyone made"
        );
    }
}

#[test]
fn pooled_normalisation_measures_every_period_on_the_peer_groups_whole_range() {
    let mut fw = framework();
    fw.normalisation = crate::framework::Normalisation::Pooled;
    fw.methods.normalise = crate::engine::Normalise::Goalposts { scale: 100.0 };
    let book = scored(&two_years(2.0), &fw);
    // 99.01.01 (3 per 10,000, doubled in 2024) holds the group's best value of both years:
    // 100 on every indicator then, and a score below it the year before; the others move up
    // with it.
    let k = |c: &str, p: &str| book.get(&code(c), p).unwrap().index.unwrap();
    close(Some(k("99.01.01", "2024")), 100.0);
    for c in ["99.01.01", "99.01.02", "99.01.03"] {
        assert!(k(c, "2023") < k(c, "2024"), "{c}");
    }
}

#[test]
fn a_kecamatan_without_any_record_in_a_period_has_no_score_rather_than_zero() {
    let acts = activities(&[
        ("2024-03-01", "99.01.01", "a1", 10.0),
        ("2024-03-01", "99.01.02", "a1", 20.0),
        ("2024-03-01", "99.01.02", "b1", 2.0),
    ]);
    let book = scored(&acts, &framework());
    let k3 = book.get(&code("99.01.03"), "2024").unwrap();
    assert_eq!(k3.index, None);
    assert_eq!(k3.rank, None);
    assert!(k3.dimensions.iter().all(|d| d.score.is_none()));
    assert_eq!(book.get(&code("99.01.01"), "2024").unwrap().peers, 2);
}

#[test]
fn a_nil_report_records_a_true_zero() {
    let acts = activities(&[
        ("2024-03-01", "99.01.01", "a1", 10.0),
        ("2024-03-01", "99.01.02", "a1", 20.0),
        ("2024-03-01", "99.01.02", "b1", 2.0),
        ("2024-12-31", "99.01.03", crate::framework::NIL_REPORT, 0.0),
    ]);
    let book = scored(&acts, &framework());
    let k3 = book.get(&code("99.01.03"), "2024").unwrap();
    close(k3.index, 0.0);
    assert_eq!((k3.rank, k3.peers), (Some(3), 3));
}

#[test]
fn a_stock_counts_its_units_until_their_service_life_ends() {
    let mut fw = framework();
    fw.indicators[0].stock = true;
    fw.indicators[0].service_life_years = Some(2);
    let acts = activities(&[
        ("2022-03-01", "99.01.01", "a1", 10.0),
        ("2023-03-01", "99.01.01", crate::framework::NIL_REPORT, 0.0),
        ("2024-03-01", "99.01.01", "a1", 5.0),
        ("2025-03-01", "99.01.01", "b1", 1.0),
    ]);
    let units = compute(&acts, &fw, &regions(), Granularity::Year).unwrap();
    let raw = |p: &str| explain_value(&units, "99.01.01", p, "a1", cols::RAW);
    // Installed in 2022, counted in 2022 and 2023; gone after two years.
    assert_eq!(raw("2022"), Some(10.0));
    assert_eq!(raw("2023"), Some(10.0));
    assert_eq!(raw("2024"), Some(5.0));
    assert_eq!(raw("2025"), Some(5.0));
    // A flow counts in its own period only; a programme no region recorded in 2024 is not
    // measured in 2024.
    let b1 = |p: &str| explain_value(&units, "99.01.01", p, "b1", cols::RAW);
    assert_eq!((b1("2024"), b1("2025")), (None, Some(1.0)));
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

#[test]
fn explanation_contributions_add_up_to_the_dimension_and_the_index() {
    let scores = example();
    let book = ScoreBook::new(&scores, &["a".to_string(), "b".to_string()]).unwrap();
    let e = explain::explain(&scores, &book, &framework(), &code("99.01.02"), "2024").unwrap();
    assert_eq!(e.indicators.len(), 3);
    // a = (1 × a1 + 3 × a2) / 4 = (50 + 0) / 4 = 12.5 for 99.01.02
    let a1 = e.indicators.iter().find(|i| i.id == "a1").unwrap();
    assert_eq!(a1.raw, Some(10.0));
    assert_eq!(a1.denominator, Some(20_000.0));
    close(a1.value, 5.0);
    close(a1.score, 50.0);
    close(a1.weight, 0.25);
    close(a1.to_dimension, 12.5);
    let to_index: f64 = e.indicators.iter().filter_map(|i| i.to_index).sum();
    close(e.index, to_index);
    let dims: f64 = e.dimensions.iter().filter_map(|d| d.to_index).sum();
    close(e.index, dims);
    assert_eq!(e.framework_version, "1");
}

#[test]
fn stored_scores_carry_the_framework_version_and_methods() {
    let scores = example();
    let dir = tempfile::tempdir().unwrap();
    scores.write_parquet(dir.path()).unwrap();
    for name in ["indicators", "dimensions", "index", "explain"] {
        let file = std::fs::File::open(dir.path().join(format!("{name}.parquet"))).unwrap();
        let df = ParquetReader::new(file).finish().unwrap();
        let version = df.column("framework_version").unwrap().str().unwrap();
        assert_eq!(version.get(0), Some("1"), "{name}");
        let methods = df.column("methods").unwrap().str().unwrap().get(0).unwrap();
        assert!(methods.contains("min_max"), "{name}: {methods}");
    }
}

#[test]
fn indicators_can_count_filter_and_divide_by_area_desa_or_another_indicator() {
    let mut fw = framework();
    // a1: distinct desa reached; a2: records for UMKM only, per km²; b1: a1's raw per a2's raw.
    fw.indicators[0].aggregation = Aggregation::DistinctCount;
    fw.indicators[0].per = Denominator::None;
    fw.indicators[1].aggregation = Aggregation::Count;
    fw.indicators[1].target_groups = vec!["UMKM".into()];
    fw.indicators[1].per = Denominator::Area;
    fw.indicators[1].scale = 1.0;
    fw.indicators[2].per = Denominator::Desa;
    fw.indicators[2].scale = 1.0;
    let mut regions = Regions::default();
    for (c, pop, area) in [
        ("99", None, None),
        ("99.01", Some(40_000), None),
        ("99.01.01", Some(10_000), Some(2.0)),
        ("99.01.02", Some(20_000), Some(4.0)),
        ("99.01.03", Some(10_000), Some(8.0)),
        ("99.01.03.2001", None, None),
    ] {
        let mut r = region(c, pop);
        r.area_km2 = area;
        regions.insert(r);
    }
    let acts = activities_with_groups(&[
        ("2024-03-01", "99.01.03.2001", "a1", 1.0, Some("desa")),
        ("2024-03-02", "99.01.03.2001", "a1", 1.0, Some("desa")),
        ("2024-03-01", "99.01.03", "a1", 1.0, Some("desa")),
        ("2024-03-01", "99.01.01", "a2", 5.0, Some("UMKM")),
        ("2024-03-01", "99.01.01", "a2", 5.0, Some("UMKM")),
        ("2024-03-01", "99.01.01", "a2", 5.0, Some("SMA")),
        ("2024-03-01", "99.01.03", "b1", 6.0, None),
    ]);
    let scores = compute(&acts, &fw, &regions, Granularity::Year).unwrap();
    let value = |region: &str, ind: &str| -> Option<f64> {
        let df = scores
            .explain
            .clone()
            .lazy()
            .filter(
                col(cols::REGION)
                    .eq(lit(region))
                    .and(col(cols::INDICATOR).eq(lit(ind))),
            )
            .collect()
            .unwrap();
        df.column(cols::VALUE).unwrap().f64().unwrap().get(0)
    };
    // two distinct codes (the desa and the kecamatan itself) in 99.01.03
    assert_eq!(value("99.01.03", "a1"), Some(2.0));
    assert_eq!(value("99.01.01", "a1"), Some(0.0));
    // two UMKM records over 2 km²
    assert_eq!(value("99.01.01", "a2"), Some(1.0));
    // 6 over 99.01.03's one desa; the others have no desa, so no value
    assert_eq!(value("99.01.03", "b1"), Some(6.0));
    assert_eq!(value("99.01.01", "b1"), None);
}

#[test]
fn regencies_can_be_the_scored_units_with_provinces_above() {
    let mut r = regions();
    for (c, pop) in [
        ("99.02", Some(10_000)),
        ("98", None),
        ("98.01", Some(5_000)),
    ] {
        r.insert(region(c, pop));
    }
    let acts = activities(&[
        ("2024-03-01", "99.01", "a1", 4.0),
        ("2024-03-01", "99.02", "a1", 1.0),
        ("2024-03-01", "99.01.02", "b1", 4.0),
        ("2024-03-01", "98.01", "b1", 1.0),
    ]);
    let scores = compute_at(&acts, &framework(), &r, Granularity::Year, Level::Regency).unwrap();
    let book = ScoreBook::new(&scores, &["a".to_string(), "b".to_string()]).unwrap();
    // a1 per 10,000: 99.01 → 1, 99.02 → 1: tie, no information; b1: 99.01 → 1, 99.02 → 0.
    let k1 = book.get(&code("99.01"), "2024").unwrap();
    assert_eq!(k1.dimension("a").unwrap().score, None);
    close(k1.dimension("b").unwrap().score, 100.0);
    assert_eq!((k1.rank, k1.peers), (Some(1), 2));
    // 98.01 is alone in its province: b1 carries no information there.
    assert_eq!(book.get(&code("98.01"), "2024").unwrap().index, None);
    assert!(book.get(&code("99"), "2024").is_some());
    assert_eq!(scores.unplaced_activities, 0);
}

#[test]
fn sensitivity_of_a_period_is_reproducible_and_brackets_each_nominal_rank() {
    let spec = engine::sensitivity::Spec {
        replications: 100,
        seed: 1,
        weight_share: 0.5,
        normalisations: vec![],
        aggregations: vec![engine::Aggregate::Arithmetic, engine::Aggregate::Harmonic],
        target: "test".into(),
        rank_within: Some(crate::framework::PEER_GROUP.into()),
    };
    let acts = activities(&[
        ("2024-03-01", "99.01.01", "a1", 10.0),
        ("2024-04-01", "99.01.01", "a2", 4.0),
        ("2024-05-01", "99.01.01", "b1", 2.0),
        ("2024-03-01", "99.01.02", "a1", 6.0),
        ("2024-05-01", "99.01.02", "b1", 8.0),
        ("2024-04-01", "99.01.03", "a2", 2.0),
        ("2024-05-01", "99.01.03", "b1", 1.0),
    ]);
    let run = || {
        sensitivity(
            &acts,
            &framework(),
            &regions(),
            Granularity::Year,
            Level::District,
            "2024",
            &spec,
        )
        .unwrap()
    };
    let a = run();
    assert_eq!(a, run());
    assert_eq!(a.len(), 3);
    for r in &a {
        let (lo, hi) = (r.p05.unwrap(), r.p95.unwrap());
        assert!(lo <= r.median.unwrap() && r.median.unwrap() <= hi, "{r:?}");
        assert!((1.0..=3.0).contains(&lo) && (1.0..=3.0).contains(&hi));
    }
}

/// The example's framework with targets for `a1` (values per 10,000 residents 10, 5, 0):
/// 99.01.01 aims at 20, 99.01.02 at 4, 99.01.03 only has a target for another year.
fn framework_with_targets(csv: &str) -> Result<Framework, targets::TargetsError> {
    let mut fw = framework();
    let t = targets::Targets::parse(
        Path::new("targets.csv"),
        csv.as_bytes(),
        fw.indicators.iter().map(|i| i.id.as_str()),
    )?;
    fw.methods.to_target = Some(true);
    fw.methods.targets = Some(t.source("targets.csv"));
    fw.targets = Some(t);
    Ok(fw)
}

const TARGETS: &str = "region_code,indicator,period,target\n\
                       99.01.01,a1,2024,20\n\
                       99.01.02,a1,2024,4\n\
                       99.01.03,a1,2023,1\n";

#[test]
fn a_kecamatan_with_a_target_scores_its_distance_to_it_and_one_without_falls_back() {
    let acts = activities(&[
        ("2024-03-01", "99.01.01", "a1", 10.0),
        ("2024-04-01", "99.01.01", "a2", 4.0),
        ("2024-05-01", "99.01.01", "b1", 2.0),
        ("2024-03-01", "99.01.02", "a1", 6.0),
        ("2024-09-01", "99.01.02", "a1", 4.0),
        ("2024-05-01", "99.01.02", "b1", 8.0),
        ("2024-04-01", "99.01.03.2001", "a2", 2.0),
        ("2024-05-01", "99.01.03", "b1", 1.0),
    ]);
    let fw = framework_with_targets(TARGETS).unwrap();
    let scores = compute(&acts, &fw, &regions(), Granularity::Year).unwrap();
    let book = ScoreBook::new(&scores, &["a".to_string(), "b".to_string()]).unwrap();
    let dim = |c: &str| {
        book.get(&code(c), "2024")
            .unwrap()
            .dimension("a")
            .unwrap()
            .score
    };
    // a1: 99.01.01 min(10/20, 1)·100 = 50; 99.01.02 min(5/4, 1)·100 = 100 (capped);
    // 99.01.03 has no 2024 target: min-max among the three as before, (0 − 0)/10 = 0.
    // a2 has no targets: 100, 0, 50 as before. a = (a1 + 3·a2) / 4.
    close(dim("99.01.01"), (50.0 + 300.0) / 4.0);
    close(dim("99.01.02"), 100.0 / 4.0);
    close(dim("99.01.03"), 150.0 / 4.0);
    let a1 = scores
        .explain
        .clone()
        .lazy()
        .filter(col(cols::INDICATOR).eq(lit("a1")))
        .collect()
        .unwrap();
    let a1: Vec<Option<f64>> = a1.column(cols::SCORE).unwrap().f64().unwrap().to_vec();
    assert_eq!(a1, [Some(50.0), Some(100.0), Some(0.0)]);
    // The methods stored with the scores say targets were used, and from which file.
    assert!(
        scores.methods.contains("\"to_target\":true")
            && scores.methods.contains("\"file\":\"targets.csv\"")
            && scores.methods.contains("sha256"),
        "{}",
        scores.methods
    );
    // Without targets the example's methods record nothing of them.
    assert!(!example().methods.contains("target"));
}

#[test]
fn targets_for_a_region_not_in_the_region_list_fail_the_scoring_naming_the_row() {
    let fw = framework_with_targets(&format!("{TARGETS}99.01.07,b1,2024,1\n")).unwrap();
    let acts = activities(&[("2024-03-01", "99.01.01", "a1", 10.0)]);
    let err = compute(&acts, &fw, &regions(), Granularity::Year)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("targets.csv") && err.contains("row 5") && err.contains("99.01.07"),
        "{err}"
    );
}

#[test]
fn an_indicator_of_recorded_values_is_scored_on_its_own_scale_and_unmeasured_without_a_value() {
    let mut fw = goalposts_framework();
    let mut spbe = indicator("spbe", "b", 1.0);
    spbe.source = crate::framework::IndicatorSource::Values;
    spbe.programme.clear();
    spbe.programmes.clear();
    spbe.per = Denominator::None;
    spbe.scale = 1.0;
    spbe.range = Some([1.0, 5.0]);
    spbe.goalposts = Some([1.0, 5.0]);
    fw.indicators.push(spbe);
    let value = |region: &str, period: &str, v: f64| crate::store::IndicatorValue {
        region: region.into(),
        period: period.into(),
        indicator: "spbe".into(),
        value: v,
        unit: None,
        source: Some("KepmenPANRB".into()),
        status: None,
        file: "spbe.csv".into(),
        row: 2,
    };
    let acts = two_years(1.0).with_values(crate::store::IndicatorValues::new(vec![
        value("99.01.01", "2024", 3.0),
        value("99.01", "2024", 1.99),
    ]));
    let units = compute(&acts, &fw, &regions(), Granularity::Year).unwrap();
    let spbe = |region: &str, period: &str, column: &str| {
        explain_value(&units, region, period, "spbe", column)
    };
    // 3 on a 1–5 scale is half way.
    assert_eq!(spbe("99.01.01", "2024", cols::RAW), Some(3.0));
    close(spbe("99.01.01", "2024", cols::SCORE), 50.0);
    // No value: not measured, and b is b1 alone.
    assert_eq!(spbe("99.01.02", "2024", cols::RAW), None);
    assert_eq!(spbe("99.01.01", "2023", cols::RAW), None);
    let book = scored(&acts, &fw);
    let k2 = book.get(&code("99.01.02"), "2024").unwrap();
    let b1_only = explain_value(&units, "99.01.02", "2024", "b1", cols::SCORE);
    close(k2.dimension("b").unwrap().score, b1_only.unwrap());
    // The kab/kota is measured whole, with its own recorded value.
    let wide = compute_at(&acts, &fw, &regions(), Granularity::Year, Level::Regency).unwrap();
    close(
        explain_value(&wide, "99.01", "2024", "spbe", cols::SCORE),
        (1.99 - 1.0) / 4.0 * 100.0,
    );
}

#[test]
fn derived_goalposts_come_from_the_base_period_and_a_stocks_from_its_whole_history() {
    use super::goalposts::{Percentiles, derive};
    let mut fw = goalposts_framework();
    fw.indicators[0].stock = true;
    let acts = two_years(4.0);
    let all = Percentiles {
        low: 0.0,
        high: 100.0,
    };
    let g = derive(
        &acts,
        &fw,
        &regions(),
        Granularity::Year,
        Level::District,
        &["2023".to_string()],
        all,
    )
    .unwrap();
    let units = compute(&acts, &fw, &regions(), Granularity::Year).unwrap();
    let largest = |ind: &str, period: &str| {
        ["99.01.01", "99.01.02", "99.01.03"]
            .iter()
            .filter_map(|k| explain_value(&units, k, period, ind, cols::VALUE))
            .fold(f64::MIN, f64::max)
    };
    // Flows: the base year's range alone (2024's four-fold values do not widen it).
    let b1 = g["b1"].goalposts;
    assert!((b1[1] - largest("b1", "2023")).abs() < 1e-3, "{b1:?}");
    assert!(b1[1] < largest("b1", "2024"));
    // The stock a1 accumulates 2023 and 2024: its best goalpost is its largest in any year.
    let a1 = largest("a1", "2024");
    let a1_goalposts = g["a1"].goalposts;
    assert!(
        (a1_goalposts[1] - a1).abs() <= a1 * 1e-3,
        "{a1_goalposts:?} vs {a1}"
    );
    // The typical value of a flow per resident is its base median: 2023's per 10,000 residents
    // are 3, 2.5 and 2 in the three kecamatan.
    close(g["b1"].typical, 2.5);
}

/// Kab/kota 99.01 (40,000 residents) and 99.02 (4,000,000), on goalposts a1 0–100 per 10,000
/// with a typical 10, both recording `per_resident` a1 per 10,000 residents in 2024.
fn small_and_large(per_resident: f64, small: Option<f64>) -> Scores {
    let mut r = regions();
    r.insert(region("99.02", Some(4_000_000)));
    let mut fw = goalposts_framework();
    fw.small_regions = small.map(|residents| crate::framework::SmallRegions { residents });
    for ind in &mut fw.indicators {
        ind.typical = Some(10.0);
    }
    let q = |pop: f64| per_resident * pop / 10_000.0;
    let acts = activities(&[
        ("2024-03-01", "99.01", "a1", q(40_000.0)),
        ("2024-03-01", "99.02", "a1", q(4_000_000.0)),
    ]);
    compute_at(&acts, &fw, &r, Granularity::Year, Level::Regency).unwrap()
}

#[test]
fn a_small_kab_kota_keeps_the_share_of_its_lead_its_population_earns_and_a_low_value_stays() {
    let a1 = |s: &Scores, region: &str, column: &str| {
        explain_value(s, region, "2024", "a1", column).unwrap()
    };
    // 60 per 10,000 residents in both: a lead of 50 over the typical 10.
    let weighted = small_and_large(60.0, Some(40_000.0));
    // 40,000 residents with a weight of 40,000: half the lead counts.
    close(Some(a1(&weighted, "99.01", cols::TREATED)), 10.0 + 25.0);
    close(Some(a1(&weighted, "99.01", cols::SCORE)), 35.0);
    // Four million residents: 99 % of it.
    let large = 10.0 + 50.0 * 4_000_000.0 / 4_040_000.0;
    close(Some(a1(&weighted, "99.02", cols::TREATED)), large);
    // The value as recorded is kept beside the weighted one, for the explanation.
    close(Some(a1(&weighted, "99.01", cols::VALUE)), 60.0);
    // Without [small_regions] both score their value.
    let plain = small_and_large(60.0, None);
    close(Some(a1(&plain, "99.01", cols::SCORE)), 60.0);
    // A value below the typical one gains nothing from being small.
    let low = small_and_large(4.0, Some(40_000.0));
    close(Some(a1(&low, "99.01", cols::TREATED)), 4.0);
}

#[test]
fn kecamatan_are_not_weighted_for_their_size() {
    let mut fw = goalposts_framework();
    fw.small_regions = Some(crate::framework::SmallRegions {
        residents: 1_000_000.0,
    });
    for ind in &mut fw.indicators {
        ind.typical = Some(1.0);
    }
    let scores = compute(&two_years(1.0), &fw, &regions(), Granularity::Year).unwrap();
    let treated = explain_value(&scores, "99.01.01", "2024", "a1", cols::TREATED).unwrap();
    let value = explain_value(&scores, "99.01.01", "2024", "a1", cols::VALUE).unwrap();
    assert_eq!(treated, value);
}
