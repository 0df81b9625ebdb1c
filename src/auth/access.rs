//! The running server's access state: users, verified tokens and login sessions.
//!
//! argon2 verification costs tens of milliseconds by design, far too much per request when
//! charts are served at thousands per second. So a presented API token is verified once and
//! the outcome (the principal, or "invalid") remembered under the SHA-256 of the token; the
//! token itself is not kept. The memory is bounded: when it is full it is emptied, which costs
//! one more verification per token in use. Browser logins get a random 256-bit session id
//! that maps to the principal in memory, with an expiry; sessions do not survive a restart.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::users::{self, HashParams, Users};
use super::{Principal, Scope, Via};

/// Verified tokens remembered at most.
const MAX_VERIFIED: usize = 10_000;
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
        }
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
    verified: RwLock<HashMap<[u8; 32], Option<Principal>>>,
    sessions: RwLock<HashMap<String, Session>>,
    dummy_hash: OnceLock<String>,
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

impl Access {
    /// Access state for `settings`, with no token verified and no session yet.
    pub fn new(settings: AccessSettings) -> Access {
        Access {
            settings,
            verified: RwLock::new(HashMap::new()),
            sessions: RwLock::new(HashMap::new()),
            dummy_hash: OnceLock::new(),
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

    /// The remembered outcome for `token`: `Some(Some(p))` valid, `Some(None)` known invalid,
    /// `None` not verified yet. Cheap: one SHA-256 and a map lookup.
    pub fn cached_token(&self, token: &str) -> Option<Option<Principal>> {
        let key = digest(token);
        self.verified
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
    }

    /// Verify `token` against the users file (slow: argon2) and remember the outcome.
    pub fn verify_token(&self, token: &str) -> Option<Principal> {
        let users = &self.settings.users;
        let principal = users::token_id(token)
            .and_then(|id| users.token(id))
            .filter(|(_, record)| users::verify_secret(token, &record.hash))
            .and_then(|(user, _)| {
                Some(Principal::user(
                    users.shared_name(&user.name)?,
                    user.role,
                    user.scope(),
                    Via::Token,
                ))
            });
        let mut verified = self.verified.write().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= MAX_VERIFIED {
            verified.clear();
        }
        verified.insert(digest(token), principal.clone());
        principal
    }

    /// Check a login (slow: argon2). An unknown name costs the same as a wrong password, so
    /// the answer time does not tell which names exist.
    pub fn verify_password(&self, name: &str, password: &str) -> Option<Principal> {
        let users = &self.settings.users;
        match users.get(name) {
            Some(user) if user.password.is_some() => {
                let hash = user.password.as_deref().unwrap_or_default();
                if !users::verify_secret(password, hash) {
                    return None;
                }
                Some(Principal::user(
                    users.shared_name(&user.name)?,
                    user.role,
                    user.scope(),
                    Via::Session,
                ))
            }
            _ => {
                let dummy = self.dummy_hash.get_or_init(|| {
                    users::hash_secret("not a password", &self.settings.hash_params)
                        .unwrap_or_default()
                });
                let _ = users::verify_secret(password, dummy);
                None
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
