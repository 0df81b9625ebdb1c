//! Who may see and do what: roles, capabilities, region scopes, users and their secrets.
//!
//! Four roles: a **viewer** (Bappeda) sees the dashboard, API and charts; an **evaluator**
//! (Kemkominfo) also reports and exports, for all regions; a **steward** uploads activity data
//! for its own region and sees it; an **admin** may do everything, re-scoring included. Each
//! user has a [`Scope`]: all regions, or one province or kab/kota with everything inside it.
//! Users, password hashes and API token hashes live in a users file ([`users`]) or in the
//! database ([`store`], `[access] users = "database"`); secrets are stored only as argon2id
//! PHC strings. Login sessions are in the database, so every instance on it shares them.
//! [`Access`] is the running server's view of all this: it verifies a presented token or
//! password once and remembers the outcome for a bounded time. Verifications pass a [`Gate`] that bounds how many run at once and the
//! memory they hold; failed sign-ins are counted per name and per address ([`limit`]).
//!
//! This module knows nothing about HTTP: the server's extractor, login pages and cookies are in
//! `server::auth`.

mod access;
mod gate;
pub mod limit;
pub mod store;
pub mod users;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::region::{Level, RegionCode};

pub use access::{
    Access, AccessError, AccessSettings, Counted, DEFAULT_RECHECK_SECS, SecureCookies, SessionId,
    UserSource,
};
pub use gate::{Gate, GateError, GateSettings, GateStats, Verifier};
pub use limit::{FailureLimit, LoginLimits};
pub use store::{AccessStore, StoreError};
pub use users::{HashParams, UserRecord, Users, UsersError};

/// A role, from least to most trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Bappeda: dashboard, API and charts of its region.
    Viewer,
    /// Kemkominfo: also reports and exports; all regions.
    Evaluator,
    /// Data steward: uploads activity data for its own region, and sees it.
    Steward,
    /// Everything, re-scoring included.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Evaluator, Role::Steward, Role::Admin];

    /// The name used in the users file, the CLI and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Evaluator => "evaluator",
            Role::Steward => "steward",
            Role::Admin => "admin",
        }
    }

    /// Whether this role carries `capability`.
    pub fn can(self, capability: Capability) -> bool {
        use Capability as C;
        match self {
            Role::Viewer => matches!(capability, C::View),
            Role::Evaluator => matches!(capability, C::View | C::Reports),
            Role::Steward => matches!(capability, C::View | C::Ingest),
            Role::Admin => true,
        }
    }

    /// The capabilities of this role, in [`Capability::ALL`] order.
    pub fn capabilities(self) -> Vec<Capability> {
        Capability::ALL
            .into_iter()
            .filter(|c| self.can(*c))
            .collect()
    }

    /// Whether users of this role always see every region (no scope allowed in the users file).
    pub fn sees_all_regions(self) -> bool {
        matches!(self, Role::Evaluator | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of the four.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown role {0:?}: expected viewer, evaluator, steward or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// What a route needs, beyond the region scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    /// Dashboard pages, the JSON API, charts.
    View,
    /// PDF/xlsx reports and bulk exports.
    Reports,
    /// Uploading activity data (`POST /api/v1/ingest`).
    Ingest,
    /// Operating the service: re-scoring, running the job's schedule on demand.
    Admin,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Capability; 4] = [
        Capability::View,
        Capability::Reports,
        Capability::Ingest,
        Capability::Admin,
    ];

    /// The name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::View => "view",
            Capability::Reports => "reports",
            Capability::Ingest => "ingest",
            Capability::Admin => "admin",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The regions a user may see: all, or one province or kab/kota and everything inside it.
///
/// Scopes stop at kab/kota level on purpose: a kecamatan's score is a rank among its
/// kabupaten's kecamatan, so its page and charts show its siblings; a kab/kota scope keeps
/// every peer group it can see inside it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Scope {
    /// Every region.
    All,
    /// This province or kab/kota and the regions within it.
    Region(RegionCode),
}

impl Scope {
    /// A scope for `code`, which must be a province or a kab/kota.
    pub fn region(code: RegionCode) -> Result<Scope, BadScope> {
        match code.level() {
            Level::Province | Level::Regency => Ok(Scope::Region(code)),
            _ => Err(BadScope(format!(
                "{code} is a kecamatan or desa: a scope is a province (e.g. 35) or a kab/kota \
                 (e.g. 35.09), whose kecamatan it then includes"
            ))),
        }
    }

    /// Parse `all` or a province / kab/kota code.
    pub fn parse(s: &str) -> Result<Scope, BadScope> {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("all") {
            return Ok(Scope::All);
        }
        let code = RegionCode::parse(s).map_err(|e| BadScope(e.to_string()))?;
        Scope::region(code)
    }

    /// Whether `code` is this scope's region or lies within it.
    pub fn contains(&self, code: &RegionCode) -> bool {
        match self {
            Scope::All => true,
            Scope::Region(root) => {
                let (root, code) = (root.as_str(), code.as_str());
                code == root
                    || code
                        .strip_prefix(root)
                        .is_some_and(|rest| rest.starts_with('.'))
            }
        }
    }

    /// The scope's region, `None` for all regions.
    pub fn root(&self) -> Option<&RegionCode> {
        match self {
            Scope::All => None,
            Scope::Region(r) => Some(r),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::All => f.write_str("all"),
            Scope::Region(r) => write!(f, "{r}"),
        }
    }
}

impl From<Scope> for String {
    fn from(s: Scope) -> String {
        s.to_string()
    }
}

impl TryFrom<String> for Scope {
    type Error = BadScope;
    fn try_from(s: String) -> Result<Scope, BadScope> {
        Scope::parse(&s)
    }
}

