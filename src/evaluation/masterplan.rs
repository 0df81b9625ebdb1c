//! The masterplan register: per region, the programmes of its smart-city masterplan and quick
//! wins (pillar, planned year, budget, responsible OPD, status) and the activity programmes that
//! realise each one; and the realisation the activity log shows (planned versus carried out),
//! which Outcome items display as evidence. This is where the evaluation meets the rest of
//! kotacerdas: "carried out" means the activity log has records of a linked programme in the
//! region between the planned year and the round's year.

use std::collections::{BTreeMap, HashSet};

use polars::prelude::{DataFrame, PolarsError};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::EvaluationError;
use super::workflow::{Actor, Evaluation};
use crate::auth::Role;
use crate::db;
use crate::region::RegionCode;
use crate::store::cols;

type Result<T> = std::result::Result<T, EvaluationError>;

/// The six pillars of the ministry's programme, which a masterplan entry belongs to.
pub const PILLARS: [&str; 6] = [
    "governance",
    "branding",
    "economy",
    "living",
    "society",
    "environment",
];

/// Status values of an entry.
pub const STATUSES: [&str; 4] = ["planned", "running", "done", "cancelled"];

/// One programme of a region's masterplan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    /// Id (0 for a new entry).
    #[serde(default)]
    pub id: i64,
    /// Programme name, e.g. "Satu Data Jember".
    pub programme: String,
    /// Pillar id (one of [`PILLARS`]).
    pub pillar: String,
    /// Year it is planned for.
    pub planned_year: i32,
    /// Budget in rupiah, if known.
    #[serde(default)]
    pub budget_idr: Option<f64>,
    /// The OPD responsible (e.g. Diskominfo).
    pub opd: String,
    /// `planned`, `running`, `done` or `cancelled`.
    pub status: String,
    /// Whether it is a quick win.
    #[serde(default)]
    pub quick_win: bool,
    /// Activity programme codes (from the catalogue) that carry it out.
    #[serde(default)]
    pub activity_programmes: Vec<String>,
}

/// Planned versus carried out, for one pillar up to a year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Realisation {
    /// Pillar id.
    pub pillar: String,
    /// Entries planned up to the year (cancelled ones left out).
    pub planned: usize,
    /// Of those, entries with activity records of a linked programme since their planned year.
    pub carried_out: usize,
    /// `carried_out / planned × 100`, `None` when nothing was planned.
    pub share: Option<f64>,
}

impl Entry {
    /// Check an entry as typed; `programmes` is the activity catalogue.
    pub fn check(&self, programmes: &HashSet<String>) -> Result<()> {
        let bad = |id: String, en: String| Err(EvaluationError::invalid(id, en));
        if self.programme.trim().is_empty() || self.programme.len() > 300 {
            return bad(
                "Nama program wajib diisi (paling banyak 300 karakter).".into(),
                "The programme name is required (at most 300 characters).".into(),
            );
        }
        if !PILLARS.contains(&self.pillar.as_str()) {
            return bad(
                format!(
                    "Pilar {:?} tidak dikenal; pilihan: {}.",
                    self.pillar,
                    PILLARS.join(", ")
                ),
                format!(
                    "Unknown pillar {:?}; choose one of {}.",
                    self.pillar,
                    PILLARS.join(", ")
                ),
            );
        }
        if !(2015..=2100).contains(&self.planned_year) {
            return bad(
                format!("Tahun rencana {} di luar 2015–2100.", self.planned_year),
                format!("Planned year {} is outside 2015–2100.", self.planned_year),
            );
        }
        if self
            .budget_idr
            .is_some_and(|b| !(b.is_finite() && b >= 0.0))
        {
            return bad(
                "Anggaran harus angka ≥ 0.".into(),
                "The budget must be a number ≥ 0.".into(),
            );
        }
        if self.opd.trim().is_empty() {
            return bad(
                "OPD penanggung jawab wajib diisi.".into(),
                "The responsible OPD is required.".into(),
            );
        }
        if !STATUSES.contains(&self.status.as_str()) {
            return bad(
                format!(
                    "Status {:?} tidak dikenal; pilihan: {}.",
                    self.status,
                    STATUSES.join(", ")
                ),
                format!(
                    "Unknown status {:?}; choose one of {}.",
                    self.status,
                    STATUSES.join(", ")
                ),
            );
        }
        if let Some(p) = self
            .activity_programmes
            .iter()
            .find(|p| !programmes.contains(*p))
        {
            return bad(
                format!("Program kegiatan {p:?} tidak ada dalam katalog programmes.csv."),
                format!("Activity programme {p:?} is not in the programmes.csv catalogue."),
            );
        }
        Ok(())
    }
}

