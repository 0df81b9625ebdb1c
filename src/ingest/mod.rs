//! Ingest: activity files in, validated records in the store and a report out.
//!
//! Reads CSV (comma, semicolon or tab; UTF-8 or Windows-1252), Excel (.xlsx, .xls, .ods) and
//! JSON (array or one object per line) into one all-text shape ([`read`]), parses cells under
//! the file's conventions (decimal comma or point, Indonesian dates, BPS codes) and checks every
//! row ([`validate`]): date valid and not in the future, region known, programme known and
//! consistent with the dimension, quantities, participants and budget non-negative numbers.
//! A rejected row is reported with source, row (as a spreadsheet numbers it), column, value and
//! reason in Indonesian and English, and written to a quarantine file; nothing is dropped
//! silently. A file that cannot be read at all is reported whole; the others still go in.
//! Files are read and checked in batches (large CSV files are cut at record boundaries; a UTF-8
//! CSV file on disk is read batch by batch, after one streamed pass for its checksum, so it is
//! never in memory whole), and accepted records go into the coming store generation batch by
//! batch; the generation is made live in one atomic step at the end (see [`Store`]). Remote sources are fetched by [`remote`]
//! and then go the same way.
//! Every file is read within the bounds of [`Limits::STANDARD`] (sizes, declared counts, rows,
//! columns, cell and record lengths, nesting), each checked before the allocation it
//! prevents; a file over a bound is refused whole with [`IngestError::TooLarge`] naming the
//! bound, and the other files still go in. Upload, form, command line, dry run and remote
//! source all read through [`ingest`], so all are held to the same bounds.

mod delimited;
mod format;
mod json;
mod limits;
mod parse;
mod read;
pub mod remote;
mod report;
mod schema;
mod validate;
pub mod values;
mod workbook;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::framework::Framework;
use crate::region::Regions;
use crate::store::{
    Activities, ContractError, SourceRecord, Store, StoreError, Transaction, cols, key_hash,
};

pub use format::{InputFormat, UnknownFormat};
pub use limits::{Bound, Limits};
pub use parse::NumberStyle;
pub use report::{FileReport, IngestReport, Rejection};
pub use schema::{Contract, REQUIRED_COLUMNS, canonical_column};

/// Why a whole file could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be opened.
    #[error("cannot open {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file has no header row at all.
    #[error("{path} is empty: expected a header row with {}", REQUIRED_COLUMNS.join(", "))]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Required columns are absent from the header.
    #[error("{path} lacks required column(s) {}; header found: {}{}", missing.join(", "), found.join(", "),
        if closest.is_empty() { String::new() } else { format!("; closest: {}", closest.join(", ")) })]
    MissingColumns {
        /// The file.
        path: PathBuf,
        /// Canonical names of the missing columns.
        missing: Vec<String>,
        /// The header as written in the file.
        found: Vec<String>,
        /// For missing columns, the header cell that looks most like them (`date ~ "tanggl"`).
        closest: Vec<String>,
    },
    /// The file is not something ingest can read (binary, PDF, broken workbook, bad JSON …).
    #[error("{path} {message}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What it is instead / what is wrong, phrased to follow the file name.
        message: String,
    },
    /// The file goes over a bound on what ingest reads from one file (see [`Limits`]).
    #[error("{path} is refused: {what}, more than the limit of {} ({})", bound.amount(*limit), bound.name())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The bound it went over.
        bound: Bound,
        /// The bound's limit.
        limit: u64,
        /// What was found, in the bound's unit.
        found: u64,
        /// What was found, in words (where in the file, how much).
        what: String,
    },
    /// Two header cells mean the same column.
    #[error("{path} has column {column:?} twice (headers {first:?} and {second:?})")]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// Canonical column name.
        column: String,
        /// First header cell.
        first: String,
        /// Second header cell.
        second: String,
    },
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// polars failed during validation (a bug, not bad data).
    #[error("validating {path} failed: {source}")]
    Polars {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: PolarsError,
    },
    /// The validated table broke the contract (a bug, not bad data).
    #[error(transparent)]
    Contract(#[from] ContractError),
}

/// One file (or fetched resource) to ingest.
#[derive(Clone)]
pub struct Input {
    /// Source name: the file name, or the remote source's configured name. Records are keyed
    /// on (source, activity_id).
    pub name: String,
    /// The bytes, or the file holding them.
    pub data: InputData,
    /// The format; detected from the name or content when `None`.
    pub format: Option<InputFormat>,
    /// Excel sheet to read (the first when `None`).
    pub sheet: Option<String>,
    /// HTTP validators of a remote pull, kept in the manifest for the next conditional pull.
    pub validators: Option<remote::Validators>,
    /// Told the number of bytes of every read of a file (a progress bar).
    pub progress: Option<Progress>,
}

