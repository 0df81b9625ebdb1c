//! Every chart kind through the real server: status, content type, decodable image, errors.

use crate::helpers::{decode_png, spawn_app, spawn_app_with_east_java};

const KINDS: [&str; 8] = [
    "radar",
    "bars",
    "trend",
    "map",
    "heatmap",
    "timeline",
    "contributions",
    "sensitivity",
];

/// Pixels in the highlight colour (#0072B2).
fn highlighted(px: &[[u8; 3]]) -> usize {
    px.iter()
        .filter(|p| p[0] < 8 && p[1].abs_diff(0x72) < 8 && p[2].abs_diff(0xB2) < 8)
        .count()
}

#[tokio::test]
async fn every_chart_kind_renders_as_png_and_svg() {
    let app = spawn_app().await;
    for kind in KINDS {
        let resp = app
            .get(&format!("/charts/{kind}.png?region=35.09.20&period=2025"))
            .await;
        assert_eq!(resp.status(), 200, "{kind}.png");
        assert_eq!(resp.headers()["content-type"], "image/png", "{kind}.png");
        let (w, h, px) = decode_png(&resp.bytes().await.unwrap());
        assert_eq!((w, h), (800, 500), "{kind}.png");
        let drawn = px.iter().filter(|p| **p != [255, 255, 255]).count();
        assert!(drawn > px.len() / 50, "{kind}.png is nearly blank");

        let resp = app
            .get(&format!("/charts/{kind}.svg?region=35.09.20&lang=en"))
            .await;
        assert_eq!(resp.status(), 200, "{kind}.svg");
        assert_eq!(resp.headers()["content-type"], "image/svg+xml");
        let svg = resp.text().await.unwrap();
        assert!(svg.starts_with("<svg"), "{kind}.svg");
        assert!(svg.contains("Source:"), "{kind}.svg has the source line");
    }
}

#[tokio::test]
async fn bars_highlight_the_selected_kecamatan_and_accept_a_dimension() {
    let app = spawn_app().await;
    let resp = app
        .get("/charts/bars.png?region=35.09.20&dimension=economy&width=1600&height=1000")
        .await;
    assert_eq!(resp.status(), 200);
    let (w, h, px) = decode_png(&resp.bytes().await.unwrap());
    assert_eq!((w, h), (1600, 1000));
    let highlight = highlighted(&px);
    assert!(highlight > 500, "highlighted bar missing ({highlight} px)");

    let svg = app
        .get("/charts/bars.svg?region=35.09.20&dimension=economy")
        .await
        .text()
        .await
        .unwrap();
    assert!(svg.contains("Ekonomi"), "dimension named in the title");
    assert!(svg.contains("Sumber:"));
}

#[tokio::test]
async fn bars_rank_the_kab_kota_of_a_province_or_of_the_smart_city_cohort() {
    let app = spawn_app_with_east_java().await;
    // Jember among the five East Java kab/kota with data, highlighted; the other 33 have none
    // and no bar.
    let resp = app
        .get("/charts/bars.png?region=35.09&among=provinsi&dimension=economy")
        .await;
    assert_eq!(resp.status(), 200);
    let (w, h, px) = decode_png(&resp.bytes().await.unwrap());
    assert_eq!((w, h), (800, 500));
    let highlight = highlighted(&px);
    assert!(highlight > 100, "highlighted bar missing ({highlight} px)");
    let svg = app
        .get("/charts/bars.svg?region=35.09&among=provinsi")
        .await
        .text()
        .await
        .unwrap();
    assert!(svg.contains("5 kabupaten/kota di Jawa Timur"), "{svg}");
    assert!(
        svg.contains("Jember: urutan"),
        "the highlighted kab/kota's position"
    );
    assert!(svg.contains("Sidoarjo") && svg.contains("Gresik"));
    assert!(!svg.contains("Banyuwangi"), "no data, no bar");
    // A province's bars are its kab/kota without asking.
    let province = app.get("/charts/bars.svg?region=35&lang=en").await;
    assert_eq!(province.status(), 200);
    assert!(
        province
            .text()
            .await
            .unwrap()
            .contains("Regencies and cities ranked")
    );
    // The smart-city cohort members with data (Banyuwangi, a member, sent none).
    let svg = app
        .get("/charts/bars.svg?region=35.09&among=smartcity")
        .await
        .text()
        .await
        .unwrap();
    assert!(svg.contains("100 Smart City"), "{svg}");
    for member in ["Jember", "Bojonegoro", "Gresik", "Sidoarjo", "Lamongan"] {
        assert!(svg.contains(member), "{member} missing");
    }
    assert!(!svg.contains("Banyuwangi"), "a member without data");
    assert!(!svg.contains("Surabaya"), "not a listed member");
    // Bappeda Jember's viewer (scope 35.09) may not see East Java's or the cohort's other
    // kab/kota, though Jember is among them.
    let jember = app.as_user("bappeda-jember");
    for among in ["provinsi", "smartcity"] {
        let (status, body) = jember
            .get_json(&format!("/charts/bars.png?region=35.09&among={among}"))
            .await;
        assert_eq!(status, 403, "among={among}: {body}");
    }
    let own = jember.get("/charts/bars.png?region=35.09").await;
    assert_eq!(own.status(), 200, "its own kecamatan bars");
    let (status, body) = app.get_json("/charts/bars.png?among=kota").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("smartcity")
    );
}

#[tokio::test]
async fn trend_takes_a_target_and_map_takes_a_wider_scope() {
    let app = spawn_app().await;
    let svg = app
        .get("/charts/trend.svg?region=35.09.20&target=70")
        .await
        .text()
        .await
        .unwrap();
    assert!(svg.contains("Target 70,0"));
    let svg = app
        .get("/charts/radar.svg?region=35.09.20&median=true&target=60")
        .await
        .text()
        .await
        .unwrap();
    assert!(svg.contains("Median 31 kecamatan") && svg.contains("Target 60"));
    for scope in ["provinsi", "indonesia"] {
        let resp = app
            .get(&format!("/charts/map.png?region=35.09&map={scope}"))
            .await;
        assert_eq!(resp.status(), 200, "map={scope}");
    }
}

#[tokio::test]
async fn chart_errors_name_what_is_wrong() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/charts/pie.png").await;
    assert_eq!(status, 404);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("heatmap")
    );
    for kind in KINDS {
        let (status, _) = app
            .get_json(&format!("/charts/{kind}.png?region=11.01"))
            .await;
        assert_eq!(status, 404, "{kind} for an unscored region");
        let (status, body) = app
            .get_json(&format!("/charts/{kind}.svg?height=100"))
            .await;
        assert_eq!(status, 400, "{kind} with a bad size");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("200–1600")
        );
    }
    let (status, body) = app.get_json("/charts/bars.png?dimension=weather").await;
    assert_eq!(status, 404);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("economy")
    );
    let (status, _) = app.get_json("/charts/map.png?region=35.10").await;
    assert_eq!(status, 404, "no kecamatan boundaries outside Jember");
    let (status, _) = app.get_json("/charts/trend.png?target=150").await;
    assert_eq!(status, 400);
    let (status, _) = app.get_json("/charts/timeline.png?measure=budget").await;
    assert_eq!(status, 400);
    let (status, body) = app.get_json("/charts/contributions.png?region=35.09").await;
    assert_eq!(status, 404, "contributions are per kecamatan");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("kecamatan")
    );
}
