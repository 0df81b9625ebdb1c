//! Indicator values: numbers recorded per region, period and indicator — BPS statistics (IPM,
//! households with internet), the SPBE index, satisfaction surveys, maturity levels 1–5, "the
//! document exists: yes/no" — as opposed to activity records, which scoring aggregates.
//!
//! This is the accepted values' shape, their look-up and how a commit merges new ones into the
//! stored ones. They are stored in the generation's manifest, not in Parquet parts: values are
//! few (one per region, period and indicator: every kab/kota over eight years of three
//! indicators is about 12,000, some 2 MB of JSON), and in the manifest they are committed by the
//! very write that makes a generation live, on a folder and on object storage alike. Reading
//! and checking a values file is ingest's (`crate::ingest::values`); turning a value into a
//! score is scoring's.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::MergeCounts;

/// One accepted value, with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorValue {
    /// Kemendagri code of the region it describes.
    pub region: String,
    /// Period label (`2024`, or `2024-Q1` / `2024-03` for quarterly or monthly scoring).
    pub period: String,
    /// Framework indicator id.
    pub indicator: String,
    /// The value, in the indicator's own unit.
    pub value: f64,
    /// Unit as written in the file, if given.
    pub unit: Option<String>,
    /// Who published it (e.g. "KepmenPANRB No. 108 Tahun 2023", a URL), if given.
    pub source: Option<String>,
    /// Verification status as written (e.g. "terverifikasi"), if given.
    pub status: Option<String>,
    /// The file it was read from.
    pub file: String,
    /// Its row in that file as a spreadsheet numbers it (the header is row 1).
    pub row: u64,
}

/// Every accepted value, one per region, period and indicator.
#[derive(Debug, Clone, Default)]
pub struct IndicatorValues {
    rows: Vec<IndicatorValue>,
    index: HashMap<(String, String, String), usize>,
}

impl IndicatorValues {
    /// The values of `rows`; of two rows for the same region, period and indicator the first
    /// is kept (ingest refuses the second before it gets here).
    pub fn new(rows: Vec<IndicatorValue>) -> IndicatorValues {
        let mut index = HashMap::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            index
                .entry((r.region.clone(), r.period.clone(), r.indicator.clone()))
                .or_insert(i);
        }
        IndicatorValues { rows, index }
    }

    /// The value of `indicator` for `region` in `period`, if one was recorded.
    pub fn get(&self, region: &str, period: &str, indicator: &str) -> Option<&IndicatorValue> {
        // The key is owned; a look-up builds it once per call, which the scoring does once
        // per unit, period and recorded-values indicator.
        self.index
            .get(&(
                region.to_string(),
                period.to_string(),
                indicator.to_string(),
            ))
            .map(|&i| &self.rows[i])
    }

    /// Every value, in the order read.
    pub fn iter(&self) -> impl Iterator<Item = &IndicatorValue> {
        self.rows.iter()
    }

    /// How many values there are.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The stored values `live` with `new` put in: a value for a region, period and indicator not
/// stored yet is added, one that differs from the stored value (number, unit, source or
/// status) replaces it, one equal to it leaves it as it is. The counts are per source file.
pub(super) fn merge(
    live: &[IndicatorValue],
    new: &[IndicatorValue],
) -> (Vec<IndicatorValue>, HashMap<String, MergeCounts>) {
    let key = |v: &IndicatorValue| (v.region.clone(), v.period.clone(), v.indicator.clone());
    let mut merged = live.to_vec();
    let mut at: HashMap<(String, String, String), usize> = merged
        .iter()
        .enumerate()
        .map(|(i, v)| (key(v), i))
        .collect();
    let mut counts: HashMap<String, MergeCounts> = HashMap::new();
    for v in new {
        let c = counts.entry(v.file.clone()).or_default();
        match at.get(&key(v)) {
            None => {
                at.insert(key(v), merged.len());
                merged.push(v.clone());
                c.added += 1;
            }
            Some(&i) => {
                let old = &merged[i];
                let same = old.value == v.value
                    && old.unit == v.unit
                    && old.source == v.source
                    && old.status == v.status;
                if same {
                    c.unchanged += 1;
                } else {
                    merged[i] = v.clone();
                    c.replaced += 1;
                }
            }
        }
    }
    (merged, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(region: &str, period: &str, v: f64) -> IndicatorValue {
        IndicatorValue {
            region: region.into(),
            period: period.into(),
            indicator: "indeks_spbe".into(),
            value: v,
            unit: None,
            source: None,
            status: None,
            file: "spbe.csv".into(),
            row: 2,
        }
    }

    #[test]
    fn a_value_is_found_by_region_period_and_indicator_and_the_first_of_two_is_kept() {
        let values = IndicatorValues::new(vec![
            value("35.09", "2022", 1.99),
            value("35.09", "2022", 4.0),
            value("35.78", "2023", 4.49),
        ]);
        assert_eq!(values.len(), 3);
        assert_eq!(
            values.get("35.09", "2022", "indeks_spbe").unwrap().value,
            1.99
        );
        assert_eq!(
            values.get("35.78", "2023", "indeks_spbe").unwrap().value,
            4.49
        );
        assert!(values.get("35.09", "2023", "indeks_spbe").is_none());
        assert!(values.get("35.09", "2022", "ipm").is_none());
        assert!(IndicatorValues::default().is_empty());
    }

    #[test]
    fn a_merge_adds_new_values_replaces_changed_ones_and_counts_per_file() {
        let live = vec![value("35.09", "2022", 1.99), value("35.78", "2023", 4.49)];
        let mut corrected = value("35.09", "2022", 2.05);
        corrected.file = "koreksi.csv".into();
        let new = vec![
            corrected,
            value("35.78", "2023", 4.49),
            value("35.09", "2024", 2.5),
        ];
        let (merged, counts) = merge(&live, &new);
        assert_eq!(merged.len(), 3);
        let values = IndicatorValues::new(merged);
        assert_eq!(
            values.get("35.09", "2022", "indeks_spbe").unwrap().value,
            2.05
        );
        let spbe = counts["spbe.csv"];
        assert_eq!((spbe.added, spbe.replaced, spbe.unchanged), (1, 0, 1));
        assert_eq!(counts["koreksi.csv"].replaced, 1);
    }
}