/// A callback hearing how many more bytes of an input were read.
pub type Progress = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Input")
            .field("name", &self.name)
            .field("data", &self.data)
            .field("format", &self.format)
            .field("sheet", &self.sheet)
            .finish_non_exhaustive()
    }
}

/// Where an input's bytes are.
#[derive(Clone)]
pub enum InputData {
    /// In memory: an upload, a fetched resource.
    Bytes(Vec<u8>),
    /// A file on disk, read as it is ingested: a large UTF-8 CSV file is read batch by batch
    /// and never held whole (other formats are read whole).
    File(PathBuf),
}

impl fmt::Debug for InputData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputData::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            InputData::File(p) => write!(f, "File({})", p.display()),
        }
    }
}

/// What one pass over an input's bytes found.
struct Scan {
    /// SHA-256, hex.
    checksum: String,
    /// The first 64 KiB, for recognising the format.
    head: Vec<u8>,
    /// Whether the bytes are UTF-8 throughout (a BOM allowed).
    utf8: bool,
    /// Number of bytes.
    len: u64,
}

impl Input {
    /// A file, read when it is ingested; its name (without folders) becomes the source name.
    /// Fails at once when the path is not a readable file.
    pub fn from_path(path: &Path, sheet: Option<&str>) -> Result<Input, IngestError> {
        let io = |source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        };
        std::fs::File::open(path).map_err(io)?;
        Ok(Input::new(
            source_name(path),
            InputData::File(path.to_path_buf()),
            sheet,
        ))
    }

    /// Bytes already read from `path`.
    pub fn named(path: &Path, bytes: Vec<u8>, sheet: Option<&str>) -> Input {
        Input::new(source_name(path), InputData::Bytes(bytes), sheet)
    }

    fn new(name: String, data: InputData, sheet: Option<&str>) -> Input {
        Input {
            name,
            data,
            format: None,
            sheet: sheet.map(str::to_string),
            validators: None,
            progress: None,
        }
    }

    /// SHA-256 of the bytes, hex: the identity of what was read, recorded in the manifest.
    pub fn checksum(&self) -> Result<String, IngestError> {
        Ok(self.scan()?.checksum)
    }

    /// Checksum, head, UTF-8 validity and length in one pass (a file is streamed, not held).
    fn scan(&self) -> Result<Scan, IngestError> {
        const HEAD: usize = 64 * 1024;
        let hex = |digest: &[u8]| digest.iter().map(|b| format!("{b:02x}")).collect();
        match &self.data {
            InputData::Bytes(bytes) => Ok(Scan {
                checksum: hex(&Sha256::digest(bytes)),
                head: bytes[..bytes.len().min(HEAD)].to_vec(),
                // In memory, decoding happens on the whole text; the flag is not used.
                utf8: false,
                len: bytes.len() as u64,
            }),
            InputData::File(path) => {
                use std::io::Read;
                let io = |source| IngestError::Io {
                    path: path.clone(),
                    source,
                };
                let mut file = std::fs::File::open(path).map_err(io)?;
                let mut sha = Sha256::new();
                let mut head = Vec::new();
                let mut buf = vec![0u8; 1 << 20];
                // Bytes of a character cut by the end of the previous read.
                let mut carry: Vec<u8> = Vec::new();
                let (mut utf8, mut len, mut first) = (true, 0u64, true);
                loop {
                    let n = file.read(&mut buf).map_err(io)?;
                    if n == 0 {
                        break;
                    }
                    let block = &buf[..n];
                    sha.update(block);
                    len += n as u64;
                    if head.len() < HEAD {
                        head.extend_from_slice(&block[..block.len().min(HEAD - head.len())]);
                    }
                    if utf8 {
                        let mut text = std::mem::take(&mut carry);
                        let block = if first {
                            block.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(block)
                        } else {
                            block
                        };
                        text.extend_from_slice(block);
                        match std::str::from_utf8(&text) {
                            Ok(_) => {}
                            // Cut inside a character at the end: finish it with the next read.
                            Err(e) if e.error_len().is_none() => {
                                carry = text[e.valid_up_to()..].to_vec();
                            }
                            Err(_) => utf8 = false,
                        }
                    }
                    first = false;
                }
                Ok(Scan {
                    checksum: hex(&sha.finalize()),
                    head,
                    utf8: utf8 && carry.is_empty(),
                    len,
                })
            }
        }
    }
}

