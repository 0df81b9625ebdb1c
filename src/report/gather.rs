//! Gathering a report: from a scoring run, the framework and the store's manifest into one
//! [`ReportData`], and the rank intervals every report of a run shares.
//!
//! The region profile and the ranking of a cohort have their own files ([`super::profile`],
//! [`super::ranking`]); nothing here lays anything out.

use std::sync::Arc;

use chrono::Local;

use super::profile::profile;
use super::ranking::{cohort_members, cohort_name, rank};
use super::{Audience, Cohort, FrameworkRow, Inputs, ReportData, ReportError, SourceRow, Subject};
use crate::analysis::intervals::Intervals;
use crate::analysis::sources::{self, Within};
use crate::framework::Framework;
use crate::i18n::Lang;
use crate::job::Snapshot;
use crate::region::{Level, RegionCode, Regions};

/// Collect what a report of `subject` in `period` says.
pub fn gather(
    inputs: &Inputs<'_>,
    subject: &Subject,
    period: &str,
    lang: Lang,
    audience: Audience,
) -> Result<ReportData, ReportError> {
    let (scores, book, level) = inputs.scores_for(subject);
    let period = inputs.resolve_period(subject, Some(period))?;
    let fw = inputs.framework;
    let dims: Vec<(String, String)> = fw
        .top_dimensions()
        .map(|d| (d.id.clone(), d.name(lang).to_string()))
        .collect();
    let mut members = Vec::new();
    let (profile, ranking, cohort_name) = match subject {
        Subject::Region(region) => (
            Some(profile(inputs, region, &period, lang)?),
            Vec::new(),
            None,
        ),
        Subject::Cohort(cohort) => {
            members = cohort_members(inputs.regions, book, cohort, &period)?;
            let intervals = rank_intervals(inputs, level, &period)?;
            let ranking = rank(inputs, book, &members, &period, &intervals, lang);
            (
                None,
                ranking,
                Some(cohort_name(inputs.regions, cohort, lang)),
            )
        }
    };
    let methods = serde_json::from_str::<serde_json::Value>(&scores.methods)
        .map(|v| flatten("", &v))
        .unwrap_or_default();
    let framework = framework_rows(fw, lang);
    let sources = source_rows(inputs.snapshot, subject, &members);
    Ok(ReportData {
        lang,
        previous_period: book.previous_period(&period).map(str::to_string),
        period,
        granularity: inputs.granularity.to_string(),
        framework_id: scores.framework.0.clone(),
        framework_name: fw.name(lang).to_string(),
        framework_version: scores.framework.1.clone(),
        normalisation: fw.normalisation,
        small_regions: fw.small_regions.map(|s| s.residents),
        methods,
        dimensions: dims,
        framework,
        level,
        profile,
        ranking,
        cohort_name,
        sources,
        audience,
        run: inputs.snapshot.id(),
        scored_at: inputs.snapshot.finished_at,
        generated_at: Local::now(),
    })
}

/// The framework's indicators with their dimension, weights, unit and programmes.
fn framework_rows(fw: &Framework, lang: Lang) -> Vec<FrameworkRow> {
    fw.indicators
        .iter()
        .map(|i| {
            let d = fw.dimension(&i.dimension);
            FrameworkRow {
                dimension: d.map_or(i.dimension.clone(), |d| d.name(lang).to_string()),
                dimension_weight: d.map_or(0.0, |d| d.weight),
                indicator: i.id.clone(),
                name: i.name(lang).to_string(),
                weight: i.weight,
                unit: lang.pick(&i.unit_id, &i.unit_en).to_string(),
                programmes: i.programmes.join(", "),
            }
        })
        .collect()
}

/// The data sources with records in the subject's regions (a province, every region, or the
/// cohort's `members`), with their checksums.
fn source_rows(snapshot: &Snapshot, subject: &Subject, members: &[RegionCode]) -> Vec<SourceRow> {
    let roots: Vec<RegionCode> = match subject {
        Subject::Region(r) => vec![r.clone()],
        Subject::Cohort(Cohort::Province(p)) => vec![p.clone()],
        Subject::Cohort(_) => members.to_vec(),
    };
    let within = match subject {
        Subject::Cohort(Cohort::All) => Within::Everything,
        _ => Within::Regions(&roots),
    };
    sources::feeding(
        &snapshot.manifest,
        &snapshot.activities,
        &snapshot.source_regions,
        within,
    )
    .into_iter()
    .map(|s| SourceRow {
        name: s.name.clone(),
        checksum: s.checksum.clone(),
        ingested_at: s.ingested_at.clone(),
        accepted: s.accepted,
        rejected: s.rejected,
    })
    .collect()
}

/// `{"normalise": {"min_max": {"low": 0}}}` → `normalise.min_max.low = 0`.
fn flatten(prefix: &str, v: &serde_json::Value) -> Vec<(String, String)> {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        serde_json::Value::Object(map) if !map.is_empty() => {
            map.iter().flat_map(|(k, v)| flatten(&key(k), v)).collect()
        }
        serde_json::Value::Object(_) => Vec::new(),
        serde_json::Value::Null => Vec::new(),
        serde_json::Value::String(s) => vec![(prefix.to_string(), s.clone())],
        other => vec![(prefix.to_string(), other.to_string())],
    }
}

pub(super) fn display_name(regions: &Regions, code: &RegionCode) -> String {
    regions
        .get(code)
        .map_or_else(|| code.to_string(), |r| r.display_name())
}

/// Compute what every report of the latest period shares (the kab/kota and kecamatan rank
/// intervals), so the first download after a scoring run does not pay for it. Returns the
/// milliseconds spent.
pub fn prepare(inputs: &Inputs<'_>) -> Result<f64, ReportError> {
    let t = std::time::Instant::now();
    let snapshot = inputs.snapshot;
    for (book, level) in [
        (&snapshot.book, Level::Regency),
        (&snapshot.book, Level::District),
    ] {
        if let Some(period) = book.latest_period() {
            rank_intervals(inputs, level, period)?;
        }
    }
    Ok(t.elapsed().as_secs_f64() * 1e3)
}

/// The rank intervals of every unit of the level in `period`, by code: the scoring run's
/// shared analysis ([`crate::analysis::intervals`]).
pub fn rank_intervals(
    inputs: &Inputs<'_>,
    level: Level,
    period: &str,
) -> Result<Arc<Intervals>, ReportError> {
    let snapshot = inputs.snapshot;
    let run = crate::analysis::intervals::Run {
        activities: &snapshot.activities,
        regions: inputs.regions,
        framework: inputs.framework,
        granularity: inputs.granularity,
    };
    Ok(snapshot.rank_intervals.get(run, level, period)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_flatten_to_keys() {
        let v = serde_json::json!({"normalise": {"min_max": {"low": 0, "high": 100}}, "screen": null, "aggregate": "arithmetic"});
        let flat = flatten("", &v);
        assert!(flat.contains(&("normalise.min_max.low".into(), "0".into())));
        assert!(flat.contains(&("aggregate".into(), "arithmetic".into())));
        assert_eq!(flat.len(), 3);
    }
}
