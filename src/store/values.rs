//! Indicator values: numbers recorded per region, period and indicator — BPS statistics (IPM,
//! households with internet), the SPBE index, satisfaction surveys, maturity levels 1–5, "the
//! document exists: yes/no" — as opposed to activity records, which scoring aggregates.
//!
//! This is the accepted values' shape and their look-up only. Reading and checking a values
//! file is ingest's (`crate::ingest::values`); turning a value into a score is scoring's.

use std::collections::HashMap;

/// One accepted value, with where it came from.
#[derive(Debug, Clone, PartialEq)]
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
}
