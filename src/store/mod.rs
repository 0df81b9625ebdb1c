//! The activity store: every accepted activity, in Parquet, replaced atomically.
//!
//! Layout under the store folder (`data/store` by default):
//!
//! ```text
//! CURRENT                                name of the live generation, e.g. "gen-000007"
//! gen-000007/part-000005-0001.parquet    the records, in parts (listed in the manifest)
//! gen-000007/part-000007-0001.parquet
//! gen-000007/manifest.json               parts, and every source ever ingested: checksum,
//!                                        counts, time
//! quarantine/                            rejected rows, one CSV per ingest of a source
//! ```
//!
//! A commit ([`Transaction`]) builds a complete new generation next to the live one: the live
//! generation's parts are hard-linked into it (a part never changes once written), new records
//! go into new part files as they arrive, and only a part holding a record that a correction
//! replaces is rewritten. Then the generation is synced and a new `CURRENT` is renamed over the
//! old: a rename is atomic, so a process killed at any point leaves the store exactly as before
//! or exactly as after. Commits are serialised with a file lock, held from the start of a
//! transaction to its end.
//!
//! Records are keyed on (source, activity_id): the same record sent again changes nothing, a
//! corrected record (same key, other content) replaces the old one and is counted as replaced.
//! Finding the stored records of a source reads only the key and hash columns of the parts that
//! hold that source, so an ingest of a new source never reads the stored records at all.
//! The store does not validate records; ingest does, before committing. A generation written
//! before parts existed (one `activities.parquet`) is read as a store of one part.
//!
//! **On object storage** (`[object_store] url = "s3://bucket/prefix"`, see [`Location`]) the
//! same records, parts, dedupe, corrections and scopes are kept, but nothing is renamed and
//! nothing is locked, because an S3-compatible store can do neither atomically. A part is
//! written once under a key of its own (`parts/g000008-<random>-0001.parquet`) and later
//! manifests simply list it again; the commit is a create-only write of the next generation's
//! manifest at `_log/000000000008.json` (`If-None-Match: *`), the compare-and-swap Delta Lake's
//! log uses. Of two writers racing for generation 8 one gets "already exists": it reads the new
//! live generation, applies its batches again (dedupe and corrections against what the other
//! wrote) and tries generation 9, a bounded number of times (see `object.rs`). The live
//! generation is the highest log entry; a part no committed manifest names (a killed writer's)
//! is never read. Parquet is read from local files, so parts are downloaded once into
//! `<paths.store>/cache/`, keyed by their (immutable) object key; the quarantine files and the
//! scoring results stay in the local folder of the instance that wrote them.
//!
//! Why the store's own log and not a Delta Lake table: measured in `BENCHMARKS.md` ("Store on
//! object storage: Delta Lake or the store's own log").

mod contract;

mod commit;
mod object;
mod remote;
mod values;

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

pub(crate) use commit::key_hash;
pub use commit::{Refused, Transaction};
pub use contract::{ACTIVITY_COLUMNS, Activities, ContractError, cols};
pub use remote::Remote;
pub use values::{IndicatorValue, IndicatorValues};

/// Column with each record's content hash, kept in the Parquet file beside the contract's.
pub const ROW_HASH: &str = "row_hash";
const CURRENT: &str = "CURRENT";
const LOCK: &str = "LOCK";
/// The single data file of a generation written before parts existed.
const LEGACY_DATA_FILE: &str = "activities.parquet";
const MANIFEST_FILE: &str = "manifest.json";

