//! `kotacerdas bench --rounds`: time the national recap of every kab/kota (514) on the shipped
//! instrument: reading and scoring the round from the database, and rendering the recap as
//! workbook and PDF. The round is made up (seeded answers, every form finalised) in a SQLite
//! file in a temporary folder. Measures and prints; asserts nothing.

use std::sync::Arc;

use anyhow::Context;
use rand::{Rng, SeedableRng};

use super::Measurement;
use crate::auth::Role;
use crate::config::Config;
use crate::db::{Db, Target};
use crate::evaluation::evidence::FsEvidence;
use crate::evaluation::store::{self, Answer, Verification};
use crate::evaluation::workflow::{Actor, Evaluation, OpenRound, today_wib};
use crate::evaluation::{AnswerType, FormStatus, recap};
use crate::i18n::Lang;
use crate::job::ReferenceData;
use crate::region::{Level, RegionCode};

/// [`super::measure`] for a step that can fail: the first failure ends the benchmark.
fn timed<T>(
    name: &str,
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(Measurement, T)> {
    let mut failed = None;
    let (m, last) = super::measure(name, runs, || match f() {
        Ok(v) => Some(v),
        Err(e) => {
            failed.get_or_insert(e);
            None
        }
    });
    match (failed, last) {
        (None, Some(v)) => Ok((m, v)),
        (Some(e), _) => Err(e),
        (None, None) => unreachable!("a run without a failure returns its value"),
    }
}

/// A round of `cohort` on a SQLite database in `dir`, every form answered at random (seeded),
/// every answer accepted, every form finalised: what a national recap reads.
async fn finalised_round(
    config: &Config,
    dir: &std::path::Path,
    cohort: &[RegionCode],
) -> anyhow::Result<(Evaluation, i64)> {
    let db = Db::open(&Target::Sqlite(dir.join("kotacerdas.db")), 4).await?;
    let ev = Evaluation::new(
        db,
        Arc::new(FsEvidence::new(dir.join("evidence"))),
        config.evaluation.instruments_dir.clone(),
        config.evaluation.max_evidence_bytes,
    );
    let admin = Actor {
        name: "bench".into(),
        role: Role::Admin,
    };
    let round = ev
        .open_round(
            &admin,
            OpenRound {
                year: 2025,
                title: None,
                instrument: None,
                cohort: cohort.to_vec(),
                deadline: today_wib(),
                assignments: Vec::new(),
            },
        )
        .await?;
    let instrument = ev.instrument(&round.instrument_sha256).await?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2025);
    let mut tx = ev.db().begin_write().await?;
    for region in cohort {
        for item in &instrument.items {
            let value = match &item.answer {
                AnswerType::Maturity { .. } => rng.random_range(1..=5).to_string(),
                AnswerType::YesNo => if rng.random_bool(0.6) { "yes" } else { "no" }.to_string(),
                AnswerType::Number { min, max, .. } => rng.random_range(*min..=*max).to_string(),
                AnswerType::MasterplanShare => {
                    rng.random_range(0.0..=100.0_f64).round().to_string()
                }
            };
            let answer = Answer {
                item: item.id.clone(),
                value: Some(value),
                verification: Some(Verification::Accepted),
                ..Answer::default()
            };
            store::put_answer(&mut tx, round.id, region, &answer).await?;
        }
        let mut form = store::form(&mut tx, round.id, region)
            .await?
            .context("form")?;
        form.status = FormStatus::Finalised;
        store::set_status(&mut tx, &form).await?;
    }
    tx.commit().await?;
    anyhow::Ok((ev, round.id))
}

/// Build a finalised round of every kab/kota and time its recap.
pub fn recap(config: &Config, runs: usize) -> anyhow::Result<Vec<Measurement>> {
    let reference = ReferenceData::load(config)?;
    let mut cohort: Vec<_> = reference
        .regions
        .codes()
        .filter(|c| c.level() == Level::Regency)
        .cloned()
        .collect();
    cohort.sort();
    let dir = std::env::temp_dir().join(format!("kotacerdas-bench-rounds-{}", std::process::id()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    let ev = runtime.block_on(finalised_round(config, &dir, &cohort));
    let (ev, round_id) = ev?;
    let mut out = Vec::new();
    let (mut m, results) = timed(
        "round results: read + score + rank (514 kab/kota)",
        runs,
        || Ok(runtime.block_on(ev.results(round_id))?),
    )?;
    m.note = format!(
        "{} regions × {} items",
        results.regions.len(),
        results.instrument.items.len()
    );
    out.push(m);
    let regions = &reference.regions;
    let (mut m, bytes) = timed("national recap xlsx (3 sheets)", runs, || {
        Ok(recap::workbook(&recap::recap_tables(
            &results,
            regions,
            Lang::Id,
        ))?)
    })?;
    m.note = format!("{:.0} KB", bytes.len() as f64 / 1024.0);
    out.push(m);
    let (mut m, bytes) = timed("national recap PDF (tables, bars, map)", runs, || {
        Ok(recap::recap_pdf(
            &results,
            &cohort,
            regions,
            &reference.boundaries,
            Lang::Id,
        )?)
    })?;
    m.note = format!("{:.0} KB", bytes.len() as f64 / 1024.0);
    out.push(m);
    let (mut m, _) = timed("national recap: results + xlsx + PDF", runs, || {
        let results = runtime.block_on(ev.results(round_id))?;
        recap::workbook(&recap::recap_tables(&results, regions, Lang::Id))?;
        Ok(recap::recap_pdf(
            &results,
            &cohort,
            regions,
            &reference.boundaries,
            Lang::Id,
        )?)
    })?;
    m.note = "what GET /api/v1/rounds/{round}/recap/{xlsx,pdf} do together".into();
    out.push(m);
    runtime.block_on(ev.db().close());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}
