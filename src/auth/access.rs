//! The running server's access state: users, verified tokens, login sessions, and the limits on
//! checking secrets.
//!
//! argon2 verification costs tens of milliseconds and its memory cost (19 MiB by default) by
//! design, far too much per request when charts are served at thousands per second. So a
//! presented API token is verified once and, when valid, remembered under the SHA-256 of the
//! token (the token itself is not kept); that table cannot grow past the number of tokens in
//! the users file. Invalid tokens are remembered in a separate bounded table, so no number of
//! them can push a valid one out. Every verification, of a login or a token's first use, goes
//! through the [`Gate`] (a few at once, the rest refused as busy), and an unknown name or token
//! id is verified against a decoy hash of the same cost, so the time to refuse tells nothing.
//! Failed logins and failed token verifications count per client address, failed logins also
//! per name ([`limit`](super::limit)). Browser logins get a random 256-bit session id that maps
//! to the principal in memory, with an expiry; sessions do not survive a restart.
//!
//! This module knows nothing about HTTP: the caller passes the client's address, and the server
//! turns [`AccessError`] into statuses.

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use argon2::Params;
use sha2::{Digest, Sha256};

use super::gate::{Gate, GateError, GateSettings, GateStats};
use super::limit::{self, Failures, LoginLimits};
use super::users::{self, HashParams, StoredHash, Users};
use super::{Principal, Scope, Via};

/// Invalid tokens remembered at most (valid ones are bounded by the users file).
const MAX_INVALID: u64 = 10_000;
/// Live sessions kept at most; past this the one closest to expiry is dropped.
const MAX_SESSIONS: usize = 10_000;

/// When session cookies carry the `Secure` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecureCookies {
    /// When the request came through a TLS-terminating proxy that says so with
    /// `X-Forwarded-Proto: https` (the server itself speaks plain HTTP).
    #[default]
    Auto,
    /// Always (the service is only reachable over HTTPS).
    Always,
    /// Never (plain HTTP on a trusted network).
    Never,
}

impl FromStr for SecureCookies {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(SecureCookies::Auto),
            "always" | "true" => Ok(SecureCookies::Always),
            "never" | "false" => Ok(SecureCookies::Never),
            other => Err(format!("{other:?}: expected auto, always or never")),
        }
    }
}

/// The validated `[access]` settings.
#[derive(Debug, Clone)]
pub struct AccessSettings {
    /// Public read-only mode: anonymous callers are viewers within this scope. `None`: off.
    pub public: Option<Scope>,
    /// How long a login lasts.
    pub session_ttl: Duration,
    /// When cookies are marked `Secure`.
    pub secure_cookies: SecureCookies,
    /// argon2id parameters for new hashes (`kotacerdas user …`).
    pub hash_params: HashParams,
    /// The users.
    pub users: Arc<Users>,
    /// Signed-in users scoped to a province or kab/kota (viewers, stewards) may download the
    /// report of a region within their scope, though their role lacks the reports capability.
    /// Cohort reports stay with evaluators and admins.
    pub own_region_reports: bool,
    /// Failed logins allowed per name and per client address.
    pub login_limits: LoginLimits,
    /// Proxies whose `X-Forwarded-For` names the client; empty: the peer is the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// How many argon2 verifications run at once, and how long others wait.
    pub gate: GateSettings,
}

impl Default for AccessSettings {
    fn default() -> Self {
        AccessSettings {
            public: None,
            session_ttl: Duration::from_secs(8 * 3600),
            secure_cookies: SecureCookies::Auto,
            hash_params: HashParams::default(),
            users: Arc::new(Users::default()),
            own_region_reports: false,
            login_limits: LoginLimits::default(),
            trusted_proxies: Vec::new(),
            gate: GateSettings::default(),
        }
    }
}

/// Why a login or a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// The name is unknown or the password wrong (which of the two is not said).
    #[error("wrong user name or password")]
    WrongPassword,
    /// The token does not match any stored one.
    #[error("the API token is not valid (or was revoked)")]
    InvalidToken,
    /// The token does not have the shape of one (no argon2 was spent on it).
    #[error("the API token is malformed: a token reads kc_<12 hex digits>_<64 hex digits>")]
    MalformedToken,
    /// Too many failures for this name or address lately.
    #[error("too many failed sign-ins for this {by}; try again in {} s", retry_after.as_secs())]
    TooManyFailures {
        /// Whether the name's or the address's count ran out.
        by: Counted,
        /// When the window ends.
        retry_after: Duration,
    },
    /// The verification gate is full.
    #[error(transparent)]
    Gate(#[from] GateError),
}

