//! `kotacerdas framework goalposts --base 2018-2020`: fixed goalposts for every indicator,
//! derived from the store's activity data in the base periods and written into the framework
//! file (see `crate::score::goalposts` and `crate::framework::edit`).
//!
//! This file parses the flags and prints what was done; the computing and the writing are the
//! library's.

use std::process::ExitCode;

use anyhow::{Context, bail};

use super::args::{FrameworkCommand, GoalpostArgs};
use crate::config::Config;
use crate::framework::edit;
use crate::job::{self, ReferenceData};
use crate::region::Level;
use crate::score::goalposts::{self, Percentiles};

/// Run a `framework` subcommand.
pub(super) fn framework_cmd(
    config: &Config,
    command: FrameworkCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        FrameworkCommand::Goalposts(args) => goalposts_cmd(config, args),
    }
}

/// The base periods a `--base` value names: `2019`, `2018-2020` (years) or `2018,2019,2020`.
fn base_periods(raw: &str) -> anyhow::Result<Vec<String>> {
    let raw = raw.trim();
    if let Some((from, to)) = raw.split_once('-')
        && let (Ok(from), Ok(to)) = (from.trim().parse::<i32>(), to.trim().parse::<i32>())
    {
        if from > to || to - from > 50 {
            bail!("--base {raw}: expected a range of years such as 2018-2020");
        }
        return Ok((from..=to).map(|y| y.to_string()).collect());
    }
    let periods: Vec<String> = raw
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if periods.is_empty() {
        bail!("--base is empty: give a period (2019), a range (2018-2020) or a list");
    }
    Ok(periods)
}

fn goalposts_cmd(config: &Config, args: GoalpostArgs) -> anyhow::Result<ExitCode> {
    let base = base_periods(&args.base)?;
    let level = match args.level.trim() {
        "district" | "kecamatan" => Level::District,
        "regency" | "kabupaten" | "kota" => Level::Regency,
        other => bail!("--level {other:?}: expected district or regency"),
    };
    if !(0.0..args.high).contains(&args.low) || args.high > 100.0 {
        bail!("--low and --high are percentiles with 0 ≤ low < high ≤ 100");
    }
    let reference = ReferenceData::load(config)?;
    let snapshot = job::run(config, &reference, false)?;
    let framework = &reference.framework;
    let derived = goalposts::derive(
        &snapshot.activities,
        framework,
        &reference.regions,
        config.period,
        level,
        &base,
        Percentiles {
            low: args.low,
            high: args.high,
        },
    )?;
    for (id, scale) in &derived {
        let [worst, best] = scale.goalposts;
        let typical = scale
            .typical
            .map_or(String::new(), |t| format!("  typical {t:>10}"));
        println!("{id:<32} worst {worst:>12}  best {best:>12}{typical}");
    }
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let version = edit::write_goalposts(&config.framework, framework, &derived)
        .with_context(|| format!("writing {}", config.framework.display()))?;
    println!(
        "wrote {} goalposts into {} (version {} → {version}, normalisation = \"goalposts\")",
        derived.len(),
        config.framework.display(),
        framework.version
    );
    Ok(ExitCode::SUCCESS)
}
