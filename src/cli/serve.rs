//! `kotacerdas serve` (the default) and `kotacerdas run`: the job followed by the server, or the
//! job alone with a summary on standard output.
//!
//! Both hand over to the library (`Application::build`, `job::run`); nothing here scores,
//! renders or answers requests itself.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use tracing::info;

use crate::config::Config;
use crate::job::{self, ReferenceData};
use crate::server::Application;

/// Start the server (one start-up, the same the tests use) and serve until stopped.
pub(super) fn serve(config: Config, started: Instant) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    runtime.block_on(async move {
        let app = Application::build(config).await?;
        info!(
            ready_ms = format_args!("{:.0}", started.elapsed().as_secs_f64() * 1e3),
            "serving the dashboard on http://{}/",
            app.local_addr()
        );
        app.run_until_stopped().await.context("server failed")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Run the job once, rendering charts, and print what it read, scored and wrote.
pub(super) fn run_job(config: &Config) -> anyhow::Result<ExitCode> {
    let reference = ReferenceData::load(config)?;
    let snapshot = job::run(config, &reference, true)?;
    let r = &snapshot.report;
    println!(
        "{} files, {} rows: {} accepted, {} rejected, {} duplicates",
        r.files.len(),
        r.rows(),
        r.accepted(),
        r.rejected(),
        r.duplicates()
    );
    for f in r.failed_files() {
        println!("refused {}: {}", f.source, f.error.as_deref().unwrap_or(""));
    }
    println!(
        "scored {} regions over {} periods; {} charts in {}",
        snapshot.book.regions().count(),
        snapshot.book.periods().len(),
        snapshot.charts_written,
        config.chart_dir.display()
    );
    println!(
        "ingest {:.1} ms, score {:.1} ms, render {:.1} ms",
        snapshot.timings.ingest_ms, snapshot.timings.score_ms, snapshot.timings.render_ms
    );
    Ok(ExitCode::SUCCESS)
}
