//! `GET /api/v1/sensitivity` on the real server and `kotacerdas sensitivity` as a user runs it:
//! median rank and 5–95 % rank interval of each kecamatan, reproducible with a seed.

use std::process::Command;

use crate::helpers::{repo, spawn_app};

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn sensitivity_of_jember_ranks_its_31_kecamatan_within_their_intervals() {
    let app = spawn_app().await;
    let path = "/api/v1/sensitivity?region=35.09&period=2025&replications=100&seed=2025&share=0.25";
    let (status, body) = app.get_json(path).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["period"], "2025");
    assert_eq!(body["peer_group"]["code"], "35.09");
    assert_eq!(body["settings"]["replications"], 100);
    assert_eq!(body["settings"]["seed"], 2025);
    assert_eq!(num(&body["settings"]["weight_share"]), 0.25);
    assert!(
        !body["settings"]["normalisations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        !body["settings"]["aggregations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let regions = body["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 31);
    assert_eq!(body["peers"], 31);
    for r in regions {
        assert!(r["code"].as_str().unwrap().starts_with("35.09."), "{r}");
        assert!(!r["name"].as_str().unwrap().is_empty(), "{r}");
        let nominal = r["nominal_rank"].as_u64().unwrap();
        assert!((1..=31).contains(&nominal), "{r}");
        let (p5, median, p95) = (
            num(&r["p5_rank"]),
            num(&r["median_rank"]),
            num(&r["p95_rank"]),
        );
        assert!(p5 <= median && median <= p95, "{r}");
        assert!(1.0 <= p5 && p95 <= 31.0, "{r}");
    }
    // The same seed gives the same answer.
    let (status, again) = app.get_json(path).await;
    assert_eq!(status, 200);
    assert_eq!(body, again);
}

#[tokio::test]
async fn sensitivity_of_a_kecamatan_ranks_its_siblings_with_the_defaults() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json("/api/v1/sensitivity?region=35.09.20&period=2025")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["region"]["code"], "35.09.20");
    assert_eq!(body["peer_group"]["code"], "35.09");
    assert_eq!(body["settings"]["replications"], 500);
    assert_eq!(body["settings"]["seed"], 2025);
    assert_eq!(body["regions"].as_array().unwrap().len(), 31);
}

#[tokio::test]
async fn sensitivity_refuses_replications_out_of_range_naming_the_range() {
    let app = spawn_app().await;
    for n in ["5", "5001", "many"] {
        let (status, body) = app
            .get_json(&format!(
                "/api/v1/sensitivity?region=35.09&period=2025&replications={n}"
            ))
            .await;
        assert_eq!(status, 400, "{n}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("10") && message.contains("5000"),
            "{message}"
        );
    }
    let (status, _) = app
        .get_json("/api/v1/sensitivity?region=35.09&period=2025&share=2")
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn sensitivity_of_an_unknown_region_or_period_is_a_404() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json("/api/v1/sensitivity?region=35.09.99&period=2025")
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app
        .get_json("/api/v1/sensitivity?region=35.09&period=1999")
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("2025"),
        "{body}"
    );
}

#[test]
fn the_sensitivity_command_prints_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kotacerdas"))
        .current_dir(repo())
        .env("RUST_LOG", "warn")
        .args([
            "sensitivity",
            "35.09",
            "2025",
            "--replications",
            "50",
            "--json",
        ])
        .arg("--store")
        .arg(dir.path().join("store"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["settings"]["replications"], 50);
    assert_eq!(body["regions"].as_array().unwrap().len(), 31);
}
