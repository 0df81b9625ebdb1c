//! An ingest killed with SIGKILL at any moment leaves the store exactly as before or exactly as
//! after: never half. The real binary is killed at staggered moments of a large ingest.

use std::process::{Command, Stdio};
use std::time::Instant;

use kotacerdas::store::Store;

use crate::helpers::repo;

fn kotacerdas() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kotacerdas"));
    cmd.current_dir(repo())
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

#[test]
fn a_killed_ingest_leaves_the_store_as_before_or_as_after() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let big = dir.path().join("besar.csv");
    let first = dir.path().join("awal.csv");
    assert!(
        kotacerdas()
            .args(["generate", "--rows", "1000", "--seed", "1", "--out"])
            .arg(&first)
            .status()
            .unwrap()
            .success()
    );
    assert!(
        kotacerdas()
            .args(["generate", "--rows", "150000", "--seed", "2", "--out"])
            .arg(&big)
            .status()
            .unwrap()
            .success()
    );
    // A first, complete ingest: the "before" state.
    assert!(
        kotacerdas()
            .arg("ingest")
            .arg(&first)
            .arg("--store")
            .arg(&store_dir)
            .status()
            .unwrap()
            .code()
            .is_some()
    );
    let before = Store::open(&store_dir).unwrap().load().unwrap().len();
    assert!(before > 900);

    // How long a complete ingest of the big file takes, to spread the kills over it.
    let probe = tempfile::tempdir().unwrap();
    let t = Instant::now();
    kotacerdas()
        .arg("ingest")
        .arg(&big)
        .arg("--store")
        .arg(probe.path())
        .status()
        .unwrap();
    let full = t.elapsed();
    let after_len = Store::open(probe.path()).unwrap().load().unwrap().len();

    let mut outcomes = Vec::new();
    for step in 1..=8u32 {
        let delay = full.mul_f64(f64::from(step) / 9.0);
        let mut child = kotacerdas()
            .arg("ingest")
            .arg(&big)
            .arg("--store")
            .arg(&store_dir)
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL: no destructor, no flush, no cleanup
        let _ = child.wait();
        let len = Store::open(&store_dir).unwrap().load().unwrap().len();
        let expected_after = before + after_len;
        assert!(
            len == before || len == expected_after,
            "after a kill at {delay:?} the store has {len} records: neither {before} (before) nor {expected_after} (after)"
        );
        outcomes.push(len == before);
        if len != before {
            break; // the ingest completed before the kill; later kills test nothing new
        }
    }
    assert!(
        outcomes.iter().any(|killed_before| *killed_before),
        "no kill landed mid-ingest"
    );
    // A clean run afterwards completes the ingest.
    kotacerdas()
        .arg("ingest")
        .arg(&big)
        .arg("--store")
        .arg(&store_dir)
        .status()
        .unwrap();
    assert_eq!(
        Store::open(&store_dir).unwrap().load().unwrap().len(),
        before + after_len
    );
}
