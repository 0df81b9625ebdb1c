//! The engine against COINr's published ASEM example, and each method on small hand examples.

use std::path::Path;

use super::methods::*;
use super::sensitivity::{Spec, analyse};
use super::*;

fn asem() -> (table::TableIndex, Outcome) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/asem/asem.toml");
    let index = table::load(&path).unwrap();
    let outcome = run(&index.data, &index.hierarchy, &index.methods).unwrap();
    (index, outcome)
}

#[test]
fn asem_index_matches_the_scores_coinr_publishes() {
    let (_, out) = asem();
    // COINr documentation (docs/articles/results.html, `head(get_results(coin, dset =
    // "Aggregated", tab_type = "Aggs"))`): the first six rows, every aggregate. BEL is 5th there
    // (63.54) and SWE 6th; IND is from `get_unit_summary(coin, usel = "IND", Levels = c(4, 3, 2))`.
    let nodes = [
        "Index",
        "Conn",
        "Sust",
        "Physical",
        "ConEcFin",
        "Political",
        "Instit",
        "P2P",
        "Environ",
        "Social",
        "SusEcFin",
    ];
    let published: [(&str, [f64; 11]); 7] = [
        (
            "CHE",
            [
                68.38, 62.79, 73.98, 63.41, 32.87, 74.78, 85.94, 56.93, 77.21, 87.85, 56.88,
            ],
        ),
        (
            "NLD",
            [
                64.82, 61.94, 67.70, 64.87, 46.62, 84.55, 71.74, 41.92, 58.73, 86.58, 57.78,
            ],
        ),
        (
            "DNK",
            [
                64.80, 57.10, 72.51, 50.52, 30.43, 78.13, 75.35, 51.04, 69.83, 86.40, 61.29,
            ],
        ),
        (
            "NOR",
            [
                64.47, 57.44, 71.50, 58.18, 25.70, 80.03, 89.46, 33.80, 70.90, 87.00, 56.59,
            ],
        ),
        (
            "BEL",
            [
                63.54, 63.99, 63.09, 71.97, 48.22, 80.84, 75.60, 43.32, 53.01, 86.17, 50.09,
            ],
        ),
        (
            "SWE",
            [
                63.00, 53.87, 72.12, 51.51, 23.87, 80.98, 74.51, 38.50, 66.37, 87.74, 62.27,
            ],
        ),
        (
            "IND",
            [
                39.79, 28.60, 50.99, 18.78, 6.38, 51.90, 59.84, 6.07, 75.34, 22.74, 54.88,
            ],
        ),
    ];
    for (unit, values) in published {
        for (node, expected) in nodes.iter().zip(values) {
            let got = out.score(node, unit).unwrap();
            assert!(
                (got - expected).abs() < 0.005 + 1e-9,
                "{unit} {node}: got {got:.4}, COINr publishes {expected}"
            );
        }
    }
    // Ranks (1 = highest score) as published: the top six, and IND's summary ranks.
    let rank = |node: &str, unit: &str| {
        let s = out.score(node, unit).unwrap();
        1 + out.scores[node]
            .iter()
            .flatten()
            .filter(|v| **v > s)
            .count()
    };
    let top: Vec<usize> = ["CHE", "NLD", "DNK", "NOR", "BEL", "SWE"]
        .iter()
        .map(|u| rank("Index", u))
        .collect();
    assert_eq!(top, [1, 2, 3, 4, 5, 6]);
    let ind: Vec<usize> = nodes.iter().map(|n| rank(n, "IND")).collect();
    assert_eq!(ind, [45, 44, 43, 48, 49, 33, 37, 47, 6, 51, 36]);
}

#[test]
fn asem_ranks_within_gdp_per_capita_groups_match_coinr() {
    let (index, out) = asem();
    // results.html, `get_results(..., use_group = "GDPpc_group", use = "groupranks")`: the first
    // six units of groups XL and L, Index ranks within the group.
    let groups = &index.data.groups["GDPpc_group"];
    let group_of = |unit: &str| {
        let u = index.data.units.iter().position(|x| x == unit).unwrap();
        groups[u].clone()
    };
    let group_rank = |unit: &str| {
        let g = group_of(unit);
        let s = out.score("Index", unit).unwrap();
        1 + out
            .units()
            .iter()
            .filter(|v| group_of(v) == g && out.score("Index", v).unwrap() > s)
            .count()
    };
    for (group, units) in [
        ("XL", ["CHE", "NLD", "DNK", "NOR", "SWE", "AUT"]),
        ("L", ["BEL", "MLT", "SVN", "GBR", "CZE", "ESP"]),
    ] {
        for (r, unit) in units.iter().enumerate() {
            assert_eq!(group_of(unit).as_deref(), Some(group), "{unit}");
            assert_eq!(group_rank(unit), r + 1, "{unit} in {group}");
        }
    }
}

