//! The store on S3-compatible object storage, against a real S3 server on loopback (moto's, as
//! `.ci/run` starts it): the server honours the create-only write the commit relies on, two
//! commits racing for one generation both land, two instances share the store as they share a
//! folder, and an ingest killed with SIGKILL leaves the store as before or as after while the
//! other instance keeps serving.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use kotacerdas::store::{Activities, Location, Remote, SourceRecord, Store, cols};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{ObjectStore, PutMode, PutPayload};
use polars::prelude::*;

use crate::helpers::{
    S3_BUCKET, S3_KEY_ID, S3_SECRET, TestApp, repo, s3_endpoint, s3_store, spawn_own,
};
use crate::instances::{rows, served, until_serving, upload};

/// An instance on the store at `remote` (a local folder of its own), following it every
/// second.
async fn instance(remote: &Remote) -> TestApp {
    let remote = remote.clone();
    spawn_own(move |c| {
        c.object_store = Some(remote);
        c.schedule.follow_store_seconds = 1;
    })
    .await
}

/// A client of the test bucket that speaks S3 directly, not through the store.
fn raw_client(endpoint: &str) -> Arc<dyn ObjectStore> {
    Arc::new(
        AmazonS3Builder::new()
            .with_bucket_name(S3_BUCKET)
            .with_endpoint(endpoint)
            .with_region("us-east-1")
            .with_allow_http(true)
            .with_access_key_id(S3_KEY_ID)
            .with_secret_access_key(S3_SECRET)
            .build()
            .unwrap(),
    )
}

/// The records of the store at `remote`, read through a local folder of its own.
fn records(remote: &Remote) -> usize {
    let local = tempfile::tempdir().unwrap();
    Store::open_at(&Location {
        dir: local.path().to_path_buf(),
        remote: Some(remote.clone()),
    })
    .unwrap()
    .load()
    .unwrap()
    .len()
}

/// A store on `remote` with a local folder under `dir`.
fn open(remote: &Remote, dir: &Path) -> Store {
    Store::open_at(&Location {
        dir: dir.to_path_buf(),
        remote: Some(remote.clone()),
    })
    .unwrap()
}

/// Records of one source: (activity_id, quantity).
fn batch(source: &str, rows: &[(&str, f64)]) -> Activities {
    let n = rows.len();
    let df = df!(
        cols::ACTIVITY_ID => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        cols::DATE => vec!["2024-05-01"; n],
        cols::REGION_CODE => vec!["35.09.01"; n],
        cols::PROGRAMME => vec!["wifi_publik"; n],
        cols::DIMENSION => vec!["living"; n],
        cols::TARGET_GROUP => vec![None::<&str>; n],
        cols::QUANTITY => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        cols::PARTICIPANTS => vec![None::<i64>; n],
        cols::BUDGET_IDR => vec![None::<f64>; n],
        cols::ORGANISER => vec![None::<&str>; n],
        cols::SOURCE => vec![source; n],
        cols::SOURCE_ROW => (2..n as i64 + 2).collect::<Vec<_>>(),
    )
    .unwrap()
    .lazy()
    .with_column(col(cols::DATE).str().to_date(StrptimeOptions::default()))
    .collect()
    .unwrap();
    Activities::new(df).unwrap()
}

