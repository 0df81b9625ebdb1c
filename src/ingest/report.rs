//! The ingest report (for the log, the CLI and the upload endpoint) and quarantine files.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::IngestError;
use super::parse::NumberStyle;
use crate::cells::neutralise;
use crate::i18n::{Lang, format_number};
use crate::store::Store;

/// One row that was not accepted, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rejection {
    /// Source the row came from.
    pub source: String,
    /// Row number as a spreadsheet shows it (a CSV header is row 1; JSON records count from 1).
    pub row: i64,
    /// Canonical name of the offending column.
    pub column: String,
    /// The offending value as written, if any.
    pub value: Option<String>,
    /// Reason in Bahasa Indonesia.
    pub reason_id: String,
    /// Reason in English.
    pub reason_en: String,
}

impl Rejection {
    /// A row refused because it would replace a stored record of a region outside the
    /// uploader's scope (same source and `activity_id`).
    pub fn taken_over(r: crate::store::Refused) -> Rejection {
        Rejection {
            source: r.source,
            row: r.source_row,
            column: "activity_id".into(),
            value: Some(r.activity_id),
            reason_id: "menimpa catatan wilayah di luar wilayah unggahan Anda (activity_id yang \
                        sama sudah tersimpan untuk wilayah lain)"
                .into(),
            reason_en: "would replace a record of a region outside the region you may upload \
                        for (the same activity_id is stored for another region)"
                .into(),
        }
    }
}

/// What happened to one source.
#[derive(Debug, Clone, Serialize, Default)]
pub struct FileReport {
    /// Source name.
    pub source: String,
    /// Format read.
    pub format: String,
    /// SHA-256 of the bytes.
    pub checksum: String,
    /// Number style the file was read in.
    pub number_style: Option<NumberStyle>,
    /// Data rows read.
    pub rows: usize,
    /// Rows that passed validation.
    pub accepted: usize,
    /// Rows rejected.
    pub rejected: usize,
    /// Valid rows repeating an `activity_id` earlier in the same file.
    pub duplicates: usize,
    /// Records new to the store.
    pub added: usize,
    /// Records that replaced an earlier version with the same id.
    pub replaced: usize,
    /// Records already in the store unchanged.
    pub unchanged: usize,
    /// The same bytes were ingested before under this name, so the file was not re-read.
    pub skipped_unchanged: bool,
    /// Quarantine file of the rejected rows, relative to the store folder.
    pub quarantine: Option<String>,
    /// Things skipped that the sender should know about (e.g. a totals row).
    pub notes: Vec<String>,
    /// Why the whole file was refused, if it was.
    pub error: Option<String>,
    /// The file held indicator values (`region_code, period, indicator, value`), not activity
    /// records; its counts are of values.
    pub values: bool,
}

/// The outcome of an ingest run.
#[derive(Debug, Clone, Serialize, Default)]
pub struct IngestReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// One entry per source, in the order read.
    pub files: Vec<FileReport>,
    /// Every rejected row.
    pub rejections: Vec<Rejection>,
    /// Records in the store after the commit (none for a dry run or when nothing was committed).
    pub store_records: Option<usize>,
}

impl IngestReport {
    /// Total rows read.
    pub fn rows(&self) -> usize {
        self.files.iter().map(|f| f.rows).sum()
    }
    /// Total rows accepted.
    pub fn accepted(&self) -> usize {
        self.files.iter().map(|f| f.accepted).sum()
    }
    /// Total rows rejected.
    pub fn rejected(&self) -> usize {
        self.files.iter().map(|f| f.rejected).sum()
    }
    /// Total repeated ids skipped within files.
    pub fn duplicates(&self) -> usize {
        self.files.iter().map(|f| f.duplicates).sum()
    }
    /// Total records replaced in the store.
    pub fn replaced(&self) -> usize {
        self.files.iter().map(|f| f.replaced).sum()
    }
    /// Total records added to the store.
    pub fn added(&self) -> usize {
        self.files.iter().map(|f| f.added).sum()
    }
    /// Files refused whole.
    pub fn failed_files(&self) -> impl Iterator<Item = &FileReport> {
        self.files.iter().filter(|f| f.error.is_some())
    }

