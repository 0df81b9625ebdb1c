//! A composite-indicator engine on plain data, following the OECD/JRC Handbook and COINr:
//! denominate → screen → impute → treat outliers → normalise → aggregate level by level → rank.
//!
//! Input is a [`Dataset`] (units × named columns of `Option<f64>`, with unit group columns), a
//! [`Hierarchy`] of any depth (indicators at the leaves, aggregates above) and [`Methods`] (every
//! method selectable globally, per level or per node). The [`Outcome`] keeps every stage's
//! values, what the treatment did and the methods used, so each number can be explained.
//!
//! It knows nothing of polars, activity records or Indonesian regions: the scoring pipeline
//! ([`crate::score::compute`]) and the COINr-layout loader ([`table`]) build its inputs. It does
//! not rank or compare periods by itself beyond the helpers in [`methods`].

pub mod methods;
pub mod sensitivity;
pub mod table;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

pub use methods::{Aggregate, Band, Bands, Impute, Normalise, Treat, TreatLog, WinCap};

/// The engine was given inconsistent input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// Two nodes share an id.
    #[error("node {0:?}: duplicate id")]
    Duplicate(String),
    /// A node names a parent that does not exist or is an indicator.
    #[error("node {node:?}: unknown parent {parent:?}")]
    UnknownParent {
        /// The node.
        node: String,
        /// The parent it names.
        parent: String,
    },
    /// Following parents from this node comes back to it.
    #[error("node {0:?}: its parents form a cycle")]
    Cycle(String),
    /// A weight is negative or not a number.
    #[error("node {node:?}: weight must be a non-negative number, got {weight}")]
    Weight {
        /// The node.
        node: String,
        /// The weight.
        weight: f64,
    },
    /// An aggregate with no children.
    #[error("node {0:?}: aggregate has no children")]
    Childless(String),
    /// An indicator, denominator or group column is missing from the data.
    #[error("node {node:?}: no data column {column:?}")]
    NoColumn {
        /// The node (or `methods` for a group column named by a method).
        node: String,
        /// The column.
        column: String,
    },
    /// A column's length differs from the number of units.
    #[error("column {0:?} does not have one value per unit")]
    Length(String),
}

/// Units × named columns: indicators, denominators and groups.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Unit codes, in order.
    pub units: Vec<String>,
    /// Numeric columns (indicators and denominators) by name, one value per unit.
    pub columns: HashMap<String, Vec<Option<f64>>>,
    /// Group columns (e.g. `EurAsia_group`, the parent kabupaten) by name.
    pub groups: HashMap<String, Vec<Option<String>>>,
    /// Each unit's last available earlier value per indicator, for [`Impute::LastPeriod`]
    /// (already denominated).
    pub last: HashMap<String, Vec<Option<f64>>>,
    /// Each unit's own target per indicator (e.g. a masterplan's), in the indicator's units after
    /// the denominator, for [`Methods::to_target`]; a unit without one is `None`.
    pub targets: HashMap<String, Vec<Option<f64>>>,
}

/// Dividing an indicator by a denominator column, times a scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Denominate {
    /// The denominator column.
    pub column: String,
    /// Multiplier (10,000 for "per 10,000 residents").
    pub scale: f64,
}

/// A node of the hierarchy: an indicator (leaf, a data column) or an aggregate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// Id; an indicator's is also its data column.
    pub id: String,
    /// Parent aggregate; `None` for the root(s).
    pub parent: Option<String>,
    /// Weight within the parent (relative).
    pub weight: f64,
    /// 1 when higher is better, −1 when lower is.
    pub direction: f64,
    /// Whether this is an indicator (leaf).
    pub indicator: bool,
    /// Optional denominator (indicators only).
    pub denominator: Option<Denominate>,
    /// (low, high) goalposts or target in the indicator's units, for [`Normalise::Goalposts`].
    pub goalposts: Option<(f64, f64)>,
}

impl Node {
    /// An indicator with weight 1, positive direction, no denominator.
    pub fn indicator(id: &str, parent: &str) -> Node {
        Node {
            id: id.into(),
            parent: Some(parent.into()),
            weight: 1.0,
            direction: 1.0,
            indicator: true,
            denominator: None,
            goalposts: None,
        }
    }

    /// An aggregate with weight 1.
    pub fn aggregate(id: &str, parent: Option<&str>) -> Node {
        Node {
            id: id.into(),
            parent: parent.map(str::to_string),
            weight: 1.0,
            direction: 1.0,
            indicator: false,
            denominator: None,
            goalposts: None,
        }
    }

