//! Two instances on one store folder, as two servers behind a load balancer would share it:
//! an upload to one is served in the other's scores once it has followed the store, and two
//! uploads to both at once both land. Real servers on loopback ports, one real store.

use std::path::Path;
use std::time::Duration;

use kotacerdas::store::Store;

use crate::helpers::{TestApp, spawn_own, token};

/// Jember's data steward, who may upload for 35.09.
pub(crate) const STEWARD: &str = "diskominfo-jember";

/// An instance on the store folder `store`, following it every second.
async fn instance(store: &Path) -> TestApp {
    let store = store.to_path_buf();
    spawn_own(move |c| {
        c.store = store;
        c.schedule.follow_store_seconds = 1;
    })
    .await
}

/// Upload `csv` as `name` to `app` as Jember's steward; the answer's status and body.
pub(crate) async fn upload(app: &TestApp, name: &str, csv: String) -> (u16, serde_json::Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.into_bytes()).file_name(name.to_string()),
    );
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/ingest", app.address))
        .bearer_auth(token(STEWARD))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or_default())
}

/// The store generation `app` serves scores of.
pub(crate) async fn served(app: &TestApp) -> u64 {
    let (_, body) = app.get_json("/readyz").await;
    body["served_generation"].as_u64().unwrap()
}

/// Wait until `app` serves `generation`. The bound only keeps a broken follower from hanging
/// the test; the interval is one second.
pub(crate) async fn until_serving(app: &TestApp, generation: u64) {
    for _ in 0..600 {
        if served(app).await == generation {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{} never served generation {generation} (serves {})",
        app.address,
        served(app).await
    );
}

pub(crate) fn rows(prefix: &str, kecamatan: &str, quantity: u32) -> String {
    let mut csv = String::from("id_kegiatan;tanggal;kode_wilayah;program;jumlah\n");
    for i in 0..20 {
        csv.push_str(&format!(
            "{prefix}-{i};0{}/03/2025;{kecamatan};wifi_publik;{quantity}\n",
            1 + i % 9
        ));
    }
    csv
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_to_one_instance_is_served_by_the_other() {
    let shared = tempfile::tempdir().unwrap();
    let store = shared.path().join("store");
    let a = instance(&store).await;
    let b = instance(&store).await;
    let start = served(&a).await;
    assert_eq!(served(&b).await, start);

    let (status, body) = upload(&a, "a.csv", rows("A", "35.09.20", 90)).await;
    assert_eq!(status, 200, "{body}");
    let live = Store::live_generation(&store).unwrap().unwrap();
    assert_eq!(live, start + 1);
    assert_eq!(
        served(&a).await,
        live,
        "the uploading instance re-scores at once"
    );
    until_serving(&b, live).await;

    // The same numbers from both.
    let path = "/api/v1/scores?region=35.09.20&period=2025";
    let (_, from_a) = a.get_json(path).await;
    let (_, from_b) = b.get_json(path).await;
    assert_eq!(from_a["index"], from_b["index"]);
    assert_eq!(from_a["dimensions"], from_b["dimensions"]);
    let metrics = b
        .as_user("admin")
        .get("/metrics")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(&format!("kotacerdas_store_generation_served {live}")),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_ingesting_at_once_both_land() {
    let shared = tempfile::tempdir().unwrap();
    let store = shared.path().join("store");
    let a = instance(&store).await;
    let b = instance(&store).await;
    let start = served(&a).await;

    let (to_a, to_b) = tokio::join!(
        upload(&a, "a.csv", rows("A", "35.09.20", 30)),
        upload(&b, "b.csv", rows("B", "35.09.01", 40)),
    );
    assert_eq!(to_a.0, 200, "{}", to_a.1);
    assert_eq!(to_b.0, 200, "{}", to_b.1);
    // One commit after the other (the store's lock), each on top of the other's.
    let live = Store::live_generation(&store).unwrap().unwrap();
    assert_eq!(live, start + 2);
    let manifest = Store::peek_manifest(&store).unwrap();
    let names: Vec<&str> = manifest.sources.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("a.csv")) && names.iter().any(|n| n.ends_with("b.csv")),
        "{names:?}"
    );
    let records = Store::open(&store)
        .unwrap()
        .load()
        .unwrap()
        .activities()
        .unwrap();
    let column = records
        .frame()
        .column("activity_id")
        .unwrap()
        .str()
        .unwrap()
        .clone();
    let ids = (0..column.len())
        .filter_map(|i| column.get(i))
        .filter(|id| id.starts_with("A-") || id.starts_with("B-"))
        .count();
    assert_eq!(ids, 40, "every record of both files");
    until_serving(&a, live).await;
    until_serving(&b, live).await;
}
