//! Evidence files (bukti dukung): which types are accepted, and where the bytes live.
//!
//! A file is stored once under its SHA-256 (the same PDF attached to three items, or by two
//! regions, is one file); its original name, media type and size are the database's. The store
//! is a small trait so that an object store can replace the folder later. The media type is
//! decided here from the file's first bytes and its extension together, never from what the
//! browser claims, and only the types in [`check_type`] are accepted. Serving files (as
//! attachments, never inline) is the server's business.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use super::EvaluationError;
use super::instrument::hex;

/// Where evidence bytes are kept, by content hash.
pub trait EvidenceStore: Send + Sync + std::fmt::Debug {
    /// Store `bytes` under `sha256` (a no-op when already there).
    fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()>;
    /// The bytes stored under `sha256`.
    fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>>;
}

/// Evidence files in a folder: `ab/cdef…` by hash, written to a temporary name and renamed, so
/// a reader never sees half a file.
#[derive(Debug, Clone)]
pub struct FsEvidence {
    dir: PathBuf,
}

impl FsEvidence {
    /// A store in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> FsEvidence {
        FsEvidence { dir: dir.into() }
    }

    fn path(&self, sha256: &str) -> Option<PathBuf> {
        let ok = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| self.dir.join(&sha256[..2]).join(&sha256[2..]))
    }
}

fn bad_hash() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a SHA-256 hex digest")
}

impl EvidenceStore for FsEvidence {
    fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(sha256).ok_or_else(bad_hash)?;
        if path.exists() {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        // A name of its own per write: two uploads of the same file at once must not share
        // a temporary file.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{}.{}.{n}.part", &sha256[2..], std::process::id()));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    }

    fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.path(sha256).ok_or_else(bad_hash)?)
    }
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The media type of an evidence file, from its content and extension, or why it is refused.
/// Accepted: PDF, PNG, JPEG, xlsx, xls, ods, csv, docx, odt. Office files are zip or OLE
/// containers, so for them the extension decides between the types the container allows.
pub fn check_type(name: &str, bytes: &[u8]) -> Result<&'static str, EvaluationError> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let refuse = |found: &str| EvaluationError::FileType {
        name: name.to_string(),
        found: found.to_string(),
    };
    let zip = bytes.starts_with(b"PK\x03\x04");
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let media = match ext.as_str() {
        "pdf" if bytes.starts_with(b"%PDF-") => "application/pdf",
        "png" if bytes.starts_with(b"\x89PNG\r\n\x1a\n") => "image/png",
        "jpg" | "jpeg" if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) => "image/jpeg",
        "xlsx" if zip => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" if zip => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ods" if zip => "application/vnd.oasis.opendocument.spreadsheet",
        "odt" if zip => "application/vnd.oasis.opendocument.text",
        "xls" if ole => "application/vnd.ms-excel",
        "csv" if std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0) => "text/csv",
        "pdf" | "png" | "jpg" | "jpeg" | "xlsx" | "docx" | "ods" | "odt" | "xls" | "csv" => {
            return Err(refuse(&format!("content is not a .{ext} file")));
        }
        "" => return Err(refuse("no file extension")),
        other => return Err(refuse(&format!(".{other}"))),
    };
    Ok(media)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn types_are_decided_by_content_and_extension() {
        assert_eq!(
            check_type("a.pdf", b"%PDF-1.7 ...").unwrap(),
            "application/pdf"
        );
        assert_eq!(
            check_type("Foto.JPG", &[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
            "image/jpeg"
        );
        assert_eq!(check_type("data.csv", b"a,b\n1,2\n").unwrap(), "text/csv");
        // HTML named .pdf, a script, an executable: refused with a message naming the file.
        let e = check_type("laporan.pdf", b"<html><script>").unwrap_err();
        assert!(
            e.message(Lang::Id).contains("laporan.pdf"),
            "{}",
            e.message(Lang::Id)
        );
        assert!(check_type("x.html", b"<html>").is_err());
        assert!(check_type("x.exe", b"MZ").is_err());
        assert!(check_type("noext", b"%PDF-").is_err());
    }

    #[test]
    fn files_are_stored_once_by_hash_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsEvidence::new(dir.path());
        let bytes = b"%PDF-1.4 bukti".to_vec();
        let h = sha256(&bytes);
        store.put(&h, &bytes).unwrap();
        store.put(&h, &bytes).unwrap();
        assert_eq!(store.get(&h).unwrap(), bytes);
        assert!(store.get("../../etc/passwd").is_err());
    }
}