    /// The same node with another weight.
    pub fn weighted(mut self, weight: f64) -> Node {
        self.weight = weight;
        self
    }
}

/// A validated hierarchy: no duplicate ids, every parent an existing aggregate, no cycles,
/// non-negative weights, every aggregate with children.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    children: Vec<Vec<usize>>,
    level: Vec<usize>,
    /// Aggregates in an order where children come before parents.
    order: Vec<usize>,
}

impl Hierarchy {
    /// Validate nodes into a hierarchy.
    pub fn new(nodes: Vec<Node>) -> Result<Hierarchy, EngineError> {
        let mut index = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            if index.insert(n.id.clone(), i).is_some() {
                return Err(EngineError::Duplicate(n.id.clone()));
            }
            if !(n.weight.is_finite() && n.weight >= 0.0) {
                return Err(EngineError::Weight {
                    node: n.id.clone(),
                    weight: n.weight,
                });
            }
        }
        let mut children = vec![Vec::new(); nodes.len()];
        let mut parent_of = vec![None; nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            if let Some(p) = &n.parent {
                match index.get(p) {
                    Some(&j) if !nodes[j].indicator => {
                        children[j].push(i);
                        parent_of[i] = Some(j);
                    }
                    _ => {
                        return Err(EngineError::UnknownParent {
                            node: n.id.clone(),
                            parent: p.clone(),
                        });
                    }
                }
            }
        }
        for (i, n) in nodes.iter().enumerate() {
            let mut at = parent_of[i];
            for _ in 0..=nodes.len() {
                match at {
                    Some(j) if j == i => return Err(EngineError::Cycle(n.id.clone())),
                    Some(j) => at = parent_of[j],
                    None => break,
                }
            }
            if !n.indicator && children[i].is_empty() {
                return Err(EngineError::Childless(n.id.clone()));
            }
        }
        // Level: indicators 1, an aggregate one above its highest child (COINr's numbering).
        let mut level = vec![0usize; nodes.len()];
        fn level_of(
            i: usize,
            nodes: &[Node],
            children: &[Vec<usize>],
            level: &mut [usize],
        ) -> usize {
            if level[i] == 0 {
                level[i] = if nodes[i].indicator {
                    1
                } else {
                    1 + children[i]
                        .iter()
                        .map(|&c| level_of(c, nodes, children, level))
                        .max()
                        .unwrap_or(0)
                };
            }
            level[i]
        }
        for i in 0..nodes.len() {
            level_of(i, &nodes, &children, &mut level);
        }
        let mut order: Vec<usize> = (0..nodes.len()).filter(|&i| !nodes[i].indicator).collect();
        order.sort_by_key(|&i| level[i]);
        Ok(Hierarchy {
            nodes,
            index,
            children,
            level,
            order,
        })
    }

    /// All nodes in input order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// A node by id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }

    /// The indicators in input order.
    pub fn indicators(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.indicator)
    }

    /// A node's level: 1 for indicators, one above the highest child for aggregates.
    pub fn level(&self, id: &str) -> Option<usize> {
        self.index.get(id).map(|&i| self.level[i])
    }

    /// The ids of a node's children.
    pub fn children(&self, id: &str) -> Vec<&str> {
        self.index
            .get(id)
            .map(|&i| {
                self.children[i]
                    .iter()
                    .map(|&c| self.nodes[c].id.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The nodes without a parent.
    pub fn roots(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.parent.is_none())
    }

    /// Set a node's weight (used by sensitivity analysis); ignores unknown ids.
    pub fn set_weight(&mut self, id: &str, weight: f64) {
        if let Some(&i) = self.index.get(id) {
            self.nodes[i].weight = weight.max(0.0);
        }
    }
}

/// Screening units by data availability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screen {
    /// Minimum share of a unit's indicator values present to keep it (0.9 = 90%).
    pub min_share: f64,
    /// Screen after imputation (COINr's example does) rather than before.
    #[serde(default)]
    pub after_impute: bool,
}

/// Method overrides for one node or one level; unset fields fall back to the global choice.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Imputation (indicators).
    #[serde(default)]
    pub impute: Option<Impute>,
    /// Outlier treatment (indicators).
    #[serde(default)]
    pub treat: Option<Treat>,
    /// Normalisation (indicators).
    #[serde(default)]
    pub normalise: Option<Normalise>,
    /// Distance to each unit's own target where it has one (indicators; see
    /// [`Methods::to_target`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_target: Option<bool>,
    /// How this aggregate (or the aggregates of this level) combine their children.
    #[serde(default)]
    pub aggregate: Option<Aggregate>,
    /// Minimum share of children present (aggregates).
    #[serde(default)]
    pub min_share: Option<f64>,
}

