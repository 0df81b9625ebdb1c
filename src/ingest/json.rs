//! JSON (an array of activity records) and NDJSON (one record per line) in, the all-text table
//! out, record by record and within the bounds of [`Limits`].
//!
//! The records are read as they are parsed, never as a document tree: a tree of JSON values
//! takes ten to a hundred times the text's size (a 16 MB array of `{"a":1}` objects is a
//! gigabyte of maps), so each record's fields go straight to text, and what is kept grows
//! with the fields that hold a value. A value that is itself an array or object is kept as its
//! JSON text (as before), written within the cell bound. Nesting is held to
//! [`Limits::json_depth`] levels, well under serde_json's own recursion limit of 128 (which a
//! test checks), a file to [`Limits::file_bytes`], an NDJSON line to
//! [`Limits::record_bytes`], the distinct fields to [`Limits::columns`]. What this module does
//! not do: judge the values (validation does).

use std::collections::HashMap;
use std::fmt;

use polars::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::format::InputFormat;
use super::limits::{Bound, Gate, Limits};
use super::parse::NumberStyle;
use super::read::{RawTable, polars_err};
use super::{IngestError, schema};
use crate::store::cols;

/// Read `bytes` (named `name`) as JSON or NDJSON (`format`).
pub fn read(
    name: &str,
    bytes: &[u8],
    format: InputFormat,
    limits: &Limits,
) -> Result<RawTable, IngestError> {
    let gate = Gate::new(name, limits);
    gate.check(Bound::FileBytes, bytes.len() as u64, || {
        format!("it is {}", Bound::FileBytes.amount(bytes.len() as u64))
    })?;
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| unreadable(name, "is not UTF-8 text, as JSON must be".into()))?;
    let mut table = Table::new(gate);
    if format == InputFormat::Json {
        let mut de = serde_json::Deserializer::from_str(text);
        let parsed = Document(&mut table)
            .deserialize(&mut de)
            .and_then(|()| de.end());
        if let Err(e) = parsed {
            return Err(table
                .refusal
                .take()
                .unwrap_or_else(|| unreadable(name, format!("is not valid JSON: {e}"))));
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let number = i as u64 + 1;
            gate.check(Bound::RecordBytes, line.len() as u64, || {
                format!(
                    "line {} holds {}",
                    Gate::n(number),
                    Bound::RecordBytes.amount(line.len() as u64)
                )
            })?;
            let mut de = serde_json::Deserializer::from_str(line);
            let parsed = Record {
                table: &mut table,
                number,
                ndjson: true,
            }
            .deserialize(&mut de)
            .and_then(|()| de.end());
            if let Err(e) = parsed {
                return Err(table.refusal.take().unwrap_or_else(|| {
                    unreadable(
                        name,
                        format!(
                            "line {number} is not valid JSON ({e}); expected one object per line, or a JSON array"
                        ),
                    )
                }));
            }
        }
    }
    table.finish()
}

fn unreadable(name: &str, message: String) -> IngestError {
    IngestError::Unreadable {
        path: name.into(),
        message,
    }
}

/// The records read so far.
struct Table<'g> {
    gate: Gate<'g>,
    /// Field names in order of first appearance.
    keys: Vec<String>,
    index: HashMap<String, usize>,
    /// Each record: its number and its fields with a value (field, text).
    rows: Vec<(i64, Vec<(usize, String)>)>,
    cells: u64,
    text: u64,
    /// Why reading stopped, when a bound or the shape stopped it (the parser's error then
    /// says only that it was stopped).
    refusal: Option<IngestError>,
}