/// A path's file name, the source name of its records.
fn source_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// What ingest validates against.
#[derive(Clone, Copy)]
pub struct Reference<'a> {
    /// Known regions.
    pub regions: &'a Regions,
    /// Framework with its programme catalogue.
    pub framework: &'a Framework,
    /// Dates after this are rejected as "in the future".
    pub today: NaiveDate,
    /// Accept only rows for this region and the regions within it (a steward's upload); rows
    /// for other regions are rejected with a reason naming it. `None`: any known region.
    pub scope: Option<&'a crate::region::RegionCode>,
}

/// Options of an ingest run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Validate and report, but change nothing in the store and write no quarantine file.
    pub dry_run: bool,
    /// Re-read a source even if the same bytes were ingested before.
    pub force: bool,
}

/// The activity files in `dir` (CSV, Excel, JSON), sorted by name so runs are reproducible.
pub fn activity_files(dir: &Path) -> Result<Vec<PathBuf>, IngestError> {
    let entries = std::fs::read_dir(dir).map_err(|source| IngestError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| !n.starts_with('.') && InputFormat::from_name(n).is_some())
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Validate `inputs` and commit what passes to `store` in one atomic step.
///
/// A source whose bytes were already ingested under the same name is skipped (unless
/// `options.force`). A file that cannot be read is reported and the others still go in;
/// rejected rows go to a quarantine file. With `options.dry_run` nothing is written.
///
/// Files are read and validated batch by batch, and each batch's accepted records go into the
/// coming store generation at once (see [`crate::store::Transaction`]), so memory holds one
/// batch rather than the file's records. The store's lock is held from the first file to
/// validate until the commit. A name given twice in one run is refused the second time: the
/// two files would claim the same records.
pub fn ingest(
    inputs: &[Input],
    reference: Reference<'_>,
    store: &Store,
    options: Options,
) -> Result<IngestReport, IngestError> {
    let lookups = validate::Lookups::new(reference);
    let manifest = store.manifest()?;
    let now = chrono::Utc::now();
    let mut report = IngestReport {
        dry_run: options.dry_run,
        ..IngestReport::default()
    };
    let mut tx: Option<Transaction<'_>> = None;
    let mut records = Vec::new();
    let mut names: HashSet<&str> = HashSet::new();
    let mut value_keys = values::Seen::new();
    for input in inputs {
        let t = std::time::Instant::now();
        let scan = match input.scan() {
            Ok(scan) => scan,
            Err(e) => {
                report.files.push(FileReport {
                    source: input.name.clone(),
                    error: Some(e.to_string()),
                    ..FileReport::default()
                });
                continue;
            }
        };
        tracing::debug!(source = %input.name, ms = t.elapsed().as_millis(), "checksum");
        let format = input
            .format
            .unwrap_or_else(|| InputFormat::detect(&input.name, &scan.head));
        let checksum = scan.checksum.clone();
        let mut file = FileReport {
            source: input.name.clone(),
            format: format.to_string(),
            checksum: checksum.clone(),
            ..FileReport::default()
        };
        if !options.force
            && manifest
                .latest(&input.name)
                .is_some_and(|r| r.checksum == checksum)
        {
            file.skipped_unchanged = true;
            report.files.push(file);
            continue;
        }
        if !names.insert(&input.name) {
            file.error = Some(format!(
                "{} was sent twice in one ingest; send each file once",
                input.name
            ));
            report.files.push(file);
            continue;
        }
        if !options.dry_run && tx.is_none() {
            tx = Some(store.begin()?.within(reference.scope.cloned()));
        }
        let started = std::time::Instant::now();
        let rejections = match ingest_one(input, &scan, format, &lookups, tx.as_mut(), &mut file) {
            Ok(rejections) => {
                tracing::debug!(
                    source = %input.name,
                    ms = started.elapsed().as_millis(),
                    rows = file.rows,
                    "read and validated"
                );
                Some(rejections)
            }
            // Bugs surface; bad files are reported and the run goes on.
            Err(
                e @ (IngestError::Polars { .. } | IngestError::Contract(_) | IngestError::Store(_)),
            ) => {
                return Err(e);
            }
            // Not an activity file: it may be one of indicator values.
            Err(IngestError::MissingColumns { .. })
                if let Some((values, checked)) =
                    values::try_ingest(input, &reference, &mut value_keys) =>
            {
                if let Some(tx) = tx.as_mut() {
                    tx.put_values(values);
                }
                Some(checked.into_file_report(&mut file))
            }
            Err(e) => {
                // Batches before the one that failed may already be in the transaction.
                if let Some(tx) = tx.as_mut() {
                    tx.discard_source(&input.name)?;
                }
                let error = e.to_string();
                file = FileReport {
                    source: file.source,
                    format: file.format,
                    checksum: file.checksum,
                    error: Some(error),
                    ..FileReport::default()
                };
                None
            }
        };
        if let Some(rejections) = rejections {
            if !options.dry_run && !rejections.is_empty() {
                file.quarantine = Some(report::write_quarantine(
                    store,
                    &input.name,
                    &now,
                    &rejections,
                )?);
            }
            report.rejections.extend(rejections);
            records.push(source_record(input, checksum, format, &file, &now));
        }
        report.files.push(file);
    }
    match tx.filter(|_| !records.is_empty()) {
        Some(tx) => commit(tx, records, report),
        // Nothing to commit; a transaction begun for files that all failed is dropped, which
        // removes what it wrote.
        None => Ok(report),
    }
}

/// The manifest's record of an ingested source, its counts of the store to be filled in by
/// the commit.
fn source_record(
    input: &Input,
    checksum: String,
    format: InputFormat,
    file: &FileReport,
    now: &chrono::DateTime<chrono::Utc>,
) -> SourceRecord {
    SourceRecord {
        name: input.name.clone(),
        checksum,
        format: format.to_string(),
        rows: file.rows,
        accepted: file.accepted,
        rejected: file.rejected,
        added: 0,
        replaced: 0,
        unchanged: 0,
        ingested_at: now.to_rfc3339(),
        quarantine: file.quarantine.clone(),
        validators: input
            .validators
            .as_ref()
            .and_then(|v| serde_json::to_value(v).ok()),
    }
}

/// Make the transaction's generation live and put what it did to each source in the report.
fn commit(
    tx: Transaction<'_>,
    records: Vec<SourceRecord>,
    mut report: IngestReport,
) -> Result<IngestReport, IngestError> {
    let started = std::time::Instant::now();
    let (manifest, counts) = tx.commit(records)?;
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        records = manifest.records,
        "committed"
    );
    for f in &mut report.files {
        if let Some(c) = counts.get(&f.source) {
            (f.added, f.replaced, f.unchanged) = (c.added, c.replaced, c.unchanged);
        }
    }
    report.store_records = Some(manifest.records);
    Ok(report)
}

