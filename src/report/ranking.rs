//! Ranking a set of regions for a report: the members of a cohort, its title, and each region's
//! line with its rank interval and one-sentence summary.
//!
//! The ranks themselves come from the scores ([`ScoreBook`]); nothing here recomputes one.

use std::collections::BTreeMap;

use super::gather::display_name;
use super::{Cohort, Inputs, RankRange, RankedRegion, ReportError};
use crate::engine::sensitivity::RankInterval;
use crate::i18n::Lang;
use crate::region::{Level, RegionCode, Regions};
use crate::score::ScoreBook;

pub(super) fn cohort_name(regions: &Regions, cohort: &Cohort, lang: Lang) -> String {
    match cohort {
        Cohort::Province(p) => format!(
            "{} {}",
            lang.pick("Kabupaten/kota di", "Regencies and cities of"),
            display_name(regions, p)
        ),
        Cohort::All => lang
            .pick(
                "Seluruh kabupaten/kota yang dinilai",
                "All scored regencies and cities",
            )
            .to_string(),
        Cohort::List(codes) => format!(
            "{} {}",
            codes.len(),
            lang.pick("kabupaten/kota pilihan", "selected regencies and cities")
        ),
        Cohort::SmartCity => lang
            .pick(
                "Gerakan Menuju 100 Smart City (anggota yang terdata)",
                "100 Smart City Movement (listed members)",
            )
            .to_string(),
    }
}

/// The scored kab/kota of a cohort in `period`; an unknown or unscored one is an error naming it.
pub(super) fn cohort_members(
    regions: &Regions,
    book: &ScoreBook,
    cohort: &Cohort,
    period: &str,
) -> Result<Vec<RegionCode>, ReportError> {
    let scored = |c: &RegionCode| book.get(c, period).is_some();
    let mut members: Vec<RegionCode> = match cohort {
        Cohort::Province(p) => {
            let prefix = format!("{p}.");
            book.regions()
                .filter(|r| r.level() == Level::Regency && r.as_str().starts_with(&prefix))
                .filter(|r| scored(r))
                .cloned()
                .collect()
        }
        Cohort::All => book
            .regions()
            .filter(|r| r.level() == Level::Regency && scored(r))
            .cloned()
            .collect(),
        Cohort::SmartCity => regions
            .smart_city()
            .iter()
            .filter(|r| scored(r))
            .cloned()
            .collect(),
        Cohort::List(codes) => {
            for c in codes {
                if !regions.contains(c) {
                    return Err(ReportError::NotFound(format!(
                        "region {c} is not a known Kemendagri region"
                    )));
                }
                if !scored(c) {
                    return Err(ReportError::NotFound(format!(
                        "kab/kota {c} has no kab/kota-level scores in {period} (scores exist for \
                         the kab/kota of provinces with activity data)"
                    )));
                }
            }
            codes.clone()
        }
    };
    if members.is_empty() {
        return Err(ReportError::NotFound(match cohort {
            Cohort::Province(p) => format!(
                "no kab/kota of province {p} has scores in {period} (scores exist for the kab/kota \
                 of provinces with activity data)"
            ),
            Cohort::SmartCity => format!(
                "no member of the smart-city cohort ({} listed) has kab/kota scores in {period} \
                 (scores exist for the kab/kota of provinces with activity data)",
                regions.smart_city().len()
            ),
            _ => format!("no kab/kota has scores in {period}"),
        }));
    }
    members.sort();
    Ok(members)
}

/// One sentence about a region: index, change, strongest and weakest dimension.
fn summary_line(
    index: Option<f64>,
    change: Option<f64>,
    dims: &[(String, Option<f64>)],
    lang: Lang,
) -> String {
    use crate::i18n::format_score;
    let mut s = format!(
        "{} {}",
        lang.pick("Indeks", "Index"),
        format_score(index, lang)
    );
    if let Some(c) = change {
        s.push_str(&format!(" ({})", signed(c, lang)));
    }
    let scored: Vec<&(String, Option<f64>)> = dims.iter().filter(|d| d.1.is_some()).collect();
    let value = |d: &&&(String, Option<f64>)| d.1.unwrap_or(f64::NAN);
    let best = scored.iter().max_by(|a, b| value(a).total_cmp(&value(b)));
    let worst = scored.iter().min_by(|a, b| value(a).total_cmp(&value(b)));
    match (best, worst) {
        // Every dimension the same (all zero where a kab/kota has no activities): a strongest
        // and weakest would be arbitrary picks.
        (Some(b), Some(w)) if format_score(b.1, lang) == format_score(w.1, lang) => {
            s.push_str(&format!(
                "; {} {}",
                lang.pick("semua dimensi", "every dimension"),
                format_score(b.1, lang)
            ));
        }
        (Some(b), Some(w)) => s.push_str(&format!(
            "; {} {} {}; {} {} {}",
            lang.pick("terkuat", "strongest"),
            b.0,
            format_score(b.1, lang),
            lang.pick("terlemah", "weakest"),
            w.0,
            format_score(w.1, lang)
        )),
        _ => {}
    }
    s
}

/// `+4,1` / `-2,0` / `±0,0`.
pub fn signed(v: f64, lang: Lang) -> String {
    let text = crate::i18n::format_number(v.abs(), 1, lang);
    if text.chars().all(|c| c == '0' || c == ',' || c == '.') {
        format!("±{text}")
    } else if v > 0.0 {
        format!("+{text}")
    } else {
        format!("−{text}")
    }
}

/// Rank `members` by index (highest first; unscored last), with their summaries.
pub(super) fn rank(
    inputs: &Inputs<'_>,
    book: &ScoreBook,
    members: &[RegionCode],
    period: &str,
    intervals: &BTreeMap<String, RankInterval>,
    lang: Lang,
) -> Vec<RankedRegion> {
    let fw = inputs.framework;
    let prev = book.previous_period(period);
    let mut rows: Vec<RankedRegion> = members
        .iter()
        .filter_map(|code| {
            let rs = book.get(code, period)?;
            let before = prev.and_then(|p| book.get(code, p));
            let change = rs
                .index
                .zip(before.and_then(|b| b.index))
                .map(|(a, b)| a - b);
            let dims: Vec<(String, Option<f64>)> = fw
                .top_dimensions()
                .map(|d| {
                    (
                        d.name(lang).to_string(),
                        rs.dimension(&d.id).and_then(|x| x.score),
                    )
                })
                .collect();
            Some(RankedRegion {
                position: 0,
                code: code.clone(),
                name: display_name(inputs.regions, code),
                index: rs.index,
                peer_rank: rs.rank,
                peers: rs.peers,
                change,
                dimensions: dims.iter().map(|d| d.1).collect(),
                rank_range: intervals.get(code.as_str()).map(RankRange::from),
                summary: summary_line(rs.index, change, &dims, lang),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.index
            .is_some()
            .cmp(&a.index.is_some())
            .then(b.index.unwrap_or(0.0).total_cmp(&a.index.unwrap_or(0.0)))
            .then(a.code.cmp(&b.code))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.position = i + 1;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_changes_read_as_changes() {
        assert_eq!(signed(4.06, Lang::Id), "+4,1");
        assert_eq!(signed(-1234.5, Lang::Id), "−1.234,5");
        assert_eq!(signed(-0.01, Lang::En), "±0.0");
    }
}
