//! `kotacerdas bench`: time the job's stages and chart rendering on the configured data.
//! With `--login-flood URL`, flood a running server's login instead ([`login_flood`]).
//! With `--rounds`, time the national recap of an evaluation round ([`rounds`]).
//!
//! Each measurement is repeated and reported as median and minimum wall-clock time, so figures
//! in BENCHMARKS.md come from one command on the machine at hand. Nothing here asserts a time;
//! it only measures and prints. Errors are `anyhow`: this is an edge tool like the CLI.

pub mod login_flood;
pub mod rounds;

use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use crate::chart::{self, Format};
use crate::config::Config;
use crate::i18n::Lang;
use crate::job::{self, ReferenceData};
use crate::region::{Level, RegionCode};
use crate::report::{self, Cohort, ReportFormat, Subject};
use crate::score::ScoreBook;
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

    // Each run ingests into a store of its own: with the shared store every run after the first
    // would only find the files unchanged and skip them.
    let scratch = std::env::temp_dir().join(format!("kotacerdas-bench-{}", std::process::id()));
    let mut n = 0;
    let (mut m, snapshot) = measure("job: ingest + score (no charts)", runs, || {
        n += 1;
        let fresh = Config {
            store: scratch.join(format!("store-{n}")),
            ..config.clone()
        };
        job::run(&fresh, &reference, false)
    });
    let _ = std::fs::remove_dir_all(&scratch);
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
    let (regions, framework) = (&reference.regions, &reference.framework);
    let ctx = view::ViewCtx::new(&snapshot.book, regions, framework, Lang::Id);
    let radar = view::radar_chart(&ctx, &view);
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

/// The access-control flags of `kotacerdas bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct AccessArgs {
    /// Time access control instead: argon2id with the configured cost, per-request checks
    #[arg(long, conflicts_with = "scoring")]
    pub auth: bool,
    /// `--login-flood` and its companions.
    #[command(flatten)]
    pub flood: login_flood::FloodArgs,
}

/// Time access control: argon2id hashing and verification with the configured parameters (what
/// the first use of a token or a login costs), and the per-request checks that follow: a token
/// remembered in memory, and a session and a database user's token when they are trusted from
/// memory and when every request asks the database. The database is a temporary SQLite file,
/// or, when `[database] url` names PostgreSQL, a schema of its own there, dropped afterwards.
pub fn auth(config: &Config, runs: usize) -> anyhow::Result<Vec<Measurement>> {
    use crate::auth::users;
    let params = config.access.hash_params;
    let cost = format!(
        "argon2id m={} KiB, t={}, p={}",
        params.memory_kib, params.iterations, params.parallelism
    );
    let mut out = Vec::new();
    let (mut m, hash) = measure("argon2id hash", runs, || {
        users::hash_secret("kc_0123456789ab_bench", &params)
    });
    let hash = hash?;
    m.note = cost.clone();
    out.push(m);
    let (mut m, ok) = measure(
        "argon2id verify (first use of a token, a login)",
        runs,
        || users::verify_secret("kc_0123456789ab_bench", &hash),
    );
    anyhow::ensure!(ok, "the benchmark's own hash did not verify");
    m.note = cost;
    out.push(m);
    // The lookups run on a runtime like the server's; the first use of a token goes through
    // the verification gate, which runs on the blocking pool.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = std::env::temp_dir().join(format!(
        "kotacerdas-bench-auth-{}",
        crate::auth::users::random_hex(4)
    ));
    let (target, schema) = match &config.database {
        crate::db::Target::Postgres { url, .. } => {
            let schema = format!("kc_bench_{}", crate::auth::users::random_hex(4));
            let target = crate::db::Target::Postgres {
                url: url.clone(),
                schema: Some(schema.clone()),
            };
            (target, Some(schema))
        }
        crate::db::Target::Sqlite(_) => (crate::db::Target::Sqlite(dir.join("bench.db")), None),
    };
    let db = runtime.block_on(crate::db::Db::open(&target, 4))?;
    let backend = match db.backend() {
        crate::db::Backend::Sqlite => "SQLite",
        crate::db::Backend::Postgres => "PostgreSQL",
    };
    let result = auth_lookups(&runtime, &db, runs, backend, &params);
    if let Some(schema) = schema {
        runtime.block_on(db.execute_raw(&format!("DROP SCHEMA {schema} CASCADE")))?;
    }
    runtime.block_on(db.close());
    let _ = std::fs::remove_dir_all(&dir);
    out.extend(result?);
    Ok(out)
}