    /// The report as readable text, for the CLI.
    pub fn to_text(&self, lang: Lang) -> String {
        let n = |v: usize| format_number(v as f64, 0, lang);
        let mut s = String::new();
        for f in &self.files {
            if let Some(e) = &f.error {
                let _ = writeln!(s, "{}: {} {e}", f.source, lang.pick("DITOLAK:", "REFUSED:"));
                continue;
            }
            if f.skipped_unchanged {
                let _ = writeln!(
                    s,
                    "{}: {}",
                    f.source,
                    lang.pick(
                        "tidak berubah sejak ingest terakhir, dilewati",
                        "unchanged since the last ingest, skipped"
                    )
                );
                continue;
            }
            let _ = writeln!(
                s,
                "{} ({}): {} {}, {} {}, {} {}; {}: {} {}, {} {}, {} {}",
                f.source,
                f.format,
                n(f.rows),
                lang.pick("baris", "rows"),
                n(f.accepted),
                lang.pick("diterima", "accepted"),
                n(f.rejected),
                lang.pick("ditolak", "rejected"),
                lang.pick("penyimpanan", "store"),
                n(f.added),
                lang.pick("baru", "added"),
                n(f.replaced),
                lang.pick("diganti", "replaced"),
                n(f.unchanged),
                lang.pick("sudah ada", "unchanged"),
            );
            if f.duplicates > 0 {
                let _ = writeln!(
                    s,
                    "  {} {}",
                    n(f.duplicates),
                    lang.pick(
                        "baris mengulang id_kegiatan yang sama dan dilewati",
                        "rows repeated an activity_id and were skipped"
                    )
                );
            }
            for note in &f.notes {
                let _ = writeln!(s, "  {note}");
            }
            if let Some(q) = &f.quarantine {
                let _ = writeln!(s, "  {}: {q}", lang.pick("karantina", "quarantine"));
            }
        }
        for r in self.rejections.iter().take(20) {
            let _ = writeln!(
                s,
                "  {} {} {}, {} {}: {} ({})",
                r.source,
                lang.pick("baris", "row"),
                r.row,
                lang.pick("kolom", "column"),
                r.column,
                lang.pick(&r.reason_id, &r.reason_en),
                r.value.as_deref().unwrap_or("")
            );
        }
        if self.rejections.len() > 20 {
            let _ = writeln!(
                s,
                "  … {} {}",
                n(self.rejections.len() - 20),
                lang.pick(
                    "penolakan lagi di berkas karantina",
                    "more rejections in the quarantine files"
                )
            );
        }
        if self.dry_run {
            let _ = writeln!(
                s,
                "{}",
                lang.pick(
                    "uji coba: tidak ada yang disimpan",
                    "dry run: nothing was stored"
                )
            );
        } else if let Some(total) = self.store_records {
            let _ = writeln!(
                s,
                "{}: {} {}",
                lang.pick("penyimpanan", "store"),
                n(total),
                lang.pick("kegiatan", "activities")
            );
        }
        s
    }
}

/// Write the rejected rows of one source to `quarantine/`, returning the path relative to the
/// store folder.
pub(super) fn write_quarantine(
    store: &Store,
    source: &str,
    at: &DateTime<Utc>,
    rejections: &[Rejection],
) -> Result<String, IngestError> {
    let stem = source.rsplit_once('.').map_or(source, |(stem, _)| stem);
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Two uploads of the same name in the same second each keep their file: the name is taken
    // with create_new, and a taken one gets a counter.
    let dir = store.quarantine_dir();
    let stamp = at.format("%Y%m%dT%H%M%S");
    let (name, path, file) = (1..)
        .map(|n| match n {
            1 => format!("{stamp}_{safe}.csv"),
            n => format!("{stamp}_{safe}_{n}.csv"),
        })
        .find_map(|name| {
            let path = dir.join(&name);
            match std::fs::File::create_new(&path) {
                Ok(file) => Some(Ok((name, path, file))),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => None,
                Err(source) => Some(Err(IngestError::Io { path, source })),
            }
        })
        .expect("an unbounded counter finds a free name")?;
    let err = |e: csv::Error| IngestError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    };
    let mut w = csv::Writer::from_writer(file);
    w.write_record(["source", "row", "column", "value", "alasan", "reason"])
        .map_err(err)?;
    for r in rejections {
        w.write_record([
            neutralise(&r.source).as_ref(),
            &r.row.to_string(),
            &neutralise(&r.column),
            &neutralise(r.value.as_deref().unwrap_or("")),
            &neutralise(&r.reason_id),
            &neutralise(&r.reason_en),
        ])
        .map_err(err)?;
    }
    w.flush().map_err(|e| IngestError::Io {
        path: path.clone(),
        source: e,
    })?;
    Ok(format!("quarantine/{name}"))
}