/// Every method choice of a run; recorded with the result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Methods {
    /// Screening; `None` keeps every unit.
    #[serde(default)]
    pub screen: Option<Screen>,
    /// Imputation.
    #[serde(default)]
    pub impute: Impute,
    /// Outlier treatment.
    #[serde(default)]
    pub treat: Treat,
    /// Normalisation.
    #[serde(default)]
    pub normalise: Normalise,
    /// Normalise among the units of each group of this column (e.g. the kecamatan of one
    /// kabupaten) instead of among all units.
    #[serde(default)]
    pub normalise_within: Option<String>,
    /// Normalise a unit that has its own target ([`Dataset::targets`]) as its distance to that
    /// target, [`methods::distance_to_target`] on 0–100: `min(value / target, 1) · 100` (lower is
    /// better: `min(target / value, 1) · 100`), from the value before outlier treatment (which
    /// would change its units). Units without a target keep [`Methods::normalise`], computed
    /// among all units as without targets. `None` and `false` are off; per node or level with
    /// [`Override::to_target`]. Sensitivity analysis varies the normalisation of the units
    /// without a target only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_target: Option<bool>,
    /// Where the targets came from (file and checksum), recorded with the result. Set by the
    /// loader of the targets ([`crate::framework::Framework::load`]), never read from a file.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub targets: Option<TargetSource>,
    /// Aggregation.
    #[serde(default)]
    pub aggregate: Aggregate,
    /// Minimum share of an aggregate's children present (0 = any one is enough).
    #[serde(default)]
    pub min_share: f64,
    /// Overrides per level (`"2"`, `"3"`, …; indicators are level 1).
    #[serde(default)]
    pub level: BTreeMap<String, Override>,
    /// Overrides per node id.
    #[serde(default)]
    pub node: BTreeMap<String, Override>,
}

/// Where a run's targets came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TargetSource {
    /// The file, as the framework names it (relative to the framework file).
    pub file: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Number of targets it holds.
    pub targets: usize,
}

impl Methods {
    /// Whether an indicator is normalised as distance to target (where a unit has one).
    pub fn uses_target(&self, id: &str) -> bool {
        self.node
            .get(id)
            .and_then(|o| o.to_target)
            .or_else(|| self.level.get("1").and_then(|o| o.to_target))
            .or(self.to_target)
            .unwrap_or(false)
    }

    /// Whether any indicator may be normalised as distance to target.
    pub fn any_to_target(&self) -> bool {
        self.to_target == Some(true)
            || self
                .node
                .values()
                .chain(self.level.values())
                .any(|o| o.to_target == Some(true))
    }

    fn pick<'a, T>(
        &'a self,
        id: &str,
        level: usize,
        field: impl Fn(&'a Override) -> Option<&'a T>,
        global: &'a T,
    ) -> &'a T {
        self.node
            .get(id)
            .and_then(&field)
            .or_else(|| self.level.get(&level.to_string()).and_then(&field))
            .unwrap_or(global)
    }
}

/// Everything before normalisation, per indicator (rows) and kept unit (columns).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Kept units.
    pub units: Vec<String>,
    /// Units dropped by screening.
    pub screened_out: Vec<String>,
    /// Indicator ids, in hierarchy order.
    pub indicators: Vec<String>,
    /// Values as given.
    pub raw: Vec<Vec<Option<f64>>>,
    /// Denominator values used (`None` when the indicator has none).
    pub denominator: Vec<Vec<Option<f64>>>,
    /// After the denominator.
    pub denominated: Vec<Vec<Option<f64>>>,
    /// After imputation.
    pub imputed: Vec<Vec<Option<f64>>>,
    /// After outlier treatment.
    pub treated: Vec<Vec<Option<f64>>>,
    /// What the treatment did, per indicator.
    pub treatment: Vec<TreatLog>,
    /// Number of values imputed, per indicator.
    pub filled: Vec<usize>,
    /// Groups of the kept units.
    pub groups: HashMap<String, Vec<Option<String>>>,
    /// Targets of the kept units, per indicator ([`Dataset::targets`]).
    pub targets: HashMap<String, Vec<Option<f64>>>,
}

