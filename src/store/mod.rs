//! The activity store: every accepted activity, in Parquet, replaced atomically.
//!
//! Layout under the store folder (`data/store` by default):
//!
//! ```text
//! CURRENT                  name of the live generation, e.g. "gen-000007"
//! gen-000007/activities.parquet
//! gen-000007/manifest.json every source ever ingested: checksum, counts, time
//! quarantine/              rejected rows, one CSV per ingest of a source
//! ```
//!
//! A commit writes a complete new generation next to the live one, syncs it, then renames a new
//! `CURRENT` over the old: a rename is atomic, so a process killed at any point leaves the
//! store exactly as before or exactly as after. Commits are serialised with a file lock.
//! Records are keyed on (source, activity_id): the same record sent again changes nothing, a
//! corrected record (same key, other content) replaces the old one and is counted as replaced.
//! The store does not validate records; ingest does, before committing.

mod contract;

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

pub use contract::{ACTIVITY_COLUMNS, Activities, ContractError, cols};

/// Column with each record's content hash, kept in the Parquet file beside the contract's.
pub const ROW_HASH: &str = "row_hash";
const CURRENT: &str = "CURRENT";
const LOCK: &str = "LOCK";
const DATA_FILE: &str = "activities.parquet";
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

/// The store in one folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
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
    /// Open (creating if needed) the store in `dir`, removing half-written generations left by
    /// an interrupted commit.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        fs::create_dir_all(dir.join("quarantine")).map_err(io(dir))?;
        let store = Store {
            dir: dir.to_path_buf(),
        };
        if let Some(live) = store.current_generation()? {
            store.prune(&live)?;
        }
        Ok(store)
    }

    /// The live manifest of the store in `dir`, read without creating, pruning or locking
    /// anything: safe for health checks while another process commits. An absent folder is an
    /// error; a folder without a generation yet has an empty manifest.
    pub fn peek_manifest(dir: &Path) -> Result<Manifest, StoreError> {
        fs::read_dir(dir).map_err(io(dir))?;
        Store {
            dir: dir.to_path_buf(),
        }
        .manifest()
    }

    /// The store folder.
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
    /// commit can still open the files it was pointed at.
    fn prune(&self, live: &str) -> Result<(), StoreError> {
        let mut generations = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io(&self.dir))?.flatten() {
            let path = entry.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            if name == "CURRENT.tmp" || (name.starts_with("gen-") && name.ends_with(".tmp")) {
                let _ = if path.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
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
            if i < keep_from || g.as_str() > live {
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

    /// Read the live generation (an empty store if there is none yet).
    pub fn load(&self) -> Result<Contents, StoreError> {
        let Some(generation) = self.current_generation()? else {
            let mut frame = Activities::empty().frame().clone();
            frame
                .with_column(Column::new_empty(ROW_HASH.into(), &DataType::UInt64))
                .map_err(pl(&self.dir))?;
            return Ok(Contents {
                frame,
                manifest: Manifest::default(),
            });
        };
        let gen_dir = self.dir.join(&generation);
        let data = gen_dir.join(DATA_FILE);
        let file = File::open(&data).map_err(io(&data))?;
        let frame = ParquetReader::new(file).finish().map_err(pl(&data))?;
        let manifest = self.read_manifest(&gen_dir)?;
        // Check the contract once at the boundary.
        Activities::new(frame.clone())?;
        Ok(Contents { frame, manifest })
    }

    /// The live generation's manifest alone, without reading the activities: what ingest needs
    /// to skip sources it has seen and to find a remote source's validators.
    pub fn manifest(&self) -> Result<Manifest, StoreError> {
        match self.current_generation()? {
            Some(generation) => self.read_manifest(&self.dir.join(generation)),
            None => Ok(Manifest::default()),
        }
    }

    fn read_manifest(&self, gen_dir: &Path) -> Result<Manifest, StoreError> {
        let path = gen_dir.join(MANIFEST_FILE);
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        serde_json::from_str(&text).map_err(|source| StoreError::Manifest { path, source })
    }

    /// Merge `batch` (contract columns; one record per (source, activity_id)) into the store
    /// and record `sources` in the manifest, atomically. Returns counts per source.
    pub fn commit(
        &self,
        batch: &Activities,
        sources: Vec<SourceRecord>,
    ) -> Result<(Contents, HashMap<String, MergeCounts>), StoreError> {
        let lock_path = self.dir.join(LOCK);
        let lock = File::create(&lock_path).map_err(io(&lock_path))?;
        // Serialise commits (the server's re-pull and a CLI ingest may run at once); the lock
        // is released when `lock` is dropped, also when the process dies.
        lock.lock().map_err(io(&lock_path))?;

        let old = self.load()?;
        let t = std::time::Instant::now();
        let (frame, counts) = merge(&old.frame, batch.frame()).map_err(pl(&self.dir))?;
        tracing::debug!(ms = t.elapsed().as_millis(), "merged");
        let mut manifest = old.manifest.clone();
        manifest.generation += 1;
        manifest.records = frame.height();
        for mut s in sources {
            let c = counts.get(&s.name).copied().unwrap_or_default();
            (s.added, s.replaced, s.unchanged) = (c.added, c.replaced, c.unchanged);
            manifest.sources.push(s);
        }
        let data_changed = counts.values().any(|c| c.added + c.replaced > 0);
        let mut frame = frame;
        self.write_generation(&old, &mut frame, &manifest, data_changed)?;
        drop(lock);
        Ok((Contents { frame, manifest }, counts))
    }

    fn write_generation(
        &self,
        old: &Contents,
        frame: &mut DataFrame,
        manifest: &Manifest,
        data_changed: bool,
    ) -> Result<(), StoreError> {
        let name = format!("gen-{:06}", manifest.generation);
        let tmp = self.dir.join(format!("{name}.tmp"));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp).map_err(io(&tmp))?;

        let data = tmp.join(DATA_FILE);
        let previous = self
            .current_generation()?
            .map(|g| self.dir.join(g).join(DATA_FILE));
        match previous.filter(|_| !data_changed && !old.is_empty()) {
            // Nothing but the manifest changed: share the data file instead of rewriting it.
            Some(prev) => fs::hard_link(&prev, &data)
                .or_else(|_| fs::copy(&prev, &data).map(|_| ()))
                .map_err(io(&data))?,
            None => {
                let file = File::create(&data).map_err(io(&data))?;
                ParquetWriter::new(&file)
                    .with_compression(ParquetCompression::Zstd(None))
                    .finish(frame)
                    .map_err(pl(&data))?;
                file.sync_all().map_err(io(&data))?;
            }
        }
        let manifest_path = tmp.join(MANIFEST_FILE);
        let text = serde_json::to_string_pretty(manifest).expect("manifest serialises");
        write_synced(&manifest_path, text.as_bytes())?;
        sync_dir(&tmp)?;

        let final_dir = self.dir.join(&name);
        fs::rename(&tmp, &final_dir).map_err(io(&final_dir))?;
        sync_dir(&self.dir)?;
        let current_tmp = self.dir.join("CURRENT.tmp");
        write_synced(&current_tmp, name.as_bytes())?;
        // The switch: before this rename the old generation is live, after it the new one.
        fs::rename(&current_tmp, self.dir.join(CURRENT)).map_err(io(&self.dir))?;
        sync_dir(&self.dir)?;

        self.prune(&name)?;
        Ok(())
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
fn row_hashes(df: &DataFrame) -> PolarsResult<UInt64Chunked> {
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

/// Merge new records into the stored ones by (source, activity_id).
fn merge(
    old: &DataFrame,
    new: &DataFrame,
) -> PolarsResult<(DataFrame, HashMap<String, MergeCounts>)> {
    let mut new = new.clone();
    new.with_column(row_hashes(&new)?.into_column())?;
    let key = [col(cols::SOURCE), col(cols::ACTIVITY_ID)];
    let old_keys = old.clone().lazy().select([
        col(cols::SOURCE),
        col(cols::ACTIVITY_ID),
        col(ROW_HASH).alias("_old_hash"),
    ]);
    let classified = new
        .lazy()
        .join(
            old_keys,
            key.clone(),
            key.clone(),
            JoinArgs::new(JoinType::Left),
        )
        .with_column(
            when(col("_old_hash").is_null())
                .then(lit("added"))
                .when(col("_old_hash").eq(col(ROW_HASH)))
                .then(lit("unchanged"))
                .otherwise(lit("replaced"))
                .alias("_status"),
        )
        .collect()?;

    let mut counts: HashMap<String, MergeCounts> = HashMap::new();
    let sources = classified.column(cols::SOURCE)?.str()?;
    let status = classified.column("_status")?.str()?;
    for (s, st) in sources.iter().zip(status.iter()) {
        let c = counts.entry(s.unwrap_or_default().to_string()).or_default();
        match st {
            Some("added") => c.added += 1,
            Some("replaced") => c.replaced += 1,
            _ => c.unchanged += 1,
        }
    }

    let changed = classified
        .lazy()
        .filter(col("_status").neq(lit("unchanged")));
    let replaced_keys = changed
        .clone()
        .filter(col("_status").eq(lit("replaced")))
        .select([
            col(cols::SOURCE),
            col(cols::ACTIVITY_ID),
            lit(true).alias("_replaced"),
        ]);
    let kept = old
        .clone()
        .lazy()
        .join(
            replaced_keys,
            key.clone(),
            key,
            JoinArgs::new(JoinType::Left),
        )
        .filter(col("_replaced").is_null());
    let mut columns: Vec<Expr> = ACTIVITY_COLUMNS.iter().map(|(n, _, _)| col(*n)).collect();
    columns.push(col(ROW_HASH));
    let merged = concat(
        [kept.select(columns.clone()), changed.select(columns)],
        UnionArgs::default(),
    )?
    .collect()?;
    Ok((merged, counts))
}

#[cfg(test)]
mod tests;