fn record(name: &str) -> SourceRecord {
    SourceRecord {
        name: name.into(),
        checksum: "c".into(),
        format: "csv".into(),
        rows: 0,
        accepted: 0,
        rejected: 0,
        added: 0,
        replaced: 0,
        unchanged: 0,
        ingested_at: "2026-01-01T00:00:00Z".into(),
        quarantine: None,
        validators: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_test_server_refuses_a_second_create_only_write_of_one_key() {
    let Some(endpoint) = s3_endpoint("create_only_write") else {
        return;
    };
    let remote = s3_store(&endpoint).await;
    let client = raw_client(&endpoint);
    let key = Key::from(format!("{}/_log/000000000001.json", remote.prefix));
    let create = |body: &'static str| {
        let (client, key) = (client.clone(), key.clone());
        async move {
            client
                .put_opts(&key, PutPayload::from(body), PutMode::Create.into())
                .await
        }
    };
    create("first").await.unwrap();
    let second = create("second").await;
    assert!(
        matches!(second, Err(object_store::Error::AlreadyExists { .. })),
        "a second create-only write must fail with 412: {second:?}"
    );

    // Many writers at once: exactly one creates the key.
    let race = Key::from(format!("{}/_log/000000000002.json", remote.prefix));
    let tries = (0..16).map(|i| {
        let (client, race) = (client.clone(), race.clone());
        tokio::spawn(async move {
            client
                .put_opts(
                    &race,
                    PutPayload::from(format!("{i}")),
                    PutMode::Create.into(),
                )
                .await
        })
    });
    let mut created = 0;
    for t in tries {
        match t.await.unwrap() {
            Ok(_) => created += 1,
            Err(object_store::Error::AlreadyExists { .. }) => {}
            Err(e) => panic!("a create-only write failed otherwise: {e}"),
        }
    }
    assert_eq!(created, 1, "one of sixteen racing writers creates the key");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_commits_begun_on_one_generation_both_land_the_second_applied_again() {
    let Some(endpoint) = s3_endpoint("two_commits_race") else {
        return;
    };
    let remote = s3_store(&endpoint).await;
    let remote2 = remote.clone();
    tokio::task::spawn_blocking(move || {
        let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (a, b) = (open(&remote2, dir_a.path()), open(&remote2, dir_b.path()));
        a.commit(&batch("s.csv", &[("1", 2.0)]), vec![record("s.csv")])
            .unwrap();

        // Both begin on generation 1. A corrects record 1; B sends it as generation 1 has it
        // (unchanged, for now) and adds record 2.
        let mut tx_a = a.begin().unwrap();
        let mut tx_b = b.begin().unwrap();
        tx_a.append(&batch("s.csv", &[("1", 5.0)])).unwrap();
        tx_b.append(&batch("s.csv", &[("1", 2.0), ("2", 7.0)]))
            .unwrap();
        let (first, _) = tx_a.commit(vec![record("s.csv")]).unwrap();
        assert_eq!(first.generation, 2);
        // B loses generation 2 to A, applies its batch again on A's and lands as 3: against
        // A's correction, its record 1 is now a correction too.
        let (second, counts) = tx_b.commit(vec![record("s.csv")]).unwrap();
        assert_eq!(second.generation, 3);
        assert_eq!(counts["s.csv"].added, 1);
        assert_eq!(counts["s.csv"].replaced, 1);
        assert_eq!(counts["s.csv"].unchanged, 0);

        let fresh = tempfile::tempdir().unwrap();
        let contents = open(&remote2, fresh.path()).load().unwrap();
        assert_eq!(contents.manifest.generation, 3);
        assert_eq!(contents.manifest.sources.len(), 3);
        let frame = contents.activities().unwrap().frame().clone();
        let sorted = frame.sort([cols::ACTIVITY_ID], Default::default()).unwrap();
        let quantities: Vec<Option<f64>> = sorted
            .column(cols::QUANTITY)
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(quantities, vec![Some(2.0), Some(7.0)], "B's versions, last");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_to_one_instance_on_object_storage_is_served_by_the_other() {
    let Some(endpoint) = s3_endpoint("object_store_follow") else {
        return;
    };
    let remote = s3_store(&endpoint).await;
    let a = instance(&remote).await;
    let b = instance(&remote).await;
    let start = served(&a).await;
    assert!(start >= 1, "the first instance ingested the sample");
    until_serving(&b, start).await;

    let (status, body) = upload(&a, "a.csv", rows("A", "35.09.20", 90)).await;
    assert_eq!(status, 200, "{body}");
    let at = Location {
        dir: a.dir.path().join("store"),
        remote: Some(remote.clone()),
    };
    let live = tokio::task::spawn_blocking(move || Store::live_generation_at(&at))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(live, start + 1);
    assert_eq!(
        served(&a).await,
        live,
        "the uploading instance re-scores at once"
    );
    until_serving(&b, live).await;

    let path = "/api/v1/scores?region=35.09.20&period=2025";
    let (_, from_a) = a.get_json(path).await;
    let (_, from_b) = b.get_json(path).await;
    assert!(from_a["index"]["score"].is_number(), "{from_a}");
    assert_eq!(from_a["index"], from_b["index"]);
    assert_eq!(from_a["dimensions"], from_b["dimensions"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_ingesting_at_once_on_object_storage_both_land() {
    let Some(endpoint) = s3_endpoint("object_store_concurrent") else {
        return;
    };
    let remote = s3_store(&endpoint).await;
    let a = instance(&remote).await;
    let b = instance(&remote).await;
    let start = served(&a).await;

    let (to_a, to_b) = tokio::join!(
        upload(&a, "a.csv", rows("A", "35.09.20", 30)),
        upload(&b, "b.csv", rows("B", "35.09.01", 40)),
    );
    assert_eq!(to_a.0, 200, "{}", to_a.1);
    assert_eq!(to_b.0, 200, "{}", to_b.1);
    assert_eq!(to_a.1["files"][0]["added"], 20, "{}", to_a.1);
    assert_eq!(to_b.1["files"][0]["added"], 20, "{}", to_b.1);

    let remote2 = remote.clone();
    let (live, manifest, ids) = tokio::task::spawn_blocking(move || {
        let local = tempfile::tempdir().unwrap();
        let store = open(&remote2, local.path());
        let contents = store.load().unwrap();
        let frame = contents.activities().unwrap().frame().clone();
        let column = frame.column("activity_id").unwrap().str().unwrap().clone();
        let ids = column
            .iter()
            .flatten()
            .filter(|id| id.starts_with("A-") || id.starts_with("B-"))
            .count();
        (contents.manifest.generation, contents.manifest, ids)
    })
    .await
    .unwrap();
    assert_eq!(live, start + 2, "one commit on top of the other");
    let names: Vec<&str> = manifest.sources.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("a.csv")) && names.iter().any(|n| n.ends_with("b.csv")),
        "{names:?}"
    );
    assert_eq!(ids, 40, "every record of both files");
    until_serving(&a, live).await;
    until_serving(&b, live).await;
}

/// The binary, run from the repository with the store on `remote` (credentials from the
/// environment, as an operator would give them) and its local folder at `dir`.
fn kotacerdas(remote: &Remote, dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kotacerdas"));
    cmd.current_dir(repo())
        .env("RUST_LOG", "error")
        .env("KOTACERDAS_OBJECT_STORE__URL", remote.url())
        .env(
            "KOTACERDAS_OBJECT_STORE__ENDPOINT",
            remote.endpoint.as_deref().unwrap_or(""),
        )
        .env("KOTACERDAS_OBJECT_STORE__ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", S3_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", S3_SECRET)
        .arg("--store")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_ingest_on_object_storage_leaves_the_store_as_before_or_as_after() {
    let Some(endpoint) = s3_endpoint("object_store_kill") else {
        return;
    };
    let remote = s3_store(&endpoint).await;
    let probe_remote = s3_store(&endpoint).await;
    let b = instance(&remote).await;
    let work = tempfile::tempdir().unwrap();
    let big = work.path().join("besar.csv");
    assert!(
        Command::new(env!("CARGO_BIN_EXE_kotacerdas"))
            .args(["generate", "--rows", "150000", "--seed", "2", "--out"])
            .arg(&big)
            .status()
            .unwrap()
            .success()
    );
    let r = remote.clone();
    let before = tokio::task::spawn_blocking(move || records(&r))
        .await
        .unwrap();
    assert!(before > 0, "the instance ingested the sample");

    // How long a complete ingest of the big file takes (into a store of its own), to spread
    // the kills over it.
    let (big2, probe2, probe_dir) = (big.clone(), probe_remote.clone(), work.path().join("p"));
    let (full, after_len) = tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        let status = kotacerdas(&probe2, &probe_dir)
            .arg("ingest")
            .arg(&big2)
            .status()
            .unwrap();
        assert!(status.success());
        (t.elapsed(), records(&probe2))
    })
    .await
    .unwrap();
    assert!(after_len > 100_000);
    let expected_after = before + after_len;

    let mut killed_before = false;
    for step in 1..=8u32 {
        let delay = full.mul_f64(f64::from(step) / 9.0);
        let (r, big2, local) = (remote.clone(), big.clone(), work.path().join("a"));
        let len = tokio::task::spawn_blocking(move || {
            let mut child = kotacerdas(&r, &local)
                .arg("ingest")
                .arg(&big2)
                .spawn()
                .unwrap();
            std::thread::sleep(delay);
            let _ = child.kill(); // SIGKILL: no destructor, no flush, no cleanup
            let _ = child.wait();
            records(&r)
        })
        .await
        .unwrap();
        assert!(
            len == before || len == expected_after,
            "after a kill at {delay:?} the store has {len} records: neither {before} (before) \
             nor {expected_after} (after)"
        );
        // The other instance keeps serving meanwhile.
        let (status, ready) = b.get_json("/readyz").await;
        assert_eq!(status, 200, "{ready}");
        let (status, _) = b
            .get_json("/api/v1/scores?region=35.09.01&period=2025")
            .await;
        assert_eq!(status, 200);
        if len == before {
            killed_before = true;
        } else {
            break; // the ingest completed before the kill; later kills test nothing new
        }
    }
    assert!(killed_before, "no kill landed mid-ingest");

    // A clean run afterwards completes the ingest, and the other instance serves it.
    let (r, big2, local) = (remote.clone(), big.clone(), work.path().join("a"));
    let (status, len, live) = tokio::task::spawn_blocking(move || {
        let status = kotacerdas(&r, &local)
            .arg("ingest")
            .arg(&big2)
            .status()
            .unwrap();
        let live = Store::live_generation_at(&Location {
            dir: local.clone(),
            remote: Some(r.clone()),
        })
        .unwrap()
        .unwrap();
        (status, records(&r), live)
    })
    .await
    .unwrap();
    assert!(status.success());
    assert_eq!(len, expected_after);
    until_serving(&b, live).await;
}

#[test]
fn an_unreachable_object_store_fails_with_an_error_naming_it() {
    // A loopback port nobody listens on: refused at once, retried briefly, then reported.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut remote = Remote::parse(
        "s3://kotacerdas-test/tidak-ada",
        Some(&format!("http://127.0.0.1:{port}")),
        "us-east-1",
        true,
    )
    .unwrap();
    remote.access_key_id = Some(S3_KEY_ID.into());
    remote.secret_access_key = Some(S3_SECRET.into());
    let local = tempfile::tempdir().unwrap();
    let at = Location {
        dir: local.path().to_path_buf(),
        remote: Some(remote),
    };
    let err = Store::peek_manifest_at(&at).unwrap_err().to_string();
    assert!(err.contains("s3://kotacerdas-test/tidak-ada"), "{err}");
    assert!(err.contains("_log"), "{err}");
}
