//! The store on object storage: finding the live generation in the log, reading its manifest,
//! and the local cache of parts that Parquet is read from. The commit itself (parts uploaded,
//! then the create-only write of the log entry, retried on a lost race) is the transaction's,
//! in `commit.rs`; the layout and the reasons are in the module docs of `store`.
//!
//! Bucket layout under the prefix:
//!
//! ```text
//! _log/000000000008.json                  manifest of generation 8, written once, never changed
//! parts/g000008-5f0c…-0001.parquet        a part, written once before the manifest naming it
//! ```
//!
//! Local folder (`paths.store`): `cache/parts/…` (downloaded parts), `staging/` (transactions
//! in progress), `quarantine/`, `results/`. Log entries are never deleted: the create-only
//! write of generation N+1 is only a compare-and-swap if N+1 never existed before.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use super::remote::{Bucket, Remote};
use super::{Manifest, Store, StoreError, io, write_synced};

/// Local folder of downloaded parts, keyed by object key.
pub(super) const CACHE: &str = "cache";
/// Local folder of transactions in progress.
const STAGING: &str = "staging";
/// Folder of the log: one manifest per generation.
const LOG: &str = "_log";
/// Folder of the parts.
pub(super) const PARTS: &str = "parts";
/// Commits tried before giving up when other writers keep coming first. Every lost race means
/// another commit landed, so the store as a whole always moves on; eight in a row would take
/// eight instances committing at the same moment.
pub(super) const MAX_ATTEMPTS: usize = 8;
/// Cached parts that no longer belong to the live generation are kept this long, for a reader
/// that was pointed at an older generation a moment ago.
const CACHE_GRACE: Duration = Duration::from_secs(3600);

/// Key of generation `generation`'s manifest.
pub(super) fn log_key(generation: u64) -> String {
    // Twelve digits, so that keys sort as numbers and listing after a key finds newer ones.
    format!("{LOG}/{generation:012}.json")
}

/// The generation of a log key, `None` for anything else in the folder.
fn log_generation(key: &str) -> Option<u64> {
    key.strip_prefix(LOG)?
        .strip_prefix('/')?
        .strip_suffix(".json")?
        .parse()
        .ok()
}

/// The newest generation seen per store in this process. A generation once seen stays (log
/// entries are never deleted), so listing only what comes after it finds the live one without
/// listing the whole log on every poll.
fn seen() -> &'static Mutex<HashMap<String, u64>> {
    static SEEN: OnceLock<Mutex<HashMap<String, u64>>> = OnceLock::new();
    SEEN.get_or_init(Mutex::default)
}

/// The key of `remote` in [`seen`]: the same bucket name on two endpoints is two stores.
fn seen_key(remote: &Remote) -> String {
    format!(
        "{}|{}",
        remote.endpoint.as_deref().unwrap_or(""),
        remote.url()
    )
}

/// Open the store on `remote`, with its local folder `dir`; removes the staging folders of
/// processes that died mid-commit.
pub(super) fn open(dir: &Path, remote: &Remote) -> Result<Store, StoreError> {
    for sub in [CACHE, STAGING, "quarantine"] {
        let path = dir.join(sub);
        fs::create_dir_all(&path).map_err(io(&path))?;
    }
    prune_staging(&dir.join(STAGING));
    peek(dir, remote)
}

/// The store on `remote` without creating or removing anything locally: for health checks
/// and polling.
pub(super) fn peek(dir: &Path, remote: &Remote) -> Result<Store, StoreError> {
    Ok(Store {
        dir: dir.to_path_buf(),
        bucket: Some(Bucket::connect(remote)?),
    })
}

/// The live generation: the newest entry of the log, `None` for a store never committed to.
pub(super) fn live_generation(bucket: &Bucket) -> Result<Option<u64>, StoreError> {
    let key = seen_key(bucket.remote());
    let known = seen().lock().expect("seen map").get(&key).copied();
    let after = known.map(log_key);
    let listed = bucket.list(LOG, after.as_deref())?;
    let newest = listed.iter().filter_map(|k| log_generation(k)).max();
    let live = newest.max(known);
    if let Some(g) = live {
        let mut seen = seen().lock().expect("seen map");
        let entry = seen.entry(key).or_insert(g);
        *entry = (*entry).max(g);
    }
    Ok(live)
}

