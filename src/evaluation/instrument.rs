//! The evaluation instrument as data: evaluation dimensions with weights per year, pillars with
//! their sub-dimensions, and the items a region answers, read from a TOML file (see
//! `data/frameworks/evaluasi_smart_city_contoh.toml`) and checked once.
//!
//! It also parses answers ([`Item::parse`]: a maturity level, yes/no, a number in the item's
//! range, a share of the masterplan) and turns one answer into an item score between 0 and 1
//! ([`Item::score`]). It knows nothing about rounds, forms or the database; aggregation is in
//! `evaluation::score`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::EvaluationError;
use crate::i18n::{Lang, format_number};

/// An evaluation dimension (Baseline, Output, Outcome, Impact, Quick Win).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalDimension {
    /// Stable id, e.g. `outcome`.
    pub id: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// What it measures, in Indonesian.
    #[serde(default)]
    pub about_id: String,
    /// What it measures, in English.
    #[serde(default)]
    pub about_en: String,
}

/// A sub-dimension of a pillar.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubDimension {
    /// Id, unique within its pillar.
    pub id: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
}

/// A pillar (governance, branding, economy, living, society, environment).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pillar {
    /// Stable id, e.g. `governance`.
    pub id: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// Its sub-dimensions.
    pub subdimensions: Vec<SubDimension>,
}

/// The published scale: item, pillar, dimension scores and the index run from 0 to `max`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// Top of the scale (100, or 5 for an SPBE-like scale).
    pub max: f64,
    /// Decimals the scores are published with.
    #[serde(default = "two")]
    pub decimals: usize,
}

fn two() -> usize {
    2
}

/// How an item is answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnswerType {
    /// A maturity level 1–5, each level described.
    Maturity {
        /// Level descriptions 1–5, Indonesian.
        levels_id: Vec<String>,
        /// Level descriptions 1–5, English.
        levels_en: Vec<String>,
    },
    /// Yes or no.
    YesNo,
    /// A number in `min..=max`; it scores in full at `target`.
    Number {
        /// Unit, Indonesian.
        unit_id: String,
        /// Unit, English.
        unit_en: String,
        /// Smallest accepted answer.
        min: f64,
        /// Largest accepted answer.
        max: f64,
        /// The answer that scores in full.
        target: f64,
    },
    /// The percentage of the masterplan's planned programmes carried out, 0–100.
    MasterplanShare,
}

/// A question of the instrument.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// Id, e.g. `GOV-01`.
    pub id: String,
    /// Pillar id.
    pub pillar: String,
    /// Sub-dimension id within the pillar.
    pub subdimension: String,
    /// Evaluation dimension id.
    pub dimension: String,
    /// The question, Indonesian.
    pub text_id: String,
    /// The question, English.
    pub text_en: String,
    /// How it is answered.
    pub answer: AnswerType,
    /// The evidence asked for, Indonesian.
    pub evidence_id: String,
    /// The evidence asked for, English.
    pub evidence_en: String,
    /// Weight within its sub-dimension and evaluation dimension.
    pub weight: f64,
}

/// A parsed answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A maturity level 1–5.
    Level(u8),
    /// Yes or no.
    Bool(bool),
    /// A number (also a masterplan share in percent).
    Number(f64),
}

impl Value {
    /// The form stored in the database and sent in the API: `3`, `yes`, `no`, `12.5`.
    pub fn canonical(&self) -> String {
        match self {
            Value::Level(l) => l.to_string(),
            Value::Bool(true) => "yes".into(),
            Value::Bool(false) => "no".into(),
            Value::Number(n) => n.to_string(),
        }
    }
}

