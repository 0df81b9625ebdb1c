//! A commit in progress: records are appended in batches as they are validated, each batch
//! becoming a part file of the next generation, so memory holds one batch, not the store.
//!
//! Dedupe against what is stored is per source: the first batch of a source loads an index of
//! that source's stored records (key hash → part, content hash), reading only three columns of
//! the parts listing the source; a source the store has never seen loads nothing. A stored
//! record whose key comes again with other content is replaced: its part is rewritten without
//! it when the transaction commits; every other part of the live generation is shared by a
//! hard link. Nothing is visible to readers until [`Transaction::commit`] renames `CURRENT`;
//! a transaction dropped without committing removes what it wrote.
//!
//! On object storage the transaction also keeps each batch as it came (a Parquet file in its
//! staging folder), because a commit that loses the race for the next generation must apply
//! them again on the generation that won: a record stored unchanged before may have been
//! corrected by the other writer meanwhile. The replay's refusals are not reported again
//! (the ingest report has the first pass's); its counts are the ones committed.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::path::PathBuf;

use polars::prelude::*;

use super::object::{self, MAX_ATTEMPTS, PARTS};
use super::{
    Activities, CURRENT, LOCK, MANIFEST_FILE, Manifest, MergeCounts, Part, ROW_HASH, SourceRecord,
    Store, StoreError, cols, io, pl, row_hashes, sync_dir, write_synced,
};

/// Hash of an `activity_id` within one source. 128 bits, so that two different ids colliding
/// is not a practical concern even over hundreds of millions of records.
pub(crate) fn key_hash(id: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(id.as_bytes())
}

/// A stored record as a transaction sees it.
#[derive(Clone, Copy)]
struct Stored {
    /// Index of the live part holding it.
    part: usize,
    /// Content hash.
    hash: u64,
    /// Whether its region lies outside the transaction's scope (never, without a scope).
    outside: bool,
}

/// A row of a batch that would replace a stored record the writer may not touch: the
/// record's region is outside the writer's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Source of the row.
    pub source: String,
    /// Row in that source, as ingest numbers it.
    pub source_row: i64,
    /// The record's id.
    pub activity_id: String,
}

/// The rows at `at` of `frame` (one source's batch) as refusals.
fn refused_rows(frame: &DataFrame, source: &str, at: &[usize]) -> PolarsResult<Vec<Refused>> {
    if at.is_empty() {
        return Ok(Vec::new());
    }
    let ids = frame.column(cols::ACTIVITY_ID)?.str()?;
    let rows = frame.column(cols::SOURCE_ROW)?.i64()?;
    Ok(at
        .iter()
        .map(|&i| Refused {
            source: source.to_string(),
            source_row: rows.get(i).unwrap_or_default(),
            activity_id: ids.get(i).unwrap_or_default().to_string(),
        })
        .collect())
}

/// What a transaction knows about one source.
#[derive(Default)]
struct Session {
    /// Stored records of the source, by key hash.
    stored: PlHashMap<u128, Stored>,
    /// Keys of stored records replaced in this transaction, per live part.
    replaced: HashMap<usize, PlHashSet<u128>>,
    /// Part files written for this source in this transaction (indices into `new_parts`).
    written: Vec<usize>,
    counts: MergeCounts,
}

/// A commit in progress; see the module docs. Holds the store's lock until committed or dropped.
pub struct Transaction<'a> {
    store: &'a Store,
    /// Only records within this region may be replaced (a steward's upload).
    scope: Option<crate::region::RegionCode>,
    lock: Option<File>,
    live: Manifest,
    live_dir: Option<PathBuf>,
    name: String,
    tmp: PathBuf,
    new_parts: Vec<Option<Part>>,
    sessions: HashMap<String, Session>,
    /// Indicator values put in, to be merged into the live ones at the commit (again on top
    /// of another writer's generation, on object storage, since the merge reads `live`).
    values: Vec<super::IndicatorValue>,
    /// Object storage only: every batch as appended (source, file in `tmp`), for a replay.
    inbox: Vec<(String, String)>,
    committed: bool,
}

/// What a commit returns: the new manifest and the counts per source.
type Committed = (Manifest, HashMap<String, MergeCounts>);