#[test]
fn treating_the_raw_asem_indicators_matches_coinrs_treatment_table() {
    let (index, _) = asem();
    // COINr documentation (docs/articles/treat.html): `Treat(coin, dset = "Raw")` with the
    // defaults, then with winmax = 1. (indicator, winmax, skew and kurtosis before, points
    // winsorised, action, skew and kurtosis after.)
    let published = [
        (
            "LPI", 5, -0.3042681, -0.6567514, 0, "none", -0.3042681, -0.6567514,
        ),
        (
            "Flights",
            5,
            2.1032872,
            4.5088794,
            1,
            "winsorised",
            1.900658,
            3.336065,
        ),
        (
            "Bord",
            5,
            2.1482360,
            5.7914905,
            1,
            "winsorised",
            1.899211,
            4.346298,
        ),
        (
            "Elec",
            5,
            2.2252736,
            5.7910268,
            1,
            "winsorised",
            1.717744,
            2.586062,
        ),
        (
            "Gas",
            5,
            2.8294486,
            10.3346494,
            1,
            "winsorised",
            1.602518,
            1.525576,
        ),
        (
            "Goods",
            5,
            2.6499733,
            8.2666095,
            2,
            "winsorised",
            1.140608,
            0.1572047,
        ),
        (
            "Services", 5, 1.7010849, 2.3756557, 0, "none", 1.7010849, 2.3756557,
        ),
        (
            "Goods", 1, 2.6499733, 8.2666095, 0, "log", 0.03104001, -0.8888965,
        ),
    ];
    for (id, winmax, s0, k0, nwin, action, s1, k1) in published {
        let mut x = index.data.columns[id].clone();
        let t = treat(
            &mut x,
            &Treat::SkewKurt {
                skew: 2.0,
                kurt: 3.5,
                winmax,
                cap: WinCap::LatestStep,
                log: true,
            },
        );
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-6;
        assert!(
            close(t.before.0, s0) && close(t.before.1, k0),
            "{id}: {t:?}"
        );
        assert!(close(t.after.0, s1) && close(t.after.1, k1), "{id}: {t:?}");
        assert_eq!((t.winsorised, t.action.as_str()), (nwin, action), "{id}");
    }
}

#[test]
fn asem_keeps_all_51_units_and_imputes_all_63_missing_values() {
    let (index, out) = asem();
    assert_eq!(out.units().len(), 51);
    assert!(out.prepared.screened_out.is_empty());
    assert_eq!(index.hierarchy.indicators().count(), 49);
    // 63 missing in the raw data, plus values whose denominator is missing.
    let missing: usize = out
        .prepared
        .denominated
        .iter()
        .map(|c| c.iter().filter(|v| v.is_none()).count())
        .sum();
    assert_eq!(out.prepared.filled.iter().sum::<usize>(), missing);
    assert!(missing >= 63);
    assert!(out.prepared.imputed.iter().flatten().all(Option::is_some));
}

#[test]
fn asem_treatment_winsorises_the_skewed_indicators_and_all_then_pass() {
    let (_, out) = asem();
    let winsorised: Vec<&str> = out
        .prepared
        .indicators
        .iter()
        .zip(&out.prepared.treatment)
        .filter(|(_, t)| t.action == "winsorised")
        .map(|(i, _)| i.as_str())
        .collect();
    assert_eq!(
        winsorised,
        [
            "Flights",
            "Bord",
            "Gas",
            "Services",
            "FDI",
            "ForPort",
            "CostImpEx",
            "Tariff",
            "StMob",
            "CultServ",
            "Forest",
            "Poverty",
            "NGOs",
            "FemLab",
            "PubDebt"
        ]
    );
    for t in &out.prepared.treatment {
        let (s, k) = t.after;
        assert!(s.unwrap().abs() < 2.0 || k.unwrap() < 3.5, "{t:?}");
        assert!(t.winsorised <= 5);
    }
}