/// Read and validate one input batch by batch, appending accepted records to `tx` (none on a
/// dry run). Fills the counts of `file`; returns the rejections.
///
/// Three stages run at once, each on its own thread: reading batch n+2, validating batch n+1
/// and writing batch n to the store overlap, and at most one batch per stage is in memory.
///
/// The number style is decided on the first batch (the whole file, unless it is larger than a
/// batch): a file's style shows in its first hundred thousand rows, and deciding it up front
/// lets every later batch be checked as it is read.
fn ingest_one(
    input: &Input,
    scan: &Scan,
    format: InputFormat,
    lookups: &validate::Lookups<'_>,
    tx: Option<&mut Transaction<'_>>,
    file: &mut FileReport,
) -> Result<Vec<Rejection>, IngestError> {
    let polars = |source| IngestError::Polars {
        path: input.name.clone().into(),
        source,
    };
    let sheet = input.sheet.as_deref();
    let limits = &Limits::STANDARD;
    let mut batches = match &input.data {
        InputData::Bytes(bytes) => read::batches(&input.name, bytes, format, sheet, limits)?,
        InputData::File(path) => read::file_batches(
            &input.name,
            path,
            format,
            sheet,
            scan.utf8,
            input.progress.as_deref(),
            limits,
        )?,
    };
    // Sized up front for the rows the file can hold (a record takes at least 64 bytes in any
    // real activity file), so the set never doubles while ten million ids are in it.
    let mut seen: PlHashSet<u128> = PlHashSet::default();
    seen.reserve(usize::try_from(scan.len / 64).unwrap_or(0));
    let mut style = None;
    let mut rejections = Vec::new();
    std::thread::scope(|scope| {
        // Rendezvous channels: a stage hands a batch over only when the next one takes it, so
        // at most one batch per stage is in memory.
        let (raw_out, raw_in) = std::sync::mpsc::sync_channel(0);
        let reader = scope.spawn(move || {
            let started = std::time::Instant::now();
            loop {
                let next = batches.next_batch().transpose();
                let last = !matches!(next, Some(Ok(_)));
                if next.is_none_or(|batch| raw_out.send(batch).is_err()) || last {
                    break;
                }
            }
            started.elapsed().as_millis()
        });
        let (checked_out, checked_in) = std::sync::mpsc::sync_channel::<Activities>(0);
        let writer = tx.map(|tx| {
            scope.spawn(move || {
                let started = std::time::Instant::now();
                let mut refused = Vec::new();
                for batch in checked_in {
                    refused.extend(tx.append(&batch)?);
                }
                Ok::<_, StoreError>((started.elapsed().as_millis(), refused))
            })
        });
        let started = std::time::Instant::now();
        let checked = (|| {
            for table in raw_in {
                let table = table?;
                let style = match style {
                    Some(s) => s,
                    None => {
                        file.notes = table.notes.clone();
                        let s = validate::decide_style(&table.frame, table.fallback_style)
                            .map_err(polars)?;
                        style = Some(s);
                        s
                    }
                };
                file.rows += table.frame.height();
                let checked =
                    validate::validate(&table, &input.name, style, lookups).map_err(polars)?;
                drop(table);
                let (accepted, duplicates) =
                    drop_repeated_ids(checked.accepted, &mut seen).map_err(polars)?;
                file.accepted += accepted.height();
                file.duplicates += duplicates;
                rejections.extend(checked.rejections);
                if writer.is_some() && checked_out.send(Activities::new(accepted)?).is_err() {
                    break; // the writer failed; its error is reported below
                }
            }
            Ok::<_, IngestError>(())
        })();
        let check_ms = started.elapsed().as_millis();
        drop(checked_out);
        let (store_ms, refused) = writer
            .map(|w| w.join().expect("store writer panicked"))
            .transpose()?
            .map_or((None, Vec::new()), |(ms, refused)| (Some(ms), refused));
        // Rows that would have replaced another region's records are rejections like any other.
        file.accepted = file.accepted.saturating_sub(refused.len());
        rejections.extend(refused.into_iter().map(Rejection::taken_over));
        let read_ms = reader.join().expect("reader panicked");
        checked?;
        // Wall time of each stage's thread; they overlap.
        tracing::debug!(source = %input.name, read_ms, check_ms, store_ms, "stages");
        Ok::<_, IngestError>(())
    })?;
    file.rejected = rejections.len();
    file.number_style = style;
    Ok(rejections)
}