/// The per-request checks of [`auth`] on `db`.
fn auth_lookups(
    runtime: &tokio::runtime::Runtime,
    db: &crate::db::Db,
    runs: usize,
    backend: &str,
    params: &crate::auth::HashParams,
) -> anyhow::Result<Vec<Measurement>> {
    use crate::auth::users::Users;
    use crate::auth::{Access, AccessSettings, AccessStore, Role, UserSource};
    use std::time::Duration;
    const BATCH: usize = 10_000;
    const DB_BATCH: usize = 1_000;
    let mut out = Vec::new();
    let mut people = Users::default();
    people.add(
        "bench",
        Role::Viewer,
        Some("35.09"),
        Some("bench-password"),
        params,
    )?;
    let token = people.new_token("bench", params)?;
    let store = AccessStore::new(db.clone());
    runtime.block_on(store.insert_users(&people.iter().cloned().collect::<Vec<_>>()))?;
    let open = |source, recheck| {
        runtime.block_on(Access::open(
            AccessSettings {
                users: std::sync::Arc::new(people.clone()),
                source,
                recheck,
                ..AccessSettings::default()
            },
            store.clone(),
        ))
    };
    let per_request = |m: &Measurement, batch: usize| {
        format!("{:.2} µs per request", m.median_ms * 1e3 / batch as f64)
    };
    let file = open(UserSource::File, Duration::from_secs(2))?;
    let principal = runtime
        .block_on(file.authenticate_token(&token, None))
        .map_err(|e| anyhow::anyhow!("the benchmark's own token did not verify: {e}"))?;
    let (mut m, _) = measure("10,000 remembered token checks", runs, || {
        (0..BATCH)
            .filter(|_| file.remembered_token(&token).is_some())
            .count()
    });
    m.note = per_request(&m, BATCH);
    out.push(m);
    let session = runtime
        .block_on(file.start_session(&principal))
        .map_err(|e| anyhow::anyhow!("no session: {e}"))?;
    let (mut m, _) = measure("10,000 session lookups, trusted for 2 s", runs, || {
        runtime.block_on(async {
            let mut found = 0;
            for _ in 0..BATCH {
                found += usize::from(matches!(file.session(session.as_str()).await, Ok(Some(_))));
            }
            found
        })
    });
    m.note = per_request(&m, BATCH);
    out.push(m);
    // Every request asks the database: what the cache saves.
    let asking = open(UserSource::Database, Duration::ZERO)?;
    runtime
        .block_on(asking.authenticate_token(&token, None))
        .map_err(|e| anyhow::anyhow!("the benchmark's own token did not verify: {e}"))?;
    let name = format!("1,000 session lookups in {backend} (recheck_seconds = 0)");
    let (mut m, found) = measure(&name, runs, || {
        runtime.block_on(async {
            let mut found = 0;
            for _ in 0..DB_BATCH {
                found += usize::from(matches!(
                    asking.session(session.as_str()).await,
                    Ok(Some(_))
                ));
            }
            found
        })
    });
    anyhow::ensure!(found == DB_BATCH, "a session lookup failed");
    m.note = per_request(&m, DB_BATCH);
    out.push(m);
    let name = format!("1,000 token checks of a user in {backend} (recheck_seconds = 0)");
    let (mut m, found) = measure(&name, runs, || {
        runtime.block_on(async {
            let mut found = 0;
            for _ in 0..DB_BATCH {
                found += usize::from(asking.authenticate_token(&token, None).await.is_ok());
            }
            found
        })
    });
    anyhow::ensure!(found == DB_BATCH, "a token check failed");
    m.note = per_request(&m, DB_BATCH);
    out.push(m);
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

/// Read a national activity file in the canonical CSV format and clean it lightly (dates,
/// quantities, duplicate ids): (activities, milliseconds it took).
fn load_national(file: &std::path::Path) -> anyhow::Result<(crate::store::Activities, f64)> {
    use anyhow::Context;
    use polars::prelude::*;

    use crate::store::{Activities, cols};

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
    Ok((activities, t.elapsed().as_secs_f64() * 1e3))
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
    use crate::engine::{Aggregate, Normalise, sensitivity::Spec};
    use crate::region::Level;

    let reference = ReferenceData::load(config)?;
    let (activities, load_ms) = load_national(file)?;
    let fw = &reference.framework;
    let regions = &reference.regions;
    // The values folder's indicator values, when the framework takes them (as the job does).
    let activities = activities.with_values(crate::job::load_values(config, &reference, None));

    let mut out = Vec::new();
    // What the job does: kecamatan within their kabupaten, kab/kota measured whole, one book
    // with national ranks (on an absolute scale).
    let dims: Vec<String> = fw.dimensions.iter().map(|d| d.id.clone()).collect();
    let (mut m, whole) = measure(
        "score: the job's scoring (kecamatan, kab/kota, one book, national ranks)",
        runs,
        || -> anyhow::Result<usize> {
            let year = crate::score::Granularity::Year;
            let levels = [Level::District, Level::Regency];
            let [units, wide]: [crate::score::Scores; 2] =
                crate::score::compute_levels(&activities, fw, regions, year, &levels)?
                    .try_into()
                    .expect("one scores per level");
            let national = fw.normalisation.is_absolute();
            let book = crate::score::ScoreBook::merged(&units, &wide, &dims, national)?;
            Ok(book.regions().count())
        },
    );
    m.note = format!(
        "{} activities, {} recorded values; {} regions in the book; framework {} {} ({})",
        activities.len(),
        activities.values().len(),
        whole?,
        fw.id,
        fw.version,
        fw.normalisation.as_str()
    );
    out.push(m);
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

/// Time every chart kind for the configured region at 800×500 (PNG and SVG), the Jember
/// choropleth at 1600×1000, and the job's whole standard chart set: `runs * 20` repetitions of
/// each single chart, `runs` of the set. Chart inputs are built once, outside the timings
/// (as in the matplotlib script, which times drawing and encoding only).
pub fn charts(config: &Config, runs: usize) -> anyhow::Result<Vec<Measurement>> {
    let reference = ReferenceData::load(config)?;
    let snapshot = job::run(config, &reference, false)?;
    let (book, regions, framework) = (&snapshot.book, &reference.regions, &reference.framework);
    // A kecamatan for the charts that highlight one: the configured region's first scored one.
    let group = config.region.clone();
    let region = book
        .ranking(group.as_str(), book.latest_period().unwrap_or_default())
        .first()
        .map_or_else(|| group.clone(), |rs| rs.region.clone());
    let lang = Lang::Id;
    let index = view::Measure::Index;
    let ctx = view::ViewCtx::new(book, regions, framework, lang);
    let radar = view::radar_chart(&ctx, &view::region_view(book, regions, &group, None)?);
    let bars = view::bars_chart(&ctx, &region, None, index)?;
    let trend = view::trend_chart(&ctx, &region, index, None)?;
    let heatmap = view::heatmap_chart(&ctx, &region, None)?;
    let scope = view::MapScope::Kecamatan;
    let t = Instant::now();
    let layer = view::map_layer(&reference.boundaries, &region, scope)?;
    let parse_ms = t.elapsed().as_secs_f64() * 1e3;
    let map = view::map_chart(&ctx, layer, scope, &region, None, index)?;

    type Render<'a> = Box<dyn Fn(Format, u32, u32) -> Result<Vec<u8>, chart::ChartError> + 'a>;
    let kinds: Vec<(&str, Render)> = vec![
        (
            "radar",
            Box::new(|f, w, h| chart::render_radar(&radar, f, w, h)),
        ),
        (
            "bars",
            Box::new(|f, w, h| chart::render_bars(&bars, f, w, h)),
        ),
        (
            "trend",
            Box::new(|f, w, h| chart::render_trend(&trend, f, w, h)),
        ),
        (
            "map (Jember kecamatan)",
            Box::new(|f, w, h| chart::render_map(&map, f, w, h)),
        ),
        (
            "heatmap",
            Box::new(|f, w, h| chart::render_heatmap(&heatmap, f, w, h)),
        ),
    ];
    let mut out = Vec::new();
    for (name, render) in &kinds {
        for (format, w, h) in [(Format::Png, 800, 500), (Format::Svg, 800, 500)] {
            let label = format!("chart {name} {w}×{h} {}", format.extension().to_uppercase());
            let (mut m, bytes) = measure(&label, runs * 20, || render(format, w, h));
            m.note = format!("{:.1} KB", bytes?.len() as f64 / 1024.0);
            out.push(m);
        }
    }
    let (mut m, bytes) = measure(
        "chart map (Jember kecamatan) 1600×1000 PNG",
        runs * 20,
        || chart::render_map(&map, Format::Png, 1600, 1000),
    );
    m.note = format!(
        "{:.1} KB; GeoJSON parsed once in {parse_ms:.1} ms",
        bytes?.len() as f64 / 1024.0
    );
    out.push(m);

    let dir = std::env::temp_dir().join(format!("kotacerdas-chartbench-{}", std::process::id()));
    let bench_config = Config {
        chart_dir: dir.clone(),
        ..config.clone()
    };
    let mut render_ms = Vec::new();
    let mut written = 0;
    for _ in 0..runs.max(1) {
        let s = job::run(&bench_config, &reference, true)?;
        render_ms.push(s.timings.render_ms);
        written = s.charts_written;
    }
    render_ms.sort_by(f64::total_cmp);
    out.push(Measurement {
        name: "job: standard chart set (render stage only)".into(),
        runs: render_ms.len(),
        median_ms: render_ms[render_ms.len() / 2],
        min_ms: render_ms[0],
        note: format!(
            "{written} files on {} threads",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        ),
    });
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

/// Time the reports: on the configured data (no `file`), a kecamatan's and the configured
/// kab/kota's profile as PDF and workbook and the province cohort; with a national activity file
/// (as for `--scoring`), one kab/kota's profile PDF and the cohort of every scored kab/kota as
/// PDF and workbook. Scoring happens once, outside the timings; each timing is a whole report
/// (gathering, charts, typesetting or writing), as the server renders it on a cache miss once
/// the run's rank intervals are computed; computing those is timed on its own.
pub fn reports(
    config: &Config,
    file: Option<&std::path::Path>,
    runs: usize,
) -> anyhow::Result<Vec<Measurement>> {
    let reference = ReferenceData::load(config)?;
    let snapshot = match file {
        None => job::run(config, &reference, false)?,
        Some(file) => national_snapshot(config, &reference, file)?,
    };
    let bench = ReportBench {
        inputs: report::Inputs {
            snapshot: &snapshot,
            regions: &reference.regions,
            framework: &reference.framework,
            granularity: config.period,
            boundaries: &reference.boundaries,
        },
        period: snapshot
            .book
            .latest_period()
            .context("nothing scored")?
            .to_string(),
    };
    let mut out = vec![bench.shared_intervals()?];
    let kab = &config.region;
    out.extend(match file {
        None => bench.configured_reports(kab, runs)?,
        Some(_) => bench.national_reports(kab, runs)?,
    });
    Ok(out)
}

/// A scoring run of a national activity file, kecamatan and kab/kota level, without the job's
/// store, manifest or charts.
fn national_snapshot(
    config: &Config,
    reference: &ReferenceData,
    file: &std::path::Path,
) -> anyhow::Result<job::Snapshot> {
    let (activities, _) = load_national(file)?;
    let fw = &reference.framework;
    let dims: Vec<String> = fw.dimensions.iter().map(|d| d.id.clone()).collect();
    let levels = [Level::District, Level::Regency];
    let [scores, regency]: [crate::score::Scores; 2] =
        crate::score::compute_levels(&activities, fw, &reference.regions, config.period, &levels)?
            .try_into()
            .expect("one scores per level");
    let national = fw.normalisation.is_absolute();
    Ok(job::Snapshot {
        book: ScoreBook::merged(&scores, &regency, &dims, national)?,
        scores,
        regency: job::RegencyScores { scores: regency },
        activities,
        report: Default::default(),
        manifest: Default::default(),
        timings: Default::default(),
        charts_written: 0,
        finished_at: chrono::Local::now(),
        rank_intervals: Default::default(),
        source_regions: Default::default(),
    })
}

/// The reports of one scoring run in its latest kab/kota period, timed as the server renders
/// them.
struct ReportBench<'a> {
    /// The scoring run and reference data.
    inputs: report::Inputs<'a>,
    /// The period every report is of.
    period: String,
}

impl ReportBench<'_> {
    /// What every report of a scoring run shares, computed once per run (as the server does
    /// after each run); the reports are timed as they are served after that.
    fn shared_intervals(&self) -> anyhow::Result<Measurement> {
        let (mut shared, prepared) = measure(
            "report: rank intervals of the latest period (once per scoring run)",
            1,
            || report::prepare(&self.inputs),
        );
        prepared?;
        shared.note = "kab/kota and kecamatan level, 200 replications".into();
        Ok(shared)
    }

    /// Gather and render one report `runs` times; the note gives its size.
    fn time(
        &self,
        name: String,
        subject: Subject,
        format: ReportFormat,
        runs: usize,
    ) -> anyhow::Result<Measurement> {
        let inputs = &self.inputs;
        let (mut m, bytes) = measure(&name, runs, || -> anyhow::Result<Vec<u8>> {
            let data = report::gather(
                inputs,
                &subject,
                &self.period,
                Lang::Id,
                report::Audience::Wide,
            )?;
            Ok(report::render(inputs, &data, format, None)?)
        });
        let bytes = bytes?;
        m.note = format!("{} KB", bytes.len() / 1024);
        Ok(m)
    }

    /// On the configured data: the first scored kecamatan of `kab` and `kab` itself as PDF and
    /// workbook, then the cohort of its province.
    fn configured_reports(
        &self,
        kab: &RegionCode,
        runs: usize,
    ) -> anyhow::Result<Vec<Measurement>> {
        let snapshot = self.inputs.snapshot;
        let kec = self
            .inputs
            .regions
            .children(kab)
            .iter()
            .find(|c| snapshot.book.get(c, &self.period).is_some())
            .cloned()
            .context("no scored kecamatan in the configured kab/kota")?;
        let mut out = Vec::new();
        for (what, subject) in [
            (format!("kecamatan {kec}"), Subject::Region(kec.clone())),
            (format!("kab/kota {kab}"), Subject::Region(kab.clone())),
        ] {
            for format in [ReportFormat::Pdf, ReportFormat::Xlsx] {
                out.push(self.time(
                    format!("report: {what} profile {format}"),
                    subject.clone(),
                    format,
                    runs,
                )?);
            }
        }
        let province = kab.at_level(Level::Province).context("no province")?;
        let n = snapshot
            .book
            .regions()
            .filter(|r| r.as_str().starts_with(&format!("{province}.")))
            .count();
        for format in [ReportFormat::Pdf, ReportFormat::Xlsx] {
            out.push(self.time(
                format!("report: cohort of province {province} ({n} kab/kota) {format}"),
                Subject::Cohort(Cohort::Province(province.clone())),
                format,
                runs,
            )?);
        }
        Ok(out)
    }

    /// On national data: one kab/kota's profile PDF (`kab` when scored, else the first scored
    /// one), then the cohort of every scored kab/kota, at most three runs each.
    fn national_reports(&self, kab: &RegionCode, runs: usize) -> anyhow::Result<Vec<Measurement>> {
        let book = &self.inputs.snapshot.book;
        let scored = |r: &RegionCode| book.get(r, &self.period).is_some();
        let one = if scored(kab) {
            kab.clone()
        } else {
            let mut all: Vec<&RegionCode> = book.regions().collect();
            all.sort();
            all.first()
                .map(|r| (*r).clone())
                .context("no kab/kota scored")?
        };
        let mut out = vec![self.time(
            format!("report: kab/kota {one} profile pdf (national data)"),
            Subject::Region(one),
            ReportFormat::Pdf,
            runs,
        )?];
        let n = book
            .regions()
            .filter(|r| r.level() == Level::Regency && scored(r))
            .count();
        for format in [ReportFormat::Pdf, ReportFormat::Xlsx] {
            out.push(self.time(
                format!("report: cohort of all {n} kab/kota {format}"),
                Subject::Cohort(Cohort::All),
                format,
                runs.min(3),
            )?);
        }
        Ok(out)
    }
}
