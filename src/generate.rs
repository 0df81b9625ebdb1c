//! A seeded, reproducible sample activity log for one kabupaten, in the canonical CSV format.
//!
//! The shipped sample (`data/activities/jember_2018_2025.csv`) is written by this module. It
//! starts with the real Relawan TIK Jember activities reported in the news (recorded for the
//! whole kabupaten, since the report names no kecamatan), followed by synthetic records: each
//! kecamatan gets its own activity level per dimension (denser kecamatan a little more), activity
//! grows over the years with a dip in 2020, and some records are placed at desa level. A small,
//! configurable share of rows carries the mistakes real uploads have (negative quantity, unknown
//! programme or region, impossible date), so ingest has something to reject. The same seed and
//! options always write the same bytes.

use std::io::Write;

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::framework::{Framework, Programme};
use crate::region::{Level, RegionCode, Regions};

/// Options of a generated log.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Kabupaten/kota whose kecamatan receive activities.
    pub region: RegionCode,
    /// First year.
    pub from_year: i32,
    /// Last year (inclusive).
    pub to_year: i32,
    /// Number of synthetic rows (the real records come on top).
    pub rows: usize,
    /// Seed of the random generator.
    pub seed: u64,
    /// Share of synthetic rows with a deliberate mistake, 0–1.
    pub flawed_share: f64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            region: RegionCode::parse("35.09").expect("valid code"),
            from_year: 2018,
            to_year: 2025,
            rows: 12_000,
            seed: 7,
            flawed_share: 0.003,
        }
    }
}

/// Why a log could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The region has no kecamatan in the reference data.
    #[error("region {0} has no kecamatan in the reference data")]
    NoKecamatan(RegionCode),
    /// The year range is empty.
    #[error("year range {0}–{1} is empty")]
    Years(i32, i32),
    /// Writing failed.
    #[error("cannot write the activity log: {0}")]
    Write(#[from] csv::Error),
}

/// What was written.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenerateSummary {
    /// Real records from the news item.
    pub real: usize,
    /// Synthetic records.
    pub synthetic: usize,
    /// Synthetic records with a deliberate mistake.
    pub flawed: usize,
}

const HEADER: [&str; 10] = [
    "activity_id",
    "date",
    "region_code",
    "programme",
    "dimension",
    "target_group",
    "quantity",
    "participants",
    "budget_idr",
    "organiser",
];

/// The activities the news item reports for Relawan TIK Jember (cumulative since 2014, recorded
/// at the date of the report): (programme, target group, quantity, note).
const RELAWAN_TIK_JEMBER: [(&str, &str, f64); 8] = [
    ("internet_sehat", "SMP/MTs dan SMA", 20.0),
    ("internet_sehat", "pesantren", 3.0),
    ("desa_go_online", "desa", 3.0),
    ("sekolah_go_online", "sekolah dan yayasan", 30.0),
    ("umkm_go_online", "UMKM", 100.0),
    ("komunitas_go_online", "komunitas", 7.0),
    ("deklarasi_anti_hoaks", "seminar nasional", 1.0),
    ("deklarasi_anti_hoaks", "deklarasi anti hoaks", 1.0),
];

/// Typical quantity of one record of a programme, in its unit.
fn typical_quantity(programme: &str) -> f64 {
    match programme {
        "ruang_terbuka_hijau" => 400.0,
        "tanda_tangan_elektronik" => 250.0,
        "literasi_digital" | "pelatihan_wirausaha_digital" => 40.0,
        "bimtek_asn" => 30.0,
        "qris_merchant" => 25.0,
        "umkm_go_online" => 12.0,
        "aduan_warga_selesai" => 20.0,
        "pju_led" => 15.0,
        "open_data_dataset" => 6.0,
        _ => 2.5,
    }
}

fn target_group(programme: &str, rng: &mut ChaCha8Rng) -> &'static str {
    match programme {
        "internet_sehat" => ["SMP/MTs", "SMA", "pesantren"][rng.random_range(0..3)],
        "umkm_go_online" | "pelatihan_wirausaha_digital" | "qris_merchant" => "UMKM",
        "sekolah_go_online" => "sekolah",
        "desa_go_online" => "desa",
        "komunitas_go_online" => "komunitas",
        "bimtek_asn" | "integrasi_aplikasi" | "tanda_tangan_elektronik" => "ASN",
        _ => "warga",
    }
}

