//! Store behaviour: idempotent commits, corrections, generations, contract at the boundary.

use polars::prelude::*;

use super::*;

fn batch(rows: &[(&str, &str, f64)]) -> Activities {
    let n = rows.len();
    let df = df!(
        cols::ACTIVITY_ID => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        cols::DATE => vec!["2024-05-01"; n],
        cols::REGION_CODE => vec!["35.09.01"; n],
        cols::PROGRAMME => vec!["wifi_publik"; n],
        cols::DIMENSION => vec!["living"; n],
        cols::TARGET_GROUP => vec![None::<&str>; n],
        cols::QUANTITY => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        cols::PARTICIPANTS => vec![None::<i64>; n],
        cols::BUDGET_IDR => vec![None::<f64>; n],
        cols::ORGANISER => vec![None::<&str>; n],
        cols::SOURCE => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
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

#[test]
fn an_empty_store_loads_as_an_empty_table() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let contents = store.load().unwrap();
    assert!(contents.is_empty());
    assert_eq!(contents.manifest.generation, 0);
}

#[test]
fn committing_the_same_records_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let b = batch(&[("a.csv", "1", 2.0), ("a.csv", "2", 3.0)]);
    let (_, counts) = store.commit(&b, vec![record("a.csv")]).unwrap();
    assert_eq!(counts["a.csv"].added, 2);
    let (manifest, counts) = store.commit(&b, vec![record("a.csv")]).unwrap();
    assert_eq!(
        counts["a.csv"],
        MergeCounts {
            added: 0,
            replaced: 0,
            unchanged: 2
        }
    );
    assert_eq!(manifest.records, 2);
    let reloaded = store.load().unwrap();
    assert_eq!(reloaded.len(), 2);
    assert_eq!(reloaded.manifest.generation, 2);
    assert_eq!(reloaded.manifest.sources.len(), 2);
    assert_eq!(reloaded.manifest.sources[1].unchanged, 2);
}

#[test]
fn a_corrected_record_replaces_the_old_one_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .commit(
            &batch(&[("a.csv", "1", 2.0), ("a.csv", "2", 3.0)]),
            vec![record("a.csv")],
        )
        .unwrap();
    let (_, counts) = store
        .commit(&batch(&[("a.csv", "2", 30.0)]), vec![record("a.csv")])
        .unwrap();
    let contents = store.load().unwrap();
    assert_eq!(
        counts["a.csv"],
        MergeCounts {
            added: 0,
            replaced: 1,
            unchanged: 0
        }
    );
    let acts = contents.activities().unwrap();
    assert_eq!(acts.len(), 2);
    let q: Vec<f64> = acts
        .frame()
        .column(cols::QUANTITY)
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert!(q.contains(&30.0) && !q.contains(&3.0), "{q:?}");
}

#[test]
fn the_same_id_from_another_source_is_another_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .commit(&batch(&[("a.csv", "1", 2.0)]), vec![record("a.csv")])
        .unwrap();
    let (manifest, _) = store
        .commit(&batch(&[("b.csv", "1", 2.0)]), vec![record("b.csv")])
        .unwrap();
    assert_eq!(manifest.records, 2);
    assert_eq!(store.load().unwrap().len(), 2);
}

#[test]
fn the_live_and_previous_generations_remain_and_leftovers_are_cleaned_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .commit(&batch(&[("a.csv", "1", 2.0)]), vec![record("a.csv")])
        .unwrap();
    store
        .commit(&batch(&[("a.csv", "2", 2.0)]), vec![record("a.csv")])
        .unwrap();
    store
        .commit(&batch(&[("a.csv", "3", 2.0)]), vec![record("a.csv")])
        .unwrap();
    // What an interrupted commit leaves behind.
    std::fs::create_dir_all(dir.path().join("gen-000004.tmp")).unwrap();
    std::fs::write(dir.path().join("CURRENT.tmp"), "gen-000004").unwrap();
    let store = Store::open(dir.path()).unwrap();
    let gens: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-") || n.starts_with("CURRENT"))
        .collect();
    assert_eq!(gens.len(), 3, "live, previous and CURRENT: {gens:?}");
    assert_eq!(store.load().unwrap().len(), 3);
}

