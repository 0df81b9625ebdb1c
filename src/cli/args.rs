//! The command line as clap reads it: the global flags, the subcommands and their arguments,
//! with the help text every `--help` prints.
//!
//! Only definitions: nothing here loads a configuration or runs a command. Values stay as typed
//! (strings, paths, numbers) and are parsed into domain values by the command that uses them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// kotacerdas: smart-city indicators for Indonesian regions.
///
/// Reads activity records of smart-city programmes, scores the seven smart-city dimensions per
/// kecamatan and kabupaten, renders charts, and serves a dashboard and a JSON API.
#[derive(Debug, Parser)]
#[command(name = "kotacerdas", version, about, long_about)]
pub(super) struct Cli {
    #[command(flatten)]
    pub(super) global: GlobalArgs,
    #[command(subcommand)]
    pub(super) command: Option<Command>,
}

#[derive(Debug, Args)]
pub(super) struct GlobalArgs {
    /// Configuration file [default: config.toml, if present]
    #[arg(long, global = true, env = "KOTACERDAS_CONFIG", value_name = "FILE")]
    pub(super) config: Option<PathBuf>,
    /// Address to listen on (server.bind), e.g. 127.0.0.1:8080
    #[arg(long, global = true, value_name = "ADDR")]
    pub(super) bind: Option<String>,
    /// Data folder with regions/, frameworks/ and activities/ (paths.data_dir)
    #[arg(long, global = true, value_name = "DIR")]
    pub(super) data_dir: Option<PathBuf>,
    /// Folder the job renders charts into (paths.chart_dir)
    #[arg(long, global = true, value_name = "DIR")]
    pub(super) chart_dir: Option<PathBuf>,
    /// Framework file (paths.framework)
    #[arg(long, global = true, value_name = "FILE")]
    pub(super) framework: Option<PathBuf>,
    /// Activity store folder; with [object_store], the local folder beside the bucket (paths.store)
    #[arg(long, global = true, value_name = "DIR")]
    pub(super) store: Option<PathBuf>,
    /// Period granularity: year, quarter or month (scoring.period)
    #[arg(long, global = true, value_name = "GRANULARITY")]
    pub(super) period: Option<String>,
    /// Kabupaten/kota shown by default, Kemendagri code (scoring.region)
    #[arg(long, global = true, value_name = "CODE")]
    pub(super) region: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Run the job on the data folder, then serve the dashboard, API and charts (the default).
    Serve,
    /// Run the job alone: ingest the activity files, score, render charts into the chart folder, exit.
    Run,
    /// Validate activity files or remote sources and add them to the store, with a report.
    Ingest(IngestArgs),
    /// Write a seeded, reproducible sample activity log (canonical CSV).
    Generate(GenerateArgs),
    /// Manage the users ([access] users: the users file or the database): add users, make API
    /// tokens, list, remove; migrate the file into the database.
    #[command(subcommand)]
    User(UserCommand),
    /// Work on the framework file (--framework): derive fixed goalposts from a base period.
    #[command(subcommand)]
    Framework(FrameworkCommand),
    /// Show how a region's score in a period was made, indicator by indicator.
    Explain(ExplainArgs),
    /// How sure the index ranks of a region's peer group are: median rank and 5–95% interval
    /// over a seeded Monte Carlo of weights, normalisation and aggregation.
    Sensitivity(SensitivityArgs),
    /// Write a region's profile or a cohort's ranking as PDF, Excel workbook and CSV files.
    Report(ReportArgs),
    /// Time the job's stages and chart rendering on the configured data (Markdown table).
    Bench(BenchArgs),
    /// Evaluation rounds on the configured database: list them, or write a round's national
    /// recap (PDF, xlsx, CSV).
    #[command(subcommand)]
    Round(RoundCommand),
}