/// The result of a run: every stage, every node's score, and the methods used.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Inputs up to treatment.
    pub prepared: Prepared,
    /// Normalised indicator values (rows as [`Prepared::indicators`]).
    pub normalised: Vec<Vec<Option<f64>>>,
    /// Every node's score per kept unit (indicators: the normalised value).
    pub scores: HashMap<String, Vec<Option<f64>>>,
    /// The methods used.
    pub methods: Methods,
}

impl Outcome {
    /// Kept units.
    pub fn units(&self) -> &[String] {
        &self.prepared.units
    }

    /// A node's score for a unit.
    pub fn score(&self, node: &str, unit: &str) -> Option<f64> {
        let u = self.prepared.units.iter().position(|x| x == unit)?;
        self.scores.get(node)?[u]
    }

    /// The weight a child actually had in its parent for a unit: its weight over the sum of the
    /// weights of the children present (`None` if the child is missing).
    pub fn effective_weight(&self, h: &Hierarchy, node: &str, unit: usize) -> Option<f64> {
        let n = h.node(node)?;
        self.scores.get(node)?[unit]?;
        let parent = n.parent.as_deref()?;
        let total: f64 = h
            .children(parent)
            .iter()
            .filter(|c| self.scores.get(**c).is_some_and(|s| s[unit].is_some()))
            .filter_map(|c| h.node(c).map(|c| c.weight))
            .sum();
        (total > 0.0).then(|| n.weight / total)
    }

    /// [`Outcome::effective_weight`] of every node with a parent, for every unit, in one pass.
    pub fn effective_weights(&self, h: &Hierarchy) -> HashMap<String, Vec<Option<f64>>> {
        let n = self.prepared.units.len();
        let mut out = HashMap::new();
        for (p, kids) in h.children.iter().enumerate() {
            if h.nodes[p].indicator || kids.is_empty() {
                continue;
            }
            let cols: Vec<Option<&Vec<Option<f64>>>> = kids
                .iter()
                .map(|&c| self.scores.get(&h.nodes[c].id))
                .collect();
            let total: Vec<f64> = (0..n)
                .map(|u| {
                    kids.iter()
                        .zip(&cols)
                        .filter(|(_, col)| col.is_some_and(|col| col[u].is_some()))
                        .map(|(&c, _)| h.nodes[c].weight)
                        .sum()
                })
                .collect();
            for (&c, col) in kids.iter().zip(&cols) {
                let w = h.nodes[c].weight;
                let v = (0..n)
                    .map(|u| {
                        col.and_then(|col| col[u])
                            .and((total[u] > 0.0).then(|| w / total[u]))
                    })
                    .collect();
                out.insert(h.nodes[c].id.clone(), v);
            }
        }
        out
    }

    /// The methods used, as JSON (for storing with the results).
    pub fn methods_json(&self) -> String {
        serde_json::to_string(&self.methods).unwrap_or_default()
    }
}

/// Run every step.
pub fn run(data: &Dataset, h: &Hierarchy, m: &Methods) -> Result<Outcome, EngineError> {
    let prepared = prepare(data, h, m)?;
    finish(prepared, h, m)
}

