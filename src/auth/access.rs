//! The running server's access state: users, verified tokens, login sessions, and the limits on
//! checking secrets.
//!
//! **Where users and sessions are.** Users come from the users file (`[access] users =
//! "file"`, read at start) or from the database (`"database"`, read when needed, so a change
//! made with `kotacerdas user` on any machine applies to every instance without a restart).
//! Login sessions are always in the database ([`AccessStore`]): a login on one instance is
//! valid on every instance of the database, and a logout on any of them ends it everywhere.
//!
//! **What is remembered, and for how long.** argon2 verification costs tens of milliseconds and
//! its memory cost (19 MiB by default) by design, far too much per request when charts are
//! served at thousands per second. So a presented API token is verified once and, when valid,
//! remembered under the SHA-256 of the token (the token itself is not kept). With the users
//! file that is for the server's life: the file cannot change under it. With users in the
//! database a remembered token is checked against the database again when its last check is
//! older than `[access] recheck_seconds`: a removed token or user is refused, and a changed
//! role or scope applies, on every instance within that bound. Sessions are looked up in the
//! database and kept in memory for the same bound; a logout on this instance forgets its
//! session at once, a logout or a removal on another instance takes effect here within
//! `recheck_seconds` (0: every request asks the database). A session also ends when its user's
//! record no longer matches the [`stamp`](super::store::stamp) taken at login.
//!
//! Invalid tokens are remembered in a separate bounded table, so no number of them can push a
//! valid one out. Every verification, of a login or a token's first use, goes through the
//! [`Gate`] (a few at once, the rest refused as busy), and an unknown name or token id is
//! verified against a decoy hash of the same cost, so the time to refuse tells nothing. Failed
//! logins and failed token verifications count per client address, failed logins also per name
//! ([`limit`](super::limit)); those counts are per instance.
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
use super::store::{self, AccessStore, SessionRow, StoreError};
use super::users::{self, HashParams, StoredHash, UserRecord, Users};
use super::{Principal, Scope, Via};

/// `[access] recheck_seconds` by default.
pub const DEFAULT_RECHECK_SECS: u64 = 2;
/// Invalid tokens remembered at most (valid ones are bounded by the users file).
const MAX_INVALID: u64 = 10_000;
/// Sessions kept in memory at most (the database holds them all).
const MAX_CACHED_SESSIONS: u64 = 10_000;

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

/// Where the users are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSource {
    /// The users file, read at start (one instance, or the same file on every instance).
    #[default]
    File,
    /// The database's `users` and `user_tokens` tables, which every instance reads.
    Database,
}

impl FromStr for UserSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "file" => Ok(UserSource::File),
            "database" => Ok(UserSource::Database),
            other => Err(format!("{other:?}: expected file or database")),
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
    /// Where the users are.
    pub source: UserSource,
    /// The users of the users file (with [`UserSource::Database`] only its path, for
    /// `kotacerdas user migrate`).
    pub users: Arc<Users>,
    /// How long a session or a remembered token of a database user is trusted before the
    /// database is asked again; zero: every request asks.
    pub recheck: Duration,
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
            source: UserSource::File,
            users: Arc::new(Users::default()),
            recheck: Duration::from_secs(DEFAULT_RECHECK_SECS),
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
    /// The database of users and sessions could not be read or written (the cause is logged
    /// where it happened).
    #[error("the database of users and sessions is not available")]
    Database,
}