fn organiser(dimension: &str, rng: &mut ChaCha8Rng) -> &'static str {
    let options: &[&'static str] = match dimension {
        "economy" => &["Dinas Koperasi dan UMKM", "Relawan TIK Jember"],
        "people" => &["Dinas Pendidikan", "Relawan TIK Jember"],
        "governance" => &["Diskominfo", "Bappeda"],
        "government" => &["Diskominfo"],
        "mobility" => &["Dinas Perhubungan"],
        "environment" => &["Dinas Lingkungan Hidup"],
        _ => &["Diskominfo", "Dinas Kesehatan", "Relawan TIK Jember"],
    };
    options[rng.random_range(0..options.len())]
}

/// A standard normal draw (Box–Muller), so no distribution crate is needed for one lognormal.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Write the log to `out`.
pub fn generate(
    out: impl Write,
    regions: &Regions,
    framework: &Framework,
    options: &GenerateOptions,
) -> Result<GenerateSummary, GenerateError> {
    if options.to_year < options.from_year {
        return Err(GenerateError::Years(options.from_year, options.to_year));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    // The levels are the first draws; writing the real records draws nothing.
    let sample = Sample::new(regions, framework, options, &mut rng)?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    let mut summary = GenerateSummary {
        real: write_real_records(&mut w, framework, &options.region)?,
        ..GenerateSummary::default()
    };
    let years: Vec<i32> = (options.from_year..=options.to_year).collect();
    let year_total: f64 = years.iter().map(|&y| sample.year_weight(y)).sum();
    let mut seq = 0usize;
    for &year in &years {
        let rows_this_year =
            (options.rows as f64 * sample.year_weight(year) / year_total).round() as usize;
        for _ in 0..rows_this_year {
            seq += 1;
            let mut record = sample.record(year, seq, &mut rng);
            if rng.random::<f64>() < options.flawed_share {
                summary.flawed += 1;
                flaw(&mut record, year, &options.region, &mut rng);
            }
            w.write_record(&record)?;
            summary.synthetic += 1;
        }
    }
    w.flush().map_err(csv::Error::from)?;
    Ok(summary)
}

/// The records the news item reports, at the date of the report, for the whole kabupaten;
/// returns how many.
fn write_real_records(
    w: &mut csv::Writer<impl Write>,
    framework: &Framework,
    region: &RegionCode,
) -> Result<usize, GenerateError> {
    for (i, (programme, target, quantity)) in RELAWAN_TIK_JEMBER.iter().enumerate() {
        let dimension = framework
            .programmes
            .get(*programme)
            .map_or("", |p| p.dimension.as_str());
        w.write_record([
            format!("RTIK-JBR-2018-{:02}", i + 1),
            "2018-07-10".to_string(),
            region.to_string(),
            programme.to_string(),
            dimension.to_string(),
            target.to_string(),
            quantity.to_string(),
            String::new(),
            String::new(),
            "Relawan TIK Jember".to_string(),
        ])?;
    }
    Ok(RELAWAN_TIK_JEMBER.len())
}

/// What the synthetic records are drawn from: the kecamatan with their activity level per
/// dimension, the programmes, and the year range.
struct Sample<'a> {
    regions: &'a Regions,
    from_year: i32,
    kecamatan: Vec<&'a RegionCode>,
    programmes: Vec<&'a Programme>,
    dimensions: Vec<&'a str>,
    /// Per kecamatan and dimension, its activity level.
    levels: Vec<Vec<f64>>,
    /// Per kecamatan, the sum of its levels: how often it is picked.
    kecamatan_weights: Vec<f64>,
    total_weight: f64,
}

