//! `kotacerdas report`: a region's profile or a cohort's ranking written as files.
//!
//! Runs the job without charts, then asks `crate::report` for the same documents the
//! `/reports/…` routes serve; nothing here lays out a report.

use std::process::ExitCode;

use anyhow::Context;

use super::args::ReportArgs;
use crate::config::Config;
use crate::job::{self, ReferenceData};
use crate::region::RegionCode;

/// `kotacerdas report`: the same files the `/reports/…` routes serve, written to a folder:
/// `{stem}.pdf`, `{stem}.xlsx` and one `{stem}_{table}.csv` per table.
pub(super) fn report_cmd(config: &Config, args: ReportArgs) -> anyhow::Result<ExitCode> {
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
        boundaries: &reference.boundaries,
    };
    let period = inputs.resolve_period(&subject, Some(&args.period))?;
    let data = report::gather(&inputs, &subject, &period, lang, report::Audience::Wide)?;
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