#[test]
fn asem_every_aggregate_is_the_weighted_mean_of_its_children() {
    let (index, out) = asem();
    let h = &index.hierarchy;
    for node in h.nodes().iter().filter(|n| !n.indicator) {
        let kids = h.children(&node.id);
        for (u, unit) in out.units().iter().enumerate() {
            let (mut sw, mut swx) = (0.0, 0.0);
            for k in &kids {
                if let Some(v) = out.scores[*k][u] {
                    let w = h.node(k).unwrap().weight;
                    sw += w;
                    swx += w * v;
                }
            }
            let got = out.scores[&node.id][u].unwrap();
            assert!((got - swx / sw).abs() < 1e-9, "{} {unit}", node.id);
        }
    }
    // Normalised indicators span exactly 0–100.
    for col in &out.normalised {
        let v: Vec<f64> = col.iter().flatten().copied().collect();
        assert_eq!(v.iter().copied().fold(f64::INFINITY, f64::min), 0.0);
        assert!((v.iter().copied().fold(f64::NEG_INFINITY, f64::max) - 100.0).abs() < 1e-9);
    }
    assert_eq!(h.level("Index"), Some(4));
    assert_eq!(h.level("Conn"), Some(3));
    assert_eq!(h.level("Physical"), Some(2));
}

#[test]
fn the_asem_methods_are_recorded_with_the_outcome() {
    let (_, out) = asem();
    let json = out.methods_json();
    assert!(
        json.contains("group_mean") && json.contains("EurAsia_group"),
        "{json}"
    );
    assert!(
        json.contains("latest_step") && json.contains("min_max"),
        "{json}"
    );
}

#[test]
fn skewness_and_kurtosis_are_the_type_2_sample_statistics() {
    // Excel: SKEW(1,2,3,4,10) = 1.6971, KURT(…) = 3.1520
    let x = [1.0, 2.0, 3.0, 4.0, 10.0];
    assert!((skewness(&x).unwrap() - 1.697_056_3).abs() < 1e-6);
    assert!((kurtosis(&x).unwrap() - 3.152).abs() < 1e-6);
    assert_eq!(skewness(&[1.0, 1.0, 1.0]), None);
}

fn some(v: &[f64]) -> Vec<Option<f64>> {
    v.iter().copied().map(Some).collect()
}

#[test]
fn winsorising_pulls_the_maximum_in_to_the_next_value_until_the_test_passes() {
    let mut x = some(&[
        1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 30.0, 100.0,
    ]);
    let log = treat(
        &mut x,
        &Treat::SkewKurt {
            skew: 2.0,
            kurt: 3.5,
            winmax: 5,
            cap: WinCap::LatestStep,
            log: true,
        },
    );
    assert_eq!(log.action, "winsorised");
    assert_eq!(x[11], Some(30.0));
    assert_eq!(log.high, vec![11]);
    assert!(log.before.0.unwrap() > 2.0);
}

#[test]
fn when_winsorising_is_not_enough_the_original_values_are_log_transformed() {
    let mut v = vec![1.0; 20];
    v.extend([1000.0, 2000.0, 5000.0, 10_000.0, 100_000.0]);
    let mut x = some(&v);
    let log = treat(
        &mut x,
        &Treat::SkewKurt {
            skew: 2.0,
            kurt: 3.5,
            winmax: 1,
            cap: WinCap::Cumulative,
            log: true,
        },
    );
    assert!(log.action.starts_with("log"), "{log:?}");
    let (min, max) = (1.0f64, 100_000.0f64);
    assert!((x[24].unwrap() - (max - min + 0.01 * (max - min)).ln()).abs() < 1e-9);
    assert!((x[0].unwrap() - (0.01f64 * (max - min)).ln()).abs() < 1e-9);
}

