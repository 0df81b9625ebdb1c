//! What a report is about and how it is delivered: the subject (a region or a cohort of
//! kab/kota), the file format and the audience, each parsed once from a request or the command
//! line.
//!
//! Nothing here reads scores: whether a subject has any is decided when the report is gathered
//! ([`super::gather()`]).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::ReportError;
use crate::region::{Level, RegionCode};

/// Who a report is made for: what it may show beyond its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Audience {
    /// A reader who may see the subject's province: a kab/kota without kecamatan scores is
    /// shown on its province's map.
    #[default]
    Wide,
    /// A reader who may see only the subject's own regions (a region's own report): no map of
    /// the regions around it.
    Subject,
}

/// A file format a report comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// A4 PDF.
    Pdf,
    /// Excel workbook.
    Xlsx,
    /// One table as CSV.
    Csv,
}

impl ReportFormat {
    /// Every format, in the order the CLI writes them.
    pub const ALL: [ReportFormat; 3] = [ReportFormat::Pdf, ReportFormat::Xlsx, ReportFormat::Csv];

    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "pdf",
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Csv => "csv",
        }
    }

    /// HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "application/pdf",
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ReportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

impl FromStr for ReportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pdf" => Ok(ReportFormat::Pdf),
            "xlsx" => Ok(ReportFormat::Xlsx),
            "csv" => Ok(ReportFormat::Csv),
            other => Err(format!(
                "unknown report format {other:?}: expected pdf, xlsx or csv"
            )),
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// The regions of a cohort report.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cohort {
    /// Every scored kab/kota of a province (`35`).
    Province(RegionCode),
    /// The kab/kota listed.
    List(Vec<RegionCode>),
    /// Every scored kab/kota.
    All,
    /// The scored kab/kota of the Gerakan Menuju 100 Smart City listed in the reference data
    /// ([`Regions::smart_city`]).
    SmartCity,
}

impl Cohort {
    /// From `?province=` / `?regions=` (a comma-separated list, `all`, or `smartcity`); exactly
    /// one is needed.
    pub fn parse(province: Option<&str>, regions: Option<&str>) -> Result<Cohort, ReportError> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|s| !s.is_empty())
        }
        match (present(province), present(regions)) {
            (Some(_), Some(_)) => Err(ReportError::BadRequest(
                "give either province or regions for a cohort, not both".into(),
            )),
            (None, None) => Err(ReportError::BadRequest(
                "a cohort needs province=CODE (e.g. 35) or regions=CODE,CODE,… (or regions=all, \
                 regions=smartcity)"
                    .into(),
            )),
            (Some(p), None) => {
                let code = RegionCode::parse(p)
                    .map_err(|e| ReportError::BadRequest(format!("province: {e}")))?;
                if code.level() != Level::Province {
                    return Err(ReportError::BadRequest(format!(
                        "province: {code} is not a province code (two digits, e.g. 35)"
                    )));
                }
                Ok(Cohort::Province(code))
            }
            (None, Some(r)) if r.eq_ignore_ascii_case("all") => Ok(Cohort::All),
            (None, Some(r)) if r.eq_ignore_ascii_case("smartcity") => Ok(Cohort::SmartCity),
            (None, Some(r)) => {
                let mut codes = Vec::new();
                for part in r.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let code = RegionCode::parse(part)
                        .map_err(|e| ReportError::BadRequest(format!("regions: {e}")))?;
                    if code.level() != Level::Regency {
                        return Err(ReportError::BadRequest(format!(
                            "regions: {code} is not a kab/kota code (e.g. 35.09)"
                        )));
                    }
                    if !codes.contains(&code) {
                        codes.push(code);
                    }
                }
                if codes.is_empty() {
                    return Err(ReportError::BadRequest("regions: no codes given".into()));
                }
                Ok(Cohort::List(codes))
            }
        }
    }

    /// A short, file-name-safe name: `35`, `all`, or the codes joined.
    pub fn slug(&self) -> String {
        match self {
            Cohort::Province(p) => format!("provinsi_{p}"),
            Cohort::All => "semua".into(),
            Cohort::SmartCity => "smartcity".into(),
            Cohort::List(codes) if codes.len() <= 4 => codes
                .iter()
                .map(RegionCode::as_str)
                .collect::<Vec<_>>()
                .join("_"),
            Cohort::List(codes) => format!("{}_wilayah", codes.len()),
        }
    }
}

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// One kecamatan's or kab/kota's profile.
    Region(RegionCode),
    /// A ranked set of kab/kota.
    Cohort(Cohort),
}

impl Subject {
    /// The file name stem: `profil_35.09.20_2025`, `kohort_provinsi_35_2025`.
    pub fn file_stem(&self, period: &str) -> String {
        match self {
            Subject::Region(r) => format!("profil_{r}_{period}"),
            Subject::Cohort(c) => format!("kohort_{}_{period}", c.slug()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cohort_is_a_province_a_list_or_all() {
        let code = |s: &str| RegionCode::parse(s).unwrap();
        assert_eq!(
            Cohort::parse(Some("35"), None).unwrap(),
            Cohort::Province(code("35"))
        );
        assert_eq!(
            Cohort::parse(None, Some(" 35.09, 35.10,35.09 ")).unwrap(),
            Cohort::List(vec![code("35.09"), code("35.10")])
        );
        assert_eq!(Cohort::parse(None, Some("ALL")).unwrap(), Cohort::All);
        assert_eq!(
            Cohort::parse(None, Some("smartcity")).unwrap(),
            Cohort::SmartCity
        );
        for (p, r, needle) in [
            (None, None, "province=CODE"),
            (Some("35"), Some("35.09"), "not both"),
            (Some("35.09"), None, "not a province"),
            (None, Some("35.09.20"), "not a kab/kota"),
            (None, Some("35.x"), "regions"),
            (None, Some(" , "), "no codes"),
        ] {
            let e = Cohort::parse(p, r).unwrap_err().to_string();
            assert!(e.contains(needle), "{p:?} {r:?}: {e}");
        }
    }

    #[test]
    fn file_stems_name_the_subject_and_period() {
        let r = Subject::Region(RegionCode::parse("35.09.20").unwrap());
        assert_eq!(r.file_stem("2025"), "profil_35.09.20_2025");
        let c = Subject::Cohort(Cohort::Province(RegionCode::parse("35").unwrap()));
        assert_eq!(c.file_stem("2025"), "kohort_provinsi_35_2025");
    }
}