/// What can go wrong reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed.
    #[error("activity store {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Parquet or a polars operation failed.
    #[error("activity store {path}: {source}")]
    Polars {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: PolarsError,
    },
    /// The manifest is unreadable.
    #[error("activity store manifest {path} is damaged: {source}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The stored table breaks the contract.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// A store location that cannot be used (the configured URL or endpoint).
    #[error("activity store location {url}: {reason}")]
    Location {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A request to the object store failed.
    #[error("activity store {url}, object {key:?}: {source}")]
    Object {
        /// The store, `s3://bucket/prefix`.
        url: String,
        /// The object key, relative to the store's prefix.
        key: String,
        /// The cause (boxed: the S3 client's error is large, and this enum travels in every
        /// store call's result).
        source: Box<object_store::Error>,
    },
    /// An object a generation needs (its manifest or a part) is not in the object store.
    #[error("activity store {url}: generation {generation} needs {key}, which is missing")]
    Missing {
        /// The store, `s3://bucket/prefix`.
        url: String,
        /// The generation.
        generation: u64,
        /// The part's key.
        key: String,
    },
    /// Other writers committed before this one every time it tried.
    #[error(
        "activity store {url}: other commits came first {attempts} times in a row; nothing was \
         written, try the ingest again"
    )]
    Contended {
        /// The store, `s3://bucket/prefix`.
        url: String,
        /// Commits tried.
        attempts: usize,
    },
}

/// One ingest of one source, as recorded in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceRecord {
    /// Source name (file name, or the configured remote source's name).
    pub name: String,
    /// SHA-256 of the bytes read, hex.
    pub checksum: String,
    /// Input format.
    pub format: String,
    /// Data rows read.
    pub rows: usize,
    /// Rows that passed validation.
    pub accepted: usize,
    /// Rows rejected (see `quarantine`).
    pub rejected: usize,
    /// New records added to the store.
    pub added: usize,
    /// Records that replaced an earlier version with the same id.
    pub replaced: usize,
    /// Records already in the store unchanged.
    pub unchanged: usize,
    /// When, RFC 3339.
    pub ingested_at: String,
    /// Quarantine file of the rejected rows, relative to the store folder.
    pub quarantine: Option<String>,
    /// Remote validators (ETag, Last-Modified) for conditional re-pulls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validators: Option<serde_json::Value>,
}

/// The manifest of a generation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Generation number.
    pub generation: u64,
    /// Records in the store.
    pub records: usize,
    /// Every ingest ever committed, oldest first.
    pub sources: Vec<SourceRecord>,
    /// The data files of this generation.
    #[serde(default)]
    pub parts: Vec<Part>,
    /// The indicator values (see [`values`] for why they live here).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<IndicatorValue>,
}

/// One data file of a generation. Written once, never changed: later generations share it
/// (hard link) until a correction replaces one of its records.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Part {
    /// File name inside the generation folder.
    pub file: String,
    /// Records in the file.
    pub rows: usize,
    /// Sources with records in the file, so a source's records are found without opening
    /// the others.
    pub sources: Vec<String>,
}

impl Manifest {
    /// The latest ingest of a source, if any.
    pub fn latest(&self, name: &str) -> Option<&SourceRecord> {
        self.sources.iter().rev().find(|s| s.name == name)
    }
}

/// Counts of one commit, per source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MergeCounts {
    /// New records.
    pub added: usize,
    /// Records replacing an earlier version.
    pub replaced: usize,
    /// Records already present unchanged.
    pub unchanged: usize,
}

/// Where a store lives: a local folder, or an S3-compatible bucket with a local folder for its
/// cache, quarantine files and results.
#[derive(Debug, Clone)]
pub struct Location {
    /// The store folder; with `remote`, the local folder beside it.
    pub dir: PathBuf,
    /// The bucket and prefix, when the store is on object storage.
    pub remote: Option<Remote>,
}

impl Location {
    /// The store in the folder `dir`.
    pub fn local(dir: &Path) -> Location {
        Location {
            dir: dir.to_path_buf(),
            remote: None,
        }
    }

    /// How the store is named in logs: its folder or its `s3://` URL.
    pub fn describe(&self) -> String {
        match &self.remote {
            Some(r) => r.url(),
            None => self.dir.display().to_string(),
        }
    }
}

/// The store in one folder, or on object storage with a local folder beside it.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    /// The bucket, when the store is on object storage (see the module docs).
    bucket: Option<remote::Bucket>,
}

/// The store's content at one generation.
#[derive(Debug, Clone)]
pub struct Contents {
    /// Contract columns plus [`ROW_HASH`].
    frame: DataFrame,
    /// The manifest.
    pub manifest: Manifest,
}

