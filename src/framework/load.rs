//! Reading a framework file: the TOML format, its programme catalogue and optional targets
//! file, and the validation that turns it into a [`Framework`] or rejects it naming the file
//! and the entry (duplicate ids, unknown parents, cycles, negative weights, indicators without
//! a data source, method choices naming groups the pipeline does not provide).
//!
//! Validation runs in the order of the file: dimensions, then each indicator, then the whole.
//! What the parts mean is in [`super::model`]; nothing here touches activity data.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::targets::Targets;
use super::{
    Denominator, Dimension, Framework, FrameworkError, Indicator, IndicatorSource, Normalisation,
    PEER_GROUP, Programme, ProgrammeDimensions, SmallRegions, default_methods,
};
use crate::engine::{self, Methods};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameworkFile {
    id: String,
    version: String,
    name_id: String,
    name_en: String,
    programmes: PathBuf,
    #[serde(default)]
    programme_dimensions: ProgrammeDimensions,
    /// How values become scores; `None`: as `[methods]` says (min–max per period by default).
    #[serde(default)]
    normalisation: Option<Normalisation>,
    #[serde(default)]
    methods: Option<Methods>,
    /// Regional targets (CSV), relative to the framework file.
    #[serde(default)]
    targets: Option<PathBuf>,
    #[serde(default, rename = "band")]
    bands: Vec<engine::Band>,
    #[serde(default)]
    small_regions: Option<SmallRegions>,
    #[serde(rename = "dimension")]
    dimensions: Vec<Dimension>,
    #[serde(rename = "indicator")]
    indicators: Vec<Indicator>,
}

/// An entry of the file that is wrong: which entry (e.g. `indicator "umkm_go_online"`) and what
/// is wrong with it; [`Framework::load`] adds the file.
type EntryError = (String, String);

impl Framework {
    /// Read and validate a framework file; its programme catalogue path is relative to it.
    pub fn load(path: &Path) -> Result<Framework, FrameworkError> {
        let text = std::fs::read_to_string(path).map_err(|source| FrameworkError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file: FrameworkFile = toml::from_str(&text).map_err(|e| FrameworkError::Toml {
            path: path.to_path_buf(),
            source: Box::new(e),
        })?;
        let catalogue_path = path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&file.programmes);
        let programmes = load_catalogue(&catalogue_path)?;
        let targets_name = file.targets.clone();
        let entry_err = |(entry, message)| FrameworkError::Entry {
            path: path.to_path_buf(),
            entry,
            message,
        };
        let mut fw = Framework::from_parts(file, programmes).map_err(entry_err)?;
        if let Some(name) = targets_name {
            let targets_path = path.parent().unwrap_or(Path::new(".")).join(&name);
            let targets = Targets::load(&targets_path, fw.indicators.iter().map(|i| i.id.as_str()))
                .map_err(|source| FrameworkError::Targets {
                    path: path.to_path_buf(),
                    source,
                })?;
            fw.methods.to_target.get_or_insert(true);
            if !fw.methods.any_to_target() {
                return Err(entry_err((
                    "targets".into(),
                    "a targets file is named but `to_target` is off for every indicator".into(),
                )));
            }
            fw.methods.targets = Some(targets.source(&name.to_string_lossy()));
            fw.targets = Some(targets);
        } else if fw.methods.any_to_target() {
            return Err(entry_err((
                "[methods]".into(),
                "`to_target` needs a `targets` file (top-level key `targets = \"….csv\"`)".into(),
            )));
        }
        Ok(fw)
    }

    /// The framework a parsed file describes, checked entry by entry.
    fn from_parts(
        file: FrameworkFile,
        programmes: HashMap<String, Programme>,
    ) -> Result<Framework, EntryError> {
        let dim_ids = check_dimensions(&file)?;
        let checks = IndicatorChecks {
            framework_id: &file.id,
            dim_ids: &dim_ids,
            all_ind_ids: file.indicators.iter().map(|i| i.id.as_str()).collect(),
            programmes: &programmes,
            programme_dimensions: file.programme_dimensions,
        };
        let mut ind_ids = HashSet::new();
        let indicators = file
            .indicators
            .iter()
            .map(|ind| checks.complete(ind.clone(), &mut ind_ids))
            .collect::<Result<Vec<_>, _>>()?;
        check_every_dimension_has_indicators(&file.dimensions, &indicators)?;
        let (normalisation, methods) = resolve_normalisation(file.normalisation, file.methods)?;
        check_goalposts(normalisation, &indicators)?;
        check_small_regions(file.small_regions, &indicators)?;
        let fw = Framework {
            id: file.id,
            version: file.version,
            name_id: file.name_id,
            name_en: file.name_en,
            dimensions: file.dimensions,
            indicators,
            programmes,
            normalisation,
            methods,
            bands: (!file.bands.is_empty()).then_some(engine::Bands { bands: file.bands }),
            small_regions: file.small_regions,
            targets: None,
        };
        check_methods(&fw)?;
        Ok(fw)
    }
}

