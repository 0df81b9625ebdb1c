//! Reference data about Indonesian regions, keyed on Kemendagri codes.
//!
//! Loads `data/regions/`: every province, kab/kota, kecamatan and desa code with its name and
//! parent (Kepmendagri 2025), population and area where the source has them (all kab/kota and
//! provinces; Jember's kecamatan), and the BPS codes that map onto Kemendagri ones. It answers
//! "what is this code, what is its parent, who are its children, how many people live there";
//! it does not score or draw anything.

pub mod boundaries;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A Kemendagri region code: `35` (province), `35.09` (kab/kota), `35.09.02` (kecamatan),
/// `35.09.02.2001` (desa/kelurahan). Only well-formed codes can be constructed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

/// The administrative level of a region.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Provinsi.
    Province,
    /// Kabupaten or kota.
    Regency,
    /// Kecamatan.
    District,
    /// Desa or kelurahan.
    Village,
}

/// A malformed region code.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "{0:?} is not a Kemendagri region code (expected e.g. 35, 35.09, 35.09.02 or 35.09.02.2001)"
)]
pub struct BadRegionCode(pub String);

impl RegionCode {
    /// Parse a Kemendagri code; surrounding whitespace is ignored.
    pub fn parse(s: &str) -> Result<RegionCode, BadRegionCode> {
        let s = s.trim();
        let parts: Vec<&str> = s.split('.').collect();
        let widths = [2, 2, 2, 4];
        let ok = !parts.is_empty()
            && parts.len() <= widths.len()
            && parts
                .iter()
                .zip(widths)
                .all(|(p, w)| p.len() == w && p.bytes().all(|b| b.is_ascii_digit()));
        if ok {
            Ok(RegionCode(s.to_string()))
        } else {
            Err(BadRegionCode(s.to_string()))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The administrative level, from the number of segments.
    pub fn level(&self) -> Level {
        match self.0.split('.').count() {
            1 => Level::Province,
            2 => Level::Regency,
            3 => Level::District,
            _ => Level::Village,
        }
    }

    /// The enclosing region's code, `None` for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        self.0
            .rsplit_once('.')
            .map(|(head, _)| RegionCode(head.to_string()))
    }

    /// Whether the code `code` names this region or one inside it (`35.09.20` is within `35.09`).
    pub fn contains_code(&self, code: &str) -> bool {
        code == self.0
            || code
                .strip_prefix(self.0.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
    }

    /// This code or its ancestor at `level`, `None` if this code is above that level.
    pub fn at_level(&self, level: Level) -> Option<RegionCode> {
        let depth = level as usize + 1;
        let parts: Vec<&str> = self.0.split('.').collect();
        (parts.len() >= depth).then(|| RegionCode(parts[..depth].join(".")))
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = BadRegionCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

/// One region and what the reference data knows about it.
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    /// Kemendagri code.
    pub code: RegionCode,
    /// Official name, e.g. `Kabupaten Jember`, `Sumbersari`.
    pub name: String,
    /// Administrative level.
    pub level: Level,
    /// Residents, where the reference data has a figure.
    pub population: Option<u64>,
    /// Area in km², where known.
    pub area_km2: Option<f64>,
    /// BPS code, where known (`3509010` for Kemendagri `35.09.02`).
    pub bps_code: Option<String>,
}

impl Region {
    /// A name fit for a title: `Kecamatan Sumbersari`, `Kabupaten Jember`, `Jawa Timur`.
    pub fn display_name(&self) -> String {
        match self.level {
            Level::District => format!("Kecamatan {}", self.name),
            Level::Village => format!("Desa {}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// An error reading the reference files.
#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    /// A file could not be opened or parsed.
    #[error("cannot read region file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// A row has a malformed code.
    #[error("{path}, row {row}: {source}")]
    BadCode {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        row: usize,
        /// The malformed code.
        source: BadRegionCode,
    },
}

/// All regions known to the reference data.
#[derive(Debug, Default)]
pub struct Regions {
    by_code: HashMap<RegionCode, Region>,
    children: HashMap<RegionCode, Vec<RegionCode>>,
    bps: HashMap<String, RegionCode>,
    smart_city: Vec<RegionCode>,
}

#[derive(Deserialize)]
struct SmartCityRow {
    kode_kemendagri: String,
}

#[derive(Deserialize)]
struct WilayahRow {
    kode: String,
    nama: String,
}

#[derive(Deserialize)]
struct AreaPopulationRow {
    kode: String,
    #[serde(default, alias = "kode_bps_style")]
    kode_bps: Option<String>,
    #[serde(
        default,
        alias = "luas_km2",
        alias = "area_km2_computed_hdx2020",
        deserialize_with = "csv::invalid_option"
    )]
    area: Option<f64>,
    #[serde(
        default,
        alias = "penduduk_total",
        alias = "penduduk_2024_thirdparty",
        deserialize_with = "csv::invalid_option"
    )]
    population: Option<u64>,
}

impl Regions {
    /// Load the reference files from `dir` (normally `data/regions`).
    ///
    /// `wilayah_kemendagri_2025_all.csv` gives every code and name; `provinsi.csv`,
    /// `kabkota.csv` and `jember_kecamatan.csv` add population, area and BPS codes.
    pub fn load(dir: &Path) -> Result<Regions, RegionError> {
        let mut regions = Regions::default();
        let path = dir.join("wilayah_kemendagri_2025_all.csv");
        for (i, row) in read_rows::<WilayahRow>(&path)?.into_iter().enumerate() {
            let code = RegionCode::parse(&row.kode).map_err(|source| RegionError::BadCode {
                path: path.clone(),
                row: i + 2,
                source,
            })?;
            regions.insert(Region {
                level: code.level(),
                code,
                name: row.nama,
                population: None,
                area_km2: None,
                bps_code: None,
            });
        }
        for name in ["provinsi.csv", "kabkota.csv", "jember_kecamatan.csv"] {
            let path = dir.join(name);
            for (i, row) in read_rows::<AreaPopulationRow>(&path)?
                .into_iter()
                .enumerate()
            {
                let code = RegionCode::parse(&row.kode).map_err(|source| RegionError::BadCode {
                    path: path.clone(),
                    row: i + 2,
                    source,
                })?;
                if let Some(bps) = row.kode_bps.as_ref().filter(|b| !b.is_empty()) {
                    regions.bps.insert(bps.clone(), code.clone());
                }
                if let Some(region) = regions.by_code.get_mut(&code) {
                    region.population = row.population.or(region.population);
                    region.area_km2 = row.area.or(region.area_km2);
                    region.bps_code = row.kode_bps.filter(|b| !b.is_empty());
                }
            }
        }
        for children in regions.children.values_mut() {
            children.sort();
        }
        // Members of the Gerakan Menuju 100 Smart City known so far (the file lists those
        // confirmed by a published source, not all hundred). Optional: without it the
        // smart-city cohort is empty.
        let path = dir.join("smartcity_100_gerakan.csv");
        if path.exists() {
            for (i, row) in read_rows::<SmartCityRow>(&path)?.into_iter().enumerate() {
                let code = RegionCode::parse(&row.kode_kemendagri).map_err(|source| {
                    RegionError::BadCode {
                        path: path.clone(),
                        row: i + 2,
                        source,
                    }
                })?;
                if !regions.smart_city.contains(&code) {
                    regions.smart_city.push(code);
                }
            }
            regions.smart_city.sort();
        }
        Ok(regions)
    }

    /// Add one region (used by [`Regions::load`] and by tests building small fixtures).
    pub fn insert(&mut self, region: Region) {
        if let Some(parent) = region.code.parent() {
            self.children
                .entry(parent)
                .or_default()
                .push(region.code.clone());
        }
        self.by_code.insert(region.code.clone(), region);
    }

    /// The region with this code, if known.
    pub fn get(&self, code: &RegionCode) -> Option<&Region> {
        self.by_code.get(code)
    }

    /// Whether the code is known.
    pub fn contains(&self, code: &RegionCode) -> bool {
        self.by_code.contains_key(code)
    }

    /// Direct children of a region (kecamatan of a kabupaten, …), sorted by code.
    pub fn children(&self, code: &RegionCode) -> &[RegionCode] {
        self.children.get(code).map_or(&[], Vec::as_slice)
    }

    /// The kab/kota of the Gerakan Menuju 100 Smart City cohort listed in the reference data
    /// (`smartcity_100_gerakan.csv`), sorted by code.
    pub fn smart_city(&self) -> &[RegionCode] {
        &self.smart_city
    }

    /// The Kemendagri code for a BPS code (`3509010` → `35.09.02`), where known.
    pub fn from_bps(&self, bps: &str) -> Option<&RegionCode> {
        self.bps.get(bps)
    }

    /// Number of regions known.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// Whether nothing is loaded.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// Iterate over all known codes (unordered).
    pub fn codes(&self) -> impl Iterator<Item = &RegionCode> {
        self.by_code.keys()
    }
}

fn read_rows<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, RegionError> {
    let err = |source| RegionError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::Reader::from_path(path).map_err(err)?;
    reader
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_and_know_their_level_and_parent() {
        let c = RegionCode::parse(" 35.09.02 ").unwrap();
        assert_eq!(c.as_str(), "35.09.02");
        assert_eq!(c.level(), Level::District);
        assert_eq!(c.parent().unwrap().as_str(), "35.09");
        let desa = RegionCode::parse("35.09.02.2001").unwrap();
        assert_eq!(desa.at_level(Level::District), Some(c));
        assert_eq!(
            RegionCode::parse("35").unwrap().at_level(Level::District),
            None
        );
    }

    #[test]
    fn malformed_codes_are_rejected() {
        for bad in [
            "",
            "3509",
            "35.9",
            "35.09.2",
            "35.09.02.201",
            "ab.cd",
            "35.09.02.2001.1",
        ] {
            assert!(RegionCode::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn shipped_reference_data_knows_jember_and_its_kecamatan() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/regions");
        let regions = Regions::load(&dir).unwrap();
        let jember = RegionCode::parse("35.09").unwrap();
        assert_eq!(regions.get(&jember).unwrap().name, "Kabupaten Jember");
        assert_eq!(regions.get(&jember).unwrap().population, Some(2_615_874));
        assert_eq!(regions.children(&jember).len(), 31);
        let kencong = regions.from_bps("3509010").unwrap();
        assert_eq!(kencong.as_str(), "35.09.02");
        assert_eq!(regions.get(kencong).unwrap().population, Some(71_155));
    }
}
