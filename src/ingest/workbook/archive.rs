//! The zip archive of an `.xlsx` or `.ods` workbook, judged from its central directory before
//! a byte is inflated.
//!
//! The central directory declares each entry's compressed and uncompressed size, and the zip
//! reader fails an entry that inflates past its declared size, so the declared sizes bound
//! what reading the workbook can inflate: too many entries, too many bytes in all, or an entry
//! inflating far beyond its compressed size (a zip bomb) is refused here, in microseconds.
//! Reading the entries is the format readers' business, through [`guarded`] so that no XML
//! parser buffers a token over the bound.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::super::IngestError;
use super::super::format::InputFormat;
use super::super::limits::{Bound, Gate, RATIO_FLOOR};
use super::xml::{Stop, TokenGuard};

/// A workbook's zip archive, read from memory.
pub type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// What a zip archive holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An OpenDocument spreadsheet (`content.xml`).
    Ods,
    /// An Office Open XML workbook.
    Xlsx,
    /// An Excel binary workbook (`xl/workbook.bin`), which ingest does not read.
    Xlsb,
}

/// Open the archive in `bytes` and check its declared sizes: entry count, total unpacked
/// bytes, each large entry's compression ratio.
pub fn open<'a>(
    gate: &Gate<'_>,
    bytes: &'a [u8],
    format: InputFormat,
) -> Result<(Archive<'a>, Kind), IngestError> {
    let archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| unreadable(gate, format, format!("{e}")))?;
    gate.check(Bound::ZipEntries, archive.len() as u64, || {
        format!(
            "its zip archive holds {} entries",
            Gate::n(archive.len() as u64)
        )
    })?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_data(i)
            .map_err(|e| unreadable(gate, format, format!("{e}")))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let (size, packed) = (entry.size(), entry.compressed_size());
        total = total.saturating_add(size);
        gate.check(Bound::UnpackedBytes, total, || {
            format!(
                "its zip entries unpack to {} or more (entry {name} alone declares {})",
                Bound::UnpackedBytes.amount(total),
                Bound::UnpackedBytes.amount(size)
            )
        })?;
        if size > RATIO_FLOOR {
            let ratio = size / packed.max(1);
            gate.check(Bound::CompressionRatio, ratio, || {
                format!(
                    "zip entry {name} inflates {} to {}, {} to 1",
                    Bound::UnpackedBytes.amount(packed),
                    Bound::UnpackedBytes.amount(size),
                    Gate::n(ratio)
                )
            })?;
        }
    }
    let has = |archive: &Archive<'_>, name: &str| {
        archive
            .file_names()
            .any(|n| n.is_ok_and(|n| n.replace('\\', "/").eq_ignore_ascii_case(name)))
    };
    let kind = if has(&archive, "content.xml") {
        Kind::Ods
    } else if has(&archive, "xl/workbook.bin") && !has(&archive, "xl/workbook.xml") {
        Kind::Xlsb
    } else if has(&archive, "[Content_Types].xml") || has(&archive, "xl/workbook.xml") {
        Kind::Xlsx
    } else {
        return Err(unreadable(
            gate,
            format,
            "the zip archive holds no spreadsheet (neither xl/workbook.xml nor content.xml)".into(),
        ));
    };
    Ok((archive, kind))
}

/// The refusal of a file that is not a readable workbook of `format`.
pub fn unreadable(gate: &Gate<'_>, format: InputFormat, detail: String) -> IngestError {
    IngestError::Unreadable {
        path: gate.file.into(),
        message: format!("is not a readable {format} workbook: {detail}"),
    }
}

/// Entry `name` (matched without regard to case, as Excel does) of `archive`, inflated
/// through a [`TokenGuard`]; `None` when there is no such entry.
pub fn guarded<'r, 'a>(
    gate: &Gate<'_>,
    archive: &'r mut Archive<'a>,
    name: &str,
) -> Option<TokenGuard<zip::read::ZipFile<'r, Cursor<&'a [u8]>>>> {
    let index = (0..archive.len()).find(|&i| {
        archive
            .name_for_index(i)
            .and_then(Result::ok)
            .is_some_and(|n| n.replace('\\', "/").eq_ignore_ascii_case(name))
    })?;
    let file = archive.by_index(index).ok()?;
    Some(TokenGuard::new(file, gate.limit(Bound::XmlToken)))
}

/// Read all of `reader` (a guarded entry named `part`) to nothing, failing as the guard or
/// the zip reader does: the XML's tokens are within the bound and the entry inflates to its
/// declared size.
pub fn drain<R: Read>(
    gate: &Gate<'_>,
    format: InputFormat,
    part: &str,
    reader: &mut TokenGuard<R>,
) -> Result<(), IngestError> {
    let result = std::io::copy(reader, &mut std::io::sink());
    result
        .map(|_| ())
        .map_err(|e| xml_failure(gate, format, part, reader.stop(), &e.to_string()))
}

/// The refusal for XML stopped by the guard (`stop`), or else unreadable for `detail`.
pub fn xml_failure(
    gate: &Gate<'_>,
    format: InputFormat,
    part: &str,
    stop: Option<Stop>,
    detail: &str,
) -> IngestError {
    match stop {
        Some(Stop::TooLong { at }) => gate.refuse(
            Bound::XmlToken,
            at,
            format!(
                "{part} holds a text or tag of {} or more",
                Bound::XmlToken.amount(at)
            ),
        ),
        Some(Stop::Doctype) => unreadable(
            gate,
            format,
            format!("{part} declares a DOCTYPE, which workbook XML never does"),
        ),
        None => unreadable(gate, format, format!("{part}: {detail}")),
    }
}
