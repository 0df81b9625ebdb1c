//! The job: load reference data, ingest the activity files, score, render the standard charts.
//!
//! Each stage is timed and logged; the result is a [`Snapshot`] the server answers from. The
//! job is synchronous CPU work: async callers run it on a blocking thread.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Local};
use parallel::parallel_map;
use tracing::{info, warn};

use crate::chart::{self, Format};
use crate::config::Config;
use crate::framework::{Framework, FrameworkError};
use crate::i18n::Lang;
use crate::ingest::{self, IngestError, IngestReport, Input, Reference};
use crate::region::boundaries::{Boundaries, BoundaryError};
use crate::region::{Level, RegionError, Regions};
use crate::score::{self, ScoreBook, ScoreError, Scores};
use crate::store::{Activities, Manifest, Store, StoreError};
use crate::view;

/// A stage of the job failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Reference region data could not be loaded.
    #[error(transparent)]
    Regions(Box<RegionError>),
    /// The boundary catalogue could not be read.
    #[error(transparent)]
    Boundaries(Box<BoundaryError>),
    /// The framework could not be loaded.
    #[error(transparent)]
    Framework(Box<FrameworkError>),
    /// The activity folder could not be read (bad files are reported, not errors).
    #[error(transparent)]
    Ingest(Box<IngestError>),
    /// The store could not be read.
    #[error(transparent)]
    Store(Box<StoreError>),
    /// The stored table broke its contract.
    #[error(transparent)]
    Contract(Box<crate::store::ContractError>),
    /// Scoring failed.
    #[error(transparent)]
    Score(Box<ScoreError>),
    /// A chart could not be rendered or written.
    #[error("rendering {path}: {message}")]
    Chart {
        /// The file being written.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

// The causes are boxed so that `Result<_, JobError>` stays small on the happy path.
macro_rules! boxed_from {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(impl From<$ty> for JobError {
            fn from(e: $ty) -> Self {
                JobError::$variant(Box::new(e))
            }
        })*
    };
}
boxed_from!(
    Regions(RegionError),
    Boundaries(BoundaryError),
    Framework(FrameworkError),
    Ingest(IngestError),
    Store(StoreError),
    Contract(crate::store::ContractError),
    Score(ScoreError),
);

/// Reference data and framework: loaded once, used by every run.
#[derive(Debug)]
pub struct ReferenceData {
    /// Region reference data.
    pub regions: Regions,
    /// Boundary layers for maps, read on first use.
    pub boundaries: Boundaries,
    /// The scoring framework.
    pub framework: Framework,
}

/// How long each stage took.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Timings {
    /// Reading the activity files and validating them.
    pub ingest_ms: f64,
    /// Computing scores and the read model.
    pub score_ms: f64,
    /// Rendering the standard charts.
    pub render_ms: f64,
}

/// The outcome of one run of the job.
#[derive(Debug)]
pub struct Snapshot {
    /// Accepted activities.
    pub activities: Activities,
    /// What this run's ingest read, accepted and rejected.
    pub report: IngestReport,
    /// The store's manifest: every source ingested so far.
    pub manifest: Manifest,
    /// Score frames.
    pub scores: Scores,
    /// Read model of the scores.
    pub book: ScoreBook,
    /// The same activities scored with every kab/kota as a unit among its province's (the
    /// peers a cohort report ranks), with its read model. The kecamatan-level [`Snapshot::scores`]
    /// stay what the dashboard and the API answer from.
    pub regency: RegencyScores,
    /// Stage timings.
    pub timings: Timings,
    /// Charts written by the job.
    pub charts_written: usize,
    /// When the run finished.
    pub finished_at: DateTime<Local>,
    /// The reports' rank intervals, computed at most once per level and period of this run.
    pub rank_intervals: crate::analysis::intervals::IntervalMemo,
    /// Which kab/kota each stored source has records in, for the reports' source lists.
    pub source_regions: crate::analysis::sources::SourceRegions,
}

/// Scores at kab/kota level: every kab/kota of a province with activities, measured whole,
/// ranked among the province's kab/kota; their numbers are in the snapshot's one book.
#[derive(Debug)]
pub struct RegencyScores {
    /// Score frames (their explain frame lists each kab/kota's indicators).
    pub scores: Scores,
}

impl Snapshot {
    /// The score frames that measured `region`: a kab/kota's or province's own run (so its
    /// explanation lists its own indicators), a kecamatan's otherwise.
    pub fn scores_of(&self, region: &crate::region::RegionCode) -> &Scores {
        match region.level() {
            crate::region::Level::Regency | crate::region::Level::Province => &self.regency.scores,
            _ => &self.scores,
        }
    }