#[derive(Debug, Subcommand)]
pub(super) enum RoundCommand {
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

#[derive(Debug, Args)]
pub(super) struct ExplainArgs {
    /// Kemendagri code of a kecamatan or kabupaten/kota
    pub(super) region: String,
    /// Period label, e.g. 2025 (its own id: `--period` is the global granularity flag)
    #[arg(id = "label", value_name = "PERIOD")]
    pub(super) period: String,
    /// Print JSON instead of a table
    #[arg(long)]
    pub(super) json: bool,
}

#[derive(Debug, Args)]
pub(super) struct SensitivityArgs {
    /// Kemendagri code of a kabupaten/kota (its kecamatan) or a kecamatan (its siblings)
    pub(super) region: String,
    /// Period label, e.g. 2025 (its own id: `--period` is the global granularity flag)
    #[arg(id = "label", value_name = "PERIOD")]
    pub(super) period: String,
    /// Monte Carlo replications (10–5000)
    #[arg(long, default_value_t = crate::analysis::sensitivity::DEFAULT_REPLICATIONS)]
    pub(super) replications: usize,
    /// Random seed; the same seed gives the same intervals
    #[arg(long, default_value_t = crate::analysis::sensitivity::DEFAULT_SEED)]
    pub(super) seed: u64,
    /// Weights vary by ± this share (0–1)
    #[arg(long, default_value_t = crate::analysis::sensitivity::DEFAULT_SHARE)]
    pub(super) share: f64,
    /// Print JSON instead of a table
    #[arg(long)]
    pub(super) json: bool,
}

#[derive(Debug, Subcommand)]
pub(super) enum FrameworkCommand {
    /// Derive each indicator's goalposts (worst, best) from the activity data of a base period
    /// and write them into the framework file, with normalisation on goalposts and the version
    /// bumped: scores are then on a fixed scale, comparable across years and regions.
    Goalposts(GoalpostArgs),
}

#[derive(Debug, Args)]
pub(super) struct GoalpostArgs {
    /// Base periods: one (2019), a range of years (2018-2020) or a list (2018,2019,2020)
    #[arg(long)]
    pub(super) base: String,
    /// The units whose values set the scale: district (kecamatan) or regency (kab/kota,
    /// for a national framework)
    #[arg(long, default_value = "district")]
    pub(super) level: String,
    /// Percentile of the base values that becomes the worst end
    #[arg(long, default_value_t = 5.0)]
    pub(super) low: f64,
    /// Percentile of the base values that becomes the best end
    #[arg(long, default_value_t = 95.0)]
    pub(super) high: f64,
    /// Print the goalposts without writing the file
    #[arg(long)]
    pub(super) dry_run: bool,
}

#[derive(Debug, Args)]
pub(super) struct BenchArgs {
    /// Repetitions of each job stage (single charts run 20× as often)
    #[arg(long, default_value_t = 10)]
    pub(super) runs: usize,
    /// Time the scoring engine on this national activity CSV instead (kab/kota as units)
    #[arg(long, value_name = "FILE")]
    pub(super) scoring: Option<PathBuf>,
    /// Sensitivity replications with --scoring
    #[arg(long, default_value_t = 1000)]
    pub(super) replications: usize,
    /// Time the reports instead (on the configured data, or on --national FILE)
    #[arg(long)]
    pub(super) reports: bool,
    /// With --reports: a national activity CSV (one kab/kota's PDF, the cohort of all)
    #[arg(long, value_name = "FILE", requires = "reports")]
    pub(super) national: Option<PathBuf>,
    /// Time the national recap of an evaluation round of all 514 kab/kota instead
    #[arg(long, conflicts_with_all = ["scoring", "reports"])]
    pub(super) rounds: bool,
    #[command(flatten)]
    pub(super) access: crate::bench::AccessArgs,
}

#[derive(Debug, Subcommand)]
pub(super) enum UserCommand {
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
    /// Remove a user and its tokens (and, with users in the database, its sessions).
    Remove {
        /// The user's name
        name: String,
    },
    /// Copy every user and token of the users file into the database, all or none; then set
    /// `[access] users = "database"` and the user commands act on the database.
    Migrate,
}

#[derive(Debug, Args)]
pub(super) struct ReportArgs {
    /// Kemendagri code of a kecamatan or kab/kota, or `cohort` (with --province or --regions)
    #[arg(value_name = "REGION|cohort")]
    pub(super) subject: String,
    /// Period label, e.g. 2025, or `latest` (its own id: `--period` is the global granularity flag)
    #[arg(id = "label", value_name = "PERIOD", default_value = "latest")]
    pub(super) period: String,
    /// Cohort: every scored kab/kota of this province, e.g. 35
    #[arg(long, value_name = "CODE")]
    pub(super) province: Option<String>,
    /// Cohort: these kab/kota, comma-separated (e.g. 35.09,35.10), `all`, or `smartcity` (the
    /// Gerakan Menuju 100 Smart City members listed in the reference data)
    #[arg(long, value_name = "CODES")]
    pub(super) regions: Option<String>,
    /// Formats to write (repeatable or comma-separated) [default: pdf, xlsx, csv]
    #[arg(long = "format", value_name = "pdf|xlsx|csv", value_delimiter = ',')]
    pub(super) formats: Vec<String>,
    /// Language of the report: id (default) or en
    #[arg(long, default_value = "id")]
    pub(super) lang: String,
    /// Folder the files are written to (created if missing)
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub(super) out: PathBuf,
}

#[derive(Debug, Args)]
pub(super) struct IngestArgs {
    /// Files to ingest: CSV (comma, semicolon or tab), .xlsx, .xls, .ods, .json, .ndjson
    #[arg(value_name = "FILE")]
    pub(super) files: Vec<PathBuf>,
    /// Pull a remote source declared in [[sources]] (repeatable)
    #[arg(long = "source", value_name = "NAME")]
    pub(super) sources: Vec<String>,
    /// Pull every remote source declared in [[sources]]
    #[arg(long)]
    pub(super) all_sources: bool,
    /// Excel sheet to read (default: the first)
    #[arg(long, value_name = "NAME")]
    pub(super) sheet: Option<String>,
    /// Validate and report only; change nothing
    #[arg(long)]
    pub(super) dry_run: bool,
    /// Re-read sources even if the same content was ingested before
    #[arg(long)]
    pub(super) force: bool,
    /// Print the report as JSON instead of text
    #[arg(long)]
    pub(super) json: bool,
    /// Language of the text report: id or en
    #[arg(long, default_value = "id")]
    pub(super) lang: crate::i18n::Lang,
}

#[derive(Debug, Args)]
pub(super) struct GenerateArgs {
    /// Output file [default: <data_dir>/activities/jember_2018_2025.csv]; `-` for stdout
    #[arg(long, short, value_name = "FILE")]
    pub(super) out: Option<PathBuf>,
    /// Number of synthetic rows (the real Relawan TIK Jember records come on top)
    #[arg(long, default_value_t = 12_000)]
    pub(super) rows: usize,
    /// Random seed; the same seed writes the same file
    #[arg(long, default_value_t = 7)]
    pub(super) seed: u64,
    /// First year
    #[arg(long, default_value_t = 2018)]
    pub(super) from: i32,
    /// Last year (inclusive)
    #[arg(long, default_value_t = 2025)]
    pub(super) to: i32,
    /// Share of rows with a deliberate mistake, for ingest to reject (0–1)
    #[arg(long, default_value_t = 0.003)]
    pub(super) flawed_share: f64,
    /// Kabupaten/kota whose kecamatan get activities [default: scoring.region]
    #[arg(long = "for", value_name = "CODE")]
    pub(super) for_region: Option<String>,
}