/// The manifest of generation `generation`.
pub(super) fn read_manifest(bucket: &Bucket, generation: u64) -> Result<Manifest, StoreError> {
    let key = log_key(generation);
    let url = bucket.remote().url();
    let bytes = bucket.get(&key)?.ok_or_else(|| StoreError::Missing {
        url: url.clone(),
        generation,
        key: key.clone(),
    })?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|source| StoreError::Manifest {
            path: PathBuf::from(format!("{url}/{key}")),
            source,
        })?;
    Ok(manifest)
}

/// The live generation's manifest (an empty one for a store never committed to).
pub(super) fn live_manifest(bucket: &Bucket) -> Result<Manifest, StoreError> {
    match live_generation(bucket)? {
        Some(g) => read_manifest(bucket, g),
        None => Ok(Manifest::default()),
    }
}

/// Note that `generation` was committed, so the next look for the live one starts there.
pub(super) fn saw(bucket: &Bucket, generation: u64) {
    let mut seen = seen().lock().expect("seen map");
    let entry = seen.entry(seen_key(bucket.remote())).or_insert(generation);
    *entry = (*entry).max(generation);
}

/// A new, empty staging folder under `dir` for one transaction; named after the process, so
/// that [`prune_staging`] can tell a dead writer's from a running one's.
pub(super) fn staging_dir(dir: &Path) -> Result<PathBuf, StoreError> {
    let path = dir.join(STAGING).join(format!(
        "{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    fs::create_dir_all(&path).map_err(io(&path))?;
    Ok(path)
}

/// Remove staging folders of processes that no longer run (a writer killed mid-commit). Only
/// where `/proc` tells which processes run; elsewhere they stay, which costs disk, not data.
fn prune_staging(staging: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(staging) else {
        return;
    };
    let me = std::process::id().to_string();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some((pid, _)) = name.split_once('-') else {
            continue;
        };
        if pid != me && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

impl Store {
    /// The live generation as the log says (object storage only; `live_generation` reads
    /// `CURRENT` for a folder).
    pub(super) fn live_log(&self) -> Result<Option<u64>, StoreError> {
        match &self.bucket {
            Some(bucket) => live_generation(bucket),
            None => Ok(None),
        }
    }

    /// The local copy of the part `key` of generation `generation`, downloaded when missing.
    /// A part never changes, so a copy once complete is good forever; it is written under a
    /// temporary name and renamed, so a copy is never read half-written.
    pub(super) fn cached_part(
        &self,
        bucket: &Bucket,
        generation: u64,
        key: &str,
    ) -> Result<PathBuf, StoreError> {
        let path = self.dir.join(CACHE).join(key);
        if path.exists() {
            return Ok(path);
        }
        let bytes = bucket.get(key)?.ok_or_else(|| StoreError::Missing {
            url: bucket.remote().url(),
            generation,
            key: key.to_string(),
        })?;
        let parent = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(parent).map_err(io(parent))?;
        let tmp = path.with_extension(format!(
            "{}-{:016x}.download",
            std::process::id(),
            rand::random::<u64>()
        ));
        write_synced(&tmp, &bytes)?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok(path)
    }

    /// Put a part this process just uploaded into the cache, so it is not downloaded again.
    pub(super) fn cache_uploaded(&self, from: &Path, key: &str) {
        let to = self.dir.join(CACHE).join(key);
        if let Some(parent) = to.parent() {
            let _ = fs::create_dir_all(parent);
        }
        let _ = fs::rename(from, &to);
    }

    /// Remove cached parts that `manifest` (the live generation) does not name and that
    /// nobody has touched for an hour, and downloads left half-way as long.
    pub(super) fn prune_cache(&self, manifest: &Manifest) {
        let keep: HashSet<&str> = manifest.parts.iter().map(|p| p.file.as_str()).collect();
        let folder = self.dir.join(CACHE).join(PARTS);
        let Ok(entries) = fs::read_dir(&folder) else {
            return;
        };
        let now = SystemTime::now();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if keep.contains(format!("{PARTS}/{name}").as_str()) {
                continue;
            }
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .is_some_and(|age| age > CACHE_GRACE);
            if old {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_keys_sort_as_their_generations_and_read_back() {
        assert_eq!(log_key(8), "_log/000000000008.json");
        assert!(log_key(9) < log_key(10));
        assert_eq!(log_generation(&log_key(123_456)), Some(123_456));
        assert_eq!(log_generation("_log/notes.txt"), None);
        assert_eq!(log_generation("parts/g000001-ab-0001.parquet"), None);
    }
}
