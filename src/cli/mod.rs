//! The command line: `serve` (default), `run`, `ingest`, `generate`, `explain`, `sensitivity`,
//! `bench`, `user` (the users file: add, token, list, remove) and `round` (evaluation rounds).
//!
//! Parses flags, sets up logging, loads the configuration and hands over to the library.
//! Errors print once with their cause chain; the exit code is 0 on success, 1 on a failure of
//! the job or server, 2 on a bad configuration or command line.
//!
//! This file holds the entry point, logging and the dispatch; the flags are defined in
//! [`args`], and each group of subcommands has its own file. No command's work is done here.

mod args;
mod bench;
mod explain;
mod framework;
mod generate;
mod ingest;
mod report;
mod round;
mod serve;
mod user;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use crate::config::{Config, ConfigError, LogFormat, Overrides};

use args::{Cli, Command};

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
        Command::Serve => serve::serve(config, started),
        Command::Run => serve::run_job(&config),
        Command::Ingest(args) => ingest::ingest_cmd(&config, args),
        Command::Generate(args) => generate::generate_log(&config, args),
        Command::User(command) => user::user_cmd(&config, command, region_flag),
        Command::Framework(command) => framework::framework_cmd(&config, command),
        Command::Explain(args) => explain::explain_cmd(&config, args),
        Command::Sensitivity(args) => explain::sensitivity_cmd(&config, args),
        Command::Report(args) => report::report_cmd(&config, args),
        Command::Bench(args) => bench::bench_cmd(&config, args),
        Command::Round(command) => round::round_cmd(&config, command),
    }
}
