//! A small scored world for the view tests: the shipped reference regions, boundaries and
//! seven-dimension framework, and a handful of hand-made activities in three of Jember's
//! kecamatan over 2024 and 2025, scored by the real engine at both levels.
//!
//! Only the economy and people dimensions have activities, so the other five have no scores:
//! the tests see both data and "no data". Built once per test run, shared read-only.

use std::path::Path;
use std::sync::OnceLock;

use polars::prelude::*;

use super::ViewCtx;
use crate::framework::Framework;
use crate::i18n::Lang;
use crate::region::boundaries::Boundaries;
use crate::region::{Level, RegionCode, Regions};
use crate::score::{self, Granularity, ScoreBook, Scores};
use crate::store::{Activities, cols};

/// Jombang: the strongest economy in both years.
pub(super) const JOMBANG: &str = "35.09.01";
/// Kencong: second in economy, people's records from one of its desa in 2025.
pub(super) const KENCONG: &str = "35.09.02";
/// Gumukmas: people's records in both years, QRIS merchants in 2025.
pub(super) const GUMUKMAS: &str = "35.09.04";
/// Sumberbaru: a kecamatan of Jember without any activity.
pub(super) const SUMBERBARU: &str = "35.09.03";
/// Kabupaten Jember.
pub(super) const JEMBER: &str = "35.09";

/// Everything a view builder reads, scored.
pub(super) struct World {
    pub regions: Regions,
    pub boundaries: Boundaries,
    pub framework: Framework,
    pub activities: Activities,
    pub scores: Scores,
    /// The scores, one number per region (as the job's book).
    pub book: ScoreBook,
    /// The same book, for the tests written against the kab/kota-level context.
    pub regency: ScoreBook,
}

impl World {
    /// The context of the kecamatan-level scores in `lang`.
    pub fn ctx(&self, lang: Lang) -> ViewCtx<'_> {
        ViewCtx::new(&self.book, &self.regions, &self.framework, lang)
    }

    /// The context of the kab/kota-level scores in `lang`.
    pub fn regency_ctx(&self, lang: Lang) -> ViewCtx<'_> {
        self.ctx(lang).with_book(&self.regency)
    }
}

/// A region code known to be valid.
pub(super) fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

/// The shared world, built on first use.
pub(super) fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(build)
}

fn build() -> World {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let regions = Regions::load(&data.join("regions")).unwrap();
    let boundaries = Boundaries::load(&data.join("regions")).unwrap();
    let framework = Framework::load(&data.join("frameworks/seven_dimensions.toml")).unwrap();
    let activities = activities(&[
        ("2024-03-10", JOMBANG, "umkm_go_online", "economy", 30.0),
        ("2024-05-02", KENCONG, "umkm_go_online", "economy", 10.0),
        ("2024-05-20", GUMUKMAS, "internet_sehat", "people", 5.0),
        ("2024-08-01", JOMBANG, "internet_sehat", "people", 1.0),
        ("2025-02-14", JOMBANG, "umkm_go_online", "economy", 40.0),
        ("2025-02-20", KENCONG, "umkm_go_online", "economy", 20.0),
        (
            "2025-06-01",
            "35.09.02.2001",
            "internet_sehat",
            "people",
            6.0,
        ),
        ("2025-06-03", GUMUKMAS, "qris_merchant", "economy", 12.0),
        ("2025-07-10", GUMUKMAS, "internet_sehat", "people", 3.0),
        // A whole-kabupaten record: counted in Jember's timeline, in no kecamatan's score.
        ("2025-07-11", JEMBER, "literasi_digital", "people", 50.0),
    ]);
    let scores = score::compute(&activities, &framework, &regions, Granularity::Year).unwrap();
    let regency_scores = score::compute_at(
        &activities,
        &framework,
        &regions,
        Granularity::Year,
        Level::Regency,
    )
    .unwrap();
    let order: Vec<String> = framework.dimensions.iter().map(|d| d.id.clone()).collect();
    let national = framework.normalisation.is_absolute();
    let book = ScoreBook::merged(&scores, &regency_scores, &order, national).unwrap();
    let regency = book.clone();
    World {
        regions,
        boundaries,
        framework,
        activities,
        scores,
        book,
        regency,
    }
}

/// An activity table of (date, region, programme, dimension, quantity) rows.
fn activities(rows: &[(&str, &str, &str, &str, f64)]) -> Activities {
    let n = rows.len();
    let df = df!(
        cols::ACTIVITY_ID => (0..n).map(|i| format!("V{i}")).collect::<Vec<_>>(),
        cols::DATE => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        cols::REGION_CODE => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        cols::PROGRAMME => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        cols::DIMENSION => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        cols::TARGET_GROUP => vec![None::<&str>; n],
        cols::QUANTITY => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        cols::PARTICIPANTS => vec![None::<i64>; n],
        cols::BUDGET_IDR => vec![None::<f64>; n],
        cols::ORGANISER => vec![Some("Relawan TIK Jember"); n],
        cols::SOURCE => vec!["view-tests"; n],
        cols::SOURCE_ROW => (2..n as i64 + 2).collect::<Vec<_>>(),
    )
    .unwrap()
    .lazy()
    .with_column(col(cols::DATE).str().to_date(StrptimeOptions::default()))
    .collect()
    .unwrap();
    Activities::new(df).unwrap()
}