#[test]
fn the_cumulative_cap_refuses_a_step_that_would_winsorise_more_points_than_winmax() {
    // Three points tied at the maximum: COINr's count takes the step (3 points > winmax = 2),
    // the cumulative cap does not, and falls back to the log transform.
    let mut v: Vec<f64> = (1..=30).map(f64::from).collect();
    v.extend([500.0, 500.0, 500.0]);
    let spec = |cap| Treat::SkewKurt {
        skew: 2.0,
        kurt: 3.5,
        winmax: 2,
        cap,
        log: true,
    };
    let mut a = some(&v);
    let la = treat(&mut a, &spec(WinCap::LatestStep));
    let mut b = some(&v);
    let lb = treat(&mut b, &spec(WinCap::Cumulative));
    assert_eq!((la.action.as_str(), la.winsorised), ("winsorised", 3));
    assert_eq!(a[32], Some(30.0));
    assert!(lb.action.starts_with("log"), "{lb:?}");
}

#[test]
fn group_mean_imputation_uses_the_units_own_group() {
    let mut x = vec![Some(1.0), Some(3.0), None, Some(10.0), None];
    let g: Vec<Option<String>> = ["a", "a", "a", "b", "b"]
        .iter()
        .map(|s| Some(s.to_string()))
        .collect();
    let n = impute(
        &mut x,
        &Impute::GroupMean { group: "g".into() },
        Some(&g),
        None,
    );
    assert_eq!(n, 2);
    assert_eq!(x, some(&[1.0, 3.0, 2.0, 10.0, 10.0]));
    let mut y = vec![Some(1.0), None, Some(3.0), Some(10.0)];
    impute(&mut y, &Impute::Median, None, None);
    assert_eq!(y[1], Some(3.0));
    let mut z = vec![None, Some(2.0)];
    impute(
        &mut z,
        &Impute::LastPeriod,
        None,
        Some(&[Some(7.0), Some(9.0)]),
    );
    assert_eq!(z, some(&[7.0, 2.0]));
}

#[test]
fn normalisations_follow_their_definitions() {
    let base = some(&[2.0, 4.0, 6.0, 10.0]);
    let mut x = base.clone();
    normalise(
        &mut x,
        &Normalise::MinMax {
            low: 0.0,
            high: 100.0,
        },
        -1.0,
        None,
    );
    assert_eq!(x, some(&[100.0, 75.0, 50.0, 0.0]));
    let mut x = base.clone();
    normalise(&mut x, &Normalise::ZScore { mean: 0.0, sd: 1.0 }, 1.0, None);
    let sd = std_dev(&[2.0, 4.0, 6.0, 10.0]).unwrap();
    assert!((x[3].unwrap() - (10.0 - 5.5) / sd).abs() < 1e-12);
    let mut x = base.clone();
    normalise(
        &mut x,
        &Normalise::Goalposts { scale: 100.0 },
        1.0,
        Some((4.0, 8.0)),
    );
    assert_eq!(x, some(&[0.0, 0.0, 50.0, 100.0]));
    let mut x = some(&[5.0, 1.0, 5.0, 3.0]);
    normalise(&mut x, &Normalise::Rank, 1.0, None);
    assert_eq!(x, some(&[3.0, 1.0, 3.0, 2.0]));
    let mut x = some(&[5.0, 1.0, 5.0, 3.0]);
    normalise(&mut x, &Normalise::PercentRank, 1.0, None);
    for (got, expected) in x.iter().zip([200.0 / 3.0, 0.0, 200.0 / 3.0, 100.0 / 3.0]) {
        assert!((got.unwrap() - expected).abs() < 1e-9);
    }
}

#[test]
fn means_leave_missing_children_out_and_respect_the_minimum_share() {
    let v = [Some(4.0), None, Some(16.0)];
    let w = [1.0, 5.0, 1.0];
    assert_eq!(
        weighted_mean(&v, &w, &Aggregate::Arithmetic, 0.0),
        Some(10.0)
    );
    assert!((weighted_mean(&v, &w, &Aggregate::Geometric, 0.0).unwrap() - 8.0).abs() < 1e-12);
    assert!((weighted_mean(&v, &w, &Aggregate::Harmonic, 0.0).unwrap() - 6.4).abs() < 1e-12);
    let p2 = weighted_mean(&v, &w, &Aggregate::Generalised { p: 2.0 }, 0.0).unwrap();
    assert!((p2 - (136.0f64).sqrt()).abs() < 1e-12);
    assert_eq!(weighted_mean(&v, &w, &Aggregate::Arithmetic, 0.9), None);
    assert_eq!(
        weighted_mean(
            &[Some(0.0), Some(5.0)],
            &[1.0, 1.0],
            &Aggregate::Geometric,
            0.0
        ),
        Some(0.0)
    );
}

