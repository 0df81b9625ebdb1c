//! `GET /api/v1/explain` on the real server: every number of a kecamatan's score traced back.

use crate::helpers::spawn_app;

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn explain_lists_each_indicator_with_raw_value_denominator_weight_and_contributions() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json("/api/v1/explain?region=35.09.20&period=2022")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["region"], "35.09.20");
    assert_eq!(body["period"], "2022");
    assert_eq!(body["framework"], "seven_dimensions");
    assert_eq!(body["methods"]["normalise"]["method"], "goalposts");
    let indicators = body["indicators"].as_array().unwrap();
    assert_eq!(indicators.len(), 28);
    for i in indicators {
        // per 10,000 residents: value = raw / residents × 10,000
        let (raw, den, value) = (num(&i["raw"]), num(&i["denominator"]), num(&i["value"]));
        assert!((value - raw / den * 10_000.0).abs() < 1e-9, "{i}");
        if let Some(score) = i["score"].as_f64() {
            assert!((0.0..=100.0).contains(&score), "{i}");
            // On fixed goalposts: 0 at the worst, 100 at the best, capped.
            let (lo, hi) = (num(&i["goalposts"][0]), num(&i["goalposts"][1]));
            let treated = num(&i["treated"]);
            let expected = ((treated - lo) / (hi - lo) * 100.0).clamp(0.0, 100.0);
            assert!((score - expected).abs() < 1e-6, "{i}");
            let to_dim = num(&i["to_dimension"]);
            assert!((to_dim - score * num(&i["weight"])).abs() < 1e-9, "{i}");
        }
    }
    // The index is the sum of the indicators' contributions, and of the dimensions'.
    let index = num(&body["index"]);
    let from_indicators: f64 = indicators
        .iter()
        .filter_map(|i| i["to_index"].as_f64())
        .sum();
    let from_dimensions: f64 = body["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["to_index"].as_f64())
        .sum();
    assert!(
        (index - from_indicators).abs() < 1e-6,
        "{index} vs {from_indicators}"
    );
    assert!(
        (index - from_dimensions).abs() < 1e-6,
        "{index} vs {from_dimensions}"
    );
}

#[tokio::test]
async fn explain_for_an_unscored_period_is_a_404_naming_the_scored_periods() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json("/api/v1/explain?region=35.09.20&period=1999")
        .await;
    assert_eq!(status, 404);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("1999") && message.contains("2025"),
        "{message}"
    );
}

#[tokio::test]
async fn explain_for_a_malformed_region_is_a_400() {
    let app = spawn_app().await;
    let (status, _) = app.get_json("/api/v1/explain?region=35x09").await;
    assert_eq!(status, 400);
}

#[test]
fn explain_command_prints_every_indicator_and_the_methods() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kotacerdas"))
        .current_dir(crate::helpers::repo())
        .env("RUST_LOG", "error")
        .args(["explain", "35.09.20", "2022", "--store"])
        .arg(dir.path().join("store"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("framework seven_dimensions"), "{stdout}");
    assert!(stdout.contains("goalposts"), "{stdout}");
    for indicator in ["umkm_go_online", "wifi_publik", "bank_sampah"] {
        assert!(stdout.contains(indicator), "{indicator} missing:\n{stdout}");
    }
}