impl Evaluation {
    /// A region's masterplan register, by pillar and planned year.
    pub async fn masterplan(&self, region: &RegionCode) -> Result<Vec<Entry>> {
        let rows = sqlx::query(
            "SELECT id, programme, pillar, planned_year, budget_idr, opd, status, quick_win, \
             activity_programmes FROM masterplan WHERE region = $1 ORDER BY pillar, planned_year, id",
        )
        .bind(region.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let programmes: String = r.try_get("activity_programmes")?;
                Ok(Entry {
                    id: r.try_get("id")?,
                    programme: r.try_get("programme")?,
                    pillar: r.try_get("pillar")?,
                    planned_year: i32::try_from(r.try_get::<i64, _>("planned_year")?)
                        .unwrap_or_default(),
                    budget_idr: r.try_get("budget_idr")?,
                    opd: r.try_get("opd")?,
                    status: r.try_get("status")?,
                    quick_win: r.try_get::<i64, _>("quick_win")? != 0,
                    activity_programmes: programmes
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                })
            })
            .collect()
    }

    /// Add an entry (`entry.id == 0`) or replace one of the region's entries; the region's
    /// steward or an admin.
    pub async fn put_masterplan(
        &self,
        actor: &Actor,
        region: &RegionCode,
        entry: &Entry,
        programmes: &HashSet<String>,
    ) -> Result<Entry> {
        if !matches!(actor.role, Role::Steward | Role::Admin) {
            return Err(EvaluationError::forbidden(
                "Register masterplan diisi oleh tim daerah (steward) atau admin.",
                "The masterplan register is kept by the region's team (steward) or an admin.",
            ));
        }
        entry.check(programmes)?;
        let now = db::now();
        let mut tx = self.db.begin_write().await?;
        let mut saved = entry.clone();
        let linked = entry.activity_programmes.join(",");
        if entry.id == 0 {
            saved.id = super::store::next_id(&mut tx, "masterplan").await?;
            sqlx::query(
                "INSERT INTO masterplan (id, region, programme, pillar, planned_year, budget_idr, \
                 opd, status, quick_win, activity_programmes, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(saved.id)
            .bind(region.as_str())
            .bind(entry.programme.trim())
            .bind(&entry.pillar)
            .bind(i64::from(entry.planned_year))
            .bind(entry.budget_idr)
            .bind(entry.opd.trim())
            .bind(&entry.status)
            .bind(i64::from(entry.quick_win))
            .bind(&linked)
            .bind(&actor.name)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        } else {
            let done = sqlx::query(
                "UPDATE masterplan SET programme = $1, pillar = $2, planned_year = $3, \
                 budget_idr = $4, opd = $5, status = $6, quick_win = $7, activity_programmes = $8, \
                 updated_by = $9, updated_at = $10 WHERE id = $11 AND region = $12",
            )
            .bind(entry.programme.trim())
            .bind(&entry.pillar)
            .bind(i64::from(entry.planned_year))
            .bind(entry.budget_idr)
            .bind(entry.opd.trim())
            .bind(&entry.status)
            .bind(i64::from(entry.quick_win))
            .bind(&linked)
            .bind(&actor.name)
            .bind(&now)
            .bind(entry.id)
            .bind(region.as_str())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(EvaluationError::not_found(
                    format!("Entri masterplan {} milik {region} tidak ada.", entry.id),
                    format!("Masterplan entry {} of {region} does not exist.", entry.id),
                ));
            }
        }
        tx.commit().await?;
        Ok(saved)
    }
}