/// Where a part of the coming generation comes from.
enum Origin {
    /// A part of the live generation, shared as it is.
    Live,
    /// A file written by this transaction into its staging folder.
    Staged,
}

impl<'a> Transaction<'a> {
    pub(super) fn begin(store: &'a Store) -> Result<Transaction<'a>, StoreError> {
        if store.bucket.is_some() {
            // No lock and no generation folder: parts are staged locally until the commit
            // uploads them, and the commit settles a race with another writer.
            let live = store.manifest()?;
            return Ok(Transaction {
                store,
                scope: None,
                lock: None,
                name: format!("gen-{:06}", live.generation + 1),
                live,
                live_dir: None,
                tmp: object::staging_dir(&store.dir)?,
                new_parts: Vec::new(),
                sessions: HashMap::new(),
                values: Vec::new(),
                inbox: Vec::new(),
                committed: false,
            });
        }
        let lock_path = store.dir.join(LOCK);
        let lock = File::create(&lock_path).map_err(io(&lock_path))?;
        // Serialise commits (the server's re-pull and a CLI ingest may run at once); the lock
        // is released when `lock` is dropped, also when the process dies.
        lock.lock().map_err(io(&lock_path))?;
        let live_name = store.current_generation()?;
        let live = store.manifest()?;
        let name = format!("gen-{:06}", live.generation + 1);
        let tmp = store.dir.join(format!("{name}.tmp"));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp).map_err(io(&tmp))?;
        Ok(Transaction {
            store,
            scope: None,
            lock: Some(lock),
            live,
            live_dir: live_name.map(|g| store.dir.join(g)),
            name,
            tmp,
            new_parts: Vec::new(),
            sessions: HashMap::new(),
            values: Vec::new(),
            inbox: Vec::new(),
            committed: false,
        })
    }

