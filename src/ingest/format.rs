//! Input formats, told apart by file name or, failing that, by content.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The formats ingest reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    /// Delimited text: comma, semicolon or tab (detected).
    Csv,
    /// Excel 2007+ workbook.
    Xlsx,
    /// Excel 97–2003 workbook.
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
    /// A JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
}

/// A format name that is not one of ours.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown input format {0:?}: expected csv, xlsx, xls, ods, json or ndjson")]
pub struct UnknownFormat(pub String);

impl FromStr for InputFormat {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .trim_start_matches('.')
            .to_ascii_lowercase()
            .as_str()
        {
            "csv" | "txt" | "tsv" => Ok(InputFormat::Csv),
            "xlsx" | "xlsm" => Ok(InputFormat::Xlsx),
            "xls" => Ok(InputFormat::Xls),
            "ods" => Ok(InputFormat::Ods),
            "json" => Ok(InputFormat::Json),
            "ndjson" | "jsonl" => Ok(InputFormat::Ndjson),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Csv => "csv",
            InputFormat::Xlsx => "xlsx",
            InputFormat::Xls => "xls",
            InputFormat::Ods => "ods",
            InputFormat::Json => "json",
            InputFormat::Ndjson => "ndjson",
        })
    }
}

impl InputFormat {
    /// The format a file name's extension says, if any.
    pub fn from_name(name: &str) -> Option<InputFormat> {
        let (_, ext) = name.rsplit_once('.')?;
        ext.parse().ok()
    }

    /// Guess from the first bytes: zip (xlsx/ods), OLE (xls), JSON, else CSV.
    pub fn sniff(bytes: &[u8]) -> InputFormat {
        let start = bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(bytes)
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&[][..], |i| &bytes[i..]);
        if bytes.starts_with(b"PK\x03\x04") {
            // Both xlsx and ods are zip files; ods names its mimetype first.
            if bytes
                .windows(b"opendocument.spreadsheet".len())
                .take(200)
                .any(|w| w == b"opendocument.spreadsheet")
            {
                InputFormat::Ods
            } else {
                InputFormat::Xlsx
            }
        } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            InputFormat::Xls
        } else if start.starts_with(b"[") {
            InputFormat::Json
        } else if start.starts_with(b"{") {
            InputFormat::Ndjson
        } else {
            InputFormat::Csv
        }
    }

    /// The format by name when the name says, else by content.
    pub fn detect(name: &str, bytes: &[u8]) -> InputFormat {
        InputFormat::from_name(name).unwrap_or_else(|| InputFormat::sniff(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_names_or_content() {
        assert_eq!(
            InputFormat::from_name("kegiatan.XLSX"),
            Some(InputFormat::Xlsx)
        );
        assert_eq!(InputFormat::from_name("a.jsonl"), Some(InputFormat::Ndjson));
        assert_eq!(InputFormat::sniff(b"  [{\"a\":1}]"), InputFormat::Json);
        assert_eq!(
            InputFormat::sniff(b"{\"a\":1}\n{\"a\":2}"),
            InputFormat::Ndjson
        );
        assert_eq!(InputFormat::sniff(b"PK\x03\x04...."), InputFormat::Xlsx);
        assert_eq!(InputFormat::sniff(b"tanggal;kode"), InputFormat::Csv);
        assert_eq!(InputFormat::detect("upload", b"[]"), InputFormat::Json);
    }
}
