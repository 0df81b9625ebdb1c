//! The read model the server answers from: scores by region and period, as plain structs.
//!
//! Built once per scoring run from the [`Scores`] frames, so request handlers do lookups, not
//! queries. The job's book holds one number per region: kecamatan from the kecamatan-level
//! run, kab/kota (measured whole) and provinces from the kab/kota-level run
//! ([`ScoreBook::merged`]). On an absolute scale every kab/kota also has its rank among all
//! kab/kota (the national list), from the same numbers as its rank in its province.

use std::collections::{BTreeSet, HashMap, HashSet};

use polars::prelude::*;
use serde::Serialize;

use super::{Scores, cols};
use crate::region::{Level, RegionCode};

/// The peer group of every kab/kota: the national list.
pub const NATIONAL: &str = "all";

/// One dimension's score for a region and period.
#[derive(Debug, Clone, Serialize)]
pub struct DimensionScore {
    /// Dimension id.
    pub dimension: String,
    /// 0–100, `None` when no indicator carried information.
    pub score: Option<f64>,
    /// Rank among peers (1 = best).
    pub rank: Option<u32>,
    /// A kab/kota's rank among every scored kab/kota, on an absolute scale only.
    pub national_rank: Option<u32>,
}

/// A region's scores in one period.
#[derive(Debug, Clone, Serialize)]
pub struct RegionScore {
    /// Region code.
    pub region: RegionCode,
    /// Period label.
    pub period: String,
    /// Peer group the ranks are among: the parent kabupaten's code, or `all`.
    pub peer: String,
    /// Index, 0–100.
    pub index: Option<f64>,
    /// Rank of the index among peers.
    pub rank: Option<u32>,
    /// Number of peers ranked.
    pub peers: u32,
    /// A kab/kota's rank among every scored kab/kota (on an absolute scale only).
    pub national_rank: Option<u32>,
    /// Number of kab/kota with an index in the national list.
    pub national_peers: u32,
    /// Dimension scores in framework order.
    pub dimensions: Vec<DimensionScore>,
}

impl RegionScore {
    /// The score of one dimension.
    pub fn dimension(&self, id: &str) -> Option<&DimensionScore> {
        self.dimensions.iter().find(|d| d.dimension == id)
    }
}

/// All scores of a run, looked up by region and period.
#[derive(Debug, Clone, Default)]
pub struct ScoreBook {
    periods: Vec<String>,
    scores: HashMap<(RegionCode, String), RegionScore>,
    /// Regions ranked in each (peer group, period), best first.
    peer_groups: HashMap<(String, String), Vec<RegionCode>>,
    /// The finest level scored: the units (kecamatan, or kab/kota measured whole).
    unit_level: Option<Level>,
}

impl ScoreBook {
    /// Build from the score frames; `dimension_order` is the framework's dimension ids.
    pub fn new(scores: &Scores, dimension_order: &[String]) -> PolarsResult<ScoreBook> {
        let mut book = ScoreBook::default();
        let index = &scores.index;
        let region = index.column(cols::REGION)?.str()?;
        let period = index.column(cols::PERIOD)?.str()?;
        let peer = index.column(cols::PEER)?.str()?;
        let score = index.column(cols::SCORE)?.f64()?;
        let rank = index.column(cols::RANK)?.u32()?;
        let peers = index.column(cols::PEERS)?.u32()?;
        let mut periods = BTreeSet::new();
        for i in 0..index.height() {
            let (Some(code), Some(p)) = (region.get(i), period.get(i)) else {
                continue;
            };
            let Ok(code) = RegionCode::parse(code) else {
                continue;
            };
            periods.insert(p.to_string());
            book.scores.insert(
                (code.clone(), p.to_string()),
                RegionScore {
                    region: code,
                    period: p.to_string(),
                    peer: peer.get(i).unwrap_or_default().to_string(),
                    index: score.get(i),
                    rank: rank.get(i),
                    peers: peers.get(i).unwrap_or_default(),
                    national_rank: None,
                    national_peers: 0,
                    dimensions: dimension_order
                        .iter()
                        .map(|d| DimensionScore {
                            dimension: d.clone(),
                            score: None,
                            rank: None,
                            national_rank: None,
                        })
                        .collect(),
                },
            );
        }
        book.periods = periods.into_iter().collect();
        book.unit_level = book.scores.keys().map(|(r, _)| r.level()).max();

        let dims = &scores.dimensions;
        let region = dims.column(cols::REGION)?.str()?;
        let period = dims.column(cols::PERIOD)?.str()?;
        let dimension = dims.column(cols::DIMENSION)?.str()?;
        let score = dims.column(cols::SCORE)?.f64()?;
        let rank = dims.column(cols::RANK)?.u32()?;
        for i in 0..dims.height() {
            let (Some(code), Some(p), Some(d)) = (region.get(i), period.get(i), dimension.get(i))
            else {
                continue;
            };
            let Ok(code) = RegionCode::parse(code) else {
                continue;
            };
            if let Some(entry) = book
                .scores
                .get_mut(&(code, p.to_string()))
                .and_then(|rs| rs.dimensions.iter_mut().find(|x| x.dimension == d))
            {
                entry.score = score.get(i);
                entry.rank = rank.get(i);
            }
        }

        book.group_peers();
        Ok(book)
    }

