//! The data sources behind a set of regions: the stored sources with records in them.
//!
//! A report's metadata table cites the sources its numbers come from, with their checksums, so
//! an evaluator can trace them; it lists only the sources with records inside the report's
//! regions, so a kab/kota's profile does not name another region's uploads. Which kab/kota each
//! source has records in is worked out once per scoring run ([`SourceRegions`], kept in the
//! job's snapshot) with one pass over the activity table.
//!
//! This module reads the activity table and the store manifest; it decides nothing about who
//! may read what.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use polars::prelude::*;

use crate::region::RegionCode;
use crate::store::{Activities, Manifest, SourceRecord, cols};

/// Per source, the kab/kota (`35.09`) it has records in; computed on first use.
#[derive(Default)]
pub struct SourceRegions {
    by_source: OnceLock<HashMap<String, BTreeSet<String>>>,
}

impl std::fmt::Debug for SourceRegions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceRegions")
            .field("computed", &self.by_source.get().is_some())
            .finish()
    }
}

/// The kab/kota part of a region code (`35.09.20` → `35.09`); a province code stays itself.
fn regency_prefix(code: &str) -> &str {
    match code.match_indices('.').nth(1) {
        Some((i, _)) => &code[..i],
        None => code,
    }
}

impl SourceRegions {
    fn get(&self, activities: &Activities) -> &HashMap<String, BTreeSet<String>> {
        self.by_source.get_or_init(|| {
            index(activities).unwrap_or_else(|e| {
                // A failure here only narrows the list to nothing; the report still renders.
                tracing::warn!("indexing the sources' regions failed: {e}");
                HashMap::new()
            })
        })
    }
}

fn index(activities: &Activities) -> PolarsResult<HashMap<String, BTreeSet<String>>> {
    let pairs = activities
        .lazy()
        .select([
            col(cols::SOURCE),
            col(cols::REGION_CODE).str().slice(lit(0), lit(5)),
        ])
        .unique(None, UniqueKeepStrategy::Any)
        .collect()?;
    let sources = pairs.column(cols::SOURCE)?.str()?;
    let regions = pairs.column(cols::REGION_CODE)?.str()?;
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (s, r) in sources.iter().zip(regions.iter()) {
        if let (Some(s), Some(r)) = (s, r) {
            out.entry(s.to_string())
                .or_default()
                .insert(regency_prefix(r).to_string());
        }
    }
    Ok(out)
}

/// The regions whose sources are asked for.
#[derive(Debug, Clone, Copy)]
pub enum Within<'a> {
    /// Every region: every source.
    Everything,
    /// These regions (a province, kab/kota or kecamatan each) and what lies inside them.
    Regions(&'a [RegionCode]),
}

/// Whether a source with records in the kab/kota (or provinces) `regencies` has records within
/// `root`: a kecamatan counts as its kab/kota, a province holds its kab/kota, and a record kept
/// for a whole province counts for each of its kab/kota.
fn feeds(root: &RegionCode, regencies: &BTreeSet<String>) -> bool {
    let root = regency_prefix(root.as_str());
    regencies.iter().any(|r| {
        r == root || r.starts_with(&format!("{root}.")) || root.starts_with(&format!("{r}."))
    })
}

/// The sources of `manifest` with records `within` the regions, in manifest order.
pub fn feeding<'m>(
    manifest: &'m Manifest,
    activities: &Activities,
    memo: &SourceRegions,
    within: Within<'_>,
) -> Vec<&'m SourceRecord> {
    let index = memo.get(activities);
    manifest
        .sources
        .iter()
        .filter(|s| match within {
            Within::Everything => true,
            Within::Regions(roots) => index
                .get(&s.name)
                .is_some_and(|r| roots.iter().any(|root| feeds(root, r))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(codes: &[&str]) -> BTreeSet<String> {
        codes.iter().map(|c| c.to_string()).collect()
    }

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn a_source_feeds_the_regions_it_has_records_in() {
        let jember = set(&["35.09"]);
        let banyuwangi = set(&["35.10"]);
        assert!(feeds(&code("35.09.20"), &jember));
        assert!(feeds(&code("35.09"), &jember));
        assert!(!feeds(&code("35.09"), &banyuwangi));
        assert!(feeds(&code("35"), &banyuwangi));
        assert!(!feeds(&code("35"), &set(&["36.01"])));
        // A source recorded for a whole province counts for its kab/kota.
        assert!(feeds(&code("35.09"), &set(&["35"])));
        assert!(!feeds(&code("36.01"), &set(&["35"])));
    }

    #[test]
    fn the_kab_kota_prefix_of_a_code() {
        assert_eq!(regency_prefix("35.09.20"), "35.09");
        assert_eq!(regency_prefix("35.09.20.2001"), "35.09");
        assert_eq!(regency_prefix("35.09"), "35.09");
        assert_eq!(regency_prefix("35"), "35");
    }
}