/// The normalisation and the engine's methods that carry it out. `normalisation` sets the
/// engine's normalisation (fixed goalposts; min–max pooled over the peer group's periods, which
/// the scoring feeds as per-group goalposts; min–max within the peer group per period), so a
/// `[methods]` table beside it may not set one of its own. Without it, the methods say which
/// it is.
fn resolve_normalisation(
    normalisation: Option<Normalisation>,
    methods: Option<Methods>,
) -> Result<(Normalisation, Methods), EntryError> {
    let Some(n) = normalisation else {
        let methods = methods.unwrap_or_else(default_methods);
        let n = match methods.normalise {
            engine::Normalise::Goalposts { .. } => Normalisation::Goalposts,
            _ => Normalisation::PerPeriod,
        };
        return Ok((n, methods));
    };
    let mut methods = match methods {
        Some(m) if m.normalise != engine::Normalise::default() || m.normalise_within.is_some() => {
            return Err((
                "normalisation".into(),
                "set either `normalisation` or `[methods] normalise`/`normalise_within`, not both"
                    .into(),
            ));
        }
        Some(m) => m,
        None => Methods::default(),
    };
    let goalposts = engine::Normalise::Goalposts { scale: 100.0 };
    (methods.normalise, methods.normalise_within) = match n {
        Normalisation::Goalposts => (goalposts, None),
        Normalisation::Pooled => (goalposts, Some(PEER_GROUP.into())),
        Normalisation::PerPeriod => (engine::Normalise::default(), Some(PEER_GROUP.into())),
    };
    Ok((n, methods))
}

/// `[small_regions]` needs a positive population and a typical value on every indicator it
/// weighs (activity indicators per resident), since a region's weighted value must not depend
/// on the other regions' values of the period.
fn check_small_regions(
    small: Option<SmallRegions>,
    indicators: &[Indicator],
) -> Result<(), EntryError> {
    let Some(small) = small else {
        return Ok(());
    };
    if !(small.residents.is_finite() && small.residents > 0.0) {
        return Err((
            "[small_regions]".into(),
            format!(
                "residents = {} must be a positive number of residents",
                small.residents
            ),
        ));
    }
    for ind in indicators.iter().filter(|i| i.per_resident_activity()) {
        if !ind.typical.is_some_and(f64::is_finite) {
            return Err((
                format!("indicator \"{}\"", ind.id),
                "[small_regions] needs `typical = …` on every indicator per resident; \
                 `kotacerdas framework goalposts --base 2018-2020` derives it"
                    .into(),
            ));
        }
    }
    Ok(())
}