impl<'g> Table<'g> {
    fn new(gate: Gate<'g>) -> Table<'g> {
        Table {
            gate,
            keys: Vec::new(),
            index: HashMap::new(),
            rows: Vec::new(),
            cells: 0,
            text: 0,
            refusal: None,
        }
    }

    /// Stop the parser for `refusal`.
    fn stop<E: de::Error>(&mut self, refusal: IngestError) -> E {
        self.refusal = Some(refusal);
        E::custom("refused")
    }

    /// Check `found` against `bound`, stopping the parser when it is over.
    fn check<E: de::Error>(
        &mut self,
        bound: Bound,
        found: u64,
        what: impl FnOnce() -> String,
    ) -> Result<(), E> {
        match self.gate.check(bound, found, what) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.stop(e)),
        }
    }

    fn finish(self) -> Result<RawTable, IngestError> {
        let name = self.gate.file;
        let (height, width) = (self.rows.len(), self.keys.len());
        let laid_out = (height as u64).saturating_mul(width as u64);
        self.gate.check(Bound::Cells, laid_out, || {
            format!(
                "its table is {} records of {} fields, {} cells",
                Gate::n(height as u64),
                Gate::n(width as u64),
                Gate::n(laid_out)
            )
        })?;
        let mut columns: Vec<Vec<Option<String>>> =
            (0..width).map(|_| Vec::with_capacity(height)).collect();
        let mut numbers = Vec::with_capacity(height);
        for (number, mut fields) in self.rows {
            fields.sort_by_key(|(k, _)| *k);
            let mut fields = fields.into_iter().peekable();
            for (k, column) in columns.iter_mut().enumerate() {
                column.push(fields.next_if(|(at, _)| *at == k).map(|(_, t)| t));
            }
            numbers.push(number);
        }
        let frame_cols: Vec<Column> = self
            .keys
            .iter()
            .zip(columns)
            .map(|(k, values)| Column::new(k.as_str().into(), values))
            .collect();
        let mut df = DataFrame::new(height, frame_cols).map_err(|e| polars_err(name, e))?;
        schema::canonicalise_header(&mut df, name, self.gate.limits.contract)?;
        df.with_column(Column::new(cols::SOURCE_ROW.into(), numbers))
            .map_err(|e| polars_err(name, e))?;
        Ok(RawTable {
            frame: df,
            fallback_style: NumberStyle::DecimalPoint,
            notes: Vec::new(),
        })
    }
}

