//! `kotacerdas ingest`: activity files and remote sources into the store, with the ingest
//! report as text or JSON, and progress on the terminal while it works.
//!
//! Validation, storing and pulling are `crate::ingest`'s; this file picks the inputs from the
//! command line and the configuration and shows progress. It does not score.

use std::process::ExitCode;

use anyhow::Context;

use super::args::IngestArgs;
use crate::config::Config;
use crate::job::ReferenceData;

/// Read the files, pull the sources, and print the report; exit 1 if a file was refused.
pub(super) fn ingest_cmd(config: &Config, args: IngestArgs) -> anyhow::Result<ExitCode> {
    use crate::ingest::{self, IngestReport, Options};
    use crate::store::Store;

    if args.files.is_empty() && args.sources.is_empty() && !args.all_sources {
        anyhow::bail!("nothing to ingest: name files, --source NAME or --all-sources");
    }
    let reference = ReferenceData::load(config)?;
    let store = Store::open_at(&config.store_location())?;
    let options = Options {
        dry_run: args.dry_run,
        force: args.force,
    };
    let mut inputs = Vec::with_capacity(args.files.len());
    for path in &args.files {
        inputs.push(read_with_progress(path, args.sheet.as_deref())?);
    }
    let spinner = indicatif::ProgressBar::new_spinner().with_message("validating");
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let mut report = if inputs.is_empty() {
        IngestReport::default()
    } else {
        ingest::ingest(&inputs, reference.validation(), &store, options)?
    };
    let wanted: Vec<&crate::ingest::remote::SourceConfig> = if args.all_sources {
        config.sources.iter().collect()
    } else {
        args.sources
            .iter()
            .map(|name| {
                config
                    .sources
                    .iter()
                    .find(|s| &s.name == name)
                    .with_context(|| {
                        let known: Vec<&str> =
                            config.sources.iter().map(|s| s.name.as_str()).collect();
                        format!(
                            "no source named {name:?} in the configuration; configured: {}",
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        )
                    })
            })
            .collect::<anyhow::Result<_>>()?
    };
    if !wanted.is_empty() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("failed to start the async runtime")?;
        let client = crate::ingest::remote::client();
        for source in wanted {
            spinner.set_message(format!("pulling {}", source.name));
            let pulled = runtime.block_on(ingest::pull(
                &client,
                source,
                reference.validation(),
                &store,
                options,
            ))?;
            report.files.extend(pulled.files);
            report.rejections.extend(pulled.rejections);
            report.store_records = pulled.store_records.or(report.store_records);
        }
    }
    spinner.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text(args.lang));
    }
    Ok(if report.failed_files().next().is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A file to ingest, with a progress bar of its reading when it is large enough to wait for.
fn read_with_progress(
    path: &std::path::Path,
    sheet: Option<&str>,
) -> anyhow::Result<crate::ingest::Input> {
    let mut input = crate::ingest::Input::from_path(path, sheet)?;
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size >= 16 * 1024 * 1024 {
        let bar = indicatif::ProgressBar::new(size).with_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(path.display().to_string());
        input.progress = Some(std::sync::Arc::new(move |n| {
            bar.inc(n);
            if bar.position() >= bar.length().unwrap_or(0) {
                bar.finish_and_clear();
            }
        }));
    }
    Ok(input)
}