/// Fixed goalposts need a pair on every indicator, worst and best different: an indicator
/// without them would fall back to a relative scale and break comparisons across years.
fn check_goalposts(n: Normalisation, indicators: &[Indicator]) -> Result<(), EntryError> {
    for ind in indicators {
        let entry = format!("indicator {:?}", ind.id);
        match ind.goalposts {
            Some([lo, hi]) if !(lo.is_finite() && hi.is_finite()) || lo == hi => {
                return Err((
                    entry,
                    format!("goalposts [{lo}, {hi}] must be two different numbers"),
                ));
            }
            None if n == Normalisation::Goalposts => {
                return Err((
                    entry,
                    "normalisation = \"goalposts\" needs `goalposts = [worst, best]` on every \
                     indicator; `kotacerdas framework goalposts --base 2018-2020` derives them \
                     from a base period"
                        .into(),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// At least one dimension; ids unique (and not the framework's), weights non-negative, every
/// parent a known dimension, no cycle of parents. Returns the dimension ids.
fn check_dimensions(file: &FrameworkFile) -> Result<HashSet<&str>, EntryError> {
    if file.dimensions.is_empty() {
        return Err(("[[dimension]]".into(), "no dimensions defined".into()));
    }
    let mut ids = HashSet::new();
    for d in &file.dimensions {
        let entry = format!("dimension {:?}", d.id);
        if d.id == file.id || !ids.insert(d.id.as_str()) {
            return Err((entry, "duplicate id".into()));
        }
        check_weight(d.weight).map_err(|m| (entry.clone(), m))?;
    }
    let dim_ids: HashSet<&str> = file.dimensions.iter().map(|d| d.id.as_str()).collect();
    for d in &file.dimensions {
        let entry = format!("dimension {:?}", d.id);
        if let Some(p) = &d.parent
            && !dim_ids.contains(p.as_str())
        {
            return Err((entry, format!("unknown parent {p:?}")));
        }
        // Follow parents: more steps than dimensions means a cycle.
        let mut at = d.parent.as_deref();
        for _ in 0..=file.dimensions.len() {
            let Some(p) = at else { break };
            if p == d.id {
                return Err((entry, "its parents form a cycle".into()));
            }
            at = file
                .dimensions
                .iter()
                .find(|x| x.id == p)
                .and_then(|x| x.parent.as_deref());
        }
    }
    Ok(dim_ids)
}

/// What an indicator is checked against: the ids around it and the programme catalogue.
struct IndicatorChecks<'a> {
    framework_id: &'a str,
    dim_ids: &'a HashSet<&'a str>,
    all_ind_ids: HashSet<&'a str>,
    programmes: &'a HashMap<String, Programme>,
    programme_dimensions: ProgrammeDimensions,
}

impl IndicatorChecks<'_> {
    /// One indicator checked and completed (its programme list, names and units from the
    /// catalogue); `ind_ids` collects the ids seen so far, to find duplicates.
    fn complete(
        &self,
        mut ind: Indicator,
        ind_ids: &mut HashSet<String>,
    ) -> Result<Indicator, EntryError> {
        let entry = format!("indicator {:?}", ind.id);
        if ind.id == self.framework_id
            || self.dim_ids.contains(ind.id.as_str())
            || !ind_ids.insert(ind.id.clone())
        {
            return Err((entry, "duplicate id".into()));
        }
        if !self.dim_ids.contains(ind.dimension.as_str()) {
            return Err((entry, format!("unknown dimension {:?}", ind.dimension)));
        }
        if ind.source == IndicatorSource::Values {
            check_recorded(&ind).map_err(|m| (entry.clone(), m))?;
            check_numbers(&ind).map_err(|m| (entry.clone(), m))?;
            self.check_denominator(&ind).map_err(|m| (entry, m))?;
            return Ok(ind);
        }
        self.resolve_programmes(&mut ind)
            .map_err(|m| (entry.clone(), m))?;
        check_numbers(&ind).map_err(|m| (entry.clone(), m))?;
        self.check_denominator(&ind).map_err(|m| (entry, m))?;
        let prog = &self.programmes[&ind.programme];
        fill_names(&mut ind, prog);
        Ok(ind)
    }

    /// `programme` and `programmes` made one list (the first is `programme`), each in the
    /// catalogue and, when the framework is strict, in the indicator's dimension.
    fn resolve_programmes(&self, ind: &mut Indicator) -> Result<(), String> {
        if !ind.programme.is_empty() && !ind.programmes.contains(&ind.programme) {
            ind.programmes.insert(0, ind.programme.clone());
        }
        if ind.programmes.is_empty() {
            return Err("has no data source: set `programme` or `programmes`".into());
        }
        ind.programme.clone_from(&ind.programmes[0]);
        for code in &ind.programmes {
            let Some(prog) = self.programmes.get(code) else {
                return Err(format!(
                    "programme {code:?} is not in the programme catalogue"
                ));
            };
            if self.programme_dimensions == ProgrammeDimensions::Strict
                && prog.dimension != ind.dimension
            {
                return Err(format!(
                    "programme {code:?} belongs to dimension {:?}, not {:?}",
                    prog.dimension, ind.dimension
                ));
            }
        }
        Ok(())
    }

    /// `per = "indicator"` goes with a `per_indicator` naming another indicator, and only then.
    fn check_denominator(&self, ind: &Indicator) -> Result<(), String> {
        match (&ind.per, &ind.per_indicator) {
            (Denominator::Indicator, Some(other))
                if other != &ind.id && self.all_ind_ids.contains(other.as_str()) =>
            {
                Ok(())
            }
            (Denominator::Indicator, Some(other)) => {
                Err(format!("per_indicator {other:?} is not another indicator"))
            }
            (Denominator::Indicator, None) => Err("per = \"indicator\" needs per_indicator".into()),
            (_, Some(_)) => Err("per_indicator needs per = \"indicator\"".into()),
            _ => Ok(()),
        }
    }
}

/// Weight non-negative, scale positive, direction 1 or −1.
fn check_numbers(ind: &Indicator) -> Result<(), String> {
    check_weight(ind.weight)?;
    if !ind.bands.is_empty() && ind.range.is_none() {
        return Err(
            "has predicate bands but no declared scale: bands belong to a scale, give range = \
             [low, high]"
                .into(),
        );
    }
    if !(ind.scale.is_finite() && ind.scale > 0.0) {
        return Err(format!("scale must be positive, got {}", ind.scale));
    }
    if ind.direction != 1.0 && ind.direction != -1.0 {
        return Err(format!("direction must be 1 or -1, got {}", ind.direction));
    }
    Ok(())
}

/// An indicator of recorded values names itself and says what values it takes; it has no
/// programme to borrow either from, and nothing to accumulate.
fn check_recorded(ind: &Indicator) -> Result<(), String> {
    if !ind.programme.is_empty() || !ind.programmes.is_empty() {
        return Err("takes recorded values (source = \"values\"): it has no programme".into());
    }
    if ind.name_id.is_empty() || ind.name_en.is_empty() {
        return Err("takes recorded values: give it name_id and name_en".into());
    }
    match ind.range {
        Some([lo, hi]) if lo.is_finite() && hi.is_finite() && lo < hi => {}
        Some([lo, hi]) => return Err(format!("range [{lo}, {hi}] is not a range (low < high)")),
        None => {
            return Err(
                "takes recorded values: give the values it may take as range = [low, high] \
                 (e.g. [1, 5] for a maturity level, [0, 100] for a percentage, [0, 1] for yes/no)"
                    .into(),
            );
        }
    }
    if ind.stock {
        return Err("a recorded value is not a stock of records".into());
    }
    Ok(())
}

/// Names and units the file leaves empty are the (first) programme's.
fn fill_names(ind: &mut Indicator, prog: &Programme) {
    for (field, fallback) in [
        (&mut ind.name_id, &prog.name_id),
        (&mut ind.name_en, &prog.name_en),
        (&mut ind.unit_id, &prog.unit_id),
        (&mut ind.unit_en, &prog.unit_en),
    ] {
        if field.is_empty() {
            field.clone_from(fallback);
        }
    }
}

/// Every dimension has an indicator or a sub-dimension under it.
fn check_every_dimension_has_indicators(
    dimensions: &[Dimension],
    indicators: &[Indicator],
) -> Result<(), EntryError> {
    for d in dimensions {
        if !indicators.iter().any(|i| i.dimension == d.id)
            && !dimensions
                .iter()
                .any(|x| x.parent.as_deref() == Some(&d.id))
        {
            return Err((format!("dimension {:?}", d.id), "has no indicators".into()));
        }
    }
    Ok(())
}

/// The engine's own checks, and method choices that name group columns it will not have.
fn check_methods(fw: &Framework) -> Result<(), EntryError> {
    fw.try_hierarchy()
        .map_err(|e| ("hierarchy".to_string(), e.to_string()))?;
    let impute_groups = std::iter::once(&fw.methods.impute)
        .chain(fw.methods.node.values().filter_map(|o| o.impute.as_ref()))
        .chain(fw.methods.level.values().filter_map(|o| o.impute.as_ref()))
        .filter_map(|i| match i {
            engine::Impute::GroupMean { group } | engine::Impute::GroupMedian { group } => {
                Some(group)
            }
            _ => None,
        });
    for group in fw.methods.normalise_within.iter().chain(impute_groups) {
        if group != PEER_GROUP {
            return Err((
                "[methods]".into(),
                format!("unknown unit group {group:?}: the only group is {PEER_GROUP:?}"),
            ));
        }
    }
    Ok(())
}

fn check_weight(w: f64) -> Result<(), String> {
    if w.is_finite() && w >= 0.0 {
        Ok(())
    } else {
        Err(format!("weight must be a non-negative number, got {w}"))
    }
}

fn load_catalogue(path: &Path) -> Result<HashMap<String, Programme>, FrameworkError> {
    let err = |source| FrameworkError::Catalogue {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::Reader::from_path(path).map_err(err)?;
    reader
        .deserialize::<Programme>()
        .map(|row| row.map(|p| (p.programme.clone(), p)))
        .collect::<Result<HashMap<_, _>, _>>()
        .map_err(err)
}