/// Pull a remote source and ingest what it returns. A source that answers "not modified" is
/// reported as unchanged; one that cannot be fetched is reported with the reason (the store is
/// untouched), so one failing portal does not stop the others.
pub async fn pull(
    client: &reqwest::Client,
    source: &remote::SourceConfig,
    reference: Reference<'_>,
    store: &Store,
    options: Options,
) -> Result<IngestReport, IngestError> {
    let previous: Option<remote::Validators> = store
        .manifest()?
        .latest(&source.name)
        .and_then(|r| r.validators.clone())
        .and_then(|v| serde_json::from_value(v).ok());
    let conditional = if options.force {
        None
    } else {
        previous.as_ref()
    };
    let mut report = IngestReport {
        dry_run: options.dry_run,
        ..IngestReport::default()
    };
    match remote::fetch(client, source, conditional).await {
        Ok(remote::FetchOutcome::Unchanged) => {
            report.files.push(FileReport {
                source: source.name.clone(),
                skipped_unchanged: true,
                ..FileReport::default()
            });
            Ok(report)
        }
        Ok(remote::FetchOutcome::Fetched(fetched)) => {
            let input = Input {
                format: Some(fetched.format),
                validators: Some(fetched.validators),
                ..Input::new(fetched.name, InputData::Bytes(fetched.bytes), None)
            };
            // Validation and the commit are CPU and disk work: keep them off the async runtime.
            tokio::task::block_in_place(|| ingest(&[input], reference, store, options))
        }
        Err(e) => {
            report.files.push(FileReport {
                source: source.name.clone(),
                error: Some(e.to_string()),
                ..FileReport::default()
            });
            Ok(report)
        }
    }
}

/// Keep the first record of each `activity_id` within one file (`seen` holds the ids of the
/// file's earlier batches); count the repeats.
fn drop_repeated_ids(
    df: DataFrame,
    seen: &mut PlHashSet<u128>,
) -> PolarsResult<(DataFrame, usize)> {
    let ids = df.column(cols::ACTIVITY_ID)?.str()?;
    let mask: BooleanChunked = ids
        .iter()
        .map(|id| Some(id.is_some_and(|id| seen.insert(key_hash(id)))))
        .collect();
    let duplicates = mask.len() - mask.sum().unwrap_or(0) as usize;
    let kept = if duplicates == 0 {
        df
    } else {
        df.filter(&mask)?
    };
    Ok((kept, duplicates))
}

#[cfg(test)]
mod tests;