    /// One book of the kecamatan-level scores (`units`) and the kab/kota-level ones
    /// (`regencies`: kab/kota measured whole, provinces as their means): each region's numbers
    /// come from the run that measures it. With `national`, kab/kota are also ranked among all
    /// kab/kota (only meaningful on an absolute scale).
    pub fn merged(
        units: &Scores,
        regencies: &Scores,
        dimension_order: &[String],
        national: bool,
    ) -> PolarsResult<ScoreBook> {
        let mut book = ScoreBook::new(units, dimension_order)?;
        book.scores
            .retain(|(r, _), _| !matches!(r.level(), Level::Regency | Level::Province));
        let wide = ScoreBook::new(regencies, dimension_order)?;
        book.scores.extend(wide.scores);
        book.drop_regions_without_data();
        let periods: BTreeSet<String> = book.scores.keys().map(|(_, p)| p.clone()).collect();
        book.periods = periods.into_iter().collect();
        book.unit_level = book.scores.keys().map(|(r, _)| r.level()).max();
        book.peer_groups.clear();
        book.group_peers();
        if national {
            book.rank_nationally();
        }
        Ok(book)
    }

    /// Leave out the regions the data says nothing about: a kab/kota or province without a
    /// score in any period and without a scored kecamatan. A kecamatan stays when its kab/kota
    /// is scored, so that one that sent nothing reads "no data" among its siblings; a kab/kota
    /// the data never covered is not listed as a row of blanks.
    fn drop_regions_without_data(&mut self) {
        let valued = |rs: &RegionScore| {
            rs.index.is_some() || rs.dimensions.iter().any(|d| d.score.is_some())
        };
        let mut kept: HashSet<RegionCode> = HashSet::new();
        for ((region, _), rs) in &self.scores {
            if valued(rs) {
                kept.insert(region.clone());
                if region.level() == Level::District {
                    kept.extend(region.parent());
                }
            }
        }
        self.scores.retain(|(region, _), _| match region.level() {
            Level::District => region.parent().is_some_and(|p| kept.contains(&p)),
            _ => kept.contains(region),
        });
    }

