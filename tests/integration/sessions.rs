//! Two instances on one database, as two servers behind a load balancer share it: a browser
//! login on one is accepted by the other, a logout on either ends it on both, and with users in
//! the database the `kotacerdas user` commands (the real binary) change who both accept. Real
//! servers on loopback ports; SQLite (one file) and PostgreSQL (one schema) alike.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use kotacerdas::auth::UserSource;
use kotacerdas::db::Target;

use crate::helpers::{PASSWORD, TestApp, TestDb, repo, test_users, token};

/// Sign in on `app` with the login form; the session cookie's value.
async fn login(app: &TestApp, name: &str, password: &str) -> String {
    let resp = app
        .client
        .post(format!("{}/login", app.address))
        .form(&[("name", name), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        303,
        "login of {name} on {}",
        app.address
    );
    let cookie = resp
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_string();
    cookie
        .split(';')
        .next()
        .and_then(|pair| pair.strip_prefix("kotacerdas_session="))
        .expect("the kotacerdas_session cookie")
        .to_string()
}

/// Who `app` takes a request with this session cookie to be (`None`: anonymous).
async fn me_with_cookie(app: &TestApp, session: &str) -> Option<String> {
    let resp = app
        .client
        .get(format!("{}/api/v1/me", app.address))
        .header("cookie", format!("kotacerdas_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    if body["user"].is_string() {
        assert_eq!(body["via"], "session", "{body}");
    }
    body["user"].as_str().map(str::to_string)
}

/// The status `app` answers a request with `bearer` with, and the user it names.
async fn me_with_token(app: &TestApp, bearer: &str) -> (u16, Option<String>) {
    let resp = app
        .client
        .get(format!("{}/api/v1/me", app.address))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap();
    (status, body["user"].as_str().map(str::to_string))
}

async fn logout(app: &TestApp, session: &str) {
    let resp = app
        .client
        .post(format!("{}/logout", app.address))
        .header("cookie", format!("kotacerdas_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_on_one_instance_is_accepted_by_the_other_and_a_logout_on_it_ends_both() {
    for db in TestDb::all("shared_sessions").await {
        let shared = tempfile::tempdir().unwrap();
        let target = db.shared_target(shared.path());
        // The users file on both, as shipped; sessions trusted from memory for the default
        // recheck_seconds.
        let a = TestDb::spawn_instance(target.clone(), |_| {}).await;
        let b = TestDb::spawn_instance(target, |_| {}).await;

        let session = login(&a, "bappeda-jember", PASSWORD).await;
        assert_eq!(
            me_with_cookie(&b, &session).await.as_deref(),
            Some("bappeda-jember"),
            "{}",
            db.label
        );
        // B holds the session in memory now; the page of a region outside its scope is still
        // refused there.
        let resp = b
            .client
            .get(format!("{}/api/v1/scores?region=35.10", b.address))
            .header("cookie", format!("kotacerdas_session={session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 403, "{}", db.label);

        logout(&b, &session).await;
        assert_eq!(me_with_cookie(&b, &session).await, None, "{}", db.label);
        // A read the session at login; it learns of the logout within recheck_seconds. The
        // bound of the loop only keeps a broken check from hanging the test.
        let mut ended = false;
        for _ in 0..300 {
            if me_with_cookie(&a, &session).await.is_none() {
                ended = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ended, "{}: A still accepts the session B ended", db.label);
        db.cleanup(&a).finish().await;
    }
}

/// `kotacerdas --config CONFIG ARGS…` with `stdin`, as an administrator runs it.
fn kotacerdas(config: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kotacerdas"))
        .current_dir(repo())
        .env("RUST_LOG", "warn")
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kotacerdas {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A configuration for the command line on `target`, with users in the database and the test
/// users file to migrate from.
fn database_config(dir: &Path, target: &Target) -> std::path::PathBuf {
    let database = match target {
        Target::Sqlite(file) => format!("url = {:?}\n", format!("sqlite://{}", file.display())),
        Target::Postgres { url, schema } => {
            let schema = schema.as_deref().map(|s| format!("schema = {s:?}\n"));
            format!("url = {url:?}\n{}", schema.unwrap_or_default())
        }
    };
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[access]\nusers = \"database\"\nusers_file = {:?}\nargon2_memory_kib = 64\n\
             argon2_iterations = 1\n\n[database]\n{database}",
            test_users().0.path().display().to_string()
        ),
    )
    .unwrap();
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn users_in_the_database_are_shared_and_a_removed_user_is_refused_by_both() {
    for db in TestDb::all("shared_users").await {
        let shared = tempfile::tempdir().unwrap();
        let target = db.shared_target(shared.path());
        let config = database_config(shared.path(), &target);
        // The users file into the database, by the command an administrator runs.
        let out = kotacerdas(&config, &["user", "migrate"], "");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("copied 8 users"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Both instances read users from the database and ask it on every request.
        let database = |c: &mut kotacerdas::config::Config| {
            c.access.source = UserSource::Database;
            c.access.recheck = Duration::ZERO;
        };
        let a = TestDb::spawn_instance(target.clone(), database).await;
        let b = TestDb::spawn_instance(target, database).await;

        let steward = "diskominfo-banyuwangi";
        let session = login(&a, steward, PASSWORD).await;
        assert_eq!(me_with_cookie(&b, &session).await.as_deref(), Some(steward));
        for app in [&a, &b] {
            assert_eq!(
                me_with_token(app, token(steward)).await,
                (200, Some(steward.to_string())),
                "{}",
                db.label
            );
        }
        // A token made by the command works on both at once, without a restart.
        let out = kotacerdas(&config, &["user", "token", steward], "");
        let fresh = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert!(fresh.starts_with("kc_"), "{fresh}");
        assert_eq!(me_with_token(&b, &fresh).await.0, 200, "{}", db.label);
        let out = kotacerdas(&config, &["user", "list"], "");
        let list = String::from_utf8(out.stdout).unwrap();
        assert!(
            list.lines()
                .any(|l| l.starts_with(steward) && l.contains("tokens=") && l.contains(',')),
            "{list}"
        );

        // Removed by the command: its session and both tokens end on both instances.
        kotacerdas(&config, &["user", "remove", steward], "");
        for app in [&a, &b] {
            assert_eq!(me_with_cookie(app, &session).await, None, "{}", db.label);
            for t in [token(steward), fresh.as_str()] {
                assert_eq!(me_with_token(app, t).await.0, 401, "{}", db.label);
            }
            // A login with its old password is refused too.
            let resp = app
                .client
                .post(format!("{}/login", app.address))
                .form(&[("name", steward), ("password", PASSWORD), ("next", "/")])
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 401, "{}", db.label);
        }
        // Everyone else is untouched.
        assert_eq!(
            me_with_token(&b, token("admin")).await,
            (200, Some("admin".to_string()))
        );
        db.cleanup(&a).finish().await;
    }
}