#[test]
fn ranks_are_within_groups_and_ties_share_the_better_rank() {
    let x = [Some(5.0), Some(9.0), Some(5.0), None, Some(1.0), Some(2.0)];
    let g: Vec<Option<String>> = ["a", "a", "a", "a", "b", "b"]
        .iter()
        .map(|s| Some(s.to_string()))
        .collect();
    let (r, n) = ranks(&x, Some(&g));
    assert_eq!(r, [Some(2), Some(1), Some(2), None, Some(2), Some(1)]);
    assert_eq!(n, [3, 3, 3, 0, 2, 2]);
    assert_eq!(change(Some(5.0), Some(3.5)), Some(1.5));
}

#[test]
fn spbe_bands_give_jembers_2022_index_the_predicate_cukup() {
    let bands = Bands::spbe();
    assert_eq!(bands.predicate(1.99).unwrap().label_id, "Cukup");
    assert_eq!(bands.predicate(4.2).unwrap().label_id, "Memuaskan");
    assert_eq!(bands.predicate(4.19).unwrap().label_id, "Sangat Baik");
    assert_eq!(bands.predicate(0.5).unwrap().label_id, "Kurang");
}

#[test]
fn a_bad_hierarchy_is_rejected_naming_the_node() {
    let ind = |id: &str, p: &str| Node::indicator(id, p);
    let agg = |id: &str, p: Option<&str>| Node::aggregate(id, p);
    assert_eq!(
        Hierarchy::new(vec![agg("i", None), ind("a", "i"), ind("a", "i")]).unwrap_err(),
        EngineError::Duplicate("a".into())
    );
    assert!(matches!(
        Hierarchy::new(vec![agg("i", None), ind("a", "j")]).unwrap_err(),
        EngineError::UnknownParent { .. }
    ));
    assert!(matches!(
        Hierarchy::new(vec![
            agg("x", Some("y")),
            agg("y", Some("x")),
            ind("a", "x")
        ])
        .unwrap_err(),
        EngineError::Cycle(_)
    ));
    assert!(matches!(
        Hierarchy::new(vec![agg("i", None), ind("a", "i").weighted(-1.0)]).unwrap_err(),
        EngineError::Weight { .. }
    ));
    assert_eq!(
        Hierarchy::new(vec![agg("i", None), agg("d", Some("i")), ind("a", "i")]).unwrap_err(),
        EngineError::Childless("d".into())
    );
}

#[test]
fn a_hierarchy_can_be_deeper_and_methods_can_differ_per_level() {
    // a, b → sub; sub, c → dim; dim → top (four levels)
    let h = Hierarchy::new(vec![
        Node::aggregate("top", None),
        Node::aggregate("dim", Some("top")),
        Node::aggregate("sub", Some("dim")),
        Node::indicator("a", "sub"),
        Node::indicator("b", "sub"),
        Node::indicator("c", "dim"),
    ])
    .unwrap();
    let mut data = Dataset {
        units: vec!["u1".into(), "u2".into(), "u3".into()],
        ..Dataset::default()
    };
    data.columns.insert("a".into(), some(&[0.0, 5.0, 10.0]));
    data.columns.insert("b".into(), some(&[10.0, 5.0, 0.0]));
    data.columns.insert("c".into(), some(&[0.0, 10.0, 5.0]));
    let mut m = Methods::default();
    m.level.insert(
        "3".into(),
        Override {
            aggregate: Some(Aggregate::Geometric),
            ..Override::default()
        },
    );
    let out = run(&data, &h, &m).unwrap();
    // sub = (a+b)/2 = 50 everywhere; dim = sqrt(sub · c)
    assert_eq!(out.score("sub", "u2"), Some(50.0));
    assert_eq!(out.score("dim", "u1"), Some(0.0));
    assert!((out.score("dim", "u2").unwrap() - (50.0f64 * 100.0).sqrt()).abs() < 1e-9);
    assert_eq!(out.score("top", "u3"), out.score("dim", "u3"));
    assert_eq!(h.level("top"), Some(4));
}

