//! The command line: `serve` (default), `run`, `generate`.
//!
//! Parses flags, sets up logging, loads the configuration and hands over to the library.
//! Errors print once with their cause chain; the exit code is 0 on success, 1 on a failure of
//! the job or server, 2 on a bad configuration or command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tracing::info;

use crate::config::{Config, ConfigError, Overrides};
use crate::generate::{GenerateOptions, generate};
use crate::job::{self, ReferenceData};
use crate::region::RegionCode;
use crate::server::{AppState, Application};

/// kotacerdas: smart-city indicators for Indonesian regions.
///
/// Reads activity records of smart-city programmes, scores the seven smart-city dimensions per
/// kecamatan and kabupaten, renders charts, and serves a dashboard and a JSON API.
#[derive(Debug, Parser)]
#[command(name = "kotacerdas", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// Configuration file [default: config.toml, if present]
    #[arg(long, global = true, env = "KOTACERDAS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on (server.bind), e.g. 127.0.0.1:8080
    #[arg(long, global = true, value_name = "ADDR")]
    bind: Option<String>,
    /// Data folder with regions/, frameworks/ and activities/ (paths.data_dir)
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Folder the job renders charts into (paths.chart_dir)
    #[arg(long, global = true, value_name = "DIR")]
    chart_dir: Option<PathBuf>,
    /// Framework file (paths.framework)
    #[arg(long, global = true, value_name = "FILE")]
    framework: Option<PathBuf>,
    /// Period granularity: year, quarter or month (scoring.period)
    #[arg(long, global = true, value_name = "GRANULARITY")]
    period: Option<String>,
    /// Kabupaten/kota shown by default, Kemendagri code (scoring.region)
    #[arg(long, global = true, value_name = "CODE")]
    region: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the job on the data folder, then serve the dashboard, API and charts (the default).
    Serve,
    /// Run the job alone: ingest the activity files, score, render charts into the chart folder, exit.
    Run,
    /// Write a seeded, reproducible sample activity log (canonical CSV).
    Generate(GenerateArgs),
    /// Time the job's stages and chart rendering on the configured data (Markdown table).
    Bench {
        /// Repetitions of each job stage (single charts run 20× as often)
        #[arg(long, default_value_t = 10)]
        runs: usize,
    },
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Output file [default: <data_dir>/activities/jember_2018_2025.csv]; `-` for stdout
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Number of synthetic rows (the real Relawan TIK Jember records come on top)
    #[arg(long, default_value_t = 12_000)]
    rows: usize,
    /// Random seed; the same seed writes the same file
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// First year
    #[arg(long, default_value_t = 2018)]
    from: i32,
    /// Last year (inclusive)
    #[arg(long, default_value_t = 2025)]
    to: i32,
    /// Share of rows with a deliberate mistake, for ingest to reject (0–1)
    #[arg(long, default_value_t = 0.003)]
    flawed_share: f64,
    /// Kabupaten/kota whose kecamatan get activities [default: scoring.region]
    #[arg(long = "for", value_name = "CODE")]
    for_region: Option<String>,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let g = cli.global;
    let overrides = Overrides {
        bind: g.bind,
        data_dir: g.data_dir,
        chart_dir: g.chart_dir,
        framework: g.framework,
        period: g.period,
        region: g.region,
    };
    let config = Config::load(g.config.as_deref(), &overrides)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config, started),
        Command::Run => run_job(&config),
        Command::Generate(args) => generate_log(&config, args),
        Command::Bench { runs } => {
            let measurements = crate::bench::run(&config, runs)?;
            print!("{}", crate::bench::to_markdown(&measurements));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn serve(config: Config, started: Instant) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    runtime.block_on(async move {
        let job_config = config.clone();
        let (reference, snapshot) = tokio::task::spawn_blocking(move || {
            let reference = ReferenceData::load(&job_config)?;
            let snapshot = job::run(&job_config, &reference, true)?;
            anyhow::Ok((reference, snapshot))
        })
        .await
        .context("the start-up job panicked")?
        .context("the start-up job failed")?;
        let bind = config.bind;
        let app = Application::build(AppState::new(config, reference, snapshot))
            .await
            .with_context(|| format!("failed to listen on {bind}"))?;
        info!(
            ready_ms = format_args!("{:.0}", started.elapsed().as_secs_f64() * 1e3),
            "serving the dashboard on http://{}/",
            app.local_addr()
        );
        app.run_until_stopped().await.context("server failed")?;
        Ok(ExitCode::SUCCESS)
    })
}

fn run_job(config: &Config) -> anyhow::Result<ExitCode> {
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

fn generate_log(config: &Config, args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let reference = ReferenceData::load(config)?;
    let region = match args.for_region {
        Some(r) => RegionCode::parse(&r)?,
        None => config.region.clone(),
    };
    let options = GenerateOptions {
        region,
        from_year: args.from,
        to_year: args.to,
        rows: args.rows,
        seed: args.seed,
        flawed_share: args.flawed_share.clamp(0.0, 1.0),
    };
    let out = args
        .out
        .unwrap_or_else(|| config.activities_dir().join("jember_2018_2025.csv"));
    let (regions, framework) = (&reference.regions, &reference.framework);
    let summary = if out.as_os_str() == "-" {
        generate(std::io::stdout().lock(), regions, framework, &options)?
    } else {
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
        let file = std::fs::File::create(&out)
            .with_context(|| format!("failed to create {}", out.display()))?;
        generate(std::io::BufWriter::new(file), regions, framework, &options)?
    };
    eprintln!(
        "wrote {}: {} real records, {} synthetic ({} with deliberate mistakes), seed {}",
        out.display(),
        summary.real,
        summary.synthetic,
        summary.flawed,
        options.seed
    );
    Ok(ExitCode::SUCCESS)
}