impl Contents {
    /// The activities, in the contract's columns.
    pub fn activities(&self) -> Result<Activities, ContractError> {
        Activities::new(self.frame.clone())
    }

    /// The indicator values.
    pub fn values(&self) -> IndicatorValues {
        IndicatorValues::new(self.manifest.values.clone())
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.frame.height()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.frame.height() == 0
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn pl(path: &Path) -> impl FnOnce(PolarsError) -> StoreError + '_ {
    move |source| StoreError::Polars {
        path: path.to_path_buf(),
        source,
    }
}

impl Store {
    /// Open (creating if needed) the store in `dir`, removing what an interrupted commit left
    /// behind (when no commit is running) and generations no reader can need.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        fs::create_dir_all(dir.join("quarantine")).map_err(io(dir))?;
        let store = Store {
            dir: dir.to_path_buf(),
            bucket: None,
        };
        if let Some(live) = store.current_generation()? {
            store.prune(&live)?;
        }
        Ok(store)
    }

    /// Open the store at `at`: [`Store::open`] for a folder; for object storage, a client of
    /// the bucket (nothing is sent until the store is read) and the local folder beside it.
    pub fn open_at(at: &Location) -> Result<Store, StoreError> {
        match &at.remote {
            None => Store::open(&at.dir),
            Some(remote) => object::open(&at.dir, remote),
        }
    }

    /// [`Store::peek_manifest`] of the store at `at`.
    pub fn peek_manifest_at(at: &Location) -> Result<Manifest, StoreError> {
        match &at.remote {
            None => Store::peek_manifest(&at.dir),
            Some(remote) => object::peek(&at.dir, remote)?.manifest(),
        }
    }

    /// [`Store::live_generation`] of the store at `at`.
    pub fn live_generation_at(at: &Location) -> Result<Option<u64>, StoreError> {
        match &at.remote {
            None => Store::live_generation(&at.dir),
            Some(remote) => object::peek(&at.dir, remote)?.live_log(),
        }
    }

    /// The live manifest of the store in `dir`, read without creating, pruning or locking
    /// anything: safe for health checks while another process commits. An absent folder is an
    /// error; a folder without a generation yet has an empty manifest.
    pub fn peek_manifest(dir: &Path) -> Result<Manifest, StoreError> {
        fs::read_dir(dir).map_err(io(dir))?;
        Store {
            dir: dir.to_path_buf(),
            bucket: None,
        }
        .manifest()
    }

    /// The number of the live generation as `CURRENT` names it (`gen-000007` → 7), without
    /// reading its manifest: cheap enough to poll, so that a process serving scores notices a
    /// commit another process made to the same store. `None` for a store never committed to.
    pub fn live_generation(dir: &Path) -> Result<Option<u64>, StoreError> {
        let store = Store {
            dir: dir.to_path_buf(),
            bucket: None,
        };
        Ok(store
            .current_generation()?
            .and_then(|g| g.strip_prefix("gen-").and_then(|n| n.parse().ok())))
    }

    /// The store folder (on object storage: the local folder beside it, which holds the part
    /// cache, the quarantine files and the results).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Folder for quarantine files.
    pub fn quarantine_dir(&self) -> PathBuf {
        self.dir.join("quarantine")
    }

    /// Remove what no reader can need: half-written generations and `CURRENT.tmp` left by an
    /// interrupted commit, and complete generations older than the one before `live`. The one
    /// before is kept so that a reader in another process that read `CURRENT` just before a
    /// commit can still open the files it was pointed at. Leftovers are only removed when no
    /// commit holds the lock: a running transaction writes its generation for a while, and a
    /// reader opening the store meanwhile must not delete it.
    fn prune(&self, live: &str) -> Result<(), StoreError> {
        let lock_path = self.dir.join(LOCK);
        let lock = File::create(&lock_path).map_err(io(&lock_path))?;
        let idle = lock.try_lock().is_ok();
        self.prune_generations(live, idle)
    }

