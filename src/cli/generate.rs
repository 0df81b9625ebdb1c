//! `kotacerdas generate`: the seeded sample activity log written to a file or standard output.
//!
//! The log itself is `crate::generate`'s; this file resolves the options and the output path.

use std::process::ExitCode;

use anyhow::Context;

use super::args::GenerateArgs;
use crate::config::Config;
use crate::generate::{GenerateOptions, generate};
use crate::job::ReferenceData;
use crate::region::RegionCode;

/// Write the sample log and say what was written.
pub(super) fn generate_log(config: &Config, args: GenerateArgs) -> anyhow::Result<ExitCode> {
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
