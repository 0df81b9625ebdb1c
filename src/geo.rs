//! Geometry of regions: features with a region code, a name and their outer rings in longitude
//! and latitude, parsed from a GeoJSON FeatureCollection.
//!
//! Pure data and parsing: which file holds which regions, and reading it, is
//! [`crate::region::boundaries`]'s business; drawing a layer is [`crate::chart`]'s.

/// One area of a layer: its code, name and outer rings in (longitude, latitude).
#[derive(Debug, Clone)]
pub struct GeoFeature {
    /// Region code from the layer's code property (e.g. `35.09.02`).
    pub code: String,
    /// Name from the layer, if it has one.
    pub name: Option<String>,
    /// Outer rings of the feature's polygons.
    pub rings: Vec<Vec<[f64; 2]>>,
}

/// The features of one GeoJSON file.
#[derive(Debug, Clone, Default)]
pub struct GeoLayer {
    /// Features in file order.
    pub features: Vec<GeoFeature>,
}

impl GeoLayer {
    /// Parses a GeoJSON FeatureCollection; `code_property` names the property holding the
    /// region code. Features flagged `non_admin_area` (lakes and the like in the national file)
    /// and features without a code are left out.
    pub fn parse(json: &str, code_property: &str) -> Result<GeoLayer, String> {
        let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let features = v
            .get("features")
            .and_then(|f| f.as_array())
            .ok_or("not a GeoJSON FeatureCollection (no \"features\" array)")?;
        let mut out = Vec::with_capacity(features.len());
        for f in features {
            let props = f.get("properties");
            let prop = |k: &str| props.and_then(|p| p.get(k));
            if prop("non_admin_area").and_then(|v| v.as_bool()) == Some(true) {
                continue;
            }
            let Some(code) = prop(code_property).and_then(|c| c.as_str()) else {
                continue;
            };
            let name = ["nama_kemendagri", "district", "regency", "name"]
                .iter()
                .find_map(|k| prop(k).and_then(|v| v.as_str()))
                .map(str::to_string);
            let geometry = f.get("geometry");
            let kind = geometry
                .and_then(|g| g.get("type"))
                .and_then(|t| t.as_str());
            let coords = geometry.and_then(|g| g.get("coordinates"));
            let polygons: Vec<&serde_json::Value> = match (kind, coords) {
                (Some("Polygon"), Some(c)) => vec![c],
                (Some("MultiPolygon"), Some(serde_json::Value::Array(ps))) => ps.iter().collect(),
                _ => continue,
            };
            let rings = polygons
                .into_iter()
                .filter_map(|p| p.get(0))
                .filter_map(|ring| ring.as_array())
                .map(|ring| {
                    ring.iter()
                        .filter_map(|pt| Some([pt.get(0)?.as_f64()?, pt.get(1)?.as_f64()?]))
                        .collect::<Vec<_>>()
                })
                .filter(|r| r.len() >= 3)
                .collect();
            out.push(GeoFeature {
                code: code.to_string(),
                name,
                rings,
            });
        }
        Ok(GeoLayer { features: out })
    }

    /// (min lon, min lat, max lon, max lat) of the features whose code passes `keep`.
    pub fn bounds(&self, keep: impl Fn(&str) -> bool) -> Option<[f64; 4]> {
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for f in self.features.iter().filter(|f| keep(&f.code)) {
            for p in f.rings.iter().flatten() {
                b = [
                    b[0].min(p[0]),
                    b[1].min(p[1]),
                    b[2].max(p[0]),
                    b[3].max(p[1]),
                ];
            }
        }
        b[0].is_finite().then_some(b)
    }
}
