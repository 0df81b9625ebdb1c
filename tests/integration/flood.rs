//! Floods of logins and tokens against the real server: bounded verifications and memory, fast
//! 503 and 429 answers with `Retry-After`, failure limits per name and per address, and token
//! checks that neither leak which ids exist nor let invalid tokens push out valid ones.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kotacerdas::auth::{
    AccessSettings, FailureLimit, GateSettings, HashParams, LoginLimits, Role, Users,
};

use crate::helpers::{
    PASSWORD, TestApp, access_settings, spawn_app_with, spawn_app_with_state, token,
};

/// Resident memory of this process (the server runs in it), in MiB.
fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

/// A well-formed token whose id no user holds.
fn unknown_token(i: usize) -> String {
    format!("kc_{i:012x}_{}", "5e".repeat(32))
}

/// Limits that never refuse: for tests of the gate alone.
fn no_limits() -> LoginLimits {
    let off = FailureLimit {
        max: 0,
        window: Duration::from_secs(60),
    };
    LoginLimits {
        per_name: off,
        per_address: off,
    }
}

impl TestApp {
    async fn sign_in(
        &self,
        name: &str,
        password: &str,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self.client.post(format!("{}/login", self.address)).form(&[
            ("name", name),
            ("password", password),
            ("lang", "id"),
        ]);
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }
}