/// The instrument, checked.
#[derive(Debug, Clone, Serialize)]
pub struct Instrument {
    /// Id, e.g. `evaluasi_smart_city_contoh`.
    pub id: String,
    /// Version label.
    pub version: String,
    /// Name, Indonesian.
    pub name_id: String,
    /// Name, English.
    pub name_en: String,
    /// Whether this is an example rather than the official instrument.
    pub example: bool,
    /// A note shown with the instrument, Indonesian.
    pub note_id: String,
    /// A note shown with the instrument, English.
    pub note_en: String,
    /// The published scale.
    pub scale: Scale,
    /// Evaluation dimensions, in order.
    pub dimensions: Vec<EvalDimension>,
    /// Weights per year (from that year on), one per dimension in order.
    pub weights: BTreeMap<i32, Vec<f64>>,
    /// Pillars, in order.
    pub pillars: Vec<Pillar>,
    /// Items, in file order.
    pub items: Vec<Item>,
    /// SHA-256 of the file's bytes: the identity a round records.
    pub sha256: String,
    #[serde(skip)]
    by_id: HashMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstrument {
    id: String,
    version: String,
    name_id: String,
    name_en: String,
    #[serde(default)]
    example: bool,
    #[serde(default)]
    note_id: String,
    #[serde(default)]
    note_en: String,
    scale: Scale,
    #[serde(default)]
    maturity_levels_id: Vec<String>,
    #[serde(default)]
    maturity_levels_en: Vec<String>,
    dimension: Vec<EvalDimension>,
    weights: BTreeMap<String, BTreeMap<String, f64>>,
    pillar: Vec<Pillar>,
    item: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: String,
    pillar: String,
    subdimension: String,
    dimension: String,
    #[serde(rename = "type")]
    kind: String,
    text_id: String,
    text_en: String,
    #[serde(default)]
    evidence_id: String,
    #[serde(default)]
    evidence_en: String,
    #[serde(default)]
    weight: Option<f64>,
    #[serde(default)]
    levels_id: Option<Vec<String>>,
    #[serde(default)]
    levels_en: Option<Vec<String>>,
    #[serde(default)]
    unit_id: Option<String>,
    #[serde(default)]
    unit_en: Option<String>,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    target: Option<f64>,
}

impl Instrument {
    /// Read and check the instrument file at `path`.
    pub fn load(path: &Path) -> Result<Instrument, EvaluationError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            EvaluationError::Instrument(format!("cannot read {}: {e}", path.display()))
        })?;
        Instrument::parse(&text)
            .map_err(|e| EvaluationError::Instrument(format!("{}: {e}", path.display())))
    }

    /// Parse and check an instrument from its TOML text; the message of an error names the
    /// entry that is wrong.
    pub fn parse(text: &str) -> Result<Instrument, String> {
        let mut raw: RawInstrument = toml::from_str(text).map_err(|e| e.to_string())?;
        if !(raw.scale.max.is_finite() && raw.scale.max > 0.0) {
            return Err(format!(
                "scale.max {} must be a positive number",
                raw.scale.max
            ));
        }
        let mut dim_ids = Vec::new();
        for d in &raw.dimension {
            if dim_ids.contains(&d.id.as_str()) {
                return Err(format!("dimension {:?} appears twice", d.id));
            }
            dim_ids.push(d.id.as_str());
        }
        if dim_ids.is_empty() {
            return Err("the instrument has no [[dimension]]".into());
        }
        let weights = weights_of(&raw, &dim_ids)?;
        let mut items = Vec::with_capacity(raw.item.len());
        let mut by_id = HashMap::new();
        for mut r in std::mem::take(&mut raw.item) {
            let id = r.id.trim().to_string();
            if id.is_empty() || by_id.insert(id.clone(), items.len()).is_some() {
                return Err(format!("item id {id:?} is empty or appears twice"));
            }
            let pillar = raw
                .pillar
                .iter()
                .find(|p| p.id == r.pillar)
                .ok_or_else(|| format!("item {id:?}: unknown pillar {:?}", r.pillar))?;
            if !pillar.subdimensions.iter().any(|s| s.id == r.subdimension) {
                return Err(format!(
                    "item {id:?}: pillar {:?} has no sub-dimension {:?}",
                    r.pillar, r.subdimension
                ));
            }
            if !dim_ids.contains(&r.dimension.as_str()) {
                return Err(format!(
                    "item {id:?}: unknown evaluation dimension {:?}",
                    r.dimension
                ));
            }
            let answer = answer_of(&id, &mut r, &raw)?;
            let weight = r.weight.unwrap_or(1.0);
            if !(weight.is_finite() && weight > 0.0) {
                return Err(format!("item {id:?}: weight {weight} must be positive"));
            }
            items.push(Item {
                id,
                pillar: r.pillar,
                subdimension: r.subdimension,
                dimension: r.dimension,
                text_id: r.text_id,
                text_en: r.text_en,
                answer,
                evidence_id: r.evidence_id,
                evidence_en: r.evidence_en,
                weight,
            });
        }
        if items.is_empty() {
            return Err("the instrument has no [[item]]".into());
        }
        Ok(Instrument {
            id: raw.id,
            version: raw.version,
            name_id: raw.name_id,
            name_en: raw.name_en,
            example: raw.example,
            note_id: raw.note_id,
            note_en: raw.note_en,
            scale: raw.scale,
            dimensions: raw.dimension,
            weights,
            pillars: raw.pillar,
            items,
            sha256: hex(&Sha256::digest(text.as_bytes())),
            by_id,
        })
    }

    /// The item with this id.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.by_id.get(id).map(|&i| &self.items[i])
    }

    /// The weights that apply to a round of `year`: the latest entry not after it (the earliest
    /// entry for a year before every entry).
    pub fn weights_for(&self, year: i32) -> &[f64] {
        self.weights
            .range(..=year)
            .next_back()
            .or_else(|| self.weights.iter().next())
            .map(|(_, w)| w.as_slice())
            .unwrap_or(&[])
    }

    /// The instrument's name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name_id, &self.name_en)
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The weights of the evaluation dimensions per year (`[weights.2025]`), in the order of
/// `dim_ids`: one for every dimension, none unknown, each ≥ 0 and not all zero.
fn weights_of(raw: &RawInstrument, dim_ids: &[&str]) -> Result<BTreeMap<i32, Vec<f64>>, String> {
    let mut weights = BTreeMap::new();
    for (year, table) in &raw.weights {
        let y: i32 = year
            .parse()
            .map_err(|_| format!("weights key {year:?} is not a year"))?;
        let mut row = Vec::new();
        for id in dim_ids {
            let w = *table
                .get(*id)
                .ok_or_else(|| format!("weights.{year} has no weight for dimension {id:?}"))?;
            if !(w.is_finite() && w >= 0.0) {
                return Err(format!("weights.{year}.{id} = {w} is not a weight ≥ 0"));
            }
            row.push(w);
        }
        if let Some(extra) = table.keys().find(|k| !dim_ids.contains(&k.as_str())) {
            return Err(format!("weights.{year} names unknown dimension {extra:?}"));
        }
        if row.iter().sum::<f64>() <= 0.0 {
            return Err(format!("weights.{year} are all zero"));
        }
        weights.insert(y, row);
    }
    if weights.is_empty() {
        return Err("the instrument has no [weights]".into());
    }
    if weights.is_empty() {
        return Err("the instrument has no [weights]".into());
    }
    Ok(weights)
}