/// What failures are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// The user name typed.
    Name,
    /// The client's address.
    Address,
}

impl std::fmt::Display for Counted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Counted::Name => "user name",
            Counted::Address => "address",
        })
    }
}

/// A login session's id: 256 random bits as hex, the value of the session cookie.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// The cookie value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

struct Session {
    principal: Principal,
    expires: Instant,
}

/// Users, verified tokens and sessions of a running server.
pub struct Access {
    settings: AccessSettings,
    valid_tokens: RwLock<HashMap<[u8; 32], Principal>>,
    invalid_tokens: moka::sync::Cache<[u8; 32], ()>,
    sessions: RwLock<HashMap<String, Session>>,
    gate: Arc<Gate>,
    failed_names: Failures<String>,
    failed_addresses: Failures<IpAddr>,
    password_decoy: StoredHash,
    token_decoy: StoredHash,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("public", &self.settings.public)
            .field("users", &self.settings.users.len())
            .finish_non_exhaustive()
    }
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A decoy at the cost of the first stored hash that `hashes` yields (hashes made by one
/// installation share a cost), else at the configured cost.
fn decoy<'a>(mut hashes: impl Iterator<Item = &'a str>, configured: &HashParams) -> StoredHash {
    let params = hashes
        .find_map(|h| StoredHash::parse(h).ok())
        .map(|h| h.params().clone())
        .or_else(|| configured.hasher().ok().map(|a| a.params().clone()))
        .unwrap_or_default();
    // The stored hash's output length is part of its parameters; the decoy's output is the
    // default length, and argon2 refuses a mismatch, so it is dropped here.
    let params =
        Params::new(params.m_cost(), params.t_cost(), params.p_cost(), None).unwrap_or_default();
    StoredHash::decoy(params)
}

impl Access {
    /// Access state for `settings`, with no token verified and no session yet.
    pub fn new(settings: AccessSettings) -> Access {
        let users = &settings.users;
        let password_decoy = decoy(
            users.iter().filter_map(|u| u.password.as_deref()),
            &settings.hash_params,
        );
        let token_decoy = decoy(
            users
                .iter()
                .flat_map(|u| u.tokens.iter().map(|t| t.hash.as_str())),
            &settings.hash_params,
        );
        Access {
            valid_tokens: RwLock::new(HashMap::new()),
            invalid_tokens: moka::sync::Cache::new(MAX_INVALID),
            sessions: RwLock::new(HashMap::new()),
            gate: Arc::new(Gate::new(&settings.gate)),
            failed_names: Failures::new(settings.login_limits.per_name),
            failed_addresses: Failures::new(settings.login_limits.per_address),
            password_decoy,
            token_decoy,
            settings,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &AccessSettings {
        &self.settings
    }

    /// The users.
    pub fn users(&self) -> &Users {
        &self.settings.users
    }

    /// Who an anonymous caller is.
    pub fn anonymous(&self) -> Principal {
        Principal::anonymous(self.settings.public.as_ref())
    }

    /// What the verification gate has done so far.
    pub fn gate_stats(&self) -> GateStats {
        self.gate.stats()
    }

    /// The principal of a token verified before. Cheap: one SHA-256 and a map lookup.
    pub fn remembered_token(&self, token: &str) -> Option<Principal> {
        self.valid_tokens
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&digest(token))
            .cloned()
    }

    /// How long `client` is still refused for its failures, if it is.
    fn address_refused(&self, client: Option<IpAddr>, now: Instant) -> Result<(), AccessError> {
        let refused = client.and_then(|c| {
            self.failed_addresses
                .refused_for(&limit::address_key(c), now)
        });
        match refused {
            Some(retry_after) => Err(AccessError::TooManyFailures {
                by: Counted::Address,
                retry_after,
            }),
            None => Ok(()),
        }
    }

    fn address_failed(&self, client: Option<IpAddr>) {
        if let Some(c) = client {
            self.failed_addresses
                .fail(limit::address_key(c), Instant::now());
        }
    }

    /// Who `token` belongs to. A token seen before costs a hash and a lookup; a new one is
    /// verified with argon2 through the gate (an unknown id against the decoy, at the same
    /// cost), unless its shape is wrong or `client` has failed too often.
    pub async fn authenticate_token(
        &self,
        token: &str,
        client: Option<IpAddr>,
    ) -> Result<Principal, AccessError> {
        let id = users::token_id(token).ok_or(AccessError::MalformedToken)?;
        if let Some(principal) = self.remembered_token(token) {
            return Ok(principal);
        }
        let key = digest(token);
        if self.invalid_tokens.contains_key(&key) {
            return Err(AccessError::InvalidToken);
        }
        self.address_refused(client, Instant::now())?;
        let users = &self.settings.users;
        let holder = users.token(id).and_then(|(user, record)| {
            let principal = Principal::user(
                users.shared_name(&user.name)?,
                user.role,
                user.scope(),
                Via::Token,
            );
            Some((principal, StoredHash::parse(&record.hash).ok()?))
        });
        let (principal, hash) = match holder {
            Some((p, h)) => (Some(p), h),
            None => (None, self.token_decoy.clone()),
        };
        let secret = token.to_string();
        let matches = self
            .gate
            .run(move |v| v.verify(secret.as_bytes(), &hash))
            .await?;
        match principal.filter(|_| matches) {
            Some(principal) => {
                self.valid_tokens
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, principal.clone());
                Ok(principal)
            }
            None => {
                self.invalid_tokens.insert(key, ());
                self.address_failed(client);
                Err(AccessError::InvalidToken)
            }
        }
    }