    /// Let this transaction replace only stored records within `scope` (and their new versions
    /// must be within it too, which ingest checks row by row): a steward may not take over
    /// another region's records. A refused row is returned by [`Transaction::append`].
    pub fn within(mut self, scope: Option<crate::region::RegionCode>) -> Transaction<'a> {
        self.scope = scope;
        self
    }

    /// The live manifest this transaction builds on.
    pub fn live_manifest(&self) -> &Manifest {
        &self.live
    }

    /// Merge a batch (contract columns; one record per (source, activity_id), also across the
    /// batches of one transaction) into the coming generation. New and corrected records are
    /// written to a new part file at once; records stored unchanged are counted and dropped.
    /// Rows that would replace a record outside the transaction's scope are left out and
    /// returned.
    pub fn append(&mut self, batch: &Activities) -> Result<Vec<Refused>, StoreError> {
        let frame = batch.frame();
        if frame.height() == 0 {
            return Ok(Vec::new());
        }
        let sources = frame.column(cols::SOURCE).map_err(pl(&self.tmp))?;
        if let Column::Scalar(one) = sources {
            // One source for the whole batch, as ingest sends it: nothing to split.
            let name = one
                .scalar()
                .value()
                .extract_str()
                .unwrap_or_default()
                .to_string();
            return self.append_source(&name, frame.clone());
        }
        let sources = sources.str().map_err(pl(&self.tmp))?;
        let first = sources.get(0).unwrap_or_default().to_string();
        if sources.iter().all(|s| s == Some(first.as_str())) {
            return self.append_source(&first, frame.clone());
        }
        let mut names: Vec<String> = sources
            .iter()
            .map(|s| s.unwrap_or_default().to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        names.sort();
        let mut refused = Vec::new();
        for name in names {
            let mask = sources.equal(name.as_str());
            let part = frame.filter(&mask).map_err(pl(&self.tmp))?;
            refused.extend(self.append_source(&name, part)?);
        }
        Ok(refused)
    }

    fn append_source(
        &mut self,
        source: &str,
        mut frame: DataFrame,
    ) -> Result<Vec<Refused>, StoreError> {
        if self.store.bucket.is_some() {
            let file = format!("in-{:06}.parquet", self.inbox.len() + 1);
            write_part(&self.tmp.join(&file), &mut frame)?;
            self.inbox.push((source.to_string(), file));
        }
        self.merge_source(source, frame)
    }

    /// Dedupe one source's batch against the stored records and write what is new or
    /// corrected as a part; the rows refused by the scope.
    fn merge_source(
        &mut self,
        source: &str,
        mut frame: DataFrame,
    ) -> Result<Vec<Refused>, StoreError> {
        if !self.sessions.contains_key(source) {
            let session = self.load_session(source)?;
            self.sessions.insert(source.to_string(), session);
        }
        let hashes = row_hashes(&frame).map_err(pl(&self.tmp))?;
        let session = self.sessions.get_mut(source).expect("session just ensured");
        let ids = frame.column(cols::ACTIVITY_ID).map_err(pl(&self.tmp))?;
        let ids = ids.str().map_err(pl(&self.tmp))?;
        let mut keep = Vec::with_capacity(frame.height());
        let mut refused_at = Vec::new();
        for (i, (id, hash)) in ids.iter().zip(hashes.iter()).enumerate() {
            let (key, hash) = (key_hash(id.unwrap_or_default()), hash.unwrap_or_default());
            match session.stored.get(&key) {
                None => {
                    session.counts.added += 1;
                    keep.push(true);
                }
                Some(stored) if stored.hash == hash => {
                    session.counts.unchanged += 1;
                    keep.push(false);
                }
                Some(stored) if stored.outside => {
                    refused_at.push(i);
                    keep.push(false);
                }
                Some(stored) => {
                    session.counts.replaced += 1;
                    session.replaced.entry(stored.part).or_default().insert(key);
                    keep.push(true);
                }
            }
        }
        let refused = refused_rows(&frame, source, &refused_at).map_err(pl(&self.tmp))?;
        frame
            .with_column(hashes.into_column())
            .map_err(pl(&self.tmp))?;
        if keep.iter().all(|k| !k) {
            return Ok(refused);
        }
        if !keep.iter().all(|k| *k) {
            let mask = BooleanChunked::from_slice("keep".into(), &keep);
            frame = frame.filter(&mask).map_err(pl(&self.tmp))?;
        }
        let file = format!(
            "part-{:06}-{:04}.parquet",
            self.live.generation + 1,
            self.new_parts.len() + 1
        );
        write_part(&self.tmp.join(&file), &mut frame)?;
        self.new_parts.push(Some(Part {
            file,
            rows: frame.height(),
            sources: vec![source.to_string()],
        }));
        let index = self.new_parts.len() - 1;
        self.sessions
            .get_mut(source)
            .expect("session exists")
            .written
            .push(index);
        Ok(refused)
    }

    /// Index the stored records of `source`: key, content hash and (with a scope) whether the
    /// record lies outside it, from the parts listing the source.
    fn load_session(&self, source: &str) -> Result<Session, StoreError> {
        let mut session = Session::default();
        if self.live.parts.is_empty() {
            return Ok(session);
        }
        let mut columns = vec![
            cols::SOURCE.to_string(),
            cols::ACTIVITY_ID.to_string(),
            ROW_HASH.to_string(),
        ];
        if self.scope.is_some() {
            columns.push(cols::REGION_CODE.to_string());
        }
        for (i, part) in self.live.parts.iter().enumerate() {
            if !part.sources.iter().any(|s| s == source) {
                continue;
            }
            let path = self.live_part(part)?;
            let file = File::open(&path).map_err(io(&path))?;
            let keys = ParquetReader::new(file)
                .with_columns(Some(columns.clone()))
                .finish()
                .map_err(pl(&path))?;
            let sources = keys.column(cols::SOURCE).and_then(|c| c.str().cloned());
            let ids = keys
                .column(cols::ACTIVITY_ID)
                .and_then(|c| c.str().cloned());
            let hashes = keys.column(ROW_HASH).and_then(|c| c.u64().cloned());
            let (sources, ids, hashes) = (
                sources.map_err(pl(&path))?,
                ids.map_err(pl(&path))?,
                hashes.map_err(pl(&path))?,
            );
            let outside: Vec<bool> = match &self.scope {
                None => vec![false; keys.height()],
                Some(root) => keys
                    .column(cols::REGION_CODE)
                    .and_then(|c| c.str().cloned())
                    .map_err(pl(&path))?
                    .iter()
                    .map(|r| !r.is_some_and(|r| root.contains_code(r)))
                    .collect(),
            };
            for (((s, id), h), outside) in sources
                .iter()
                .zip(ids.iter())
                .zip(hashes.iter())
                .zip(outside)
            {
                if let (Some(s), Some(id), Some(hash)) = (s, id, h)
                    && s == source
                {
                    let stored = Stored {
                        part: i,
                        hash,
                        outside,
                    };
                    session.stored.insert(key_hash(id), stored);
                }
            }
        }
        tracing::debug!(
            source,
            stored = session.stored.len(),
            "indexed stored records"
        );
        Ok(session)
    }

    /// Forget everything appended for `source` in this transaction (its file turned out to be
    /// unreadable half-way): its part files are deleted and its counts reset.
    pub fn discard_source(&mut self, source: &str) -> Result<(), StoreError> {
        if let Some(session) = self.sessions.remove(source) {
            for i in session.written {
                if let Some(part) = self.new_parts[i].take() {
                    let path = self.tmp.join(&part.file);
                    fs::remove_file(&path).map_err(io(&path))?;
                }
            }
        }
        for (_, file) in self.inbox.iter().filter(|(s, _)| s == source) {
            let path = self.tmp.join(file);
            fs::remove_file(&path).map_err(io(&path))?;
        }
        self.inbox.retain(|(s, _)| s != source);
        Ok(())
    }

    /// Put indicator values in (checked by ingest, within the writer's scope); they are merged
    /// into the stored ones when the transaction commits, counted per source file.
    pub fn put_values(&mut self, values: Vec<super::IndicatorValue>) {
        self.values.extend(values);
    }

    /// The local file of a live part: in the live generation's folder, or in the cache.
    fn live_part(&self, part: &Part) -> Result<PathBuf, StoreError> {
        match (&self.store.bucket, &self.live_dir) {
            (Some(bucket), _) => self
                .store
                .cached_part(bucket, self.live.generation, &part.file),
            (None, Some(dir)) => Ok(dir.join(&part.file)),
            // A live manifest with parts but no generation folder: the folder was removed
            // under the store.
            (None, None) => Err(StoreError::Io {
                path: self.store.dir.clone(),
                source: std::io::Error::other("the live generation's folder is missing"),
            }),
        }
    }

    /// Counts so far for `source`.
    pub fn counts(&self, source: &str) -> MergeCounts {
        self.sessions
            .get(source)
            .map(|s| s.counts)
            .unwrap_or_default()
    }

    /// Write the generation (live parts shared, replaced records dropped, new parts added,
    /// `sources` recorded in the manifest with their counts) and make it live atomically.
    /// Returns the new manifest and the counts per source. On object storage a commit that
    /// another writer beat to the next generation is applied again on top of it, up to
    /// [`MAX_ATTEMPTS`] times, after which nothing is written and [`StoreError::Contended`]
    /// says so.
    pub fn commit(
        mut self,
        sources: Vec<SourceRecord>,
    ) -> Result<(Manifest, HashMap<String, MergeCounts>), StoreError> {
        if self.store.bucket.is_none() {
            return self.commit_local(sources);
        }
        for attempt in 1..=MAX_ATTEMPTS {
            if let Some(done) = self.publish(sources.clone())? {
                return Ok(done);
            }
            tracing::info!(
                attempt,
                generation = self.live.generation + 1,
                "another instance committed this generation first: applying the batches again"
            );
            // A short, random pause, so that two writers that keep colliding drift apart.
            let pause = 20 * attempt as u64 + rand::random::<u64>() % 50;
            std::thread::sleep(std::time::Duration::from_millis(pause));
            self.rebase()?;
        }
        Err(StoreError::Contended {
            url: self
                .store
                .bucket
                .as_ref()
                .map(|b| b.remote().url())
                .unwrap_or_default(),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// The parts of the coming generation: the live ones shared, those holding a replaced
    /// record rewritten into the staging folder without it, the new ones; and how many were
    /// rewritten.
    fn plan(&self) -> Result<(Vec<(Part, Origin)>, usize), StoreError> {
        // Keys to drop from each live part, over all sources.
        let mut drops: HashMap<usize, Vec<(&str, &PlHashSet<u128>)>> = HashMap::new();
        for (source, session) in &self.sessions {
            for (part, keys) in &session.replaced {
                drops.entry(*part).or_default().push((source, keys));
            }
        }
        let mut parts = Vec::with_capacity(self.live.parts.len() + self.new_parts.len());
        let mut rewritten = 0;
        for (i, part) in self.live.parts.iter().enumerate() {
            let Some(drop) = drops.get(&i) else {
                parts.push((part.clone(), Origin::Live));
                continue;
            };
            rewritten += 1;
            let from = self.live_part(part)?;
            let file = File::open(&from).map_err(io(&from))?;
            let old = ParquetReader::new(file).finish().map_err(pl(&from))?;
            let mut kept = without(&old, drop).map_err(pl(&from))?;
            if kept.height() > 0 {
                let name = format!("part-{:06}-r{:04}.parquet", self.live.generation + 1, i + 1);
                write_part(&self.tmp.join(&name), &mut kept)?;
                let part = Part {
                    file: name,
                    rows: kept.height(),
                    sources: part.sources.clone(),
                };
                parts.push((part, Origin::Staged));
            }
        }
        parts.extend(
            self.new_parts
                .iter()
                .flatten()
                .map(|p| (p.clone(), Origin::Staged)),
        );
        Ok((parts, rewritten))
    }

    /// The manifest of the coming generation with `parts`, recording `sources` with their
    /// counts and the put values merged into the live ones; and the counts per source.
    fn next_manifest(
        &self,
        parts: Vec<Part>,
        sources: Vec<SourceRecord>,
    ) -> (Manifest, HashMap<String, MergeCounts>) {
        let (values, value_counts) = super::values::merge(&self.live.values, &self.values);
        let counts: HashMap<String, MergeCounts> = self
            .sessions
            .iter()
            .map(|(s, session)| (s.clone(), session.counts))
            .chain(value_counts)
            .collect();
        let mut manifest = self.live.clone();
        manifest.generation += 1;
        manifest.values = values;
        manifest.records = parts.iter().map(|p| p.rows).sum();
        manifest.parts = parts;
        for mut s in sources {
            let c = counts.get(&s.name).copied().unwrap_or_default();
            (s.added, s.replaced, s.unchanged) = (c.added, c.replaced, c.unchanged);
            manifest.sources.push(s);
        }
        (manifest, counts)
    }

    /// [`Transaction::commit`] in a folder: the generation folder completed (live parts hard
    /// linked), then `CURRENT` renamed over.
    fn commit_local(
        mut self,
        sources: Vec<SourceRecord>,
    ) -> Result<(Manifest, HashMap<String, MergeCounts>), StoreError> {
        let t = std::time::Instant::now();
        let (planned, rewritten) = self.plan()?;
        let mut parts = Vec::with_capacity(planned.len());
        for (part, origin) in planned {
            if let (Origin::Live, Some(live_dir)) = (origin, &self.live_dir) {
                let (from, to) = (live_dir.join(&part.file), self.tmp.join(&part.file));
                fs::hard_link(&from, &to)
                    .or_else(|_| fs::copy(&from, &to).map(|_| ()))
                    .map_err(io(&to))?;
            }
            parts.push(part);
        }
        let (manifest, counts) = self.next_manifest(parts, sources);
        let text = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
        write_synced(&self.tmp.join(MANIFEST_FILE), text.as_bytes())?;
        sync_dir(&self.tmp)?;

        let dir = &self.store.dir;
        let final_dir = dir.join(&self.name);
        let _ = fs::remove_dir_all(&final_dir);
        fs::rename(&self.tmp, &final_dir).map_err(io(&final_dir))?;
        sync_dir(dir)?;
        let current_tmp = dir.join("CURRENT.tmp");
        write_synced(&current_tmp, self.name.as_bytes())?;
        // The switch: before this rename the old generation is live, after it the new one.
        fs::rename(&current_tmp, dir.join(CURRENT)).map_err(io(dir))?;
        sync_dir(dir)?;
        self.committed = true;
        self.store.prune_generations(&self.name, true)?;
        self.lock.take();
        tracing::debug!(
            ms = t.elapsed().as_millis(),
            parts = manifest.parts.len(),
            rewritten,
            records = manifest.records,
            "generation committed"
        );
        Ok((manifest, counts))
    }

    /// One try of [`Transaction::commit`] on object storage: upload the staged parts under
    /// keys of their own, then create the next generation's log entry only if it does not
    /// exist. `None` when another writer created it first (what this try uploaded is removed
    /// again; nothing names it).
    fn publish(&mut self, sources: Vec<SourceRecord>) -> Result<Option<Committed>, StoreError> {
        let t = std::time::Instant::now();
        let Some(bucket) = self.store.bucket.as_ref() else {
            return Ok(None);
        };
        let generation = self.live.generation + 1;
        // Keys of their own for this try: a writer that loses the race, or dies, leaves only
        // parts that no manifest names.
        let token = format!("{:016x}", rand::random::<u64>());
        let (planned, rewritten) = self.plan()?;
        let mut parts = Vec::with_capacity(planned.len());
        let mut uploaded = Vec::new();
        for (mut part, origin) in planned {
            if let Origin::Staged = origin {
                let local = self.tmp.join(&part.file);
                let stem = part.file.trim_start_matches("part-");
                let key = format!("{PARTS}/g{generation:06}-{token}-{stem}");
                let bytes = fs::read(&local).map_err(io(&local))?;
                bucket.put(&key, bytes)?;
                uploaded.push((local, key.clone()));
                part.file = key;
            }
            parts.push(part);
        }
        let (manifest, counts) = self.next_manifest(parts, sources);
        let text = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
        // The compare-and-swap: only one writer can create generation N's entry. A create
        // whose answer was lost and that the client retried reads "already exists" of its own
        // entry: the entry names this try's parts, so equal bytes mean this writer won.
        let log_key = object::log_key(generation);
        let text = text.into_bytes();
        let created = bucket.create(&log_key, text.clone())?
            || bucket.get(&log_key)?.is_some_and(|there| there == text);
        if !created {
            for (local, key) in &uploaded {
                let _ = bucket.delete(key);
                let _ = fs::remove_file(local);
            }
            return Ok(None);
        }
        self.committed = true;
        object::saw(bucket, generation);
        for (local, key) in &uploaded {
            self.store.cache_uploaded(local, key);
        }
        let _ = fs::remove_dir_all(&self.tmp);
        self.store.prune_cache(&manifest);
        tracing::debug!(
            ms = t.elapsed().as_millis(),
            generation,
            parts = manifest.parts.len(),
            rewritten,
            records = manifest.records,
            "generation committed to object storage"
        );
        Ok(Some((manifest, counts)))
    }

    /// After a lost race: forget what was built on the old live generation, read the new one
    /// and apply every batch again, in the order they came.
    fn rebase(&mut self) -> Result<(), StoreError> {
        for part in self.new_parts.drain(..).flatten() {
            let _ = fs::remove_file(self.tmp.join(&part.file));
        }
        self.sessions.clear();
        self.live = self.store.manifest()?;
        let inbox = self.inbox.clone();
        for (source, file) in &inbox {
            let path = self.tmp.join(file);
            let handle = File::open(&path).map_err(io(&path))?;
            let frame = ParquetReader::new(handle).finish().map_err(pl(&path))?;
            // Refusals were reported on the first pass; the same rows are refused again.
            self.merge_source(source, frame)?;
        }
        Ok(())
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.committed {
            // Still holding the lock (a folder) or in a staging folder of its own (object
            // storage), so nobody else is writing here.
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// `frame` without the records of each (source, keys) pair.
fn without(frame: &DataFrame, drop: &[(&str, &PlHashSet<u128>)]) -> PolarsResult<DataFrame> {
    let sources = frame.column(cols::SOURCE)?.str()?;
    let ids = frame.column(cols::ACTIVITY_ID)?.str()?;
    let mask: BooleanChunked = sources
        .iter()
        .zip(ids.iter())
        .map(|(s, id)| {
            let gone = match (s, id) {
                (Some(s), Some(id)) => drop
                    .iter()
                    .any(|(source, keys)| *source == s && keys.contains(&key_hash(id))),
                _ => false,
            };
            Some(!gone)
        })
        .collect();
    frame.filter(&mask)
}

/// Write one part file and sync it. zstd, as before parts: measured against LZ4 on a million
/// records it wrote about 15% slower but a third smaller, and read as fast.
fn write_part(path: &std::path::Path, frame: &mut DataFrame) -> Result<(), StoreError> {
    let file = File::create(path).map_err(io(path))?;
    ParquetWriter::new(&file)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(frame)
        .map_err(pl(path))?;
    file.sync_all().map_err(io(path))
}