/// A scope that is neither `all` nor a province or kab/kota code.
#[derive(Debug, Clone, thiserror::Error)]
#[error("bad scope: {0}")]
pub struct BadScope(pub String);

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// No credentials: public read-only access when it is on, nothing otherwise.
    Anonymous,
    /// A browser session cookie from `POST /login`.
    Session,
    /// An `Authorization: Bearer` API token.
    Token,
}

/// Who is asking: a user (or nobody), the role and the region scope that apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    user: Option<Arc<str>>,
    role: Option<Role>,
    scope: Scope,
    via: Via,
}

/// Why a [`Principal`] may not do something. The server maps `Unauthenticated` to 401 and
/// `Forbidden` to 403.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Nobody is logged in, and logging in could help.
    #[error("{0}")]
    Unauthenticated(String),
    /// The user is known and not allowed.
    #[error("{0}")]
    Forbidden(String),
}

impl Principal {
    /// An anonymous caller: a viewer within `public` when public read-only mode is on, no
    /// access at all otherwise.
    pub fn anonymous(public: Option<&Scope>) -> Principal {
        Principal {
            user: None,
            role: public.map(|_| Role::Viewer),
            scope: public.cloned().unwrap_or(Scope::All),
            via: Via::Anonymous,
        }
    }

    /// A known user.
    pub fn user(name: Arc<str>, role: Role, scope: Scope, via: Via) -> Principal {
        Principal {
            user: Some(name),
            role: Some(role),
            scope,
            via,
        }
    }

    /// The user's name, `None` when anonymous.
    pub fn name(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The role, `None` for an anonymous caller without public mode.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// The region scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// How the request was authenticated.
    pub fn via(&self) -> Via {
        self.via
    }

    /// Whether a user is logged in (by session or token).
    pub fn is_authenticated(&self) -> bool {
        self.user.is_some()
    }

    /// Whether the caller has `capability`.
    pub fn has(&self, capability: Capability) -> bool {
        self.role.is_some_and(|r| r.can(capability))
    }

    /// Whether the caller may see `region` (and has any access at all).
    pub fn can_see(&self, region: &RegionCode) -> bool {
        self.role.is_some() && self.scope.contains(region)
    }

    /// Ok when the caller has `capability`; otherwise why not.
    pub fn require(&self, capability: Capability) -> Result<(), Denied> {
        if self.has(capability) {
            return Ok(());
        }
        match &self.user {
            None => Err(Denied::Unauthenticated(format!(
                "this needs a login: sign in at /login or send 'Authorization: Bearer <token>' \
                 (capability {capability})"
            ))),
            Some(name) => Err(Denied::Forbidden(format!(
                "user {name:?} (role {}) does not have the {capability} capability",
                self.role.map_or("none", Role::as_str)
            ))),
        }
    }

    /// Ok when the caller may download `region`'s report: with the reports capability within
    /// their scope, or, when `own_region_reports` is on, as a signed-in user whose scope is a
    /// province or kab/kota containing `region` (a Bappeda's viewers and their own profile).
    pub fn require_region_report(
        &self,
        region: &RegionCode,
        own_region_reports: bool,
    ) -> Result<(), Denied> {
        let own = own_region_reports
            && self.is_authenticated()
            && matches!(self.scope, Scope::Region(_))
            && self.can_see(region);
        if own {
            return Ok(());
        }
        self.require(Capability::Reports)?;
        self.require_region(region)
    }

    /// Ok when the caller may see `region`; otherwise why not. Out-of-scope regions are
    /// refused whether or not they exist or have scores, so the answer reveals nothing about
    /// them.
    pub fn require_region(&self, region: &RegionCode) -> Result<(), Denied> {
        if self.can_see(region) {
            return Ok(());
        }
        match &self.user {
            None if self.role.is_none() => Err(Denied::Unauthenticated(
                "this needs a login: sign in at /login or send 'Authorization: Bearer <token>'"
                    .into(),
            )),
            None => Err(Denied::Unauthenticated(format!(
                "region {region} is outside public access (scope {}); sign in to see more",
                self.scope
            ))),
            Some(name) => Err(Denied::Forbidden(format!(
                "region {region} is outside the scope of user {name:?} ({})",
                describe_scope(&self.scope)
            ))),
        }
    }

    /// Ok when the caller may see every region (a national list, every source's uploads);
    /// otherwise why not.
    pub fn require_all_regions(&self) -> Result<(), Denied> {
        if self.role.is_some() && self.scope == Scope::All {
            return Ok(());
        }
        match &self.user {
            None if self.role.is_none() => Err(Denied::Unauthenticated(
                "this needs a login: sign in at /login or send 'Authorization: Bearer <token>'"
                    .into(),
            )),
            None => Err(Denied::Unauthenticated(format!(
                "this covers every region, beyond public access (scope {}); sign in to see more",
                self.scope
            ))),
            Some(name) => Err(Denied::Forbidden(format!(
                "this covers every region; user {name:?} may see {}",
                describe_scope(&self.scope)
            ))),
        }
    }

    /// The region a page opens on when none is asked for: `preferred` when the caller may see
    /// it, else the root of the caller's scope.
    pub fn default_region(&self, preferred: &RegionCode) -> RegionCode {
        match self.scope.root() {
            Some(root) if !self.scope.contains(preferred) => root.clone(),
            _ => preferred.clone(),
        }
    }
}

/// "all regions" or "35.09 and the regions within it".
pub fn describe_scope(scope: &Scope) -> String {
    match scope {
        Scope::All => "all regions".into(),
        Scope::Region(r) => format!("{r} and the regions within it"),
    }
}

#[cfg(test)]
mod tests;