/// An item's five maturity level descriptions in `lang`: its own, or the instrument's default.
fn levels(
    item: &str,
    own: Option<Vec<String>>,
    default: &[String],
    lang: &str,
) -> Result<Vec<String>, String> {
    let l = own.unwrap_or_else(|| default.to_vec());
    if l.len() == 5 {
        Ok(l)
    } else {
        Err(format!(
            "item {item:?}: a maturity item needs five level descriptions ({lang}), has {}",
            l.len()
        ))
    }
}

/// The answer type of item `id` as its `type` and fields say.
fn answer_of(id: &str, r: &mut RawItem, raw: &RawInstrument) -> Result<AnswerType, String> {
    Ok(match r.kind.as_str() {
        "maturity" => AnswerType::Maturity {
            levels_id: levels(id, r.levels_id.take(), &raw.maturity_levels_id, "id")?,
            levels_en: levels(id, r.levels_en.take(), &raw.maturity_levels_en, "en")?,
        },
        "yesno" => AnswerType::YesNo,
        "masterplan_share" => AnswerType::MasterplanShare,
        "number" => {
            let (min, max) = match (r.min, r.max) {
                (Some(a), Some(b)) if a.is_finite() && b.is_finite() && a < b => (a, b),
                _ => {
                    return Err(format!(
                        "item {id:?}: a number item needs min < max (finite)"
                    ));
                }
            };
            let target = r.target.unwrap_or(max);
            if !(target > min && target <= max) {
                return Err(format!(
                    "item {id:?}: target {target} must lie above min and not above max"
                ));
            }
            AnswerType::Number {
                unit_id: r.unit_id.take().unwrap_or_default(),
                unit_en: r.unit_en.take().unwrap_or_default(),
                min,
                max,
                target,
            }
        }
        other => {
            return Err(format!(
                "item {id:?}: unknown type {other:?} (maturity, yesno, number or \
                 masterplan_share)"
            ));
        }
    })
}

