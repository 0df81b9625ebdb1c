//! Users, tokens and sessions on a real database: SQLite always, PostgreSQL in a schema of its
//! own when `KOTACERDAS_TEST_POSTGRES_URL` is set. Two [`Access`] values on one database stand
//! for two instances behind a load balancer.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::auth::users::{HashParams, Users};
use crate::auth::{Access, AccessError, AccessSettings, Principal, UserSource, Via};
use crate::db::testing::databases;

const CHEAP: HashParams = HashParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

/// Two users with a password and a token each: (records, admin's token, viewer's token).
fn people() -> (Vec<UserRecord>, String, String) {
    let mut users = Users::default();
    users
        .add("admin", Role::Admin, None, Some("kata-sandi-1"), &CHEAP)
        .unwrap();
    users
        .add(
            "bappeda-jember",
            Role::Viewer,
            Some("35.09"),
            Some("kata-sandi-2"),
            &CHEAP,
        )
        .unwrap();
    let admin = users.new_token("admin", &CHEAP).unwrap();
    let viewer = users.new_token("bappeda-jember", &CHEAP).unwrap();
    (users.iter().cloned().collect(), admin, viewer)
}

async fn instance(store: &AccessStore, recheck: Duration) -> Access {
    Access::open(
        AccessSettings {
            source: UserSource::Database,
            recheck,
            hash_params: CHEAP,
            ..AccessSettings::default()
        },
        store.clone(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn users_and_tokens_are_stored_all_or_none_and_removed_with_their_sessions() {
    for t in databases("users_store").await {
        let store = AccessStore::new(t.db.clone());
        let (records, _, viewer_token) = people();
        store.insert_users(&records).await.unwrap();
        let back = store.users().await.unwrap();
        assert_eq!(back.len(), 2, "{}", t.label);
        let viewer = back.iter().find(|u| u.name == "bappeda-jember").unwrap();
        assert_eq!(viewer.scope().to_string(), "35.09");
        assert_eq!(viewer.tokens.len(), 1);
        assert_eq!(viewer.password, records[1].password);
        let id = users::token_id(&viewer_token).unwrap();
        let (holder, token) = store.token(id).await.unwrap().unwrap();
        assert_eq!(
            (holder.name.as_str(), token.id.as_str()),
            ("bappeda-jember", id)
        );
        assert!(users::verify_secret(&viewer_token, &token.hash));

        // A second import of the same users changes nothing and names what is there.
        let mut again = records.clone();
        again.push(users::new_record("baru", Role::Viewer, None, None, &CHEAP).unwrap());
        let err = store.insert_users(&again).await.unwrap_err().to_string();
        assert!(
            err.contains("user admin") && err.contains("user bappeda-jember"),
            "{}: {err}",
            t.label
        );
        assert!(store.user("baru").await.unwrap().is_none(), "{}", t.label);
        let (_, record) = users::new_token_record(&CHEAP).unwrap();
        assert!(matches!(
            store.insert_token("nobody", &record).await,
            Err(StoreError::NoSuchUser(_))
        ));

        let digest = hex(&[7u8; 32]);
        store
            .insert_session(&digest, viewer, "2999-01-01T00:00:00.000000Z")
            .await
            .unwrap();
        store.remove_user("bappeda-jember").await.unwrap();
        assert!(store.user("bappeda-jember").await.unwrap().is_none());
        assert!(store.token(id).await.unwrap().is_none());
        let now = crate::db::now();
        assert_eq!(
            store.session(&digest, &now).await.unwrap(),
            None,
            "{}",
            t.label
        );
        assert!(matches!(
            store.remove_user("bappeda-jember").await,
            Err(StoreError::NoSuchUser(_))
        ));
        t.finish().await;
    }
}

#[tokio::test]
async fn a_row_breaking_the_users_rules_is_refused_naming_the_user() {
    for t in databases("users_bad_row").await {
        let store = AccessStore::new(t.db.clone());
        sqlx::query(
            "INSERT INTO users (name, role, region, password, created_at) \
             VALUES ('mallory', 'superuser', NULL, NULL, '2026-11-30T00:00:00.000000Z')",
        )
        .execute(t.db.pool())
        .await
        .unwrap();
        let err = store.user("mallory").await.unwrap_err().to_string();
        assert!(
            err.contains("\"mallory\"") && err.contains("superuser"),
            "{}: {err}",
            t.label
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn sessions_are_stored_by_digest_and_expired_ones_are_dropped() {
    for t in databases("sessions_store").await {
        let store = AccessStore::new(t.db.clone());
        let (records, _, _) = people();
        let admin = &records[0];
        let access = Access::open(
            AccessSettings {
                users: Arc::new(Users::default()),
                source: UserSource::Database,
                ..AccessSettings::default()
            },
            store.clone(),
        )
        .await
        .unwrap();
        store.insert_users(&records).await.unwrap();
        let p = access.login("admin", "kata-sandi-1", None).await.unwrap();
        let id = access.start_session(&p).await.unwrap();
        // Only the digest is stored, never the cookie's value.
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT digest, user_name FROM sessions")
            .fetch_all(t.db.pool())
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{}", t.label);
        assert_eq!(rows[0].1, "admin");
        assert_ne!(rows[0].0, id.as_str());
        assert_eq!(rows[0].0, hex(&Sha256::digest(id.as_str().as_bytes())));

        // An expired session is not found, and the next login drops it.
        store
            .insert_session(&hex(&[1u8; 32]), admin, "2000-01-01T00:00:00.000000Z")
            .await
            .unwrap();
        let now = crate::db::now();
        assert_eq!(store.session(&hex(&[1u8; 32]), &now).await.unwrap(), None);
        access.start_session(&p).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(t.db.pool())
            .await
            .unwrap();
        assert_eq!(
            n, 2,
            "{}: the expired row is gone, two live ones left",
            t.label
        );
        t.finish().await;
    }
}

/// The user behind `session` on `access`, `None` when there is none.
async fn session_user(access: &Access, session: &str) -> Option<String> {
    access
        .session(session)
        .await
        .unwrap()
        .and_then(|p: Principal| p.name().map(str::to_string))
}

#[tokio::test]
async fn two_instances_share_logins_logouts_removals_and_role_changes() {
    for t in databases("two_instances").await {
        let store = AccessStore::new(t.db.clone());
        let (records, admin_token, viewer_token) = people();
        store.insert_users(&records).await.unwrap();
        let a = instance(&store, Duration::ZERO).await;
        let b = instance(&store, Duration::ZERO).await;

        // A login on A is valid on B; a logout on B ends it on A.
        let p = a
            .login("bappeda-jember", "kata-sandi-2", None)
            .await
            .unwrap();
        let id = a.start_session(&p).await.unwrap();
        let on_b = b.session(id.as_str()).await.unwrap().unwrap();
        assert_eq!(
            (on_b.name(), on_b.scope().to_string(), on_b.via()),
            (Some("bappeda-jember"), "35.09".to_string(), Via::Session)
        );
        b.end_session(id.as_str()).await.unwrap();
        assert_eq!(session_user(&a, id.as_str()).await, None, "{}", t.label);

        // A role or scope changed in the database applies to tokens and ends sessions.
        let id = a.start_session(&p).await.unwrap();
        let before = b.authenticate_token(&viewer_token, None).await.unwrap();
        assert_eq!(before.role(), Some(Role::Viewer));
        sqlx::query("UPDATE users SET role = 'evaluator', region = NULL WHERE name = $1")
            .bind("bappeda-jember")
            .execute(t.db.pool())
            .await
            .unwrap();
        let after = b.authenticate_token(&viewer_token, None).await.unwrap();
        assert_eq!(
            (after.role(), after.scope().to_string()),
            (Some(Role::Evaluator), "all".to_string()),
            "{}",
            t.label
        );
        assert_eq!(session_user(&a, id.as_str()).await, None, "{}", t.label);

        // A removed user's token is refused on both, without a new argon2 verification.
        a.authenticate_token(&admin_token, None).await.unwrap();
        b.authenticate_token(&admin_token, None).await.unwrap();
        let spent = (a.gate_stats().verifications, b.gate_stats().verifications);
        store.remove_user("admin").await.unwrap();
        for instance in [&a, &b] {
            assert_eq!(
                instance.authenticate_token(&admin_token, None).await,
                Err(AccessError::InvalidToken),
                "{}",
                t.label
            );
        }
        assert_eq!(
            (a.gate_stats().verifications, b.gate_stats().verifications),
            spent
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn a_session_trusted_from_memory_ends_on_another_instance_after_its_recheck() {
    for t in databases("recheck_bound").await {
        let store = AccessStore::new(t.db.clone());
        let (records, _, viewer_token) = people();
        store.insert_users(&records).await.unwrap();
        // A trusts what it read for an hour; B asks the database every time.
        let a = instance(&store, Duration::from_secs(3600)).await;
        let b = instance(&store, Duration::ZERO).await;
        let p = a
            .login("bappeda-jember", "kata-sandi-2", None)
            .await
            .unwrap();
        let id = a.start_session(&p).await.unwrap();
        a.authenticate_token(&viewer_token, None).await.unwrap();
        b.end_session(id.as_str()).await.unwrap();
        store.remove_user("bappeda-jember").await.unwrap();
        // Within A's bound A still answers from memory: that is the bound's price, stated in
        // the README; B, without one, refuses at once.
        assert_eq!(
            session_user(&a, id.as_str()).await.as_deref(),
            Some("bappeda-jember")
        );
        assert!(a.remembered_token(&viewer_token).is_some());
        assert_eq!(session_user(&b, id.as_str()).await, None, "{}", t.label);
        assert_eq!(
            b.authenticate_token(&viewer_token, None).await,
            Err(AccessError::InvalidToken)
        );
        // A logout on A itself is forgotten at once, whatever the bound.
        let id = {
            store.insert_users(&records[1..]).await.unwrap();
            let p = a
                .login("bappeda-jember", "kata-sandi-2", None)
                .await
                .unwrap();
            a.start_session(&p).await.unwrap()
        };
        a.end_session(id.as_str()).await.unwrap();
        assert_eq!(session_user(&a, id.as_str()).await, None, "{}", t.label);
        t.finish().await;
    }
}