/// Per pillar, how many of `region`'s masterplan entries planned up to `year` the activity log
/// shows carried out, from the activity table (`crate::store::Activities::frame`).
pub fn realisation(
    entries: &[Entry],
    activities: &DataFrame,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<Realisation>> {
    // (programme → years with records in the region)
    let wanted: HashSet<&str> = entries
        .iter()
        .flat_map(|e| e.activity_programmes.iter().map(String::as_str))
        .collect();
    let mut seen: HashSet<(String, i32)> = HashSet::new();
    if !wanted.is_empty() {
        let df = activities;
        let polars = |e: PolarsError| EvaluationError::Io(std::io::Error::other(e.to_string()));
        let codes = df
            .column(cols::REGION_CODE)
            .and_then(|c| c.str().cloned())
            .map_err(polars)?;
        let programmes = df
            .column(cols::PROGRAMME)
            .and_then(|c| c.str().cloned())
            .map_err(polars)?;
        let dates = df
            .column(cols::DATE)
            .and_then(|c| c.date().cloned())
            .map_err(polars)?;
        let prefix = format!("{region}.");
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        for ((code, programme), days) in codes
            .iter()
            .zip(programmes.iter())
            .zip(dates.physical().iter())
        {
            let (Some(code), Some(programme), Some(days)) = (code, programme, days) else {
                continue;
            };
            if (code == region.as_str() || code.starts_with(&prefix)) && wanted.contains(programme)
            {
                use chrono::Datelike;
                let y = (epoch + chrono::Duration::days(i64::from(days))).year();
                seen.insert((programme.to_string(), y));
            }
        }
    }
    let mut by_pillar: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for e in entries
        .iter()
        .filter(|e| e.planned_year <= year && e.status != "cancelled")
    {
        let slot = by_pillar.entry(e.pillar.as_str()).or_default();
        slot.0 += 1;
        let carried = e
            .activity_programmes
            .iter()
            .any(|p| (e.planned_year..=year).any(|y| seen.contains(&(p.clone(), y))));
        if carried {
            slot.1 += 1;
        }
    }
    Ok(PILLARS
        .iter()
        .map(|p| {
            let (planned, carried_out) = by_pillar.get(p).copied().unwrap_or_default();
            Realisation {
                pillar: p.to_string(),
                planned,
                carried_out,
                share: (planned > 0).then(|| carried_out as f64 / planned as f64 * 100.0),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{Column, Int32Chunked, IntoColumn};

    fn entry(pillar: &str, year: i32, programmes: &[&str], status: &str) -> Entry {
        Entry {
            id: 0,
            programme: "Program".into(),
            pillar: pillar.into(),
            planned_year: year,
            budget_idr: None,
            opd: "Diskominfo".into(),
            status: status.into(),
            quick_win: false,
            activity_programmes: programmes.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn activities(rows: &[(&str, &str, &str)]) -> DataFrame {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let days: Vec<i32> = rows
            .iter()
            .map(|r| {
                let d = chrono::NaiveDate::parse_from_str(r.2, "%Y-%m-%d").unwrap();
                i32::try_from((d - epoch).num_days()).unwrap()
            })
            .collect();
        let date = Int32Chunked::from_vec(cols::DATE.into(), days)
            .into_date()
            .into_column();
        let columns = vec![
            date,
            Column::new(
                cols::REGION_CODE.into(),
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            ),
            Column::new(
                cols::PROGRAMME.into(),
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            ),
        ];
        // Only the columns realisation reads; the contract is checked where frames are made.
        DataFrame::new(rows.len(), columns).unwrap()
    }

    #[test]
    fn realisation_counts_entries_with_activity_since_their_planned_year() {
        let entries = vec![
            entry("economy", 2023, &["umkm_go_online"], "running"),
            entry("economy", 2024, &["qris_merchant"], "planned"),
            entry("economy", 2026, &["pasar_digital"], "planned"),
            entry("governance", 2024, &["open_data_dataset"], "cancelled"),
        ];
        let log = activities(&[
            ("35.09.01", "umkm_go_online", "2024-03-01"),
            ("35.10.01", "qris_merchant", "2024-03-01"),
            ("35.09.02", "qris_merchant", "2022-01-01"),
        ]);
        let r = realisation(&entries, &log, &RegionCode::parse("35.09").unwrap(), 2025).unwrap();
        let economy = r.iter().find(|r| r.pillar == "economy").unwrap();
        // 2026 is not planned yet by 2025; the QRIS records are elsewhere or before 2024.
        assert_eq!((economy.planned, economy.carried_out), (2, 1));
        assert_eq!(economy.share, Some(50.0));
        let governance = r.iter().find(|r| r.pillar == "governance").unwrap();
        assert_eq!((governance.planned, governance.share), (0, None));
    }

    #[test]
    fn an_entry_with_an_unknown_pillar_or_programme_is_refused() {
        let catalogue: HashSet<String> = ["umkm_go_online".to_string()].into();
        assert!(
            entry("economy", 2024, &["umkm_go_online"], "planned")
                .check(&catalogue)
                .is_ok()
        );
        let e = entry("smart", 2024, &[], "planned")
            .check(&catalogue)
            .unwrap_err();
        assert!(e.message(crate::i18n::Lang::En).contains("pillar"));
        assert!(
            entry("economy", 2024, &["x"], "planned")
                .check(&catalogue)
                .is_err()
        );
        assert!(
            entry("economy", 2024, &[], "maybe")
                .check(&catalogue)
                .is_err()
        );
    }
}
