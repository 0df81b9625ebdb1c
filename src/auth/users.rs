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
//! which carry their own parameters, so verifying never needs the configured ones. Only argon2id
//! is accepted: a file holding an argon2i or argon2d hash (or anything else) is refused at load
//! with the user and the line named, since those variants trade away resistance to either
//! side-channel or GPU attacks. An API token reads `kc_<id>_<secret>` (12 and 64 hex digits);
//! the id finds its hash without trying every user's. The file is written by
//! `kotacerdas user …`, atomically and readable by its owner only. This module does not know
//! about requests, sessions or how many verifications may run at once (see `gate`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
    #[error("users file {path}{}: user {user:?}: {message}", line.map(|n| format!(", line {n}")).unwrap_or_default())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The line of the offending value, when the entry was read from a file's text.
        line: Option<usize>,
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
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Users::empty(path)),
            Err(source) => Err(UsersError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// No users, to be saved at `path` (or only named there).
    pub fn empty(path: &Path) -> Users {
        Users {
            path: path.to_path_buf(),
            ..Users::default()
        }
    }

    /// Parse the text of the file at `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Users, UsersError> {
        let file: UsersFile = toml::from_str(text).map_err(|e| UsersError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Users::from_records(file.users, path, Some(text))
    }

    /// Check `records`; `text`, the file they were read from, lets an error name its line.
    fn from_records(
        records: Vec<UserRecord>,
        path: &Path,
        text: Option<&str>,
    ) -> Result<Users, UsersError> {
        let mut users = Users {
            path: path.to_path_buf(),
            ..Users::default()
        };
        let mut names = HashMap::new();
        for (i, u) in records.iter().enumerate() {
            // The line of the user's `name = …` (or of the offending value, when given).
            let quoted = format!("{:?}", u.name);
            let name_line = text.and_then(|t| {
                t.lines()
                    .position(|l| l.trim_start().starts_with("name") && l.contains(&quoted))
                    .map(|i| i + 1)
            });
            let invalid_at = |line: Option<usize>, message: String| UsersError::Invalid {
                path: path.to_path_buf(),
                line: line.or(name_line),
                user: u.name.clone(),
                message,
            };
            let invalid = |message: String| invalid_at(None, message);
            let value_line = |value: &str| text.and_then(|t| line_of(t, value));
            check_name(&u.name).map_err(invalid)?;
            if users.by_name.insert(u.name.clone(), i).is_some() {
                return Err(invalid("the name appears twice".into()));
            }
            names.insert(u.name.clone(), Arc::from(u.name.as_str()));
            check_scope(u.role, u.region.as_deref()).map_err(invalid)?;
            if let Some(p) = &u.password {
                StoredHash::parse(p)
                    .map_err(|e| invalid_at(value_line(p), format!("password: {e}")))?;
            }
            for (j, t) in u.tokens.iter().enumerate() {
                if t.id.len() != 12 || !t.id.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(invalid_at(
                        value_line(&t.id),
                        format!("token id {:?} is not 12 hex digits", t.id),
                    ));
                }
                StoredHash::parse(&t.hash)
                    .map_err(|e| invalid_at(value_line(&t.hash), format!("token {}: {e}", t.id)))?;
                if users.by_token.insert(t.id.clone(), (i, j)).is_some() {
                    return Err(invalid_at(
                        value_line(&t.id),
                        format!("token id {} is used twice", t.id),
                    ));
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
                line: None,
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
        *self = Users::from_records(records, &self.path, None)?;
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
        *self = Users::from_records(records, &self.path, None)?;
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
        *self = Users::from_records(records, &self.path, None)?;
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

/// Whether a record read from elsewhere than a file (the database) keeps the users file's
/// rules: its name, role and scope, its password hash and its tokens.
pub fn check_record(u: &UserRecord) -> Result<(), String> {
    check_name(&u.name)?;
    check_scope(u.role, u.region.as_deref())?;
    if let Some(p) = &u.password {
        StoredHash::parse(p).map_err(|e| format!("password: {e}"))?;
    }
    u.tokens.iter().try_for_each(check_token)
}

/// Whether a token record has a 12-hex-digit id and an argon2id hash.
pub fn check_token(t: &TokenRecord) -> Result<(), String> {
    if t.id.len() != 12 || !t.id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("token id {:?} is not 12 hex digits", t.id));
    }
    StoredHash::parse(&t.hash)
        .map(|_| ())
        .map_err(|e| format!("token {}: {e}", t.id))
}

/// A new user record, checked, with its password hashed when one is given.
pub fn new_record(
    name: &str,
    role: Role,
    region: Option<&str>,
    password: Option<&str>,
    params: &HashParams,
) -> Result<UserRecord, String> {
    check_name(name)?;
    let region = region.map(|r| r.trim().to_string());
    check_scope(role, region.as_deref())?;
    let password = password
        .map(|p| hash_secret(p, params))
        .transpose()
        .map_err(|e| e.to_string())?;
    Ok(UserRecord {
        name: name.to_string(),
        role,
        region,
        password,
        tokens: Vec::new(),
    })
}

/// A new API token: the token itself, shown once, and its record, which holds only its hash.
pub fn new_token_record(params: &HashParams) -> Result<(String, TokenRecord), UsersError> {
    let id = random_hex(6);
    let token = format!("{TOKEN_PREFIX}{id}_{}", random_hex(32));
    let hash = hash_secret(&token, params)?;
    let record = TokenRecord {
        id,
        hash,
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    Ok((token, record))
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

/// The 1-based line of the first line of `text` holding `needle`, for error messages.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

/// A stored argon2id hash, parsed: what a verification needs, checked once.
///
/// Only argon2id (version 0x13 or 0x10) is accepted. argon2i and argon2d are refused rather
/// than verified: the users file is written by `kotacerdas user`, which only makes argon2id, so
/// another variant means a hash from elsewhere that gives up argon2id's combined resistance.
#[derive(Debug, Clone)]
pub struct StoredHash {
    params: Params,
    version: Version,
    salt: Vec<u8>,
    hash: Output,
}

impl StoredHash {
    /// Parse a PHC string; an error says what is wrong in a sentence.
    pub fn parse(phc: &str) -> Result<StoredHash, String> {
        let parsed = PasswordHash::new(phc).map_err(|e| format!("not a PHC hash string: {e}"))?;
        let algorithm = parsed.algorithm.as_str();
        if algorithm != "argon2id" {
            return Err(format!(
                "hashed with {algorithm}, but only argon2id is accepted: set a new password or \
                 make a new token with `kotacerdas user`"
            ));
        }
        let version = match parsed.version {
            None => Version::V0x13,
            Some(v) => {
                Version::try_from(v).map_err(|_| format!("argon2id version {v} is not 16 or 19"))?
            }
        };
        let params = Params::try_from(&parsed).map_err(|e| format!("argon2id parameters: {e}"))?;
        let salt = parsed.salt.ok_or("the hash has no salt")?;
        let mut buf = [0u8; 64];
        let salt = salt
            .decode_b64(&mut buf)
            .map_err(|e| format!("the salt is not valid: {e}"))?
            .to_vec();
        if salt.len() < argon2::MIN_SALT_LEN {
            return Err(format!(
                "the salt has {} bytes, at least {} are needed",
                salt.len(),
                argon2::MIN_SALT_LEN
            ));
        }
        let hash = parsed.hash.ok_or("the hash has no output")?;
        Ok(StoredHash {
            params,
            version,
            salt,
            hash,
        })
    }

    /// A hash that nothing matches, at the cost of `params`: verifying against it costs what
    /// verifying against a real hash of that cost does, so an unknown name or token id takes
    /// as long to refuse as a wrong password.
    pub fn decoy(params: Params) -> StoredHash {
        StoredHash {
            params,
            version: Version::V0x13,
            salt: vec![0x5a; argon2::RECOMMENDED_SALT_LEN],
            // The all-zero output: argon2's output is a hash, so no secret produces it.
            hash: Output::new(&[0u8; Params::DEFAULT_OUTPUT_LEN])
                .expect("32 bytes is a valid argon2 output length"),
        }
    }

    /// The cost parameters recorded in the hash.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// argon2 blocks (1 KiB each) a verification of this hash needs.
    pub fn blocks(&self) -> usize {
        self.params.block_count()
    }

    /// Whether `secret` matches, computed in `memory` (grown when it is too small, never
    /// shrunk, so the caller can keep it for the next verification). Constant-time comparison.
    pub fn verify_in(&self, secret: &[u8], memory: &mut Vec<Block>) -> bool {
        let need = self.blocks();
        if memory.len() < need {
            memory.resize(need, Block::default());
        }
        let argon = Argon2::new(Algorithm::Argon2id, self.version, self.params.clone());
        let mut out = [0u8; 64];
        let out = &mut out[..self.hash.len()];
        argon
            .hash_password_into_with_memory(secret, &self.salt, out, &mut memory[..need])
            .is_ok()
            && Output::new(out).is_ok_and(|o| o == self.hash)
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

/// Whether `secret` matches the PHC string `phc` (argon2id only, with the parameters recorded
/// in it). Slow on purpose and allocates the hash's memory: the server verifies through the
/// gate (`Access`) instead; this is for the command line and tests.
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    StoredHash::parse(phc).is_ok_and(|hash| hash.verify_in(secret.as_bytes(), &mut Vec::new()))
}

/// The id of a token of the form `kc_<id>_<secret>` (12 and 64 lower-case hex digits, as
/// `kotacerdas user token` makes them), `None` when it has another shape. The shape is public,
/// so refusing a malformed token without hashing it tells nobody anything.
pub fn token_id(token: &str) -> Option<&str> {
    let (id, secret) = token.strip_prefix(TOKEN_PREFIX)?.split_once('_')?;
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (hex(id, 12) && hex(secret, 64)).then_some(id)
}
