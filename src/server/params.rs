//! Query parameters shared by the page, the API and the charts, parsed once into typed values.

use serde::Deserialize;

use super::{ApiError, AppState};
use crate::i18n::Lang;
use crate::region::RegionCode;

/// `?region=&period=&lang=` as sent.
#[derive(Debug, Default, Deserialize)]
pub struct RawSelection {
    /// Kemendagri code; defaults to the configured region.
    pub region: Option<String>,
    /// Period label; defaults to the latest.
    pub period: Option<String>,
    /// `id` (default) or `en`.
    pub lang: Option<String>,
}

/// The parsed selection.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Region asked for.
    pub region: RegionCode,
    /// Period asked for, `None` for the latest.
    pub period: Option<String>,
    /// Language.
    pub lang: Lang,
}

impl RawSelection {
    /// Parse, with defaults from the configuration. Empty values count as absent.
    pub fn parse(self, state: &AppState) -> Result<Selection, ApiError> {
        let present = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let region = match present(self.region) {
            Some(r) => {
                RegionCode::parse(&r).map_err(|e| ApiError::BadRequest(format!("region: {e}")))?
            }
            None => state.config.region.clone(),
        };
        let lang = match present(self.lang) {
            Some(l) => l
                .parse::<Lang>()
                .map_err(|e| ApiError::BadRequest(format!("lang: {e}")))?,
            None => Lang::Id,
        };
        Ok(Selection {
            region,
            period: present(self.period).map(|p| p.trim().to_string()),
            lang,
        })
    }
}
