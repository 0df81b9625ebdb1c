//! The data sources behind a report: the stored sources with records in the report's regions.
//!
//! A report's metadata table cites the sources its numbers come from, with their checksums, so
//! an evaluator can trace them. It lists only the sources with records inside the report's
//! subject: a kab/kota's profile does not name another region's uploads. Which kab/kota each
//! source has records in is worked out once per scoring run ([`SourceRegions`], kept in the
//! snapshot) with one pass over the activity table.
//!
//! This module reads the activity table and the store manifest; it decides nothing about who
//! may read a report.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use polars::prelude::*;

use super::{Cohort, SourceRow, Subject};
use crate::region::RegionCode;
use crate::store::{Activities, Manifest, cols};

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

/// Whether a source with records in the kab/kota `regencies` feeds `subject`.
fn feeds(subject: &Subject, members: &[RegionCode], regencies: &BTreeSet<String>) -> bool {
    let within = |root: &str| {
        regencies
            .iter()
            .any(|r| r == root || r.starts_with(&format!("{root}.")) || root.starts_with(r))
    };
    match subject {
        Subject::Region(r) => within(regency_prefix(r.as_str())),
        Subject::Cohort(Cohort::All) => true,
        Subject::Cohort(Cohort::Province(p)) => within(p.as_str()),
        Subject::Cohort(_) => members.iter().any(|m| within(m.as_str())),
    }
}

/// The sources of `manifest` with records in `subject` (`members`: a cohort's kab/kota), as
/// the report's metadata rows, in manifest order.
pub fn rows(
    manifest: &Manifest,
    activities: &Activities,
    memo: &SourceRegions,
    subject: &Subject,
    members: &[RegionCode],
) -> Vec<SourceRow> {
    let index = memo.get(activities);
    manifest
        .sources
        .iter()
        .filter(|s| {
            index
                .get(&s.name)
                .is_some_and(|r| feeds(subject, members, r))
        })
        .map(|s| SourceRow {
            name: s.name.clone(),
            checksum: s.checksum.clone(),
            ingested_at: s.ingested_at.clone(),
            accepted: s.accepted,
            rejected: s.rejected,
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
    fn a_regions_report_cites_only_sources_with_records_in_its_kab_kota() {
        let jember = set(&["35.09"]);
        let banyuwangi = set(&["35.10"]);
        let kecamatan = Subject::Region(code("35.09.20"));
        let regency = Subject::Region(code("35.09"));
        assert!(feeds(&kecamatan, &[], &jember));
        assert!(feeds(&regency, &[], &jember));
        assert!(!feeds(&regency, &[], &banyuwangi));
        let province = Subject::Cohort(Cohort::Province(code("35")));
        assert!(feeds(&province, &[], &banyuwangi));
        assert!(!feeds(&province, &[], &set(&["36.01"])));
        let list = Subject::Cohort(Cohort::List(vec![code("35.10")]));
        assert!(feeds(&list, &[code("35.10")], &banyuwangi));
        assert!(!feeds(&list, &[code("35.10")], &jember));
        // A source recorded for a whole province counts for its kab/kota.
        assert!(feeds(&regency, &[], &set(&["35"])));
    }

    #[test]
    fn the_kab_kota_prefix_of_a_code() {
        assert_eq!(regency_prefix("35.09.20"), "35.09");
        assert_eq!(regency_prefix("35.09.20.2001"), "35.09");
        assert_eq!(regency_prefix("35.09"), "35.09");
        assert_eq!(regency_prefix("35"), "35");
    }
}
