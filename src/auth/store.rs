//! The database side of access: login sessions, and the users and their API tokens when
//! `[access] users = "database"` (tables of `migrations/0003_users_and_sessions.sql`).
//!
//! Sessions are stored for every installation, whatever the users' source, so a login on one
//! instance is valid on every instance of the database and a logout ends it everywhere. A
//! session row holds the SHA-256 of the session id (never the id), the user's name, a
//! [`stamp`] of the user's record at login and a fixed expiry; a session whose user no longer
//! matches its stamp (removed, added again, another role or scope, a new password) is refused.
//! Users and tokens hold what the users file holds: argon2id PHC strings and nothing secret.
//! Rows are checked with the users file's rules when read, so a hand-edited row is refused with
//! its user named rather than trusted.
//!
//! This module runs queries and checks rows; it does not verify secrets, count failures or
//! remember anything between calls (that is `access`), and knows nothing about HTTP.

use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Role;
use super::users::{self, TokenRecord, UserRecord, UsersError};
use crate::db::{Db, DbError, Target};

/// Why a query on users or sessions failed, or a row or a change breaks a rule.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Opening or migrating the database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A query failed.
    #[error("query on users or sessions failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A stored user breaks a rule of the users file (a bad role, scope or hash).
    #[error("user {user:?} in the database: {message}")]
    Invalid {
        /// The user's name.
        user: String,
        /// What is wrong.
        message: String,
    },
    /// A command asked for a user that is not in the database.
    #[error("no user {0:?} in the database")]
    NoSuchUser(String),
    /// Users (or token ids) that are in the database already.
    #[error("already in the database: {0} (remove them first, or leave them as they are)")]
    Exists(String),
    /// Hashing a new secret failed.
    #[error(transparent)]
    Users(#[from] UsersError),
}

type Result<T> = std::result::Result<T, StoreError>;

/// What a session row says, checked against the user when it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The user signed in.
    pub user: String,
    /// [`stamp`] of the user's record at login.
    pub stamp: String,
    /// When it ends (UTC, RFC 3339).
    pub expires: String,
}

