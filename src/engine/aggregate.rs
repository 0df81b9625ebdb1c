//! Normalising prepared indicators (within unit groups when asked, as distance to target where
//! a unit has one) and aggregating them level by level up the hierarchy into the [`Outcome`],
//! which also answers what weight each child actually had.
//!
//! The methods themselves are in [`super::methods`]; everything before normalisation is in
//! [`super::prepare`].

use std::collections::{BTreeMap, HashMap};

use super::{EngineError, Hierarchy, Methods, Prepared, methods};

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
    // Units by their value of the grouping column (one block of every unit without one).
    let blocks: Vec<(Option<&str>, Vec<usize>)> = match &m.normalise_within {
        None => vec![(None, (0..p.units.len()).collect())],
        Some(g) => {
            let col = p.groups.get(g).ok_or_else(|| EngineError::NoColumn {
                node: "methods".into(),
                column: g.clone(),
            })?;
            let mut by: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
            for (u, v) in col.iter().enumerate() {
                by.entry(v.as_deref()).or_default().push(u);
            }
            by.into_iter().collect()
        }
    };
    let mut out = Vec::with_capacity(p.indicators.len());
    for (i, id) in p.indicators.iter().enumerate() {
        let node = h.node(id);
        let direction = node.map_or(1.0, |n| n.direction);
        let goalposts = node.and_then(|n| n.goalposts);
        let method = m.pick(id, 1, |o| o.normalise.as_ref(), &m.normalise);
        let mut x = p.treated[i].clone();
        let group_goalposts = p.group_goalposts.get(id);
        if blocks.len() == 1 && group_goalposts.is_none() {
            methods::normalise(&mut x, method, direction, goalposts);
        } else {
            for (group, b) in &blocks {
                let goalposts = group
                    .and_then(|g| group_goalposts?.get(g).copied())
                    .or(goalposts);
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