#[test]
fn screening_drops_units_with_too_little_data() {
    let h = Hierarchy::new(vec![
        Node::aggregate("i", None),
        Node::indicator("a", "i"),
        Node::indicator("b", "i"),
    ])
    .unwrap();
    let mut data = Dataset {
        units: vec!["u1".into(), "u2".into(), "u3".into()],
        ..Dataset::default()
    };
    data.columns
        .insert("a".into(), vec![Some(1.0), None, Some(3.0)]);
    data.columns.insert("b".into(), some(&[1.0, 2.0, 3.0]));
    let m = Methods {
        screen: Some(Screen {
            min_share: 1.0,
            after_impute: false,
        }),
        ..Methods::default()
    };
    let out = run(&data, &h, &m).unwrap();
    assert_eq!(out.units(), ["u1", "u3"]);
    assert_eq!(out.prepared.screened_out, ["u2"]);
}

#[test]
fn sensitivity_is_reproducible_with_a_seed_and_brackets_the_nominal_rank() {
    let (index, out) = asem();
    let spec = Spec {
        replications: 200,
        seed: 42,
        weight_share: 0.25,
        normalisations: vec![
            Normalise::MinMax {
                low: 0.0,
                high: 100.0,
            },
            Normalise::ZScore {
                mean: 10.0,
                sd: 1.0,
            },
        ],
        aggregations: vec![Aggregate::Arithmetic, Aggregate::Geometric],
        target: "Index".into(),
        rank_within: None,
    };
    let a = analyse(&out.prepared, &index.hierarchy, &index.methods, &spec).unwrap();
    let b = analyse(&out.prepared, &index.hierarchy, &index.methods, &spec).unwrap();
    assert_eq!(a, b);
    let che = a.iter().find(|r| r.unit == "CHE").unwrap();
    assert_eq!(che.nominal, Some(1));
    assert!(che.p05.unwrap() <= che.median.unwrap() && che.median.unwrap() <= che.p95.unwrap());
    assert!(che.median.unwrap() <= 3.0, "{che:?}");
    let other = analyse(
        &out.prepared,
        &index.hierarchy,
        &index.methods,
        &Spec { seed: 7, ..spec },
    )
    .unwrap();
    assert_ne!(a, other);
}

#[test]
fn distance_to_target_is_the_ratio_to_the_target_capped_at_the_scale() {
    // Higher is better: min(v / t, 1) · 100.
    assert_eq!(distance_to_target(2.0, 4.0, 1.0, 100.0), 50.0);
    assert_eq!(distance_to_target(10.0, 8.0, 1.0, 100.0), 100.0);
    assert_eq!(distance_to_target(0.0, 8.0, 1.0, 100.0), 0.0);
    assert_eq!(distance_to_target(-1.0, 8.0, 1.0, 100.0), 0.0);
    // A target of 0 is met by any non-negative value.
    assert_eq!(distance_to_target(0.0, 0.0, 1.0, 100.0), 100.0);
    // Lower is better (the target a ceiling): min(t / v, 1) · 100.
    assert_eq!(distance_to_target(8.0, 4.0, -1.0, 100.0), 50.0);
    assert_eq!(distance_to_target(3.0, 4.0, -1.0, 100.0), 100.0);
    assert_eq!(distance_to_target(5.0, 0.0, -1.0, 100.0), 0.0);
}

/// One indicator `a` (values 2, 5, 10) and one `b` (1, 2, 3) under `i`; `a` has targets 4 for
/// u1 and 8 for u3, none for u2; `b` has a target 6 for u2.
fn with_targets() -> (Hierarchy, Dataset) {
    let h = Hierarchy::new(vec![
        Node::aggregate("i", None),
        Node::indicator("a", "i"),
        Node::indicator("b", "i"),
    ])
    .unwrap();
    let mut data = Dataset {
        units: vec!["u1".into(), "u2".into(), "u3".into()],
        ..Dataset::default()
    };
    data.columns.insert("a".into(), some(&[2.0, 5.0, 10.0]));
    data.columns.insert("b".into(), some(&[1.0, 2.0, 3.0]));
    data.targets
        .insert("a".into(), vec![Some(4.0), None, Some(8.0)]);
    data.targets.insert("b".into(), vec![None, Some(6.0), None]);
    (h, data)
}