impl From<StoreError> for AccessError {
    fn from(e: StoreError) -> AccessError {
        tracing::error!(error = %e, "users and sessions: database failure");
        AccessError::Database
    }
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

/// A token verified with argon2, and when the database last confirmed it.
struct Remembered {
    principal: Principal,
    /// The hash it was verified against: a row with another hash is another token.
    hash: String,
    checked: Instant,
}

/// A session as this instance last read it from the database.
#[derive(Clone)]
struct CachedSession {
    principal: Principal,
    expires: Instant,
}

/// Users, verified tokens and sessions of a running server.
pub struct Access {
    settings: AccessSettings,
    store: AccessStore,
    valid_tokens: RwLock<HashMap<[u8; 32], Remembered>>,
    invalid_tokens: moka::sync::Cache<[u8; 32], ()>,
    /// `None` when `recheck` is zero: every lookup asks the database.
    sessions: Option<moka::sync::Cache<[u8; 32], CachedSession>>,
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
            .field("source", &self.settings.source)
            .field("users_file", &self.settings.users.len())
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

/// The session's end as an instant of this process, from its RFC 3339 text; an unreadable one
/// counts as ended.
fn instant_of(expires: &str) -> Instant {
    let left = chrono::DateTime::parse_from_rfc3339(expires)
        .ok()
        .and_then(|t| {
            (t.with_timezone(&chrono::Utc) - chrono::Utc::now())
                .to_std()
                .ok()
        })
        .unwrap_or_default();
    Instant::now() + left
}

impl Access {
    /// Access state for `settings`, with sessions (and, with [`UserSource::Database`], the
    /// users) on `store`; no token verified yet.
    pub async fn open(settings: AccessSettings, store: AccessStore) -> Result<Access, StoreError> {
        // The decoys cost what the installation's real hashes cost.
        let records: Vec<UserRecord> = match settings.source {
            UserSource::File => settings.users.iter().cloned().collect(),
            UserSource::Database => store.users().await?,
        };
        let password_decoy = decoy(
            records.iter().filter_map(|u| u.password.as_deref()),
            &settings.hash_params,
        );
        let token_decoy = decoy(
            records
                .iter()
                .flat_map(|u| u.tokens.iter().map(|t| t.hash.as_str())),
            &settings.hash_params,
        );
        let sessions = (!settings.recheck.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(MAX_CACHED_SESSIONS)
                .time_to_live(settings.recheck)
                .build()
        });
        Ok(Access {
            store,
            valid_tokens: RwLock::new(HashMap::new()),
            invalid_tokens: moka::sync::Cache::new(MAX_INVALID),
            sessions,
            gate: Arc::new(Gate::new(&settings.gate)),
            failed_names: Failures::new(settings.login_limits.per_name),
            failed_addresses: Failures::new(settings.login_limits.per_address),
            password_decoy,
            token_decoy,
            settings,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &AccessSettings {
        &self.settings
    }

    /// Who an anonymous caller is.
    pub fn anonymous(&self) -> Principal {
        Principal::anonymous(self.settings.public.as_ref())
    }

    /// What the verification gate has done so far.
    pub fn gate_stats(&self) -> GateStats {
        self.gate.stats()
    }

    /// The user called `name`, from the users file or the database.
    pub async fn find_user(&self, name: &str) -> Result<Option<UserRecord>, AccessError> {
        match self.settings.source {
            UserSource::File => Ok(self.settings.users.get(name).cloned()),
            UserSource::Database => Ok(self.store.user(name).await?),
        }
    }

    /// The holder of the token with this id, and the token's hash.
    async fn find_token(&self, id: &str) -> Result<Option<(UserRecord, String)>, AccessError> {
        match self.settings.source {
            UserSource::File => Ok(self
                .settings
                .users
                .token(id)
                .map(|(u, t)| (u.clone(), t.hash.clone()))),
            UserSource::Database => Ok(self.store.token(id).await?.map(|(u, t)| (u, t.hash))),
        }
    }

    /// `user` as a principal authenticated `via`.
    fn principal(&self, user: &UserRecord, via: Via) -> Principal {
        // With the users file every principal shares the file's copy of the name.
        let name = self
            .settings
            .users
            .shared_name(&user.name)
            .filter(|_| self.settings.source == UserSource::File)
            .unwrap_or_else(|| Arc::from(user.name.as_str()));
        Principal::user(name, user.role, user.scope(), via)
    }

    /// Whether a remembered token may be trusted without asking the database.
    fn fresh(&self, r: &Remembered) -> bool {
        self.settings.source == UserSource::File || r.checked.elapsed() < self.settings.recheck
    }

    /// The principal of a token verified before and still fresh (see the module's doc).
    /// Cheap: one SHA-256 and a map lookup.
    pub fn remembered_token(&self, token: &str) -> Option<Principal> {
        self.valid_tokens
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&digest(token))
            .filter(|r| self.fresh(r))
            .map(|r| r.principal.clone())
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

    /// A remembered token whose last check is too old, checked against the database again:
    /// `Some` with the outcome when the database decided it, `None` when it is no longer
    /// remembered (or never was) and must be verified.
    async fn recheck_token(
        &self,
        key: &[u8; 32],
        id: &str,
    ) -> Result<Option<Principal>, AccessError> {
        let hash = {
            let tokens = self.valid_tokens.read().unwrap_or_else(|e| e.into_inner());
            match tokens.get(key) {
                Some(r) => r.hash.clone(),
                None => return Ok(None),
            }
        };
        let stored_now = self.find_token(id).await?;
        let mut tokens = self.valid_tokens.write().unwrap_or_else(|e| e.into_inner());
        match stored_now {
            Some((user, stored)) if stored == hash => {
                let principal = self.principal(&user, Via::Token);
                tokens.insert(
                    *key,
                    Remembered {
                        principal: principal.clone(),
                        hash,
                        checked: Instant::now(),
                    },
                );
                Ok(Some(principal))
            }
            Some(_) => {
                // Another token under the same id: verify the one presented afresh.
                tokens.remove(key);
                Ok(None)
            }
            None => {
                // Revoked, or its user removed: refused from now on without argon2, and not
                // counted against the client, whose token was genuine until now.
                tokens.remove(key);
                self.invalid_tokens.insert(*key, ());
                Err(AccessError::InvalidToken)
            }
        }
    }

    /// Who `token` belongs to. A token seen before costs a hash and a lookup (and, for a user
    /// in the database, a query once per `recheck`); a new one is verified with argon2 through
    /// the gate (an unknown id against the decoy, at the same cost), unless its shape is wrong
    /// or `client` has failed too often.
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
        if let Some(principal) = self.recheck_token(&key, id).await? {
            return Ok(principal);
        }
        if self.invalid_tokens.contains_key(&key) {
            return Err(AccessError::InvalidToken);
        }
        self.address_refused(client, Instant::now())?;
        let holder = self.find_token(id).await?.and_then(|(user, stored)| {
            let hash = StoredHash::parse(&stored).ok()?;
            Some((self.principal(&user, Via::Token), stored, hash))
        });
        let (principal, hash) = match holder {
            Some((p, stored, h)) => (Some((p, stored)), h),
            None => (None, self.token_decoy.clone()),
        };
        let secret = token.to_string();
        let matches = self
            .gate
            .run(move |v| v.verify(secret.as_bytes(), &hash))
            .await?;
        match principal.filter(|_| matches) {
            Some((principal, stored)) => {
                self.valid_tokens
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(
                        key,
                        Remembered {
                            principal: principal.clone(),
                            hash: stored,
                            checked: Instant::now(),
                        },
                    );
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
        let holder = self.find_user(name).await?.and_then(|user| {
            let hash = StoredHash::parse(user.password.as_deref()?).ok()?;
            Some((self.principal(&user, Via::Session), hash))
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

    /// Start a session for the user `principal` names (as [`login`](Self::login) returned
    /// it), recorded in the database for `session_ttl`.
    pub async fn start_session(&self, principal: &Principal) -> Result<SessionId, AccessError> {
        let name = principal.name().ok_or(AccessError::WrongPassword)?;
        // Read again for the stamp: the session belongs to the record as it is now.
        let user = self
            .find_user(name)
            .await?
            .ok_or(AccessError::WrongPassword)?;
        let id = users::random_hex(32);
        let key = digest(&id);
        let ttl = self.settings.session_ttl;
        let expires = chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
        let expires = expires.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        self.store
            .insert_session(&store::hex(&key), &user, &expires)
            .await?;
        if let Some(cache) = &self.sessions {
            cache.insert(
                key,
                CachedSession {
                    principal: self.principal(&user, Via::Session),
                    expires: Instant::now() + ttl,
                },
            );
        }
        Ok(SessionId(id))
    }

    /// The principal of a live session: from memory when this instance read it within
    /// `recheck`, else from the database, refused when its user no longer matches the stamp.
    pub async fn session(&self, id: &str) -> Result<Option<Principal>, AccessError> {
        let key = digest(id);
        if let Some(cached) = self.sessions.as_ref().and_then(|c| c.get(&key)) {
            return Ok((cached.expires > Instant::now()).then_some(cached.principal));
        }
        let now = crate::db::now();
        let digest = store::hex(&key);
        let found: Option<(SessionRow, UserRecord)> = match self.settings.source {
            UserSource::File => self.store.session(&digest, &now).await?.and_then(|row| {
                let user = self.settings.users.get(&row.user)?.clone();
                Some((row, user))
            }),
            UserSource::Database => self.store.session_with_user(&digest, &now).await?,
        };
        let Some((row, user)) = found.filter(|(row, user)| row.stamp == store::stamp(user)) else {
            return Ok(None);
        };
        let principal = self.principal(&user, Via::Session);
        if let Some(cache) = &self.sessions {
            cache.insert(
                key,
                CachedSession {
                    principal: principal.clone(),
                    expires: instant_of(&row.expires),
                },
            );
        }
        Ok(Some(principal))
    }

    /// End a session (logout) on every instance: its row is deleted, and this instance forgets
    /// it at once. Unknown ids are ignored.
    pub async fn end_session(&self, id: &str) -> Result<(), AccessError> {
        let key = digest(id);
        if let Some(cache) = &self.sessions {
            cache.invalidate(&key);
        }
        self.store.delete_session(&store::hex(&key)).await?;
        Ok(())
    }
}