/// A number as people type it: `12,5` or `12.5` (a thousands point such as `1.234,5` too).
fn parse_number(raw: &str) -> Option<f64> {
    let s = raw.trim().replace(' ', "");
    let normalised = if s.contains(',') {
        s.replace('.', "").replace(',', ".")
    } else {
        s
    };
    normalised.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl Item {
    /// The question in `lang`.
    pub fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.text_id, &self.text_en)
    }

    /// Parse an answer typed into the form or sent in the API; the error says what would be
    /// valid.
    pub fn parse(&self, raw: &str) -> Result<Value, EvaluationError> {
        let raw = raw.trim();
        let bad = |expected_id: String, expected_en: String| EvaluationError::BadAnswer {
            item: self.id.clone(),
            value: raw.chars().take(60).collect(),
            expected_id,
            expected_en,
        };
        match &self.answer {
            AnswerType::Maturity { .. } => match raw.parse::<u8>() {
                Ok(l @ 1..=5) => Ok(Value::Level(l)),
                _ => Err(bad(
                    "tingkat kematangan 1 sampai 5".into(),
                    "a maturity level from 1 to 5".into(),
                )),
            },
            AnswerType::YesNo => match raw.to_ascii_lowercase().as_str() {
                "ya" | "yes" | "y" | "1" | "true" => Ok(Value::Bool(true)),
                "tidak" | "no" | "n" | "0" | "false" => Ok(Value::Bool(false)),
                _ => Err(bad("ya atau tidak".into(), "yes or no".into())),
            },
            AnswerType::Number {
                min,
                max,
                unit_id,
                unit_en,
                ..
            } => match parse_number(raw) {
                Some(v) if v >= *min && v <= *max => Ok(Value::Number(v)),
                _ => Err(bad(
                    format!(
                        "angka dari {} sampai {} {unit_id}",
                        format_number(*min, 0, Lang::Id),
                        format_number(*max, 0, Lang::Id)
                    ),
                    format!(
                        "a number from {} to {} {unit_en}",
                        format_number(*min, 0, Lang::En),
                        format_number(*max, 0, Lang::En)
                    ),
                )),
            },
            AnswerType::MasterplanShare => match parse_number(raw.trim_end_matches('%')) {
                Some(v) if (0.0..=100.0).contains(&v) => Ok(Value::Number(v)),
                _ => Err(bad(
                    "persentase dari 0 sampai 100".into(),
                    "a percentage from 0 to 100".into(),
                )),
            },
        }
    }

    /// The share of the full score an answer earns, 0 to 1: level L earns (L − 1) / 4, yes 1
    /// and no 0, a number its distance from `min` towards `target` (capped at 1), a masterplan
    /// share its percentage / 100.
    pub fn score(&self, value: &Value) -> f64 {
        let s = match (&self.answer, value) {
            (AnswerType::Maturity { .. }, Value::Level(l)) => (f64::from(*l) - 1.0) / 4.0,
            (AnswerType::YesNo, Value::Bool(b)) => f64::from(u8::from(*b)),
            (AnswerType::Number { min, target, .. }, Value::Number(v)) => {
                (v - min) / (target - min)
            }
            (AnswerType::MasterplanShare, Value::Number(v)) => v / 100.0,
            _ => 0.0,
        };
        s.clamp(0.0, 1.0)
    }

    /// A stored answer shown to a person: `Tingkat 3`, `Ya`, `12,5 %`.
    pub fn display(&self, value: &Value, lang: Lang) -> String {
        match (&self.answer, value) {
            (_, Value::Level(l)) => format!("{} {l}", lang.pick("Tingkat", "Level")),
            (_, Value::Bool(b)) => lang
                .pick(
                    if *b { "Ya" } else { "Tidak" },
                    if *b { "Yes" } else { "No" },
                )
                .into(),
            (
                AnswerType::Number {
                    unit_id, unit_en, ..
                },
                Value::Number(v),
            ) => format!(
                "{} {}",
                format_number(*v, if v.fract() == 0.0 { 0 } else { 2 }, lang),
                lang.pick(unit_id, unit_en)
            ),
            (_, Value::Number(v)) => format!("{} %", format_number(*v, 1, lang)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Instrument {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/frameworks/evaluasi_smart_city_contoh.toml");
        Instrument::load(&path).unwrap()
    }

    #[test]
    fn the_shipped_example_has_the_published_structure() {
        let i = shipped();
        assert!(i.example);
        let dims: Vec<&str> = i.dimensions.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            dims,
            ["baseline", "output", "outcome", "impact", "quickwin"]
        );
        assert_eq!(i.pillars.len(), 6);
        assert!(i.pillars.iter().all(|p| p.subdimensions.len() == 3));
        assert_eq!(i.weights_for(2019), [10.0, 20.0, 30.0, 30.0, 10.0]);
        assert_eq!(i.weights_for(2024), [10.0, 20.0, 30.0, 20.0, 20.0]);
        assert_eq!(i.weights_for(2010), [10.0, 20.0, 30.0, 30.0, 10.0]);
        // Every sub-dimension has an item, every dimension too.
        for p in &i.pillars {
            for s in &p.subdimensions {
                assert!(
                    i.items
                        .iter()
                        .any(|it| it.pillar == p.id && it.subdimension == s.id)
                );
            }
        }
        for d in &i.dimensions {
            assert!(i.items.iter().any(|it| it.dimension == d.id), "{}", d.id);
        }
        assert_eq!(i.sha256.len(), 64);
    }

    #[test]
    fn answers_are_parsed_per_type_and_refused_out_of_range() {
        let i = shipped();
        let maturity = i.item("GOV-01").unwrap();
        assert_eq!(maturity.parse(" 4 ").unwrap(), Value::Level(4));
        let e = maturity.parse("6").unwrap_err();
        assert!(
            e.message(Lang::Id).contains("1 sampai 5"),
            "{}",
            e.message(Lang::Id)
        );
        assert!(
            e.message(Lang::En).contains("GOV-01"),
            "{}",
            e.message(Lang::En)
        );
        let yes = i.item("GOV-03").unwrap();
        assert_eq!(yes.parse("Ya").unwrap(), Value::Bool(true));
        assert!(yes.parse("mungkin").is_err());
        let number = i.item("GOV-02").unwrap();
        assert_eq!(number.parse("72,5").unwrap(), Value::Number(72.5));
        assert!(number.parse("101").is_err());
        assert!(number.parse("abc").is_err());
        let share = i.item("GOV-04").unwrap();
        assert_eq!(share.parse("40%").unwrap(), Value::Number(40.0));
        assert!(share.parse("140").is_err());
    }

    #[test]
    fn item_scores_run_from_zero_to_one() {
        let i = shipped();
        let m = i.item("GOV-01").unwrap();
        assert_eq!(m.score(&Value::Level(1)), 0.0);
        assert_eq!(m.score(&Value::Level(3)), 0.5);
        assert_eq!(m.score(&Value::Level(5)), 1.0);
        let n = i.item("GOV-02").unwrap(); // target 85
        assert!((n.score(&Value::Number(42.5)) - 0.5).abs() < 1e-9);
        assert_eq!(n.score(&Value::Number(95.0)), 1.0);
        let g = i.item("BRA-02").unwrap(); // min -100: a fall scores below a standstill
        assert!(g.score(&Value::Number(-50.0)) < g.score(&Value::Number(0.0)));
    }

    #[test]
    fn a_broken_instrument_names_the_entry() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data/frameworks/evaluasi_smart_city_contoh.toml"),
        )
        .unwrap();
        let broken = text.replacen("pillar = \"governance\"", "pillar = \"nowhere\"", 1);
        let e = Instrument::parse(&broken).unwrap_err();
        assert!(e.contains("GOV-01") && e.contains("nowhere"), "{e}");
    }
}