/// The SHA-256 (hex) of a user's name, role, scope and password hash: what a session was
/// granted to. Token lists are left out, so a new token does not end the user's sessions.
pub fn stamp(user: &UserRecord) -> String {
    let mut h = Sha256::new();
    for part in [
        user.name.as_str(),
        user.role.as_str(),
        user.region.as_deref().unwrap_or(""),
        user.password.as_deref().unwrap_or(""),
    ] {
        // Length-prefixed, so no two records share the bytes hashed.
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex(&h.finalize())
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Users, tokens and sessions on the database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AccessStore {
    db: Db,
}

fn user_of(row: &AnyRow) -> Result<UserRecord> {
    let name: String = row.try_get("name")?;
    let role: String = row.try_get("role")?;
    let invalid = |message: String| StoreError::Invalid {
        user: name.clone(),
        message,
    };
    let role: Role = role
        .parse()
        .map_err(|e: super::UnknownRole| invalid(e.to_string()))?;
    let user = UserRecord {
        name: name.clone(),
        role,
        region: row.try_get("region")?,
        password: row.try_get("password")?,
        tokens: Vec::new(),
    };
    users::check_record(&user).map_err(invalid)?;
    Ok(user)
}

impl AccessStore {
    /// On `db` (opened and migrated).
    pub fn new(db: Db) -> AccessStore {
        AccessStore { db }
    }

    /// Open the configured database as the server does (migrating it), for the command line.
    pub async fn open(target: &Target, max_connections: u32) -> Result<AccessStore> {
        Ok(AccessStore::new(Db::open(target, max_connections).await?))
    }

    /// The database, for logs (its file or redacted URL).
    pub fn target(&self) -> &str {
        self.db.target()
    }

    /// Record a session (by the digest of its id) that ends at `expires`, and drop the expired
    /// ones on the way, so the table holds live sessions and those of the last login's moment.
    pub async fn insert_session(
        &self,
        digest: &str,
        user: &UserRecord,
        expires: &str,
    ) -> Result<()> {
        let now = crate::db::now();
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (digest, user_name, user_stamp, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(digest)
        .bind(&user.name)
        .bind(stamp(user))
        .bind(&now)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session with this digest (not expired at `now`), as stored.
    pub async fn session(&self, digest: &str, now: &str) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT user_name, user_stamp, expires_at FROM sessions \
             WHERE digest = $1 AND expires_at > $2",
        )
        .bind(digest)
        .bind(now)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                user: r.try_get("user_name")?,
                stamp: r.try_get("user_stamp")?,
                expires: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// The live session with this digest and its user as the database has it now, in one
    /// query (users in the database).
    pub async fn session_with_user(
        &self,
        digest: &str,
        now: &str,
    ) -> Result<Option<(SessionRow, UserRecord)>> {
        let row = sqlx::query(
            "SELECT s.user_stamp, s.expires_at, u.name, u.role, u.region, u.password \
             FROM sessions s JOIN users u ON u.name = s.user_name \
             WHERE s.digest = $1 AND s.expires_at > $2",
        )
        .bind(digest)
        .bind(now)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            let user = user_of(&r)?;
            let session = SessionRow {
                user: user.name.clone(),
                stamp: r.try_get("user_stamp")?,
                expires: r.try_get("expires_at")?,
            };
            Ok((session, user))
        })
        .transpose()
    }

    /// End the session with this digest; an unknown one is no error.
    pub async fn delete_session(&self, digest: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE digest = $1")
            .bind(digest)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Every user with its tokens, by name.
    pub async fn users(&self) -> Result<Vec<UserRecord>> {
        let mut users = sqlx::query("SELECT name, role, region, password FROM users ORDER BY name")
            .fetch_all(self.db.pool())
            .await?
            .iter()
            .map(user_of)
            .collect::<Result<Vec<_>>>()?;
        let tokens = sqlx::query(
            "SELECT id, user_name, hash, created_at FROM user_tokens ORDER BY created_at, id",
        )
        .fetch_all(self.db.pool())
        .await?;
        for row in tokens {
            let owner: String = row.try_get("user_name")?;
            let token = TokenRecord {
                id: row.try_get("id")?,
                hash: row.try_get("hash")?,
                created: row.try_get("created_at")?,
            };
            if let Some(u) = users.iter_mut().find(|u| u.name == owner) {
                u.tokens.push(token);
            }
        }
        Ok(users)
    }

    /// The user called `name` (without its tokens).
    pub async fn user(&self, name: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query("SELECT name, role, region, password FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(self.db.pool())
            .await?;
        row.as_ref().map(user_of).transpose()
    }

    /// The user holding the token with this id (without its tokens), and the token.
    pub async fn token(&self, id: &str) -> Result<Option<(UserRecord, TokenRecord)>> {
        let row = sqlx::query(
            "SELECT u.name, u.role, u.region, u.password, t.id, t.hash, t.created_at \
             FROM user_tokens t JOIN users u ON u.name = t.user_name WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            let user = user_of(&r)?;
            let token = TokenRecord {
                id: r.try_get("id")?,
                hash: r.try_get("hash")?,
                created: r.try_get("created_at")?,
            };
            users::check_token(&token).map_err(|message| StoreError::Invalid {
                user: user.name.clone(),
                message,
            })?;
            Ok((user, token))
        })
        .transpose()
    }

    /// Add users with their tokens, all or none: refused, naming them, when any name or token
    /// id is in the database already. Each record is checked with the users file's rules.
    pub async fn insert_users(&self, records: &[UserRecord]) -> Result<()> {
        for u in records {
            users::check_record(u).map_err(|message| StoreError::Invalid {
                user: u.name.clone(),
                message,
            })?;
        }
        let mut tx = self.db.begin_write().await?;
        let mut taken = Vec::new();
        for u in records {
            if exists(&mut tx, "SELECT name FROM users WHERE name = $1", &u.name).await? {
                taken.push(format!("user {}", u.name));
            }
            for t in &u.tokens {
                if exists(&mut tx, "SELECT id FROM user_tokens WHERE id = $1", &t.id).await? {
                    taken.push(format!("token {} of {}", t.id, u.name));
                }
            }
        }
        if !taken.is_empty() {
            return Err(StoreError::Exists(taken.join(", ")));
        }
        let now = crate::db::now();
        for u in records {
            sqlx::query(
                "INSERT INTO users (name, role, region, password, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&u.name)
            .bind(u.role.as_str())
            .bind(u.region.as_deref())
            .bind(u.password.as_deref())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            for t in &u.tokens {
                insert_token(&mut tx, &u.name, t).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Add a token to the user called `name`.
    pub async fn insert_token(&self, name: &str, token: &TokenRecord) -> Result<()> {
        users::check_token(token).map_err(|message| StoreError::Invalid {
            user: name.into(),
            message,
        })?;
        let mut tx = self.db.begin_write().await?;
        if !exists(&mut tx, "SELECT name FROM users WHERE name = $1", name).await? {
            return Err(StoreError::NoSuchUser(name.into()));
        }
        if exists(
            &mut tx,
            "SELECT id FROM user_tokens WHERE id = $1",
            &token.id,
        )
        .await?
        {
            return Err(StoreError::Exists(format!("token {}", token.id)));
        }
        insert_token(&mut tx, name, token).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remove the user called `name`, its tokens and its sessions, in one transaction: every
    /// instance refuses them from its next check of the database on.
    pub async fn remove_user(&self, name: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        for sql in [
            "DELETE FROM sessions WHERE user_name = $1",
            "DELETE FROM user_tokens WHERE user_name = $1",
        ] {
            sqlx::query(sql).bind(name).execute(&mut *tx).await?;
        }
        let removed = sqlx::query("DELETE FROM users WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed == 0 {
            return Err(StoreError::NoSuchUser(name.into()));
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Whether `sql` (a `SELECT … WHERE key = $1`) finds a row for `key`.
async fn exists(conn: &mut AnyConnection, sql: &str, key: &str) -> Result<bool> {
    Ok(sqlx::query(sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

async fn insert_token(conn: &mut AnyConnection, name: &str, t: &TokenRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO user_tokens (id, user_name, hash, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&t.id)
    .bind(name)
    .bind(&t.hash)
    .bind(&t.created)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