impl<'a> Sample<'a> {
    /// The kecamatan of `options.region` and their levels, drawn from `rng`.
    fn new(
        regions: &'a Regions,
        framework: &'a Framework,
        options: &GenerateOptions,
        rng: &mut ChaCha8Rng,
    ) -> Result<Sample<'a>, GenerateError> {
        let kecamatan: Vec<&RegionCode> = regions
            .children(&options.region)
            .iter()
            .filter(|c| c.level() == Level::District)
            .collect();
        if kecamatan.is_empty() {
            return Err(GenerateError::NoKecamatan(options.region.clone()));
        }
        let mut programmes: Vec<&Programme> = framework.programmes.values().collect();
        programmes.sort_by(|a, b| a.programme.cmp(&b.programme));
        let dimensions: Vec<&str> = framework.dimensions.iter().map(|d| d.id.as_str()).collect();
        let levels = draw_levels(regions, &kecamatan, dimensions.len(), rng);
        let kecamatan_weights: Vec<f64> = levels.iter().map(|l| l.iter().sum()).collect();
        let total_weight: f64 = kecamatan_weights.iter().sum();
        Ok(Sample {
            regions,
            from_year: options.from_year,
            kecamatan,
            programmes,
            dimensions,
            levels,
            kecamatan_weights,
            total_weight,
        })
    }

    /// A year's share of the records: activity grows over the years, with a dip in 2020.
    fn year_weight(&self, y: i32) -> f64 {
        let growth = 1.0 + 0.12 * (y - self.from_year) as f64;
        if y == 2020 { growth * 0.6 } else { growth }
    }

    /// One synthetic record of `year`, number `seq`.
    fn record(&self, year: i32, seq: usize, rng: &mut ChaCha8Rng) -> [String; 10] {
        let k = self.pick_kecamatan(rng);
        let programme = self.pick_programme(k, rng);
        let level = self.level(k, &programme.dimension);
        let date = random_date(year, rng);
        let quantity = (typical_quantity(&programme.programme)
            * (0.6 * normal(rng)).exp()
            * (0.5 + 0.5 * level))
            .max(1.0)
            .round();
        let region = self.place(k, programme, rng);
        let participants = participants(programme, quantity, rng);
        let budget = budget(quantity, rng);
        [
            format!("JBR-{year}-{seq:05}"),
            date.format("%Y-%m-%d").to_string(),
            region,
            programme.programme.clone(),
            if rng.random::<f64>() < 0.7 {
                programme.dimension.clone()
            } else {
                String::new()
            },
            target_group(&programme.programme, rng).to_string(),
            format!("{quantity}"),
            participants,
            budget,
            organiser(&programme.dimension, rng).to_string(),
        ]
    }

    /// A kecamatan, in proportion to its overall level.
    fn pick_kecamatan(&self, rng: &mut ChaCha8Rng) -> usize {
        let mut pick = rng.random::<f64>() * self.total_weight;
        let mut k = 0;
        while k + 1 < self.kecamatan.len() && pick >= self.kecamatan_weights[k] {
            pick -= self.kecamatan_weights[k];
            k += 1;
        }
        k
    }

    /// A programme, in proportion to kecamatan `k`'s level in its dimension.
    fn pick_programme(&self, k: usize, rng: &mut ChaCha8Rng) -> &'a Programme {
        let weights: Vec<f64> = self
            .programmes
            .iter()
            .map(|p| self.level(k, &p.dimension))
            .collect();
        let mut pick = rng.random::<f64>() * weights.iter().sum::<f64>();
        let mut pi = 0;
        while pi + 1 < self.programmes.len() && pick >= weights[pi] {
            pick -= weights[pi];
            pi += 1;
        }
        self.programmes[pi]
    }

    /// Kecamatan `k`'s level in a dimension (1 for a dimension the framework does not have).
    fn level(&self, k: usize, dimension: &str) -> f64 {
        self.dimensions
            .iter()
            .position(|d| *d == dimension)
            .map_or(1.0, |d| self.levels[k][d])
    }

    /// Where the activity is recorded: the kecamatan, or one of its desa (always for Desa
    /// Go-Online, otherwise sometimes).
    fn place(&self, k: usize, programme: &Programme, rng: &mut ChaCha8Rng) -> String {
        let mut region = self.kecamatan[k].to_string();
        if programme.programme == "desa_go_online" || rng.random::<f64>() < 0.15 {
            let desa = self.regions.children(self.kecamatan[k]);
            if !desa.is_empty() {
                region = desa[rng.random_range(0..desa.len())].to_string();
            }
        }
        region
    }
}

