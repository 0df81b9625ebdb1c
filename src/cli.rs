//! The command line: `serve` (default), `run`, `ingest`, `generate`, `explain`, `sensitivity`,
//! `bench`, `user` (the users file: add, token, list, remove) and `round` (evaluation rounds).
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

use crate::config::{Config, ConfigError, LogFormat, Overrides};
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
    /// Activity store folder (paths.store)
    #[arg(long, global = true, value_name = "DIR")]
    store: Option<PathBuf>,
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
    /// Validate activity files or remote sources and add them to the store, with a report.
    Ingest(IngestArgs),
    /// Write a seeded, reproducible sample activity log (canonical CSV).
    Generate(GenerateArgs),
    /// Manage the users file ([access] users_file): add users, make API tokens, list, remove.
    #[command(subcommand)]
    User(UserCommand),
    /// Show how a region's score in a period was made, indicator by indicator.
    Explain {
        /// Kemendagri code of a kecamatan or kabupaten/kota
        region: String,
        /// Period label, e.g. 2025 (its own id: `--period` is the global granularity flag)
        #[arg(id = "label", value_name = "PERIOD")]
        period: String,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// How sure the index ranks of a region's peer group are: median rank and 5–95% interval
    /// over a seeded Monte Carlo of weights, normalisation and aggregation.
    Sensitivity {
        /// Kemendagri code of a kabupaten/kota (its kecamatan) or a kecamatan (its siblings)
        region: String,
        /// Period label, e.g. 2025 (its own id: `--period` is the global granularity flag)
        #[arg(id = "label", value_name = "PERIOD")]
        period: String,
        /// Monte Carlo replications (10–5000)
        #[arg(long, default_value_t = crate::server::sensitivity::DEFAULT_REPLICATIONS)]
        replications: usize,
        /// Random seed; the same seed gives the same intervals
        #[arg(long, default_value_t = crate::server::sensitivity::DEFAULT_SEED)]
        seed: u64,
        /// Weights vary by ± this share (0–1)
        #[arg(long, default_value_t = crate::server::sensitivity::DEFAULT_SHARE)]
        share: f64,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Write a region's profile or a cohort's ranking as PDF, Excel workbook and CSV files.
    Report(ReportArgs),
    /// Time the job's stages and chart rendering on the configured data (Markdown table).
    Bench {
        /// Repetitions of each job stage (single charts run 20× as often)
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// Time the scoring engine on this national activity CSV instead (kab/kota as units)
        #[arg(long, value_name = "FILE")]
        scoring: Option<PathBuf>,
        /// Sensitivity replications with --scoring
        #[arg(long, default_value_t = 1000)]
        replications: usize,
        /// Time the reports instead (on the configured data, or on --national FILE)
        #[arg(long)]
        reports: bool,
        /// With --reports: a national activity CSV (one kab/kota's PDF, the cohort of all)
        #[arg(long, value_name = "FILE", requires = "reports")]
        national: Option<PathBuf>,
        /// Time access control instead: argon2id with the configured cost, per-request checks
        #[arg(long, conflicts_with = "scoring")]
        auth: bool,
        /// Time the national recap of an evaluation round of all 514 kab/kota instead
        #[arg(long, conflicts_with_all = ["scoring", "auth", "reports"])]
        rounds: bool,
    },
    /// Evaluation rounds on the configured database: list them, or write a round's national
    /// recap (PDF, xlsx, CSV).
    #[command(subcommand)]
    Round(RoundCommand),
}

#[derive(Debug, Subcommand)]
enum RoundCommand {
    /// List the rounds: id, year, deadline, forms finalised of the cohort.
    List,
    /// Write a round's national recap as PDF, xlsx and one CSV per table.
    Recap {
        /// Round id
        round: i64,
        /// Language: id (default) or en
        #[arg(long, default_value = "id")]
        lang: crate::i18n::Lang,
        /// Folder the files are written to (created if missing)
        #[arg(long, value_name = "DIR", default_value = "reports")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from standard input (one line; typed without echo on a
    /// terminal), e.g. `printf '%s\n' "$PASSWORD" | kotacerdas user add NAME --role viewer`.
    Add {
        /// Login name: lower-case letters, digits, '.', '_', '-'
        name: String,
        /// viewer, evaluator, steward or admin
        #[arg(long)]
        role: crate::auth::Role,
        /// Scope: a province or kab/kota code (viewer: optional, default all; steward: required;
        /// evaluator and admin see all regions). The global --region CODE works here too.
        #[arg(long, value_name = "CODE")]
        scope: Option<String>,
        /// No password: the user signs in with API tokens only
        #[arg(long)]
        no_password: bool,
    },
    /// Make a new API token for a user and print it once; only its hash is stored.
    Token {
        /// The user's name
        name: String,
    },
    /// List users: name, role, scope, whether a password is set, token ids.
    List,
    /// Remove a user and its tokens.
    Remove {
        /// The user's name
        name: String,
    },
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// Kemendagri code of a kecamatan or kab/kota, or `cohort` (with --province or --regions)
    #[arg(value_name = "REGION|cohort")]
    subject: String,
    /// Period label, e.g. 2025, or `latest` (its own id: `--period` is the global granularity flag)
    #[arg(id = "label", value_name = "PERIOD", default_value = "latest")]
    period: String,
    /// Cohort: every scored kab/kota of this province, e.g. 35
    #[arg(long, value_name = "CODE")]
    province: Option<String>,
    /// Cohort: these kab/kota, comma-separated (e.g. 35.09,35.10), `all`, or `smartcity` (the
    /// Gerakan Menuju 100 Smart City members listed in the reference data)
    #[arg(long, value_name = "CODES")]
    regions: Option<String>,
    /// Formats to write (repeatable or comma-separated) [default: pdf, xlsx, csv]
    #[arg(long = "format", value_name = "pdf|xlsx|csv", value_delimiter = ',')]
    formats: Vec<String>,
    /// Language of the report: id (default) or en
    #[arg(long, default_value = "id")]
    lang: String,
    /// Folder the files are written to (created if missing)
    #[arg(long, value_name = "DIR", default_value = "reports")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct IngestArgs {
    /// Files to ingest: CSV (comma, semicolon or tab), .xlsx, .xls, .ods, .json, .ndjson
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Pull a remote source declared in [[sources]] (repeatable)
    #[arg(long = "source", value_name = "NAME")]
    sources: Vec<String>,
    /// Pull every remote source declared in [[sources]]
    #[arg(long)]
    all_sources: bool,
    /// Excel sheet to read (default: the first)
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// Validate and report only; change nothing
    #[arg(long)]
    dry_run: bool,
    /// Re-read sources even if the same content was ingested before
    #[arg(long)]
    force: bool,
    /// Print the report as JSON instead of text
    #[arg(long)]
    json: bool,
    /// Language of the text report: id or en
    #[arg(long, default_value = "id")]
    lang: crate::i18n::Lang,
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
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Print the cause chain once: library errors often already quote their cause.
            let mut message = e.to_string();
            for cause in e.chain().skip(1) {
                let cause = cause.to_string();
                if !message.contains(&cause) {
                    message = format!("{message}: {cause}");
                }
            }
            eprintln!("error: {message}");
            if e.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Logs go to stderr, as text or JSON lines per `[log] format`; `RUST_LOG` overrides
/// `[log] level`. Set up after the configuration is read, so a configuration error is printed
/// plainly rather than logged.
fn init_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log_level))
        .unwrap_or_else(|e| {
            eprintln!(
                "warning: [log] level {:?}: {e}; using info",
                config.log_level
            );
            EnvFilter::new("info")
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let g = cli.global;
    let region_flag = g.region.clone();
    let overrides = Overrides {
        bind: g.bind,
        data_dir: g.data_dir,
        chart_dir: g.chart_dir,
        framework: g.framework,
        store: g.store,
        period: g.period,
        region: g.region,
    };
    let config = Config::load(g.config.as_deref(), &overrides)?;
    init_logging(&config);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config, started),
        Command::Run => run_job(&config),
        Command::Ingest(args) => ingest_cmd(&config, args),
        Command::Generate(args) => generate_log(&config, args),
        Command::User(command) => user_cmd(&config, command, region_flag),
        Command::Explain {
            region,
            period,
            json,
        } => explain_cmd(&config, &region, &period, json),
        Command::Sensitivity {
            region,
            period,
            replications,
            seed,
            share,
            json,
        } => sensitivity_cmd(&config, &region, &period, replications, seed, share, json),
        Command::Report(args) => report_cmd(&config, args),
        Command::Round(command) => round_cmd(&config, command),
        Command::Bench {
            runs,
            scoring,
            replications,
            auth,
            reports,
            national,
            rounds,
        } => {
            let measurements = match scoring {
                _ if rounds => crate::evaluation::bench::recap(&config, runs)?,
                _ if auth => crate::bench::auth(&config, runs)?,
                _ if reports => crate::bench::reports(&config, national.as_deref(), runs)?,
                Some(file) => crate::bench::scoring(&config, &file, runs, replications)?,
                None => {
                    let mut m = crate::bench::run(&config, runs)?;
                    m.extend(crate::bench::charts(&config, runs)?);
                    m
                }
            };
            print!("{}", crate::bench::to_markdown(&measurements));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `region_flag`: the global `--region`, which `user add` takes as the scope when `--scope` is
/// not given (`kotacerdas user add NAME --role viewer --region 35.09`).
fn user_cmd(
    config: &Config,
    command: UserCommand,
    region_flag: Option<String>,
) -> anyhow::Result<ExitCode> {
    let access = &config.access;
    let mut users = (*access.users).clone();
    let path = users.path().display().to_string();
    match command {
        UserCommand::Add {
            name,
            role,
            scope,
            no_password,
        } => {
            let scope = scope.or(region_flag);
            let password = if no_password {
                None
            } else {
                Some(read_password()?)
            };
            users.add(
                &name,
                role,
                scope.as_deref(),
                password.as_deref(),
                &access.hash_params,
            )?;
            users.save()?;
            eprintln!("added user {name} ({role}) to {path}");
        }
        UserCommand::Token { name } => {
            let token = users.new_token(&name, &access.hash_params)?;
            users.save()?;
            eprintln!(
                "new API token for {name}, stored as a hash in {path}; it is shown only now \
                 (restart the server to use it):"
            );
            println!("{token}");
        }
        UserCommand::List => {
            for u in users.iter() {
                let tokens: Vec<&str> = u.tokens.iter().map(|t| t.id.as_str()).collect();
                println!(
                    "{}\t{}\t{}\tpassword={}\ttokens={}",
                    u.name,
                    u.role,
                    u.scope(),
                    if u.password.is_some() { "yes" } else { "no" },
                    if tokens.is_empty() {
                        "-".to_string()
                    } else {
                        tokens.join(",")
                    }
                );
            }
        }
        UserCommand::Remove { name } => {
            users.remove(&name)?;
            users.save()?;
            eprintln!("removed user {name} from {path}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of standard input, without echo when it is a terminal.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!("password: ");
        set_echo(false);
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if terminal {
        set_echo(true);
        eprintln!();
    }
    read.context("failed to read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.chars().count() < 10 {
        anyhow::bail!(
            "the password must have at least 10 characters (read one line from standard input)"
        );
    }
    Ok(password)
}

/// Switch terminal echo with `stty`; where that is unavailable the password is simply shown.
fn set_echo(on: bool) {
    #[cfg(unix)]
    {
        let _ = std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(std::process::Stdio::inherit())
            .status();
    }
    #[cfg(not(unix))]
    let _ = on;
}

/// `kotacerdas report`: the same files the `/reports/…` routes serve, written to a folder:
/// `{stem}.pdf`, `{stem}.xlsx` and one `{stem}_{table}.csv` per table.
fn report_cmd(config: &Config, args: ReportArgs) -> anyhow::Result<ExitCode> {
    use crate::report::{self, Cohort, ReportFormat, Subject};

    let lang: crate::i18n::Lang = args.lang.parse().context("bad --lang")?;
    let subject = if args.subject.eq_ignore_ascii_case("cohort") {
        Subject::Cohort(Cohort::parse(
            args.province.as_deref(),
            args.regions.as_deref(),
        )?)
    } else {
        if args.province.is_some() || args.regions.is_some() {
            anyhow::bail!("--province and --regions are for `kotacerdas report cohort PERIOD`");
        }
        Subject::Region(RegionCode::parse(&args.subject).context("bad region code")?)
    };
    let formats = if args.formats.is_empty() {
        ReportFormat::ALL.to_vec()
    } else {
        args.formats
            .iter()
            .map(|f| f.parse::<ReportFormat>().map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let reference = ReferenceData::load(config)?;
    let snapshot = job::run(config, &reference, false)?;
    let inputs = report::Inputs {
        snapshot: &snapshot,
        regions: &reference.regions,
        framework: &reference.framework,
        granularity: config.period,
        regions_dir: config.regions_dir(),
    };
    let period = inputs.resolve_period(&subject, Some(&args.period))?;
    let data = report::gather(&inputs, &subject, &period, lang)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("failed to create {}", args.out.display()))?;
    let stem = subject.file_stem(&period);
    let mut written = Vec::new();
    for format in formats {
        let files: Vec<(String, Vec<u8>)> = match format {
            ReportFormat::Csv => data
                .tables(&inputs)
                .iter()
                .map(|t| -> Result<(String, Vec<u8>), report::ReportError> {
                    Ok((format!("{stem}_{}.csv", t.id), report::csv::render(t)?))
                })
                .collect::<Result<_, report::ReportError>>()?,
            other => vec![(
                format!("{stem}.{}", other.extension()),
                report::render(&inputs, &data, other, None)?,
            )],
        };
        for (name, bytes) in files {
            let path = args.out.join(name);
            std::fs::write(&path, &bytes)
                .with_context(|| format!("failed to write {}", path.display()))?;
            written.push(path);
        }
    }
    for p in &written {
        println!("{}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn explain_cmd(
    config: &Config,
    region: &str,
    period: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let region = RegionCode::parse(region).context("bad region code")?;
    let reference = ReferenceData::load(config)?;
    let snapshot = job::run(config, &reference, false)?;
    let e = crate::score::explain::explain(
        &snapshot.scores,
        &snapshot.book,
        &reference.framework,
        &region,
        period,
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        print!("{}", e.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

fn sensitivity_cmd(
    config: &Config,
    region: &str,
    period: &str,
    replications: usize,
    seed: u64,
    share: f64,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use crate::server::sensitivity::{Settings, analyse};
    let region = RegionCode::parse(region).context("bad region code")?;
    let settings = Settings::new(replications, seed, share).map_err(anyhow::Error::msg)?;
    let reference = ReferenceData::load(config)?;
    let snapshot = job::run(config, &reference, false)?;
    let report = analyse(
        &snapshot.activities,
        &snapshot.book,
        &reference.regions,
        &reference.framework,
        config.period,
        &region,
        Some(period),
        settings,
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::SUCCESS)
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
            // Charts are rendered after the server is up: the dashboard renders what it shows
            // on demand, so nobody waits for the standard set.
            let snapshot = job::run(&job_config, &reference, false)?;
            anyhow::Ok((reference, snapshot))
        })
        .await
        .context("the start-up job panicked")?
        .context("the start-up job failed")?;
        let bind = config.bind;
        let evaluation = open_evaluation(&config).await?;
        let state = AppState::new(config, reference, snapshot).with_evaluation(evaluation);
        crate::server::spawn_source_pulls(&state);
        crate::server::spawn_schedule(&state);
        let state_for_render = state.clone();
        let app = Application::build(state)
            .await
            .with_context(|| format!("failed to listen on {bind}"))?;
        info!(
            ready_ms = format_args!("{:.0}", started.elapsed().as_secs_f64() * 1e3),
            "serving the dashboard on http://{}/",
            app.local_addr()
        );
        let render_state = state_for_render;
        tokio::task::spawn_blocking(move || {
            let book = &render_state.snapshot().book;
            if let Err(e) = job::render(&render_state.config, &render_state.reference, book) {
                tracing::warn!("rendering the standard charts failed: {e}");
            }
            crate::server::prepare_reports(&render_state);
        });
        app.run_until_stopped().await.context("server failed")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The evaluation rounds on the configured database (migrated on opening) and evidence folder.
async fn open_evaluation(config: &Config) -> anyhow::Result<crate::evaluation::Evaluation> {
    let db = crate::db::Db::open(&config.database, config.database_connections)
        .await
        .context("the database could not be opened")?;
    Ok(crate::evaluation::Evaluation::new(
        db,
        std::sync::Arc::new(crate::evaluation::evidence::FsEvidence::new(
            config.evaluation.evidence_dir.clone(),
        )),
        config.evaluation.instruments_dir.clone(),
        config.evaluation.max_evidence_bytes,
    ))
}

/// `kotacerdas round list | recap ROUND`.
fn round_cmd(config: &Config, command: RoundCommand) -> anyhow::Result<ExitCode> {
    use crate::evaluation::recap;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    runtime.block_on(async {
        let ev = open_evaluation(config).await?;
        match command {
            RoundCommand::List => {
                for r in ev.rounds().await? {
                    let forms = ev.forms(r.id).await?;
                    let done = forms
                        .iter()
                        .filter(|f| f.status == crate::evaluation::FormStatus::Finalised)
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
            }
            RoundCommand::Recap { round, lang, out } => {
                let reference = ReferenceData::load(config)?;
                let results = ev.results(round).await?;
                let cohort: Vec<RegionCode> = ev
                    .forms(round)
                    .await?
                    .into_iter()
                    .map(|f| f.region)
                    .collect();
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
                            &config.regions_dir(),
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
            }
        }
        anyhow::Ok(ExitCode::SUCCESS)
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

fn ingest_cmd(config: &Config, args: IngestArgs) -> anyhow::Result<ExitCode> {
    use crate::ingest::{self, IngestReport, Options};
    use crate::store::Store;

    if args.files.is_empty() && args.sources.is_empty() && !args.all_sources {
        anyhow::bail!("nothing to ingest: name files, --source NAME or --all-sources");
    }
    let reference = ReferenceData::load(config)?;
    let store = Store::open(&config.store)?;
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