/// The whole JSON document: an array of records.
struct Document<'t, 'g>(&'t mut Table<'g>);

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of activity records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let table = self.0;
        let mut number = 0u64;
        loop {
            number += 1;
            let record = Record {
                table: &mut *table,
                number,
                ndjson: false,
            };
            if seq.next_element_seed(record)?.is_none() {
                return Ok(());
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        let name = self.0.gate.file;
        Err(self.0.stop(unreadable(
            name,
            "is a single JSON object; expected an array of activity records ([{…}, {…}]) or one object per line".into(),
        )))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.not_an_array(&v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.not_an_array(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.not_an_array(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.not_an_array(&number_text(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.not_an_array(&serde_json::to_string(v).unwrap_or_default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_an_array("null")
    }
}

impl Document<'_, '_> {
    fn not_an_array<E: de::Error>(self, value: &str) -> Result<(), E> {
        let name = self.0.gate.file;
        Err(self.0.stop(unreadable(
            name,
            format!("is JSON {value} ; expected an array of activity records"),
        )))
    }
}

/// One record (number `number`): an object whose fields become cells.
struct Record<'t, 'g> {
    table: &'t mut Table<'g>,
    number: u64,
    ndjson: bool,
}

impl<'de> DeserializeSeed<'de> for Record<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Record<'_, '_> {
    /// Refuse the record for not being an object; `value` is its JSON text.
    fn not_an_object<E: de::Error>(self, value: &str) -> Result<(), E> {
        let name = self.table.gate.file;
        let message = if self.ndjson {
            format!("line {} is not a JSON object", self.number)
        } else {
            format!("record {} is not an object but {value}", self.number)
        };
        Err(self.table.stop(unreadable(name, message)))
    }
}

impl<'de> Visitor<'de> for Record<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an activity record (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let table = self.table;
        let number = self.number;
        table.check(Bound::Rows, table.rows.len() as u64 + 1, || {
            format!("it holds {} or more records", Gate::n(number))
        })?;
        let mut fields: Vec<(usize, String)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            table.check(Bound::CellText, key.len() as u64, || {
                format!(
                    "a field name of record {number} holds {}",
                    Bound::CellText.amount(key.len() as u64)
                )
            })?;
            let value = map.next_value_seed(Text {
                table: &mut *table,
                depth: 3,
            })?;
            let k = match table.index.get(&key) {
                Some(&k) => k,
                None => {
                    let count = table.keys.len() as u64 + 1;
                    table.check(Bound::Columns, count, || {
                        format!(
                            "its records have {} or more different fields",
                            Gate::n(count)
                        )
                    })?;
                    table.index.insert(key.clone(), table.keys.len());
                    table.keys.push(key);
                    table.keys.len() - 1
                }
            };
            // A field given twice keeps its last value, as a JSON object does.
            fields.retain(|(at, _)| *at != k);
            if let Some(text) = value {
                table.cells += 1;
                table.text += text.len() as u64;
                let (cells, total) = (table.cells, table.text);
                table.check(Bound::Cells, cells, || {
                    format!("its records hold {} or more values", Gate::n(cells))
                })?;
                table.check(Bound::TableText, total, || {
                    format!(
                        "the text of its records adds up to {} or more",
                        Bound::TableText.amount(total)
                    )
                })?;
                fields.push((k, text));
            }
        }
        table.rows.push((number as i64, fields));
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let mut out = String::new();
        Render {
            table: &mut *self.table,
            out: &mut out,
            depth: 2,
        }
        .visit_seq(seq)?;
        self.not_an_object(&out)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.not_an_object(&v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.not_an_object(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.not_an_object(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.not_an_object(&number_text(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.not_an_object(&serde_json::to_string(v).unwrap_or_default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_an_object("null")
    }
}

/// A JSON number as serde_json writes it.
fn number_text(v: f64) -> String {
    serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string())
}

/// One field's value, as text: a string trimmed (`None` when empty), a number or boolean as
/// written, `null` as `None`, an array or object as its JSON text.
struct Text<'t, 'g> {
    table: &'t mut Table<'g>,
    /// Nesting level of the value (the array is level 1, a record level 2).
    depth: u64,
}

impl<'de> DeserializeSeed<'de> for Text<'_, '_> {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Text<'_, '_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<String>, E> {
        let t = v.trim();
        self.table.check(Bound::CellText, t.len() as u64, || {
            format!("a value holds {}", Bound::CellText.amount(t.len() as u64))
        })?;
        Ok((!t.is_empty()).then(|| t.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<String>, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<String>, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<String>, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<String>, E> {
        Ok(Some(number_text(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<String>, A::Error> {
        let mut out = String::new();
        Render {
            table: self.table,
            out: &mut out,
            depth: self.depth,
        }
        .visit_seq(seq)?;
        Ok(Some(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<String>, A::Error> {
        let mut out = String::new();
        Render {
            table: self.table,
            out: &mut out,
            depth: self.depth,
        }
        .visit_map(map)?;
        Ok(Some(out))
    }
}

/// A value written out as compact JSON text into `out`, within the cell and depth bounds
/// (object fields in the order written).
struct Render<'t, 'g, 'o> {
    table: &'t mut Table<'g>,
    out: &'o mut String,
    depth: u64,
}

impl<'g> Render<'_, 'g, '_> {
    fn write<E: de::Error>(&mut self, s: &str) -> Result<(), E> {
        self.out.push_str(s);
        let len = self.out.len() as u64;
        self.table.check(Bound::CellText, len, || {
            format!("a value holds {} or more", Bound::CellText.amount(len))
        })
    }

    fn nested(&mut self) -> Render<'_, 'g, '_> {
        Render {
            table: &mut *self.table,
            out: &mut *self.out,
            depth: self.depth + 1,
        }
    }

    fn enter<E: de::Error>(&mut self) -> Result<(), E> {
        let depth = self.depth;
        self.table.check(Bound::JsonDepth, depth, || {
            format!("it nests {} levels deep", Gate::n(depth))
        })
    }
}

impl<'de> DeserializeSeed<'de> for Render<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Render<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        self.write(&serde_json::to_string(v).unwrap_or_default())
    }
    fn visit_bool<E: de::Error>(mut self, v: bool) -> Result<(), E> {
        self.write(if v { "true" } else { "false" })
    }
    fn visit_i64<E: de::Error>(mut self, v: i64) -> Result<(), E> {
        self.write(&v.to_string())
    }
    fn visit_u64<E: de::Error>(mut self, v: u64) -> Result<(), E> {
        self.write(&v.to_string())
    }
    fn visit_f64<E: de::Error>(mut self, v: f64) -> Result<(), E> {
        self.write(&number_text(v))
    }
    fn visit_unit<E: de::Error>(mut self) -> Result<(), E> {
        self.write("null")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.enter()?;
        self.write("[")?;
        let mut first = true;
        loop {
            if !first {
                // Written before the element is known to exist; taken back after the last.
                self.write(",")?;
            }
            if seq.next_element_seed(self.nested())?.is_none() {
                if !first {
                    self.out.pop();
                }
                break;
            }
            first = false;
        }
        self.write("]")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        self.enter()?;
        self.write("{")?;
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            if !first {
                self.write(",")?;
            }
            first = false;
            self.write(&serde_json::to_string(&key).unwrap_or_default())?;
            self.write(":")?;
            map.next_value_seed(self.nested())?;
        }
        self.write("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_json(text: &str, limits: &Limits) -> Result<RawTable, IngestError> {
        read("a.json", text.as_bytes(), InputFormat::Json, limits)
    }

    fn column(t: &RawTable, name: &str) -> Vec<Option<String>> {
        t.frame
            .column(name)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    #[test]
    fn records_read_as_a_value_tree_would_read_them() {
        let text = r#"[{"id_kegiatan": " JS-1 ", "tanggal": "2024-06-01", "kode_wilayah": "35.09.05",
            "program": "desa_go_online", "jumlah": 2.5, "peserta": null, "penyelenggara": {"a": [1, true, "x\"y"]}},
            {"id_kegiatan": "JS-2", "tanggal": "2024-06-02", "kode_wilayah": "35.09.06", "program": "p",
            "jumlah": 10000000000, "jumlah": -3, "anggaran": ""}]"#;
        let t = read_json(text, &Limits::STANDARD).unwrap();
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            column(&t, "activity_id"),
            [Some("JS-1".into()), Some("JS-2".into())]
        );
        // The last of a repeated field wins, and numbers read as serde_json writes them.
        assert_eq!(
            column(&t, "quantity"),
            [
                Some(value[0]["jumlah"].to_string()),
                Some(value[1]["jumlah"].to_string())
            ]
        );
        assert_eq!(column(&t, "participants"), [None, None]);
        assert_eq!(column(&t, "budget_idr"), [None, None]);
        assert_eq!(
            column(&t, "organiser")[0].as_deref(),
            Some(r#"{"a":[1,true,"x\"y"]}"#)
        );
        let rows: Vec<i64> = t
            .frame
            .column(cols::SOURCE_ROW)
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(rows, [1, 2]);
    }

    #[test]
    fn serde_json_alone_stops_at_128_levels_and_ingest_at_32() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let e = serde_json::from_str::<serde_json::Value>(&deep(128)).unwrap_err();
        assert!(e.to_string().contains("recursion limit exceeded"), "{e}");
        assert!(serde_json::from_str::<serde_json::Value>(&deep(127)).is_ok());
        let e = read_json(&deep(100_000), &Limits::STANDARD).unwrap_err();
        assert!(
            matches!(
                e,
                IngestError::TooLarge {
                    bound: Bound::JsonDepth,
                    found: 33,
                    ..
                }
            ),
            "{e}"
        );
        let nested = format!(r#"[{{"id": {}}}]"#, deep(31));
        let e = read_json(&nested, &Limits::STANDARD).unwrap_err();
        assert!(
            matches!(
                e,
                IngestError::TooLarge {
                    bound: Bound::JsonDepth,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn fields_records_lines_and_values_are_held_to_their_bounds() {
        let limits = Limits {
            columns: 3,
            rows: 2,
            cell_text: 10,
            record_bytes: 40,
            cells: 5,
            ..Limits::STANDARD
        };
        let over = |text: &str, format| match read("a", text.as_bytes(), format, &limits) {
            Err(IngestError::TooLarge { bound, .. }) => bound,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(
            over(r#"[{"a":1,"b":1,"c":1,"d":1}]"#, InputFormat::Json),
            Bound::Columns
        );
        assert_eq!(
            over(r#"[{"a":1},{"a":1},{"a":1}]"#, InputFormat::Json),
            Bound::Rows
        );
        assert_eq!(
            over(r#"[{"a":"0123456789x"}]"#, InputFormat::Json),
            Bound::CellText
        );
        assert_eq!(
            over(r#"[{"a":[1,2,3,4,5,6]}]"#, InputFormat::Json),
            Bound::CellText
        );
        assert_eq!(
            over(
                r#"[{"a":1,"b":1,"c":1},{"a":1,"b":1,"c":1}]"#,
                InputFormat::Json
            ),
            Bound::Cells
        );
        assert_eq!(
            over(r#"[{"a":1},{"b":1,"c":1}]"#, InputFormat::Json),
            Bound::Cells
        );
        let line = format!("{{\"a\":\"{}\"}}\n", "x".repeat(50));
        assert_eq!(over(&line, InputFormat::Ndjson), Bound::RecordBytes);
    }

    #[test]
    fn the_shape_is_named_when_it_is_wrong() {
        let e = read_json(r#"{"a": 1}"#, &Limits::STANDARD)
            .unwrap_err()
            .to_string();
        assert!(e.contains("single JSON object"), "{e}");
        let e = read_json("42", &Limits::STANDARD).unwrap_err().to_string();
        assert!(e.contains("is JSON 42"), "{e}");
        let e = read_json("[1, [2]]", &Limits::STANDARD)
            .unwrap_err()
            .to_string();
        assert!(e.contains("record 1 is not an object but 1"), "{e}");
        let e = read_json("[{}, [2, {\"b\": 3}]]", &Limits::STANDARD)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("record 2 is not an object but [2,{\"b\":3}]"),
            "{e}"
        );
        let e = read(
            "a",
            b"{\"a\":1}\n[1]\n",
            InputFormat::Ndjson,
            &Limits::STANDARD,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 2 is not a JSON object"), "{e}");
        let e = read_json("[{\"a\": 1}] x", &Limits::STANDARD)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not valid JSON"), "{e}");
    }
}
