//! A round's results: every finalised form scored (self-assessed and verified), ranked
//! nationally and per province, with the change since the region's previous round. Reads the
//! database through the workflow's [`Evaluation`]; the scoring itself is `evaluation::score`.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use super::instrument::Instrument;
use super::score::{self, FormScores, Rank};
use super::store::{self, Round};
use super::workflow::{Evaluation, stored_value};
use super::{EvaluationError, FormStatus};
use crate::region::RegionCode;

type Result<T> = std::result::Result<T, EvaluationError>;

/// A region's result in a finalised form.
#[derive(Debug, Clone, Serialize)]
pub struct RegionResult {
    /// The kab/kota.
    pub region: RegionCode,
    /// Scores of the self-assessed answers.
    pub self_assessed: FormScores,
    /// Scores of the verified answers: the result.
    pub verified: FormScores,
    /// National and provincial rank of the verified index.
    pub rank: Rank,
    /// The region's index in its previous round (the latest earlier year with a result).
    pub previous: Option<Previous>,
}

/// A region's index in an earlier round.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Previous {
    /// That round.
    pub round: i64,
    /// Its year.
    pub year: i32,
    /// The index then.
    pub index: f64,
}

/// A round's results: every finalised region, best first.
#[derive(Debug, Clone)]
pub struct RoundResults {
    /// The round.
    pub round: Round,
    /// Its instrument.
    pub instrument: Arc<Instrument>,
    /// Regions, best verified index first.
    pub regions: Vec<RegionResult>,
    /// Forms of the cohort not finalised yet.
    pub pending: usize,
}

impl Evaluation {
    /// Verified indices of a round's finalised forms, with their scores.
    async fn finalised_scores(
        &self,
        round: &Round,
        instrument: &Instrument,
    ) -> Result<Vec<(RegionCode, FormScores, FormScores)>> {
        let mut c = self.db.pool().acquire().await?;
        let all = store::round_answers(&mut c, round.id).await?;
        let forms = store::forms(&mut c, round.id).await?;
        let mut out = Vec::new();
        for f in forms.iter().filter(|f| f.status == FormStatus::Finalised) {
            let answers = all.get(f.region.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            let values = |verified| {
                answers
                    .iter()
                    .filter_map(|a| Some((a.item.clone(), stored_value(instrument, a, verified)?)))
                    .collect::<HashMap<_, _>>()
            };
            out.push((
                f.region.clone(),
                score::score(instrument, round.year, &values(false)),
                score::score(instrument, round.year, &values(true)),
            ));
        }
        Ok(out)
    }

    /// A round's results: each finalised region's scores, ranks and change since its previous
    /// round, best first.
    pub async fn results(&self, round_id: i64) -> Result<RoundResults> {
        let round = self.round(round_id).await?;
        let instrument = self.instrument(&round.instrument_sha256).await?;
        let scored = self.finalised_scores(&round, &instrument).await?;
        let indices: Vec<(RegionCode, f64)> = scored
            .iter()
            .filter_map(|(r, _, v)| Some((r.clone(), v.index?)))
            .collect();
        let ranks = score::rank(&indices);
        // Earlier rounds, latest first: each region's previous index is its first hit.
        let mut earlier: Vec<Round> = self
            .rounds()
            .await?
            .into_iter()
            .filter(|r| r.year < round.year)
            .collect();
        earlier.sort_by(|a, b| b.year.cmp(&a.year).then(b.id.cmp(&a.id)));
        let mut previous: HashMap<RegionCode, Previous> = HashMap::new();
        for r in &earlier {
            let inst = self.instrument(&r.instrument_sha256).await?;
            for (region, _, v) in self.finalised_scores(r, &inst).await? {
                if let Some(index) = v.index {
                    previous.entry(region).or_insert(Previous {
                        round: r.id,
                        year: r.year,
                        index,
                    });
                }
            }
        }
        let mut regions: Vec<RegionResult> = scored
            .into_iter()
            .filter_map(|(region, self_assessed, verified)| {
                Some(RegionResult {
                    rank: *ranks.get(&region)?,
                    previous: previous.get(&region).copied(),
                    region,
                    self_assessed,
                    verified,
                })
            })
            .collect();
        regions.sort_by(|a, b| {
            a.rank
                .national
                .cmp(&b.rank.national)
                .then(a.region.cmp(&b.region))
        });
        let pending = self
            .forms(round_id)
            .await?
            .iter()
            .filter(|f| f.status != FormStatus::Finalised)
            .count();
        Ok(RoundResults {
            round,
            instrument,
            regions,
            pending,
        })
    }
}