#[test]
fn a_unit_with_a_target_scores_its_distance_to_it_and_one_without_falls_back() {
    let (h, data) = with_targets();
    let m = Methods {
        to_target: Some(true),
        ..Methods::default()
    };
    let out = run(&data, &h, &m).unwrap();
    // u1: min(2/4, 1)·100 = 50; u3: min(10/8, 1)·100 = 100 (capped);
    // u2 has no target: min-max among all three, (5 − 2)/(10 − 2)·100 = 37.5.
    assert_eq!(out.score("a", "u1"), Some(50.0));
    assert_eq!(out.score("a", "u2"), Some(37.5));
    assert_eq!(out.score("a", "u3"), Some(100.0));
    // b: u2 min(2/6, 1)·100 = 33.33…; u1, u3 min-max 0 and 100.
    assert!((out.score("b", "u2").unwrap() - 100.0 / 3.0).abs() < 1e-9);
    assert_eq!(out.score("b", "u1"), Some(0.0));
    assert_eq!(out.score("b", "u3"), Some(100.0));
    // The index aggregates them as any other score: u1 = (50 + 0) / 2.
    assert_eq!(out.score("i", "u1"), Some(25.0));
    assert!(out.methods_json().contains("\"to_target\":true"));

    // Without the option the targets are ignored: plain min-max.
    let plain = run(&data, &h, &Methods::default()).unwrap();
    assert_eq!(plain.score("a", "u1"), Some(0.0));
    assert_eq!(plain.score("a", "u3"), Some(100.0));
    assert!(!plain.methods_json().contains("to_target"));
}

#[test]
fn distance_to_target_can_be_chosen_per_indicator() {
    let (h, data) = with_targets();
    let mut m = Methods::default();
    m.node.insert(
        "a".into(),
        Override {
            to_target: Some(true),
            ..Override::default()
        },
    );
    assert!(m.uses_target("a") && !m.uses_target("b") && m.any_to_target());
    let out = run(&data, &h, &m).unwrap();
    assert_eq!(out.score("a", "u1"), Some(50.0));
    // b is min-max for every unit, its target notwithstanding.
    assert_eq!(out.score("b", "u2"), Some(50.0));
}

#[test]
fn distance_to_target_follows_the_direction_and_targets_must_have_one_value_per_unit() {
    let h = Hierarchy::new(vec![
        Node::aggregate("i", None),
        Node {
            direction: -1.0,
            ..Node::indicator("a", "i")
        },
    ])
    .unwrap();
    let mut data = Dataset {
        units: vec!["u1".into(), "u2".into(), "u3".into()],
        ..Dataset::default()
    };
    // Lower is better; u1 is above its ceiling of 4, u2 below its ceiling of 6.
    data.columns.insert("a".into(), some(&[8.0, 5.0, 2.0]));
    data.targets
        .insert("a".into(), vec![Some(4.0), Some(6.0), None]);
    let m = Methods {
        to_target: Some(true),
        ..Methods::default()
    };
    let out = run(&data, &h, &m).unwrap();
    assert_eq!(out.score("a", "u1"), Some(50.0));
    assert_eq!(out.score("a", "u2"), Some(100.0));
    // u3 falls back to min-max with the direction: the lowest value is the best.
    assert_eq!(out.score("a", "u3"), Some(100.0));

    // A targets column of the wrong length is rejected.
    data.targets.insert("a".into(), vec![Some(1.0)]);
    assert!(matches!(run(&data, &h, &m), Err(EngineError::Length(_))));
}

#[test]
fn a_prior_weighs_only_the_lead_over_the_typical_value_by_the_denominator() {
    let p = Prior {
        weight: 100_000.0,
        typical: 10.0,
    };
    // 100,000 residents: half of the lead of 30.
    assert_eq!(p.weigh(40.0, 100_000.0), 25.0);
    // 900,000 residents: nine tenths of it.
    assert!((p.weigh(40.0, 900_000.0) - 37.0).abs() < 1e-9);
    // At or below the typical value, and without a denominator, nothing changes.
    assert_eq!(p.weigh(3.0, 1_000.0), 3.0);
    assert_eq!(p.weigh(40.0, 0.0), 40.0);
}
