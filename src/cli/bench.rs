//! `kotacerdas bench`: picks which benchmark to run from the flags and prints its Markdown
//! table.
//!
//! The timing itself is `crate::bench`'s; nothing is measured here.

use std::process::ExitCode;

use super::args::BenchArgs;
use crate::config::Config;

/// Run the benchmark the flags select (the job and charts by default) and print the table.
pub(super) fn bench_cmd(config: &Config, args: BenchArgs) -> anyhow::Result<ExitCode> {
    let BenchArgs {
        runs,
        scoring,
        replications,
        reports,
        national,
        rounds,
        access,
    } = args;
    let measurements = match scoring {
        _ if access.flood.is_set() => return crate::bench::login_flood::run(access.flood),
        _ if access.auth => crate::bench::auth(config, runs)?,
        _ if rounds => crate::bench::rounds::recap(config, runs)?,
        _ if reports => crate::bench::reports(config, national.as_deref(), runs)?,
        Some(file) => crate::bench::scoring(config, &file, runs, replications)?,
        None => {
            let mut m = crate::bench::run(config, runs)?;
            m.extend(crate::bench::charts(config, runs)?);
            m
        }
    };
    print!("{}", crate::bench::to_markdown(&measurements));
    Ok(ExitCode::SUCCESS)
}