    /// Rank every kab/kota among all kab/kota of its period, by the index and each dimension
    /// (1 = best; ties share the better rank).
    fn rank_nationally(&mut self) {
        for period in self.periods.clone() {
            let keys: Vec<(RegionCode, String)> = self
                .scores
                .keys()
                .filter(|(r, p)| r.level() == Level::Regency && *p == period)
                .cloned()
                .collect();
            let rank = |values: Vec<Option<f64>>| {
                let ranked: Vec<f64> = values.iter().flatten().copied().collect();
                let ranks: Vec<Option<u32>> = values
                    .iter()
                    .map(|v| v.map(|v| 1 + ranked.iter().filter(|o| **o > v).count() as u32))
                    .collect();
                (ranks, ranked.len() as u32)
            };
            let (index_ranks, n) = rank(keys.iter().map(|k| self.scores[k].index).collect());
            for (k, r) in keys.iter().zip(index_ranks) {
                let rs = self.scores.get_mut(k).expect("key listed above");
                rs.national_rank = r;
                rs.national_peers = n;
            }
            let dims: Vec<String> = keys
                .first()
                .map(|k| {
                    self.scores[k]
                        .dimensions
                        .iter()
                        .map(|d| d.dimension.clone())
                        .collect()
                })
                .unwrap_or_default();
            for (j, _) in dims.iter().enumerate() {
                let values = keys
                    .iter()
                    .map(|k| self.scores[k].dimensions[j].score)
                    .collect();
                let (ranks, _) = rank(values);
                for (k, r) in keys.iter().zip(ranks) {
                    let rs = self.scores.get_mut(k).expect("key listed above");
                    rs.dimensions[j].national_rank = r;
                }
            }
        }
    }

    /// The members of each (peer group, period), best first.
    fn group_peers(&mut self) {
        let book = self;
        for rs in book.scores.values() {
            book.peer_groups
                .entry((rs.peer.clone(), rs.period.clone()))
                .or_default()
                .push(rs.region.clone());
        }
        for ((_, period), members) in book.peer_groups.iter_mut() {
            let scores = &book.scores;
            members.sort_by(|a, b| {
                let ra = scores[&(a.clone(), period.clone())].rank;
                let rb = scores[&(b.clone(), period.clone())].rank;
                // Unranked (no score) last, then by rank, then by code for a stable order.
                (ra.is_none(), ra, a).cmp(&(rb.is_none(), rb, b))
            });
        }
    }

    /// The level of the scoring units (the finest level in the book): kecamatan for the job's
    /// scores, kab/kota for the kab/kota-level scores. Coarser levels are aggregates of it.
    pub fn unit_level(&self) -> Option<Level> {
        self.unit_level
    }

    /// Periods with scores, oldest first.
    pub fn periods(&self) -> &[String] {
        &self.periods
    }

    /// The most recent period.
    pub fn latest_period(&self) -> Option<&str> {
        self.periods.last().map(String::as_str)
    }

    /// The period before `period`, if scored.
    pub fn previous_period(&self, period: &str) -> Option<&str> {
        let i = self.periods.iter().position(|p| p == period)?;
        i.checked_sub(1).map(|j| self.periods[j].as_str())
    }

    /// A region's scores in a period.
    pub fn get(&self, region: &RegionCode, period: &str) -> Option<&RegionScore> {
        self.scores.get(&(region.clone(), period.to_string()))
    }

    /// Whether any period has scores for the region.
    pub fn has_region(&self, region: &RegionCode) -> bool {
        self.periods.iter().any(|p| self.get(region, p).is_some())
    }

    /// The scored members of a peer group (e.g. a kabupaten's kecamatan) in a period, best
    /// first; `all` is every kab/kota, by national rank.
    pub fn ranking(&self, peer: &str, period: &str) -> Vec<&RegionScore> {
        if peer == NATIONAL {
            let mut all: Vec<&RegionScore> = self
                .scores
                .values()
                .filter(|rs| rs.period == period && rs.region.level() == Level::Regency)
                .collect();
            all.sort_by(|a, b| {
                let (ra, rb) = (a.national_rank, b.national_rank);
                (ra.is_none(), ra, &a.region).cmp(&(rb.is_none(), rb, &b.region))
            });
            return all;
        }
        self.peer_groups
            .get(&(peer.to_string(), period.to_string()))
            .map(|members| members.iter().filter_map(|m| self.get(m, period)).collect())
            .unwrap_or_default()
    }

    /// Every region with scores (unordered).
    pub fn regions(&self) -> impl Iterator<Item = &RegionCode> {
        let mut seen = BTreeSet::new();
        self.scores
            .keys()
            .filter_map(move |(r, _)| seen.insert(r).then_some(r))
    }

    /// Number of (region, period) entries.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether nothing was scored.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
}
