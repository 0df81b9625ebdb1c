//! `kotacerdas bench`: time the job's stages and chart rendering on the configured data.
//!
//! Each measurement is repeated and reported as median and minimum wall-clock time, so figures
//! in BENCHMARKS.md come from one command on the machine at hand. Nothing here asserts a time;
//! it only measures and prints. Errors are `anyhow`: this is an edge tool like the CLI.

use std::time::Instant;

use serde::Serialize;

use crate::chart::{self, Format};
use crate::config::Config;
use crate::i18n::Lang;
use crate::job::{self, ReferenceData};
use crate::view;

/// One measured operation.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// What was timed.
    pub name: String,
    /// Repetitions.
    pub runs: usize,
    /// Median, milliseconds.
    pub median_ms: f64,
    /// Fastest run, milliseconds.
    pub min_ms: f64,
    /// Extra facts (rows, bytes, …).
    pub note: String,
}

fn measure<T>(name: &str, runs: usize, mut f: impl FnMut() -> T) -> (Measurement, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let m = Measurement {
        name: name.to_string(),
        runs: times.len(),
        median_ms: times[times.len() / 2],
        min_ms: times[0],
        note: String::new(),
    };
    (m, last.expect("at least one run"))
}

/// Run the benchmarks; `runs` repetitions of each job stage, 20× as many of single charts.
pub fn run(config: &Config, runs: usize) -> anyhow::Result<Vec<Measurement>> {
    let mut out = Vec::new();
    let (mut m, reference) = measure("load reference data", runs, || ReferenceData::load(config));
    let reference = reference?;
    m.note = format!("{} regions", reference.regions.len());
    out.push(m);

    let (mut m, snapshot) = measure("job: ingest + score (no charts)", runs, || {
        job::run(config, &reference, false)
    });
    let snapshot = snapshot?;
    m.note = format!(
        "{} rows, {} accepted; ingest {:.1} ms, score {:.1} ms (last run)",
        snapshot.report.rows(),
        snapshot.report.accepted(),
        snapshot.timings.ingest_ms,
        snapshot.timings.score_ms
    );
    out.push(m);

    let region = config.region.clone();
    let view = view::region_view(&snapshot.book, &reference.regions, &region, None)?;
    let radar = view::radar_chart(&view, &reference.framework, Lang::Id);
    for (format, w, h) in [
        (Format::Png, chart::DEFAULT_WIDTH, chart::DEFAULT_HEIGHT),
        (Format::Svg, chart::DEFAULT_WIDTH, chart::DEFAULT_HEIGHT),
        (Format::Png, 1600, 1000),
    ] {
        let name = format!("radar {w}×{h} {}", format.extension().to_uppercase());
        let (mut m, bytes) = measure(&name, runs * 20, || {
            chart::render_radar(&radar, format, w, h)
        });
        let bytes = bytes?;
        m.note = format!("{:.1} KB", bytes.len() as f64 / 1024.0);
        out.push(m);
    }

    let dir = std::env::temp_dir().join(format!("kotacerdas-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let bench_config = Config {
        chart_dir: dir.clone(),
        ..config.clone()
    };
    let (mut m, snapshot) = measure("job: ingest + score + standard chart set", runs, || {
        job::run(&bench_config, &reference, true)
    });
    let snapshot = snapshot?;
    m.note = format!(
        "{} charts, render {:.1} ms (last run)",
        snapshot.charts_written, snapshot.timings.render_ms
    );
    out.push(m);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

/// Format the measurements as a Markdown table.
pub fn to_markdown(measurements: &[Measurement]) -> String {
    let mut s = String::from(
        "| operation | runs | median ms | min ms | notes |\n|---|---:|---:|---:|---|\n",
    );
    for m in measurements {
        s.push_str(&format!(
            "| {} | {} | {:.2} | {:.2} | {} |\n",
            m.name, m.runs, m.median_ms, m.min_ms, m.note
        ));
    }
    s
}

/// Time the scoring engine on a national activity file in the canonical CSV format (e.g. from
/// `gen_activities.py ROWS OUT.csv --national`): every kab/kota as a unit among its province's,
/// every year, the configured framework; then `replications` sensitivity replications of the
/// latest year (weights ± 25%, min-max or z-score, arithmetic, geometric or harmonic means).
/// The file is read and lightly cleaned first (dates, quantities), outside the timings: this
/// measures scoring once the activities are loaded.
pub fn scoring(
    config: &Config,
    file: &std::path::Path,
    runs: usize,
    replications: usize,
) -> anyhow::Result<Vec<Measurement>> {
    use anyhow::Context;
    use polars::prelude::*;

    use crate::region::Level;
    use crate::score::engine::{Aggregate, Normalise, sensitivity::Spec};
    use crate::store::{Activities, cols};

    let reference = ReferenceData::load(config)?;
    let t = Instant::now();
    let mut raw = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(file.to_path_buf()))
        .and_then(|r| r.finish())
        .map_err(anyhow::Error::from)
        .with_context(|| format!("failed to read {}", file.display()))?;
    let rows: Vec<i64> = (2..raw.height() as i64 + 2).collect();
    raw.with_column(Column::new(cols::SOURCE_ROW.into(), rows))?;
    let df = raw
        .lazy()
        .with_columns([
            col(cols::DATE).str().to_date(StrptimeOptions {
                strict: false,
                ..StrptimeOptions::default()
            }),
            col(cols::QUANTITY).cast(DataType::Float64),
            col(cols::PARTICIPANTS).cast(DataType::Int64),
            col(cols::BUDGET_IDR).cast(DataType::Float64),
            col(cols::DIMENSION).fill_null(lit("")),
            lit(file.display().to_string()).alias(cols::SOURCE),
        ])
        .filter(
            col(cols::DATE)
                .is_not_null()
                .and(col(cols::QUANTITY).gt_eq(lit(0.0))),
        )
        .unique_stable_generic(
            Some(vec![col(cols::ACTIVITY_ID)]),
            UniqueKeepStrategy::First,
        )
        .collect()
        .map_err(anyhow::Error::from)
        .context("failed to clean the activity file")?;
    let activities = Activities::new(df).context("cleaned activities break the contract")?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let fw = &reference.framework;
    let regions = &reference.regions;

    let mut out = Vec::new();
    let (mut m, scores) = measure("score: kab/kota × years × indicators", runs, || {
        crate::score::compute_at(
            &activities,
            fw,
            regions,
            crate::score::Granularity::Year,
            Level::Regency,
        )
    });
    let scores = scores?;
    let book = crate::score::ScoreBook::new(&scores, &[])?;
    let units = book
        .regions()
        .filter(|r| r.level() == Level::Regency)
        .count();
    m.note = format!(
        "{} activities ({load_ms:.0} ms to read and clean, not timed); {units} kab/kota × {} periods × {} indicators",
        activities.len(),
        book.periods().len(),
        fw.indicators.len()
    );
    out.push(m);

    let latest = book.latest_period().unwrap_or_default().to_string();
    let spec = Spec {
        replications,
        seed: 2025,
        weight_share: 0.25,
        normalisations: vec![
            Normalise::MinMax {
                low: 0.0,
                high: 100.0,
            },
            Normalise::ZScore {
                mean: 10.0,
                sd: 1.0,
            },
        ],
        aggregations: vec![
            Aggregate::Arithmetic,
            Aggregate::Geometric,
            Aggregate::Harmonic,
        ],
        target: fw.id.clone(),
        rank_within: None,
    };
    let (mut m, intervals) = measure("sensitivity analysis", runs.min(3), || {
        crate::score::sensitivity(
            &activities,
            fw,
            regions,
            crate::score::Granularity::Year,
            Level::Regency,
            &latest,
            &spec,
        )
    });
    let intervals = intervals?;
    m.note = format!(
        "{replications} replications of {latest}, {} kab/kota ranked nationally",
        intervals.len()
    );
    out.push(m);
    Ok(out)
}
