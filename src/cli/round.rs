//! `kotacerdas round list | recap ROUND`: the evaluation rounds on the configured database, and
//! a round's national recap written as PDF, xlsx and one CSV per table.
//!
//! The database is opened as the server opens it (`server::open_evaluation`); the documents are
//! `evaluation::recap`'s, the same bytes the server sends. Nothing is changed in the database.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::args::RoundCommand;
use crate::config::Config;
use crate::evaluation::{Evaluation, FormStatus, recap};
use crate::i18n::Lang;
use crate::job::ReferenceData;
use crate::region::RegionCode;

/// Run a `round` subcommand.
pub(super) fn round_cmd(config: &Config, command: RoundCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    runtime.block_on(async {
        let ev = crate::server::open_evaluation(config)
            .await
            .context("the evaluation database could not be opened")?;
        match command {
            RoundCommand::List => list(&ev).await?,
            RoundCommand::Recap { round, lang, out } => {
                write_recap(config, &ev, round, lang, &out).await?;
            }
        }
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// One line per round: id, year, title, deadline, forms finalised of the cohort.
async fn list(ev: &Evaluation) -> anyhow::Result<()> {
    for r in ev.rounds().await? {
        let forms = ev.forms(r.id).await?;
        let done = forms
            .iter()
            .filter(|f| f.status == FormStatus::Finalised)
            .count();
        println!(
            "{}\t{}\t{}\tdeadline {}\t{done}/{} finalised",
            r.id,
            r.year,
            r.title,
            r.deadline,
            forms.len()
        );
    }
    Ok(())
}

/// The national recap of `round` into `out`, each file's path printed.
async fn write_recap(
    config: &Config,
    ev: &Evaluation,
    round: i64,
    lang: Lang,
    out: &Path,
) -> anyhow::Result<()> {
    let results = ev.results(round).await?;
    let cohort: Vec<RegionCode> = ev
        .forms(round)
        .await?
        .into_iter()
        .map(|f| f.region)
        .collect();
    let config = config.clone();
    let out = out.to_path_buf();
    // Loading the regions and laying out the PDF are CPU work: off the runtime.
    tokio::task::spawn_blocking(move || {
        let reference = ReferenceData::load(&config)?;
        std::fs::create_dir_all(&out)
            .with_context(|| format!("failed to create {}", out.display()))?;
        let stem = format!("rekap_evaluasi_{}_ronde{}", results.round.year, round);
        let tables = recap::recap_tables(&results, &reference.regions, lang);
        let mut files = vec![
            (
                format!("{stem}.pdf"),
                recap::recap_pdf(
                    &results,
                    &cohort,
                    &reference.regions,
                    &reference.boundaries,
                    lang,
                )?,
            ),
            (format!("{stem}.xlsx"), recap::workbook(&tables)?),
        ];
        for t in &tables {
            files.push((format!("{stem}_{}.csv", t.id), recap::csv(t)?));
        }
        for (name, bytes) in files {
            let path = out.join(name);
            std::fs::write(&path, bytes)
                .with_context(|| format!("failed to write {}", path.display()))?;
            println!("{}", path.display());
        }
        anyhow::Ok(())
    })
    .await?
}
