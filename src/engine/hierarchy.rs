//! The hierarchy of a composite indicator: nodes (indicators at the leaves, aggregates above,
//! each with a weight in its parent, a direction, optional denominator and goalposts), validated
//! into a [`Hierarchy`] that knows every node's children and level.
//!
//! Structure only: the values flowing through it are in [`super::Dataset`] and
//! [`super::Prepared`], and the arithmetic is in [`super::aggregate`].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::EngineError;

/// Dividing an indicator by a denominator column, times a scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Denominate {
    /// The denominator column.
    pub column: String,
    /// Multiplier (10,000 for "per 10,000 residents").
    pub scale: f64,
    /// Weigh a small unit's value above the typical one by how large the unit is (see
    /// [`Prior`]); `None`: every value counts in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<Prior>,
}

/// Credibility of a value per denominator unit: a value above `typical` counts with the weight
/// `d / (d + weight)` of the unit's denominator `d`, the rest of it is the typical value, so
/// that a unit of `weight` residents keeps half its lead and one a hundred times larger almost
/// all of it. A value at or below the typical one is left as it is: the weighting keeps a small
/// denominator from multiplying a few records into a top value, and gives nothing to a unit
/// that recorded little. This is limited-fluctuation credibility, one-sided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    /// Denominator at which a unit's own lead counts half (e.g. 100,000 residents).
    pub weight: f64,
    /// The typical value, after the denominator and scale.
    pub typical: f64,
}

impl Prior {
    /// `value` of a unit with denominator `d`, weighted.
    pub fn weigh(&self, value: f64, d: f64) -> f64 {
        if value <= self.typical || d <= 0.0 {
            return value;
        }
        self.typical + d / (d + self.weight) * (value - self.typical)
    }
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
    pub(super) nodes: Vec<Node>,
    index: HashMap<String, usize>,
    pub(super) children: Vec<Vec<usize>>,
    pub(super) level: Vec<usize>,
    /// Aggregates in an order where children come before parents.
    pub(super) order: Vec<usize>,
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