/// Each kecamatan's level per dimension: a base drawn once, lifted for populous kecamatan.
fn draw_levels(
    regions: &Regions,
    kecamatan: &[&RegionCode],
    dimensions: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<Vec<f64>> {
    let mean_pop = kecamatan
        .iter()
        .filter_map(|k| regions.get(k).and_then(|r| r.population))
        .map(|p| p as f64)
        .sum::<f64>()
        / kecamatan.len() as f64;
    kecamatan
        .iter()
        .map(|k| {
            let pop = regions
                .get(k)
                .and_then(|r| r.population)
                .map_or(mean_pop, |p| p as f64);
            let size = (pop / mean_pop.max(1.0)).powf(0.7);
            (0..dimensions)
                .map(|_| size * (0.3 + 2.2 * rng.random::<f64>()))
                .collect()
        })
        .collect()
}

/// A day of `year`, uniformly.
fn random_date(year: i32, rng: &mut ChaCha8Rng) -> NaiveDate {
    let day0 = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
    let days = if NaiveDate::from_ymd_opt(year, 12, 31)
        .expect("valid year")
        .ordinal()
        == 366
    {
        366
    } else {
        365
    };
    day0 + chrono::Days::new(rng.random_range(0..days))
}

/// People reached: the quantity itself when the programme counts people, otherwise a multiple
/// of it in most records and empty in the rest.
fn participants(programme: &Programme, quantity: f64, rng: &mut ChaCha8Rng) -> String {
    match programme.unit_id.as_str() {
        "peserta" | "ASN" => format!("{quantity}"),
        _ if rng.random::<f64>() < 0.7 => {
            format!("{}", (quantity * rng.random_range(3.0..25.0)).round())
        }
        _ => String::new(),
    }
}

/// Rupiah spent, rounded to thousands, in most records; empty in the rest.
fn budget(quantity: f64, rng: &mut ChaCha8Rng) -> String {
    if rng.random::<f64>() < 0.6 {
        format!(
            "{}",
            (quantity * rng.random_range(2.0e5..3.0e6) / 1e3).round() * 1e3
        )
    } else {
        String::new()
    }
}

/// One of the mistakes real uploads have: a negative quantity, an unknown programme or region,
/// an impossible date.
fn flaw(record: &mut [String; 10], year: i32, region: &RegionCode, rng: &mut ChaCha8Rng) {
    match rng.random_range(0..4) {
        0 => record[6] = format!("-{}", record[6]),
        1 => record[3] = format!("{}_lama", record[3]),
        2 => record[2] = format!("{region}.99"),
        _ => record[1] = format!("{year}-02-30"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn reference() -> (Regions, Framework) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        (
            Regions::load(&root.join("regions")).unwrap(),
            Framework::load(&root.join("frameworks/seven_dimensions.toml")).unwrap(),
        )
    }

    #[test]
    fn same_seed_writes_the_same_bytes_and_another_seed_does_not() {
        let (regions, framework) = reference();
        let options = GenerateOptions {
            rows: 300,
            ..GenerateOptions::default()
        };
        let run = |o: &GenerateOptions| {
            let mut buf = Vec::new();
            generate(&mut buf, &regions, &framework, o).unwrap();
            buf
        };
        assert_eq!(run(&options), run(&options));
        assert_ne!(
            run(&options),
            run(&GenerateOptions {
                seed: 8,
                ..options.clone()
            })
        );
    }

    #[test]
    fn log_has_the_real_records_and_every_kecamatan() {
        let (regions, framework) = reference();
        let mut buf = Vec::new();
        let summary =
            generate(&mut buf, &regions, &framework, &GenerateOptions::default()).unwrap();
        assert_eq!(summary.real, 8);
        assert!(
            (11_900..=12_100).contains(&summary.synthetic),
            "{summary:?}"
        );
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains("RTIK-JBR-2018-05,2018-07-10,35.09,umkm_go_online"));
        for k in regions.children(&RegionCode::parse("35.09").unwrap()) {
            assert!(text.contains(&format!(",{k}")), "no activity in {k}");
        }
    }
}
