//! Which boundary layer covers which regions, and the layers themselves, read on first use.
//!
//! The catalogue is data (`regions/boundaries.toml`): each layer names its GeoJSON file, the
//! level of its features (kecamatan or kab/kota), the region it covers (none: all of Indonesia),
//! the property holding the Kemendagri code and the attribution printed under a map. A map asks
//! for a level around a region and gets the most specific layer covering it, so adding a
//! kabupaten's kecamatan boundaries is a file and a catalogue entry, not code.
//!
//! A layer is parsed once and kept for the life of the [`Boundaries`] value (the server's
//! reference data), not the process. Drawing is the chart module's business.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Deserialize;

use super::{Level, RegionCode};
use crate::geo::GeoLayer;

/// The catalogue's file name in the regions folder.
pub const CATALOGUE: &str = "boundaries.toml";

/// Why a boundary layer is not available.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum BoundaryError {
    /// The catalogue could not be read.
    #[error("cannot read the boundary catalogue {path}: {message}")]
    Catalogue {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No layer covers the region at that level.
    #[error("no {level} boundaries cover {region}; layers exist for: {available}")]
    NotCovered {
        /// `kecamatan` or `kabupaten/kota`.
        level: &'static str,
        /// The region asked around (or all of Indonesia).
        region: String,
        /// What the catalogue has at that level.
        available: String,
    },
    /// A layer's file could not be read.
    #[error("reading boundaries {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// One catalogue entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerSpec {
    file: String,
    level: LayerLevel,
    #[serde(default)]
    within: Option<String>,
    code_property: String,
    source: String,
}

/// The level of a layer's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum LayerLevel {
    District,
    Regency,
}

impl LayerLevel {
    fn of(level: Level) -> Option<LayerLevel> {
        match level {
            Level::District => Some(LayerLevel::District),
            Level::Regency => Some(LayerLevel::Regency),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            LayerLevel::District => "kecamatan",
            LayerLevel::Regency => "kabupaten/kota",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    #[serde(default)]
    layer: Vec<LayerSpec>,
}

/// A layer as a map uses it: the features and their attribution.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The features.
    pub geo: Arc<GeoLayer>,
    /// Attribution printed under the map, e.g. `BPS/HDX 2020`.
    pub source: String,
}

/// The boundary layers of the reference data.
#[derive(Debug, Default)]
pub struct Boundaries {
    dir: PathBuf,
    layers: Vec<(LayerSpec, Option<RegionCode>)>,
    loaded: Mutex<HashMap<String, Arc<GeoLayer>>>,
}

impl Boundaries {
    /// The catalogue of `dir` (the regions folder); no catalogue file means no maps.
    pub fn load(dir: &Path) -> Result<Boundaries, BoundaryError> {
        let path = dir.join(CATALOGUE);
        let err = |message: String| BoundaryError::Catalogue {
            path: path.clone(),
            message,
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(err(e.to_string())),
        };
        let catalogue: Catalogue = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        let mut layers = Vec::new();
        for spec in catalogue.layer {
            let within = match &spec.within {
                Some(code) => Some(
                    RegionCode::parse(code)
                        .map_err(|e| err(format!("layer {}: within: {e}", spec.file)))?,
                ),
                None => None,
            };
            layers.push((spec, within));
        }
        Ok(Boundaries {
            dir: dir.to_path_buf(),
            layers,
            loaded: Mutex::default(),
        })
    }

    /// The most specific layer of `level` (kecamatan or kab/kota) that covers `region`; for
    /// `None`, a layer covering all of Indonesia.
    pub fn layer(&self, level: Level, region: Option<&RegionCode>) -> Result<Layer, BoundaryError> {
        let wanted = LayerLevel::of(level);
        let covering = self
            .layers
            .iter()
            .filter(|(spec, _)| Some(spec.level) == wanted)
            .filter(|(_, within)| match (within, region) {
                (None, _) => true,
                (Some(w), Some(r)) => w.contains_code(r.as_str()),
                (Some(_), None) => false,
            })
            // The longest `within` code is the most specific; a national layer comes last.
            .max_by_key(|(_, within)| within.as_ref().map_or(0, |w| w.as_str().len() + 1));
        let Some((spec, _)) = covering else {
            let available: Vec<String> = self
                .layers
                .iter()
                .filter(|(spec, _)| Some(spec.level) == wanted)
                .map(|(_, w)| {
                    w.as_ref()
                        .map_or("all of Indonesia".into(), |w| w.to_string())
                })
                .collect();
            return Err(BoundaryError::NotCovered {
                level: wanted.map_or("these", LayerLevel::name),
                region: region.map_or_else(|| "all of Indonesia".into(), ToString::to_string),
                available: if available.is_empty() {
                    "no region".into()
                } else {
                    available.join(", ")
                },
            });
        };
        Ok(Layer {
            geo: self.read(spec)?,
            source: spec.source.clone(),
        })
    }

    fn read(&self, spec: &LayerSpec) -> Result<Arc<GeoLayer>, BoundaryError> {
        if let Some(layer) = self
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&spec.file)
        {
            return Ok(layer.clone());
        }
        let path = self.dir.join(&spec.file);
        let err = |message: String| BoundaryError::Read {
            path: path.clone(),
            message,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
        let layer = Arc::new(GeoLayer::parse(&text, &spec.code_property).map_err(err)?);
        self.loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(spec.file.clone(), layer.clone());
        Ok(layer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn shipped() -> Boundaries {
        Boundaries::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/regions")).unwrap()
    }

    #[test]
    fn the_most_specific_layer_covering_a_region_is_chosen() {
        let b = shipped();
        let jember = b.layer(Level::District, Some(&code("35.09.20"))).unwrap();
        assert_eq!(jember.geo.features.len(), 31);
        let east_java = b.layer(Level::Regency, Some(&code("35.09"))).unwrap();
        assert_eq!(east_java.geo.features.len(), 38);
        // Another province's kab/kota come from the national layer.
        let aceh = b.layer(Level::Regency, Some(&code("11.01"))).unwrap();
        assert!(aceh.geo.features.len() > 500);
        assert_eq!(aceh.source, "BPS/HDX 2020");
        let national = b.layer(Level::Regency, None).unwrap();
        assert!(Arc::ptr_eq(&national.geo, &aceh.geo));
    }

    #[test]
    fn a_region_without_kecamatan_boundaries_is_told_what_exists() {
        let e = shipped()
            .layer(Level::District, Some(&code("35.10.01")))
            .unwrap_err();
        let message = e.to_string();
        assert!(message.contains("35.10.01"), "{message}");
        assert!(message.contains("35.09"), "{message}");
    }

    #[test]
    fn a_layer_is_read_once() {
        let b = shipped();
        let first = b.layer(Level::District, Some(&code("35.09.01"))).unwrap();
        let second = b.layer(Level::District, Some(&code("35.09.02"))).unwrap();
        assert!(Arc::ptr_eq(&first.geo, &second.geo));
    }
}
