//! Query parameters shared by the page, the API and the charts, parsed once into typed values.

use serde::Deserialize;

use super::{ApiError, AppState};
use crate::auth::Principal;
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
    /// Whether the region was not asked for (the default applies).
    pub defaulted: bool,
}

impl RawSelection {
    /// Parse for `principal`: the region defaults to the configured one if the caller may see
    /// it, else to the root of the caller's scope, and must lie in the caller's scope (403
    /// otherwise, before anything is looked up).
    pub fn parse_for(self, state: &AppState, principal: &Principal) -> Result<Selection, ApiError> {
        let mut sel = self.parse(state)?;
        if sel.defaulted {
            sel.region = principal.default_region(&sel.region);
        }
        principal.require_region(&sel.region)?;
        Ok(sel)
    }

    /// Parse, with defaults from the configuration. Empty values count as absent. No scope
    /// check: handlers serving a caller use [`RawSelection::parse_for`].
    pub fn parse(self, state: &AppState) -> Result<Selection, ApiError> {
        let present = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let region_given = present(self.region);
        let defaulted = region_given.is_none();
        let region = match region_given {
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
            defaulted,
        })
    }
}