fn quantities(store: &Store) -> Vec<(String, f64)> {
    let acts = store.load().unwrap().activities().unwrap();
    let ids = acts
        .frame()
        .column(cols::ACTIVITY_ID)
        .unwrap()
        .str()
        .unwrap();
    let q = acts.frame().column(cols::QUANTITY).unwrap().f64().unwrap();
    let mut v: Vec<(String, f64)> = ids
        .iter()
        .zip(q.iter())
        .map(|(i, q)| (i.unwrap().to_string(), q.unwrap()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn batches_become_parts_and_a_correction_rewrites_only_the_part_holding_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut tx = store.begin().unwrap();
    tx.append(&batch(&[("a.csv", "1", 1.0), ("a.csv", "2", 2.0)]))
        .unwrap();
    tx.append(&batch(&[("a.csv", "3", 3.0)])).unwrap();
    tx.append(&batch(&[("b.csv", "1", 9.0)])).unwrap();
    let (manifest, counts) = tx.commit(vec![record("a.csv"), record("b.csv")]).unwrap();
    assert_eq!(counts["a.csv"].added, 3);
    assert_eq!(manifest.parts.len(), 3);
    assert_eq!(manifest.records, 4);
    let parts_before = manifest.parts.clone();

    // Correct record 3 of a.csv, resend 1 unchanged, add 4.
    let (manifest, counts) = store
        .commit(
            &batch(&[
                ("a.csv", "1", 1.0),
                ("a.csv", "3", 30.0),
                ("a.csv", "4", 4.0),
            ]),
            vec![record("a.csv")],
        )
        .unwrap();
    assert_eq!(
        counts["a.csv"],
        MergeCounts {
            added: 1,
            replaced: 1,
            unchanged: 1
        }
    );
    assert_eq!(manifest.records, 5);
    // The parts not holding record 3 are shared as they were; the one holding it is gone
    // (it held nothing else), and one new part holds the corrected and the new record.
    assert!(manifest.parts.contains(&parts_before[0]));
    assert!(manifest.parts.contains(&parts_before[2]));
    assert!(!manifest.parts.contains(&parts_before[1]));
    assert_eq!(manifest.parts.len(), 3);
    assert_eq!(
        quantities(&store),
        [
            ("1".to_string(), 1.0),
            ("1".to_string(), 9.0),
            ("2".to_string(), 2.0),
            ("3".to_string(), 30.0),
            ("4".to_string(), 4.0)
        ]
    );
    // Every listed part exists in the live generation.
    let live = std::fs::read_to_string(dir.path().join("CURRENT")).unwrap();
    for part in &manifest.parts {
        assert!(
            dir.path().join(&live).join(&part.file).is_file(),
            "{}",
            part.file
        );
    }
}

#[test]
fn a_transaction_dropped_or_a_source_discarded_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .commit(&batch(&[("a.csv", "1", 1.0)]), vec![record("a.csv")])
        .unwrap();
    {
        let mut tx = store.begin().unwrap();
        tx.append(&batch(&[("a.csv", "2", 2.0)])).unwrap();
        // Dropped without commit, as when ingest fails on a bug.
    }
    assert_eq!(quantities(&store), [("1".to_string(), 1.0)]);
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let mut tx = store.begin().unwrap();
    tx.append(&batch(&[("bad.csv", "1", 5.0)])).unwrap();
    tx.append(&batch(&[("good.csv", "1", 6.0)])).unwrap();
    tx.discard_source("bad.csv").unwrap();
    let (manifest, counts) = tx.commit(vec![record("good.csv")]).unwrap();
    assert!(!counts.contains_key("bad.csv"));
    assert_eq!(manifest.records, 2);
    assert_eq!(
        quantities(&store),
        [("1".to_string(), 1.0), ("1".to_string(), 6.0)]
    );
}

#[test]
fn a_generation_from_before_parts_is_read_and_built_on() {
    let dir = tempfile::tempdir().unwrap();
    let gen_dir = dir.path().join("gen-000001");
    std::fs::create_dir_all(&gen_dir).unwrap();
    let mut frame = batch(&[("a.csv", "1", 1.0), ("a.csv", "2", 2.0)])
        .frame()
        .clone();
    frame
        .with_column(row_hashes(&frame).unwrap().into_column())
        .unwrap();
    let file = File::create(gen_dir.join("activities.parquet")).unwrap();
    ParquetWriter::new(&file).finish(&mut frame).unwrap();
    let manifest = serde_json::json!({
        "generation": 1,
        "records": 2,
        "sources": [record("a.csv")],
    });
    std::fs::write(gen_dir.join("manifest.json"), manifest.to_string()).unwrap();
    std::fs::write(dir.path().join("CURRENT"), "gen-000001").unwrap();

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.load().unwrap().len(), 2);
    let (_, counts) = store
        .commit(
            &batch(&[("a.csv", "2", 20.0), ("a.csv", "3", 3.0)]),
            vec![record("a.csv")],
        )
        .unwrap();
    assert_eq!(
        counts["a.csv"],
        MergeCounts {
            added: 1,
            replaced: 1,
            unchanged: 0
        }
    );
    assert_eq!(
        quantities(&store),
        [
            ("1".to_string(), 1.0),
            ("2".to_string(), 20.0),
            ("3".to_string(), 3.0)
        ]
    );
}