/// Seconds in a `Retry-After` header; panics (failing the test) when there is none.
fn retry_after(resp: &reqwest::Response) -> u64 {
    resp.headers()
        .get("retry-after")
        .unwrap_or_else(|| panic!("{} without Retry-After", resp.status()))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_flood_gets_quick_refusals_and_bounded_memory_while_a_signed_in_user_keeps_charting()
 {
    // Arrange: a user with a hash at the shipped cost (19 MiB per verification), two
    // verification slots and a short queue, no failure limits (the gate alone bounds this).
    let dir = tempfile::tempdir().unwrap();
    let mut users = Users::load(&dir.path().join("users.toml")).unwrap();
    users
        .add(
            "bappeda-jember",
            Role::Viewer,
            Some("35.09"),
            Some(PASSWORD),
            &HashParams::default(),
        )
        .unwrap();
    let settings = AccessSettings {
        users: Arc::new(users),
        login_limits: no_limits(),
        gate: GateSettings {
            concurrency: 2,
            queue: 4,
            wait: Duration::from_secs(1),
        },
        ..AccessSettings::default()
    };
    let (app, state) = spawn_app_with_state(settings).await;
    let session = app.sign_in("bappeda-jember", PASSWORD, &[]).await;
    assert_eq!(session.status(), 303);
    let cookie = session.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    // Act: 200 failed logins, 100 at a time, with the chart requests of the signed-in user
    // issued while they are under way, and this process's memory sampled throughout.
    let baseline = resident_mib();
    let flooding = Arc::new(AtomicBool::new(true));
    let sampler = {
        let flooding = flooding.clone();
        tokio::spawn(async move {
            let mut peak = 0.0f64;
            while flooding.load(Ordering::SeqCst) {
                peak = peak.max(resident_mib());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            peak
        })
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(100));
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..200 {
        let (app, slots) = (app.clone(), slots.clone());
        logins.spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            let password = format!("tebakan-{i}");
            let name = if i % 2 == 0 { "bappeda-jember" } else { "tamu" };
            let resp = app.sign_in(name, &password, &[]).await;
            let status = resp.status().as_u16();
            let retry = (status != 401).then(|| retry_after(&resp));
            let body = resp.text().await.unwrap();
            (status, retry, body)
        });
    }
    let mut charts = Vec::new();
    for target in 1..=3 {
        let resp = app
            .client
            .get(format!(
                "{}/charts/radar.png?region=35.09&period=2025&target={target}.5",
                app.address
            ))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap();
        charts.push((resp.status().as_u16(), resp.bytes().await.unwrap().len()));
    }
    let mut statuses = std::collections::BTreeMap::new();
    while let Some(done) = logins.join_next().await {
        let (status, retry, body) = done.unwrap();
        *statuses.entry(status).or_insert(0) += 1;
        match status {
            401 => assert!(
                body.contains("Nama pengguna atau kata sandi salah"),
                "{body}"
            ),
            503 => {
                assert!((1..=5).contains(&retry.unwrap()));
                assert!(body.contains("Server sedang sibuk"), "{body}");
            }
            other => panic!("a flooded login answered {other}: {body}"),
        }
    }
    flooding.store(false, Ordering::SeqCst);
    let peak = sampler.await.unwrap().max(resident_mib());

    // Assert: the excess was refused, never more than two verifications ran at once, memory
    // grew by a few buffers rather than by one per login, and the charts were served.
    let stats = state.access.gate_stats();
    eprintln!(
        "login flood: {statuses:?}, {stats:?}, resident {baseline:.0} MiB before, {peak:.0} MiB peak"
    );
    assert!(statuses.get(&503).is_some_and(|n| *n > 0), "{statuses:?}");
    assert!(stats.peak_running <= 2, "{stats:?}");
    assert!(
        peak - baseline < 384.0,
        "resident memory grew from {baseline:.0} to {peak:.0} MiB during the flood"
    );
    for (status, bytes) in charts {
        assert_eq!(status, 200);
        assert!(bytes > 1000);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_logins_for_a_name_get_429_with_retry_after_and_other_names_still_sign_in() {
    let app = spawn_app_with(access_settings(None)).await;
    for _ in 0..5 {
        let resp = app.sign_in("bappeda-jember", "bukan-ini", &[]).await;
        assert_eq!(resp.status(), 401);
    }
    // The right password does not help now: the name waits out the window.
    let resp = app.sign_in("bappeda-jember", PASSWORD, &[]).await;
    assert_eq!(resp.status(), 429);
    let seconds = retry_after(&resp);
    assert!((1..=900).contains(&seconds), "{seconds}");
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("Terlalu banyak percobaan masuk yang gagal untuk nama pengguna ini"),
        "{html}"
    );
    let resp = app
        .client
        .post(format!("{}/login", app.address))
        .form(&[
            ("name", "bappeda-jember"),
            ("password", PASSWORD),
            ("lang", "en"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Too many failed sign-ins for this user name")
    );
    // Another user from the same address signs in.
    assert_eq!(app.sign_in("kominfo", PASSWORD, &[]).await.status(), 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_count_per_forwarded_client_only_behind_a_trusted_proxy() {
    let limits = LoginLimits {
        per_name: FailureLimit {
            max: 100,
            window: Duration::from_secs(900),
        },
        per_address: FailureLimit {
            max: 3,
            window: Duration::from_secs(900),
        },
    };
    // Without trusted proxies X-Forwarded-For is ignored: every attempt is 127.0.0.1's.
    let direct = spawn_app_with(AccessSettings {
        login_limits: limits,
        ..access_settings(None)
    })
    .await;
    for i in 0..3 {
        let forwarded = format!("203.0.113.{i}");
        let resp = direct
            .sign_in("kominfo", "salah", &[("X-Forwarded-For", &forwarded)])
            .await;
        assert_eq!(resp.status(), 401);
    }
    let resp = direct
        .sign_in("admin", PASSWORD, &[("X-Forwarded-For", "203.0.113.77")])
        .await;
    assert_eq!(resp.status(), 429);
    assert!(resp.text().await.unwrap().contains("dari alamat ini"));

    // Behind a trusted proxy on 127.0.0.1, the forwarded client is counted.
    let proxied = spawn_app_with(AccessSettings {
        login_limits: limits,
        trusted_proxies: vec!["127.0.0.1".parse::<IpAddr>().unwrap()],
        ..access_settings(None)
    })
    .await;
    let from = |client: &'static str| [("X-Forwarded-For", client)];
    for _ in 0..3 {
        let resp = proxied
            .sign_in("kominfo", "salah", &from("198.51.100.7, 127.0.0.1"))
            .await;
        assert_eq!(resp.status(), 401);
    }
    let blocked = proxied
        .sign_in("admin", PASSWORD, &from("198.51.100.7"))
        .await;
    assert_eq!(blocked.status(), 429);
    let other = proxied
        .sign_in("admin", PASSWORD, &from("198.51.100.8"))
        .await;
    assert_eq!(other.status(), 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_token_id_costs_an_argon2_verification_and_a_malformed_token_none() {
    let (app, state) = spawn_app_with_state(access_settings(Some("all"))).await;
    let verifications = || state.access.gate_stats().verifications;
    let me = |bearer: String| {
        app.client
            .get(format!("{}/api/v1/me", app.address))
            .bearer_auth(bearer)
            .send()
    };
    let resp = me(unknown_token(1)).await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(verifications(), 1);
    // A wrong secret for a known id costs the same one verification.
    let known = token("admin");
    let id = &known[..known.len() - 64];
    let resp = me(format!("{id}{}", "0".repeat(64))).await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(verifications(), 2);
    // A token without the shape of one is refused before argon2.
    for malformed in ["kc_000000000000_0000", "kc_nonsense", "bukan-token"] {
        let resp = me(malformed.to_string()).await.unwrap();
        assert_eq!(resp.status(), 401, "{malformed}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("malformed"),
            "{body}"
        );
    }
    assert_eq!(verifications(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_unknown_tokens_do_not_push_out_a_valid_tokens_verification() {
    let (app, state) = spawn_app_with_state(AccessSettings {
        login_limits: no_limits(),
        gate: GateSettings {
            queue: 1_000,
            wait: Duration::from_secs(30),
            ..GateSettings::default()
        },
        ..access_settings(None)
    })
    .await;
    let viewer = app.as_user("bappeda-jember");
    assert_eq!(viewer.get("/api/v1/me").await.status(), 200);
    let after_first_use = state.access.gate_stats().verifications;
    assert_eq!(after_first_use, 1);

    let mut workers = tokio::task::JoinSet::new();
    for w in 0..16 {
        let app = app.clone();
        workers.spawn(async move {
            let mut refused = 0;
            for i in (w..10_016).step_by(16) {
                let resp = app
                    .client
                    .get(format!("{}/api/v1/me", app.address))
                    .bearer_auth(unknown_token(i))
                    .send()
                    .await
                    .unwrap();
                refused += usize::from(resp.status() == 401);
            }
            refused
        });
    }
    let mut refused = 0;
    while let Some(n) = workers.join_next().await {
        refused += n.unwrap();
    }
    assert_eq!(refused, 10_016);
    let before = state.access.gate_stats().verifications;
    assert_eq!(before, 1 + 10_016);

    // The valid token is still remembered: no new verification.
    assert_eq!(viewer.get("/api/v1/me").await.status(), 200);
    assert_eq!(state.access.gate_stats().verifications, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_gate_answers_api_clients_503_with_retry_after_in_their_language() {
    // One slot, no queue, tokens at the shipped cost: concurrent first uses overlap.
    let dir = tempfile::tempdir().unwrap();
    let mut users = Users::load(&dir.path().join("users.toml")).unwrap();
    users
        .add(
            "sipd-sync",
            Role::Steward,
            Some("35.09"),
            None,
            &HashParams::default(),
        )
        .unwrap();
    users
        .new_token("sipd-sync", &HashParams::default())
        .unwrap();
    let (app, state) = spawn_app_with_state(AccessSettings {
        users: Arc::new(users),
        login_limits: no_limits(),
        gate: GateSettings {
            concurrency: 1,
            queue: 0,
            wait: Duration::from_secs(1),
        },
        ..AccessSettings::default()
    })
    .await;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..20 {
        let app = app.clone();
        calls.spawn(async move {
            let lang = if i % 2 == 0 { "id" } else { "en" };
            let resp = app
                .client
                .get(format!("{}/api/v1/me?lang={lang}", app.address))
                .bearer_auth(unknown_token(i))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let retry = (status == 503).then(|| retry_after(&resp));
            let body: serde_json::Value = resp.json().await.unwrap();
            (lang, status, retry, body)
        });
    }
    let mut busy = 0;
    while let Some(done) = calls.join_next().await {
        let (lang, status, retry, body) = done.unwrap();
        let message = body["error"]["message"].as_str().unwrap().to_string();
        match status {
            401 => assert!(message.contains("not valid"), "{message}"),
            503 => {
                busy += 1;
                assert_eq!(retry, Some(1));
                let expected = match lang {
                    "id" => "Server sedang sibuk",
                    _ => "The server is busy",
                };
                assert!(message.contains(expected), "{lang}: {message}");
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(busy > 0);
    assert_eq!(state.access.gate_stats().refused, busy);
}

#[test]
fn a_users_file_with_argon2i_or_argon2d_hashes_stops_start_up_naming_user_and_line() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let dir = tempfile::tempdir().unwrap();
    let salt = SaltString::encode_b64(b"garam-garam-16by").unwrap();
    for algorithm in [argon2::Algorithm::Argon2i, argon2::Algorithm::Argon2d] {
        let params = argon2::Params::new(64, 1, 1, None).unwrap();
        let hash = argon2::Argon2::new(algorithm, argon2::Version::V0x13, params)
            .hash_password(PASSWORD.as_bytes(), &salt)
            .unwrap()
            .to_string();
        let users = dir.path().join("users.toml");
        std::fs::write(
            &users,
            format!(
                "# made elsewhere\n[[user]]\nname = \"kominfo\"\nrole = \"evaluator\"\npassword = \"{hash}\"\n"
            ),
        )
        .unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, format!("[access]\nusers_file = {users:?}\n")).unwrap();
        let err = kotacerdas::config::Config::load(Some(&config), &Default::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("users.toml, line 5")
                && err.contains("\"kominfo\"")
                && err.contains(&format!("hashed with {}", algorithm.as_str()))
                && err.contains("only argon2id"),
            "{err}"
        );
    }
}
