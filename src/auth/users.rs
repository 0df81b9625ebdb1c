//! The users file: names, roles, scopes, password hashes and API token hashes, in TOML.
//!
//! ```toml
//! [[user]]
//! name = "bappeda-jember"
//! role = "viewer"
//! region = "35.09"                     # scope; absent = all regions (viewer only)
//! password = "$argon2id$v=19$m=19456,t=2,p=1$…"
//!
//! [[user.token]]
//! id = "5f0c9a31d2e7"                  # the public part of the token, for lookup
//! hash = "$argon2id$v=19$…"
//! created = "2026-11-28T10:00:00+00:00"
//! ```
//!
//! Secrets are never stored: passwords and tokens are hashed with argon2id into PHC strings,
//! which carry their own parameters, so verifying never needs the configured ones. An API token
//! reads `kc_<id>_<secret>`; the id finds its hash without trying every user's. The file is
//! written by `kotacerdas user …`, atomically and readable by its owner only. This module does
//! not know about requests or sessions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::{Role, Scope};

/// Prefix of every API token, so a leaked one is recognisable (and greppable) as ours.
pub const TOKEN_PREFIX: &str = "kc_";

/// argon2id cost parameters for new hashes. The defaults are the OWASP recommendation for
/// argon2id (19 MiB, 2 passes, 1 lane): tens of milliseconds per hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl HashParams {
    /// The hasher, or why these parameters are unusable.
    pub fn hasher(&self) -> Result<Argon2<'static>, UsersError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| {
                UsersError::Hash(format!(
                    "argon2 parameters m={} KiB, t={}, p={} are not usable: {e}",
                    self.memory_kib, self.iterations, self.parallelism
                ))
            })?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Errors reading, checking or writing the users file.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The file could not be read or written.
    #[error("users file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("users file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, from the TOML parser.
        message: String,
    },
    /// An entry breaks a rule.
    #[error("users file {path}: user {user:?}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The user's name.
        user: String,
        /// What is wrong.
        message: String,
    },
    /// A command asked for a user that does not exist.
    #[error("no user {0:?} in the users file")]
    NoSuchUser(String),
    /// Hashing failed (bad parameters).
    #[error("{0}")]
    Hash(String),
}

/// One API token as stored: its id and the hash of the whole token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    /// The public part of the token (12 hex digits).
    pub id: String,
    /// argon2id PHC string of the whole token.
    pub hash: String,
    /// When it was made (RFC 3339).
    pub created: String,
}

/// One user as stored.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRecord {
    /// Login name: lower-case letters, digits, `.`, `_`, `-`.
    pub name: String,
    /// The role.
    pub role: Role,
    /// The scope: a province or kab/kota code; absent means all regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// argon2id PHC string of the password; absent for token-only (machine) users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// API tokens.
    #[serde(default, rename = "token", skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenRecord>,
}

// Hashes are not secrets, but they have no business in logs either.
impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("region", &self.region)
            .field("password", &self.password.as_ref().map(|_| "(hash)"))
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

impl UserRecord {
    /// The user's scope (checked when the file was read).
    pub fn scope(&self) -> Scope {
        self.region
            .as_deref()
            .and_then(|r| Scope::parse(r).ok())
            .unwrap_or(Scope::All)
    }
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default, rename = "user")]
    users: Vec<UserRecord>,
}

/// The users file, checked: names unique, roles and scopes consistent, hashes well-formed.
#[derive(Debug, Clone, Default)]
pub struct Users {
    path: PathBuf,
    records: Vec<UserRecord>,
    names: Arc<HashMap<String, Arc<str>>>,
    by_name: HashMap<String, usize>,
    by_token: HashMap<String, (usize, usize)>,
}