    /// [`Store::prune`]; `idle` says no commit is running (the caller holds the lock), so
    /// unfinished generations are leftovers.
    fn prune_generations(&self, live: &str, idle: bool) -> Result<(), StoreError> {
        let mut generations = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io(&self.dir))?.flatten() {
            let path = entry.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            if name == "CURRENT.tmp" || (name.starts_with("gen-") && name.ends_with(".tmp")) {
                if idle {
                    let _ = if path.is_dir() {
                        fs::remove_dir_all(&path)
                    } else {
                        fs::remove_file(&path)
                    };
                }
            } else if name.starts_with("gen-") && path.is_dir() {
                generations.push(name);
            }
        }
        // Names are zero-padded, so they sort in commit order.
        generations.sort();
        let keep_from = generations
            .iter()
            .position(|g| g.as_str() == live)
            .map_or(0, |i| i.saturating_sub(1));
        for (i, g) in generations.iter().enumerate() {
            // A complete generation newer than `live` can only be a commit interrupted between
            // its two renames; it is never live, so it goes too (when no commit is running).
            if i < keep_from || (idle && g.as_str() > live) {
                let _ = fs::remove_dir_all(self.dir.join(g));
            }
        }
        Ok(())
    }

    fn current_generation(&self) -> Result<Option<String>, StoreError> {
        let path = self.dir.join(CURRENT);
        match fs::read_to_string(&path) {
            Ok(s) => Ok(Some(s.trim().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Read the live generation (an empty store if there is none yet): every part, stacked.
    pub fn load(&self) -> Result<Contents, StoreError> {
        let mut frame = Activities::empty().frame().clone();
        frame
            .with_column(Column::new_empty(ROW_HASH.into(), &DataType::UInt64))
            .map_err(pl(&self.dir))?;
        let (manifest, gen_dir) = if self.bucket.is_some() {
            // The parts' local copies live in the cache, not in a generation folder.
            (self.manifest()?, self.dir.join(object::CACHE))
        } else {
            let Some(generation) = self.current_generation()? else {
                return Ok(Contents {
                    frame,
                    manifest: Manifest::default(),
                });
            };
            let gen_dir = self.dir.join(&generation);
            (self.read_manifest(&gen_dir)?, gen_dir)
        };
        let mut frames = Vec::with_capacity(manifest.parts.len());
        for part in &manifest.parts {
            let path = self.part_path(&gen_dir, &manifest, part)?;
            let file = File::open(&path).map_err(io(&path))?;
            frames.push(ParquetReader::new(file).finish().map_err(pl(&path))?);
        }
        if !frames.is_empty() {
            frame = frames.remove(0);
            for f in &frames {
                frame.vstack_mut(f).map_err(pl(&gen_dir))?;
            }
            frame.rechunk_mut();
        }
        // Check the contract once at the boundary.
        Activities::new(frame.clone())?;
        if self.bucket.is_some() {
            self.prune_cache(&manifest);
        }
        Ok(Contents { frame, manifest })
    }

    /// The local file of `part` of the generation `manifest`: in the generation folder
    /// `gen_dir`, or, on object storage, in the cache (downloaded first if need be).
    fn part_path(
        &self,
        gen_dir: &Path,
        manifest: &Manifest,
        part: &Part,
    ) -> Result<PathBuf, StoreError> {
        match &self.bucket {
            None => Ok(gen_dir.join(&part.file)),
            Some(bucket) => self.cached_part(bucket, manifest.generation, &part.file),
        }
    }

    /// The live generation's manifest alone, without reading the activities: what ingest needs
    /// to skip sources it has seen and to find a remote source's validators.
    pub fn manifest(&self) -> Result<Manifest, StoreError> {
        if let Some(bucket) = &self.bucket {
            return object::live_manifest(bucket);
        }
        match self.current_generation()? {
            Some(generation) => self.read_manifest(&self.dir.join(generation)),
            None => Ok(Manifest::default()),
        }
    }

    fn read_manifest(&self, gen_dir: &Path) -> Result<Manifest, StoreError> {
        let path = gen_dir.join(MANIFEST_FILE);
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let mut manifest: Manifest =
            serde_json::from_str(&text).map_err(|source| StoreError::Manifest { path, source })?;
        if manifest.parts.is_empty() && gen_dir.join(LEGACY_DATA_FILE).exists() {
            // A generation from before parts: its one file may hold any source.
            let mut sources: Vec<String> =
                manifest.sources.iter().map(|s| s.name.clone()).collect();
            sources.sort();
            sources.dedup();
            manifest.parts.push(Part {
                file: LEGACY_DATA_FILE.to_string(),
                rows: manifest.records,
                sources,
            });
        }
        Ok(manifest)
    }

    /// Start a commit. In a folder it takes the store's lock (waiting for a running commit to
    /// end) until the transaction is committed or dropped; on object storage nothing is locked
    /// and the commit itself settles a race (see the module docs).
    pub fn begin(&self) -> Result<Transaction<'_>, StoreError> {
        Transaction::begin(self)
    }

    /// Merge `batch` (contract columns; one record per (source, activity_id)) into the store
    /// and record `sources` in the manifest, atomically. Returns the new manifest and counts
    /// per source.
    pub fn commit(
        &self,
        batch: &Activities,
        sources: Vec<SourceRecord>,
    ) -> Result<(Manifest, HashMap<String, MergeCounts>), StoreError> {
        let mut tx = self.begin()?;
        tx.append(batch)?;
        tx.commit(sources)
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut f = File::create(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    // Persist the directory entry of a rename; a no-op where directories cannot be opened.
    match File::open(dir) {
        Ok(d) => d.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

/// FNV-1a over a record's content, one field at a time, each followed by a separator (a null
/// is its own marker). Stable across builds and platforms, so hashes stored in Parquet stay
/// comparable. Used only to tell "unchanged" from "corrected" for the same key.
fn mix(h: &mut u64, field: Option<&[u8]>) {
    let (bytes, end): (&[u8], u8) = match field {
        Some(b) => (b, 0x1f),
        None => (&[], 0x1e),
    };
    for &b in bytes.iter().chain(std::iter::once(&end)) {
        *h ^= u64::from(b);
        *h = h.wrapping_mul(0x0100_0000_01b3);
    }
}

/// Content columns hashed (the key, source and row number are not content).
const CONTENT: [&str; 9] = [
    cols::DATE,
    cols::REGION_CODE,
    cols::PROGRAMME,
    cols::DIMENSION,
    cols::TARGET_GROUP,
    cols::QUANTITY,
    cols::PARTICIPANTS,
    cols::BUDGET_IDR,
    cols::ORGANISER,
];

/// Content hash of every row, computed column by column without materialising text.
pub(crate) fn row_hashes(df: &DataFrame) -> PolarsResult<UInt64Chunked> {
    let mut h = vec![0xcbf2_9ce4_8422_2325u64; df.height()];
    for name in CONTENT {
        let column = df.column(name)?;
        match column.dtype() {
            DataType::String => {
                for (h, v) in h.iter_mut().zip(column.str()?.iter()) {
                    mix(h, v.map(str::as_bytes));
                }
            }
            DataType::Float64 => {
                for (h, v) in h.iter_mut().zip(column.f64()?.iter()) {
                    mix(
                        h,
                        v.map(|x| x.to_bits().to_le_bytes())
                            .as_ref()
                            .map(|b| &b[..]),
                    );
                }
            }
            DataType::Int64 => {
                for (h, v) in h.iter_mut().zip(column.i64()?.iter()) {
                    mix(h, v.map(i64::to_le_bytes).as_ref().map(|b| &b[..]));
                }
            }
            DataType::Date => {
                for (h, v) in h.iter_mut().zip(column.date()?.physical().iter()) {
                    mix(h, v.map(i32::to_le_bytes).as_ref().map(|b| &b[..]));
                }
            }
            other => polars_bail!(ComputeError: "cannot hash column {name} of type {other}"),
        }
    }
    Ok(UInt64Chunked::from_vec(ROW_HASH.into(), h))
}

#[cfg(test)]
mod tests;
