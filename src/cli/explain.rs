//! `kotacerdas explain` and `kotacerdas sensitivity`: how one region's score was made, and how
//! sure the ranks of its peer group are, as a table or JSON.
//!
//! Both run the job without charts and print what `crate::score::explain` and
//! `crate::analysis::sensitivity` answer; nothing is computed here.

use std::process::ExitCode;

use anyhow::Context;

use super::args::{ExplainArgs, SensitivityArgs};
use crate::config::Config;
use crate::job::{self, ReferenceData};
use crate::region::RegionCode;

/// Print a region's score in a period, indicator by indicator.
pub(super) fn explain_cmd(config: &Config, args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let region = RegionCode::parse(&args.region).context("bad region code")?;
    let reference = ReferenceData::load(config)?;
    let snapshot = job::run(config, &reference, false)?;
    let e = crate::score::explain::explain(
        snapshot.scores_of(&region),
        &snapshot.book,
        &reference.framework,
        &region,
        &args.period,
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        print!("{}", e.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

/// Print the rank intervals of a region's peer group in a period.
pub(super) fn sensitivity_cmd(config: &Config, args: SensitivityArgs) -> anyhow::Result<ExitCode> {
    use crate::analysis::sensitivity::{Inputs, MonteCarlo, analyse};
    let region = RegionCode::parse(&args.region).context("bad region code")?;
    let settings =
        MonteCarlo::new(args.replications, args.seed, args.share).map_err(anyhow::Error::msg)?;
    let reference = ReferenceData::load(config)?;
    let snapshot = job::run(config, &reference, false)?;
    let inputs = Inputs {
        activities: &snapshot.activities,
        book: &snapshot.book,
        regions: &reference.regions,
        framework: &reference.framework,
        granularity: config.period,
    };
    let report = analyse(inputs, &region, Some(&args.period), settings)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::SUCCESS)
}