/// Denominate, screen, impute and treat.
pub fn prepare(data: &Dataset, h: &Hierarchy, m: &Methods) -> Result<Prepared, EngineError> {
    let n = data.units.len();
    let column = |node: &str, name: &str| -> Result<&Vec<Option<f64>>, EngineError> {
        let c = data
            .columns
            .get(name)
            .ok_or_else(|| EngineError::NoColumn {
                node: node.into(),
                column: name.into(),
            })?;
        if c.len() != n {
            return Err(EngineError::Length(name.into()));
        }
        Ok(c)
    };
    let mut indicators = Vec::new();
    let (mut raw, mut denominator, mut denominated) = (Vec::new(), Vec::new(), Vec::new());
    for ind in h.indicators() {
        let x = column(&ind.id, &ind.id)?;
        let (d, v) = match &ind.denominator {
            Some(den) => {
                let d = column(&ind.id, &den.column)?;
                let v = x
                    .iter()
                    .zip(d)
                    .map(|(x, d)| match (x, d) {
                        (Some(x), Some(d)) if *d != 0.0 => Some(x / d * den.scale),
                        _ => None,
                    })
                    .collect();
                (d.clone(), v)
            }
            None => (vec![None; n], x.clone()),
        };
        indicators.push(ind.id.clone());
        raw.push(x.clone());
        denominator.push(d);
        denominated.push(v);
    }
    for name in [m.normalise_within.as_deref()]
        .into_iter()
        .flatten()
        .chain(group_columns(m))
    {
        if !data.groups.contains_key(name) {
            return Err(EngineError::NoColumn {
                node: "methods".into(),
                column: name.into(),
            });
        }
    }

    if let Some(name) = data.targets.iter().find(|(_, v)| v.len() != n).map(|x| x.0) {
        return Err(EngineError::Length(format!("targets of {name}")));
    }

    let mut keep: Vec<bool> = vec![true; n];
    let screen = |values: &[Vec<Option<f64>>], keep: &mut [bool]| {
        if let Some(s) = &m.screen {
            for (u, k) in keep.iter_mut().enumerate() {
                let present = values.iter().filter(|col| col[u].is_some()).count();
                if (present as f64) < s.min_share * values.len() as f64 - 1e-12 {
                    *k = false;
                }
            }
        }
    };
    let after_impute = m.screen.as_ref().is_some_and(|s| s.after_impute);
    if !after_impute {
        screen(&denominated, &mut keep);
    }
    let sel = |col: &[Option<f64>], keep: &[bool]| -> Vec<Option<f64>> {
        col.iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(v, _)| *v)
            .collect()
    };
    let sel_g = |col: &[Option<String>], keep: &[bool]| -> Vec<Option<String>> {
        col.iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(v, _)| v.clone())
            .collect()
    };

    // Impute on the units kept so far (all units when screening comes after).
    let mut imputed = Vec::with_capacity(indicators.len());
    let mut filled = Vec::with_capacity(indicators.len());
    for (i, id) in indicators.iter().enumerate() {
        let mut x = sel(&denominated[i], &keep);
        let method = m.pick(id, 1, |o| o.impute.as_ref(), &m.impute);
        let groups = match method {
            Impute::GroupMean { group } | Impute::GroupMedian { group } => {
                let g = data
                    .groups
                    .get(group)
                    .ok_or_else(|| EngineError::NoColumn {
                        node: id.clone(),
                        column: group.clone(),
                    })?;
                Some(sel_g(g, &keep))
            }
            _ => None,
        };
        let last = data.last.get(id).map(|l| sel(l, &keep));
        filled.push(methods::impute(
            &mut x,
            method,
            groups.as_deref(),
            last.as_deref(),
        ));
        imputed.push(x);
    }
    if after_impute {
        // Screen on the imputed values, then narrow everything to the kept units.
        let mut k2 = vec![true; imputed.first().map_or(n, Vec::len)];
        screen(&imputed, &mut k2);
        imputed = imputed.iter().map(|c| sel(c, &k2)).collect();
        let mut it = k2.into_iter();
        for k in keep.iter_mut().filter(|k| **k) {
            *k = it.next().unwrap_or(false);
        }
    }

    let mut treated = imputed.clone();
    let mut treatment = Vec::with_capacity(indicators.len());
    for (id, x) in indicators.iter().zip(treated.iter_mut()) {
        let method = m.pick(id, 1, |o| o.treat.as_ref(), &m.treat);
        treatment.push(methods::treat(x, method));
    }

    let units = sel_g(
        &data.units.iter().cloned().map(Some).collect::<Vec<_>>(),
        &keep,
    )
    .into_iter()
    .flatten()
    .collect();
    let screened_out = data
        .units
        .iter()
        .zip(&keep)
        .filter(|(_, k)| !**k)
        .map(|(u, _)| u.clone())
        .collect();
    Ok(Prepared {
        units,
        screened_out,
        indicators,
        raw: raw.iter().map(|c| sel(c, &keep)).collect(),
        denominator: denominator.iter().map(|c| sel(c, &keep)).collect(),
        denominated: denominated.iter().map(|c| sel(c, &keep)).collect(),
        imputed,
        treated,
        treatment,
        filled,
        groups: data
            .groups
            .iter()
            .map(|(k, v)| (k.clone(), sel_g(v, &keep)))
            .collect(),
        targets: data
            .targets
            .iter()
            .map(|(k, v)| (k.clone(), sel(v, &keep)))
            .collect(),
    })
}