    /// Check a login: refused at once when the name or `client` has failed too often, else
    /// verified with argon2 through the gate. An unknown name costs the same as a wrong
    /// password, so the answer time does not tell which names exist.
    pub async fn login(
        &self,
        name: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<Principal, AccessError> {
        let now = Instant::now();
        let name_key = limit::name_key(name);
        if let Some(retry_after) = self.failed_names.refused_for(&name_key, now) {
            return Err(AccessError::TooManyFailures {
                by: Counted::Name,
                retry_after,
            });
        }
        self.address_refused(client, now)?;
        let users = &self.settings.users;
        let holder = users.get(name).and_then(|user| {
            let principal = Principal::user(
                users.shared_name(&user.name)?,
                user.role,
                user.scope(),
                Via::Session,
            );
            Some((
                principal,
                StoredHash::parse(user.password.as_deref()?).ok()?,
            ))
        });
        let (principal, hash) = match holder {
            Some((p, h)) => (Some(p), h),
            None => (None, self.password_decoy.clone()),
        };
        let secret = password.to_string();
        let matches = self
            .gate
            .run(move |v| v.verify(secret.as_bytes(), &hash))
            .await?;
        match principal.filter(|_| matches) {
            Some(principal) => {
                self.failed_names.clear(&name_key);
                Ok(principal)
            }
            None => {
                self.failed_names.fail(name_key, Instant::now());
                self.address_failed(client);
                Err(AccessError::WrongPassword)
            }
        }
    }

    /// Start a session for `principal`.
    pub fn start_session(&self, principal: Principal) -> SessionId {
        let id = users::random_hex(32);
        let now = Instant::now();
        let mut sessions = self.sessions.write().unwrap_or_else(|e| e.into_inner());
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, s| s.expires > now);
        }
        if sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
        {
            sessions.remove(&oldest);
        }
        sessions.insert(
            id.clone(),
            Session {
                principal: principal.with_via(Via::Session),
                expires: now + self.settings.session_ttl,
            },
        );
        SessionId(id)
    }

    /// The principal of a live session.
    pub fn session(&self, id: &str) -> Option<Principal> {
        let sessions = self.sessions.read().unwrap_or_else(|e| e.into_inner());
        sessions
            .get(id)
            .filter(|s| s.expires > Instant::now())
            .map(|s| s.principal.clone())
    }

    /// End a session (logout). Unknown ids are ignored.
    pub fn end_session(&self, id: &str) {
        self.sessions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}
