//! Query parameters shared by the page, the API and the charts, parsed once into typed values.

use serde::Deserialize;

use super::access::{Caller, Input, Reach, RegionRequest, present};
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

/// The parsed selection: one region, a period and a language.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
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
    /// Parse for `caller`: the region defaults to the configured one if the caller may see it,
    /// else to the root of the caller's scope. Empty values count as absent.
    pub fn parse(self, caller: &Caller<'_>) -> Result<Selection, ApiError> {
        let (region, defaulted) = caller.region_or_default("region", self.region.as_deref())?;
        let lang = match present(self.lang.as_deref()) {
            Some(l) => l
                .parse::<Lang>()
                .map_err(|e| ApiError::BadRequest(format!("lang: {e}")))?,
            None => Lang::Id,
        };
        Ok(Selection {
            region,
            period: present(self.period.as_deref()).map(str::to_string),
            lang,
            defaulted,
        })
    }
}

impl RegionRequest for Selection {
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        input.query::<RawSelection>()?.parse(caller)
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::one(&self.region)
    }
}