fn group_columns(m: &Methods) -> impl Iterator<Item = &str> {
    std::iter::once(&m.impute)
        .chain(m.node.values().filter_map(|o| o.impute.as_ref()))
        .chain(m.level.values().filter_map(|o| o.impute.as_ref()))
        .filter_map(|i| match i {
            Impute::GroupMean { group } | Impute::GroupMedian { group } => Some(group.as_str()),
            _ => None,
        })
}

/// Normalise and aggregate prepared data.
pub fn finish(prepared: Prepared, h: &Hierarchy, m: &Methods) -> Result<Outcome, EngineError> {
    let normalised = normalise_all(&prepared, h, m)?;
    let scores = aggregate_all(
        &prepared.indicators,
        &normalised,
        prepared.units.len(),
        h,
        m,
    );
    Ok(Outcome {
        prepared,
        normalised,
        scores,
        methods: m.clone(),
    })
}

/// Normalise every indicator, within groups when the methods ask.
pub fn normalise_all(
    p: &Prepared,
    h: &Hierarchy,
    m: &Methods,
) -> Result<Vec<Vec<Option<f64>>>, EngineError> {
    let blocks: Vec<Vec<usize>> = match &m.normalise_within {
        None => vec![(0..p.units.len()).collect()],
        Some(g) => {
            let col = p.groups.get(g).ok_or_else(|| EngineError::NoColumn {
                node: "methods".into(),
                column: g.clone(),
            })?;
            let mut by: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
            for (u, v) in col.iter().enumerate() {
                by.entry(v.as_deref()).or_default().push(u);
            }
            by.into_values().collect()
        }
    };
    let mut out = Vec::with_capacity(p.indicators.len());
    for (i, id) in p.indicators.iter().enumerate() {
        let node = h.node(id);
        let direction = node.map_or(1.0, |n| n.direction);
        let goalposts = node.and_then(|n| n.goalposts);
        let method = m.pick(id, 1, |o| o.normalise.as_ref(), &m.normalise);
        let mut x = p.treated[i].clone();
        if blocks.len() == 1 {
            methods::normalise(&mut x, method, direction, goalposts);
        } else {
            for b in &blocks {
                let mut part: Vec<Option<f64>> = b.iter().map(|&u| x[u]).collect();
                methods::normalise(&mut part, method, direction, goalposts);
                for (&u, v) in b.iter().zip(part) {
                    x[u] = v;
                }
            }
        }
        if m.uses_target(id)
            && let Some(targets) = p.targets.get(id)
        {
            // A unit with its own target: its distance to it, from the untreated value.
            for (u, t) in targets.iter().enumerate() {
                if let (Some(t), Some(v)) = (t, p.imputed[i].get(u).copied().flatten()) {
                    x[u] = Some(methods::distance_to_target(v, *t, direction, 100.0));
                }
            }
        }
        out.push(x);
    }
    Ok(out)
}

/// Aggregate normalised indicators level by level up the hierarchy.
pub fn aggregate_all(
    indicators: &[String],
    normalised: &[Vec<Option<f64>>],
    units: usize,
    h: &Hierarchy,
    m: &Methods,
) -> HashMap<String, Vec<Option<f64>>> {
    let mut scores: HashMap<String, Vec<Option<f64>>> = indicators
        .iter()
        .cloned()
        .zip(normalised.iter().cloned())
        .collect();
    for &a in &h.order {
        let node = &h.nodes[a];
        let level = h.level[a];
        let method = m.pick(&node.id, level, |o| o.aggregate.as_ref(), &m.aggregate);
        let min_share = *m.pick(&node.id, level, |o| o.min_share.as_ref(), &m.min_share);
        let kids = &h.children[a];
        let weights: Vec<f64> = kids.iter().map(|&c| h.nodes[c].weight).collect();
        let cols: Vec<&Vec<Option<f64>>> = kids
            .iter()
            .filter_map(|&c| scores.get(&h.nodes[c].id))
            .collect();
        let mut out = vec![None; units];
        if cols.len() == kids.len() {
            let mut vals = vec![None; kids.len()];
            for (u, o) in out.iter_mut().enumerate() {
                for (k, c) in cols.iter().enumerate() {
                    vals[k] = c[u];
                }
                *o = methods::weighted_mean(&vals, &weights, method, min_share);
            }
        }
        scores.insert(node.id.clone(), out);
    }
    scores
}

#[cfg(test)]
mod tests;