impl Users {
    /// Read `path`; a file that does not exist yet is an empty list (the CLI creates it).
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Users::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Users {
                path: path.to_path_buf(),
                ..Users::default()
            }),
            Err(source) => Err(UsersError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parse the text of the file at `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Users, UsersError> {
        let file: UsersFile = toml::from_str(text).map_err(|e| UsersError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Users::from_records(file.users, path)
    }

    fn from_records(records: Vec<UserRecord>, path: &Path) -> Result<Users, UsersError> {
        let mut users = Users {
            path: path.to_path_buf(),
            ..Users::default()
        };
        let mut names = HashMap::new();
        for (i, u) in records.iter().enumerate() {
            let invalid = |message: String| UsersError::Invalid {
                path: path.to_path_buf(),
                user: u.name.clone(),
                message,
            };
            check_name(&u.name).map_err(invalid)?;
            if users.by_name.insert(u.name.clone(), i).is_some() {
                return Err(invalid("the name appears twice".into()));
            }
            names.insert(u.name.clone(), Arc::from(u.name.as_str()));
            check_scope(u.role, u.region.as_deref()).map_err(invalid)?;
            if let Some(p) = &u.password {
                check_phc(p).map_err(|e| invalid(format!("password: {e}")))?;
            }
            for (j, t) in u.tokens.iter().enumerate() {
                if t.id.len() != 12 || !t.id.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(invalid(format!("token id {:?} is not 12 hex digits", t.id)));
                }
                check_phc(&t.hash).map_err(|e| invalid(format!("token {}: {e}", t.id)))?;
                if users.by_token.insert(t.id.clone(), (i, j)).is_some() {
                    return Err(invalid(format!("token id {} is used twice", t.id)));
                }
            }
        }
        users.records = records;
        users.names = Arc::new(names);
        Ok(users)
    }

    /// The file these users come from (and are saved to).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every user, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &UserRecord> {
        self.records.iter()
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no users.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The user called `name`.
    pub fn get(&self, name: &str) -> Option<&UserRecord> {
        self.by_name.get(name).map(|&i| &self.records[i])
    }

    /// A shared copy of the user's name (cheap to put in every request's principal).
    pub fn shared_name(&self, name: &str) -> Option<Arc<str>> {
        self.names.get(name).cloned()
    }

    /// The user holding the token with this id, and the token's record.
    pub fn token(&self, id: &str) -> Option<(&UserRecord, &TokenRecord)> {
        self.by_token
            .get(id)
            .map(|&(i, j)| (&self.records[i], &self.records[i].tokens[j]))
    }

    /// Add a user, with a password when one is given. The name must be new.
    pub fn add(
        &mut self,
        name: &str,
        role: Role,
        region: Option<&str>,
        password: Option<&str>,
        params: &HashParams,
    ) -> Result<(), UsersError> {
        let password = password.map(|p| hash_secret(p, params)).transpose()?;
        let mut records = self.records.clone();
        if self.get(name).is_some() {
            return Err(UsersError::Invalid {
                path: self.path.clone(),
                user: name.into(),
                message: "a user of that name exists already (remove it first)".into(),
            });
        }
        records.push(UserRecord {
            name: name.to_string(),
            role,
            region: region.map(|r| r.trim().to_string()),
            password,
            tokens: Vec::new(),
        });
        *self = Users::from_records(records, &self.path)?;
        Ok(())
    }

    /// Remove a user and its tokens.
    pub fn remove(&mut self, name: &str) -> Result<(), UsersError> {
        let i = *self
            .by_name
            .get(name)
            .ok_or_else(|| UsersError::NoSuchUser(name.into()))?;
        let mut records = self.records.clone();
        records.remove(i);
        *self = Users::from_records(records, &self.path)?;
        Ok(())
    }

    /// Make a new API token for `name`; returns the token, which is shown once and stored only
    /// as a hash.
    pub fn new_token(&mut self, name: &str, params: &HashParams) -> Result<String, UsersError> {
        let i = *self
            .by_name
            .get(name)
            .ok_or_else(|| UsersError::NoSuchUser(name.into()))?;
        let (id, token) = loop {
            let id = random_hex(6);
            if !self.by_token.contains_key(&id) {
                break (id.clone(), format!("{TOKEN_PREFIX}{id}_{}", random_hex(32)));
            }
        };
        let hash = hash_secret(&token, params)?;
        let mut records = self.records.clone();
        records[i].tokens.push(TokenRecord {
            id,
            hash,
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        *self = Users::from_records(records, &self.path)?;
        Ok(token)
    }

    /// The file's text.
    pub fn to_toml(&self) -> String {
        let file = UsersFile {
            users: self.records.clone(),
        };
        let body = toml::to_string_pretty(&file).unwrap_or_default();
        format!(
            "# kotacerdas users: written by `kotacerdas user add|token|remove`.\n\
             # Passwords and tokens are stored only as argon2id hashes.\n\n{body}"
        )
    }

    /// Write the file: a temporary file beside it, then a rename, so a reader never sees half a
    /// file. Readable and writable by its owner only.
    pub fn save(&self) -> Result<(), UsersError> {
        let io = |source| UsersError::Io {
            path: self.path.clone(),
            source,
        };
        let tmp = self.path.with_extension("toml.tmp");
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut f = options.open(&tmp).map_err(io)?;
            f.write_all(self.to_toml().as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io)
    }
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err("a name is 1–64 lower-case letters, digits, '.', '_' or '-'".into())
    }
}

/// Whether `role` may have the scope `region` (absent = all regions).
pub fn check_scope(role: Role, region: Option<&str>) -> Result<(), String> {
    let scope = match region {
        Some(r) => Scope::parse(r).map_err(|e| format!("region: {e}"))?,
        None => Scope::All,
    };
    match (role, &scope) {
        (r, Scope::Region(_)) if r.sees_all_regions() => Err(format!(
            "role {r} sees all regions: remove its region ({scope})"
        )),
        (Role::Steward, Scope::All) => {
            Err("a steward uploads for one region: give it a region (e.g. 35.09)".into())
        }
        _ => Ok(()),
    }
}

fn check_phc(phc: &str) -> Result<(), String> {
    let hash = PasswordHash::new(phc).map_err(|e| format!("not a PHC hash string: {e}"))?;
    if hash.algorithm.as_str().starts_with("argon2") {
        Ok(())
    } else {
        Err(format!(
            "hashed with {}, expected argon2id",
            hash.algorithm.as_str()
        ))
    }
}

/// `n` random bytes as lower-case hex, from the thread-local CSPRNG (ChaCha seeded by the OS).
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hash a secret into an argon2id PHC string with a fresh random salt.
pub fn hash_secret(secret: &str, params: &HashParams) -> Result<String, UsersError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| UsersError::Hash(e.to_string()))?;
    params
        .hasher()?
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Hash(format!("hashing failed: {e}")))
}

/// Whether `secret` matches the PHC string `phc` (with the parameters recorded in it).
/// Slow on purpose: run it off the async runtime.
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &hash)
            .is_ok()
    })
}

/// The id of a token of the form `kc_<id>_<secret>`, `None` when it has another shape.
pub fn token_id(token: &str) -> Option<&str> {
    let (id, secret) = token.strip_prefix(TOKEN_PREFIX)?.split_once('_')?;
    (id.len() == 12 && !secret.is_empty()).then_some(id)
}