    /// An identity of this scoring run: changes whenever the job runs again, so anything derived
    /// from the scores (a cached report) can tell it is stale.
    pub fn id(&self) -> String {
        format!(
            "{}-g{}",
            self.finished_at.format("%Y%m%dT%H%M%S%.9f"),
            self.manifest.generation
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl ReferenceData {
    /// What ingest validates against, with today's date.
    pub fn validation(&self) -> Reference<'_> {
        Reference {
            regions: &self.regions,
            framework: &self.framework,
            today: Local::now().date_naive(),
            scope: None,
        }
    }

    /// Load the region reference data and the framework named in the config.
    pub fn load(config: &Config) -> Result<ReferenceData, JobError> {
        let t = Instant::now();
        let regions = Regions::load(&config.regions_dir())?;
        let boundaries = Boundaries::load(&config.regions_dir())?;
        let framework = Framework::load(&config.framework)?;
        info!(
            regions = regions.len(),
            framework = %framework.id,
            version = %framework.version,
            dimensions = framework.dimensions.len(),
            indicators = framework.indicators.len(),
            ms = format_args!("{:.1}", ms(t.elapsed())),
            "loaded reference data"
        );
        Ok(ReferenceData {
            regions,
            boundaries,
            framework,
        })
    }
}

/// Run the job: ingest the activity folder's new or changed files into the store, score
/// everything the store holds, and (when `render` is set) write the standard charts.
pub fn run(config: &Config, reference: &ReferenceData, render: bool) -> Result<Snapshot, JobError> {
    let t = Instant::now();
    let store = Store::open_at(&config.store_location())?;
    let mut inputs = ingest::activity_files(&config.activities_dir())?
        .iter()
        .map(|p| Input::from_path(p, None))
        .collect::<Result<Vec<_>, _>>()?;
    inputs.extend(value_inputs(config, reference)?);
    let report = ingest::ingest(
        &inputs,
        reference.validation(),
        &store,
        ingest::Options::default(),
    )?;
    let contents = store.load()?;
    let activities = contents.activities()?.with_values(contents.values());
    let ingest_ms = ms(t.elapsed());
    log_ingest(&config.activities_dir(), &report, ingest_ms);
    info!(
        store = %config.store_location().describe(),
        activities = activities.len(),
        sources = contents.manifest.sources.len(),
        "store loaded"
    );

    let t = Instant::now();
    let [scores, regency_scores]: [Scores; 2] = score::compute_levels(
        &activities,
        &reference.framework,
        &reference.regions,
        config.period,
        &[Level::District, Level::Regency],
    )?
    .try_into()
    .expect("one scores per level asked for");
    let dimension_ids: Vec<String> = reference
        .framework
        .dimensions
        .iter()
        .map(|d| d.id.clone())
        .collect();
    // One number per region: kecamatan from their run, kab/kota measured whole and provinces
    // from theirs; a national rank only where the scale is absolute.
    let national = reference.framework.normalisation.is_absolute();
    let book = ScoreBook::merged(&scores, &regency_scores, &dimension_ids, national)
        .map_err(ScoreError::from)?;
    let regency = RegencyScores {
        scores: regency_scores,
    };
    // The scores, with the framework version and methods that made them, kept beside the
    // activities so a report can say how each number was made. Derived data: rewritten on
    // every run, never read back by the job.
    scores.write_parquet(&config.store.join("results"))?;
    regency
        .scores
        .write_parquet(&config.store.join("results").join("regency"))?;
    let score_ms = ms(t.elapsed());
    info!(
        regions = book.regions().count(),
        regencies = book
            .regions()
            .filter(|r| r.level() == crate::region::Level::Regency)
            .count(),
        periods = book.periods().len(),
        granularity = %config.period,
        unplaced = scores.unplaced_activities,
        ms = format_args!("{score_ms:.1}"),
        "scored"
    );
    if scores.unplaced_activities > 0 {
        info!(
            activities = scores.unplaced_activities,
            "activities recorded for a whole kabupaten/kota count for it, not for a kecamatan"
        );
    }

    let (charts_written, render_ms) = if render {
        self::render(config, reference, &book)?
    } else {
        (0, 0.0)
    };
    Ok(Snapshot {
        activities,
        report,
        manifest: contents.manifest,
        scores,
        book,
        regency,
        timings: Timings {
            ingest_ms,
            score_ms,
            render_ms,
        },
        charts_written,
        finished_at: Local::now(),
        rank_intervals: Default::default(),
        source_regions: Default::default(),
    })
}

/// The indicator values of the values folder, checked against the framework; refused rows and
/// unreadable files are logged (and the rows written to `quarantine`, when given), the good
/// values still count. None when the framework takes no recorded values.
/// The values folder's files as inputs of the job's ingest, named `values/FILE` so that they
/// never share a source name with an activity file; none when the framework takes no recorded
/// values (their rows would all be refused).
fn value_inputs(config: &Config, reference: &ReferenceData) -> Result<Vec<Input>, JobError> {
    let dir = config.values_dir();
    if !reference.framework.takes_values() {
        info!(dir = %dir.display(), framework = %reference.framework.id, "the framework takes no recorded values; values folder not read");
        return Ok(Vec::new());
    }
    let files = ingest::values::value_files(&dir).map_err(|source| IngestError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut inputs = Vec::with_capacity(files.len());
    for path in &files {
        let input = Input::from_path(path, None)?;
        inputs.push(Input {
            name: format!("values/{}", input.name),
            ..input
        });
    }
    Ok(inputs)
}

/// The values folder read directly, for a benchmark of a file that is not in the store (the
/// job ingests the folder into the store instead).
pub fn load_values(
    config: &Config,
    reference: &ReferenceData,
    quarantine: Option<&Path>,
) -> crate::store::IndicatorValues {
    let dir = config.values_dir();
    if !reference.framework.takes_values() {
        return crate::store::IndicatorValues::default();
    }
    let files = ingest::values::value_files(&dir).unwrap_or_else(|e| {
        warn!(dir = %dir.display(), error = %e, "cannot list the values folder");
        Vec::new()
    });
    let (values, reports) =
        ingest::values::load(&files, &reference.framework, &reference.regions, quarantine);
    for r in &reports {
        if let Some(e) = &r.error {
            warn!(file = %r.file, error = %e, "values file not read");
        }
        for x in &r.rejected {
            warn!(file = %x.source, row = x.row, column = %x.column, value = ?x.value, "value rejected: {}", x.reason_en);
        }
        info!(file = %r.file, accepted = r.accepted, rejected = r.rejected.len(), "indicator values read");
    }
    values
}

fn log_ingest(dir: &Path, report: &IngestReport, ms: f64) {
    for f in &report.files {
        match &f.error {
            Some(e) => warn!(file = %f.source, "file refused: {e}"),
            None if f.skipped_unchanged => {
                info!(file = %f.source, "unchanged since the last ingest, not re-read")
            }
            None => info!(
                file = %f.source,
                format = %f.format,
                rows = f.rows,
                accepted = f.accepted,
                rejected = f.rejected,
                added = f.added,
                replaced = f.replaced,
                unchanged = f.unchanged,
                quarantine = f.quarantine.as_deref().unwrap_or("-"),
                "read"
            ),
        }
    }
    for r in report.rejections.iter().take(10) {
        warn!(
            file = %r.source,
            row = r.row,
            column = %r.column,
            value = r.value.as_deref().unwrap_or(""),
            "row rejected: {} {}",
            r.column,
            r.reason_en
        );
    }
    if report.rejections.len() > 10 {
        warn!(
            more = report.rejections.len() - 10,
            "more rows rejected (see the dashboard's data section)"
        );
    }
    info!(
        dir = %dir.display(),
        files = report.files.len(),
        rows = report.rows(),
        accepted = report.accepted(),
        rejected = report.rejected(),
        added = report.added(),
        replaced = report.replaced(),
        ms = format_args!("{ms:.1}"),
        "ingested activity files"
    );
}

/// One chart of the standard set.
#[derive(Debug, Clone, serde::Serialize)]
struct RenderedChart {
    kind: &'static str,
    region: String,
    period: String,
    format: &'static str,
    file: String,
    bytes: usize,
    ms: f64,
}

/// The standard chart set of the latest period, Indonesian, default size, PNG and SVG, written
/// as `{kind}_{region}_{period}.{png,svg}` with a `manifest.json` listing them:
/// for every kabupaten/kota with scored kecamatan and each of its kecamatan its radar, its ranked bars among the kabupaten's kecamatan, its
/// trend (index and dimensions) and the kecamatan map with the region outlined; for each
/// kabupaten the kecamatan × dimension heatmap. A kabupaten without kecamatan boundaries gets
/// no maps.
/// Render the standard chart set into the chart folder and log it: (files written, ms).
pub fn render(
    config: &Config,
    reference: &ReferenceData,
    book: &ScoreBook,
) -> Result<(usize, f64), JobError> {
    let t = Instant::now();
    let written = render_standard_set(config, reference, book)?;
    let render_ms = ms(t.elapsed());
    info!(
        charts = written,
        dir = %config.chart_dir.display(),
        ms = format_args!("{render_ms:.1}"),
        "rendered charts"
    );
    Ok((written, render_ms))
}

fn render_standard_set(
    config: &Config,
    reference: &ReferenceData,
    book: &ScoreBook,
) -> Result<usize, JobError> {
    let dir = config.chart_dir.as_path();
    let Some(period) = book.latest_period() else {
        return Ok(0);
    };
    std::fs::create_dir_all(dir).map_err(|e| JobError::Chart {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    // The kabupaten/kota whose kecamatan are scored, and those kecamatan. Other kab/kota (a
    // national file's) are scored and served on request, but a set of eight files for each of
    // 514 is not what a chart folder is for.
    let mut regions: Vec<_> = book
        .regions()
        .filter(|r| {
            r.level() == crate::region::Level::District
                || r.level() == crate::region::Level::Regency
                    && book
                        .ranking(r.as_str(), period)
                        .iter()
                        .any(|rs| rs.index.is_some())
        })
        .cloned()
        .collect();
    regions.sort();
    let mut jobs: Vec<(&'static str, crate::region::RegionCode, Format)> = Vec::new();
    for r in &regions {
        let mut kinds = vec!["radar", "bars", "trend"];
        if view::map_layer(&reference.boundaries, r, view::MapScope::Kecamatan).is_ok() {
            kinds.push("map");
        }
        if r.level() == crate::region::Level::Regency {
            kinds.push("heatmap");
        }
        for kind in kinds {
            for format in [Format::Png, Format::Svg] {
                jobs.push((kind, r.clone(), format));
            }
        }
    }
    let results = parallel_map(&jobs, |(kind, region, format)| {
        let t = Instant::now();
        let file = format!("{kind}_{region}_{period}.{}", format.extension());
        let path = dir.join(&file);
        let fail = |message: String| JobError::Chart {
            path: path.clone(),
            message,
        };
        let bytes = render_one(kind, region, period, *format, reference, book).map_err(fail)?;
        std::fs::write(&path, &bytes).map_err(|e| fail(e.to_string()))?;
        Ok(RenderedChart {
            kind,
            region: region.to_string(),
            period: period.to_string(),
            format: format.extension(),
            file,
            bytes: bytes.len(),
            ms: ms(t.elapsed()),
        })
    });
    let rendered = results.into_iter().collect::<Result<Vec<_>, JobError>>()?;
    let manifest = dir.join("manifest.json");
    let json = serde_json::json!({
        "period": period,
        "lang": "id",
        "width": chart::DEFAULT_WIDTH,
        "height": chart::DEFAULT_HEIGHT,
        "charts": rendered,
    });
    let text = serde_json::to_string_pretty(&json).map_err(|e| JobError::Chart {
        path: manifest.clone(),
        message: e.to_string(),
    })?;
    std::fs::write(&manifest, text).map_err(|e| JobError::Chart {
        path: manifest.clone(),
        message: e.to_string(),
    })?;
    Ok(rendered.len())
}

/// Builds and renders one chart of the standard set.
fn render_one(
    kind: &str,
    region: &crate::region::RegionCode,
    period: &str,
    format: Format,
    reference: &ReferenceData,
    book: &ScoreBook,
) -> Result<Vec<u8>, String> {
    let (regions, framework) = (&reference.regions, &reference.framework);
    let (w, h, lang) = (chart::DEFAULT_WIDTH, chart::DEFAULT_HEIGHT, Lang::Id);
    let index = view::Measure::Index;
    let ctx = view::ViewCtx::new(book, regions, framework, lang);
    let s = |e: &dyn std::fmt::Display| e.to_string();
    match kind {
        "radar" => {
            let v = view::region_view(book, regions, region, Some(period)).map_err(|e| s(&e))?;
            chart::render_radar(&view::radar_chart(&ctx, &v), format, w, h)
        }
        "bars" => {
            let c = view::bars_chart(&ctx, region, Some(period), index).map_err(|e| s(&e))?;
            chart::render_bars(&c, format, w, h)
        }
        "trend" => {
            let c = view::trend_chart(&ctx, region, index, None).map_err(|e| s(&e))?;
            chart::render_trend(&c, format, w, h)
        }
        "heatmap" => {
            let c = view::heatmap_chart(&ctx, region, Some(period)).map_err(|e| s(&e))?;
            chart::render_heatmap(&c, format, w, h)
        }
        _ => {
            let scope = view::MapScope::Kecamatan;
            let layer = view::map_layer(&reference.boundaries, region, scope).map_err(|e| s(&e))?;
            let c = view::map_chart(&ctx, layer, scope, region, Some(period), index)
                .map_err(|e| s(&e))?;
            chart::render_map(&c, format, w, h)
        }
    }
    .map_err(|e| e.to_string())
}

mod parallel {
    //! A scoped-thread map over a slice: enough parallelism for rendering a few dozen charts
    //! on the machine's cores without pulling in a thread-pool crate.

    /// Apply `f` to every item using all available cores; results keep the input order.
    pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(items.len().max(1));
        let chunk = items.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = items
                .chunks(chunk)
                .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("chart worker panicked"))
                .collect()
        })
    }
}
