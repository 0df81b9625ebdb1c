//! The binary as a user runs it.

use std::process::Command;

use crate::helpers::{files_in, repo};

fn kotacerdas() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kotacerdas"));
    cmd.current_dir(repo()).env("RUST_LOG", "warn");
    cmd
}

#[test]
fn help_lists_the_three_commands() {
    let out = kotacerdas().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for cmd in ["serve", "run", "generate"] {
        assert!(text.contains(cmd), "{cmd} missing from --help");
    }
}

#[test]
fn run_ingests_scores_and_renders_into_the_chart_folder() {
    let charts = tempfile::tempdir().unwrap();
    let out = kotacerdas()
        .args(["run", "--chart-dir"])
        .arg(charts.path())
        .arg("--store")
        .arg(charts.path().join("store"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("accepted") && stdout.contains("rejected"),
        "{stdout}"
    );
    // radar, bars, trend and map for 31 kecamatan + the kabupaten, and its heatmap.
    assert_eq!(files_in(charts.path(), "png").len(), 4 * 32 + 1);
}

#[test]
fn generate_reproduces_the_shipped_sample_exactly() {
    let out = kotacerdas()
        .args(["generate", "--out", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shipped = std::fs::read(repo().join("data/activities/jember_2018_2025.csv")).unwrap();
    assert!(
        out.stdout == shipped,
        "generate no longer writes the shipped sample"
    );
}

#[test]
fn a_bad_config_value_fails_with_exit_2_naming_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[scoring]\nperiod = \"weekly\"\n").unwrap();
    let out = kotacerdas()
        .args(["run", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("scoring.period") && stderr.contains("bad.toml"),
        "{stderr}"
    );
}

#[test]
fn a_missing_config_file_given_explicitly_is_an_error() {
    let out = kotacerdas()
        .args(["run", "--config", "nope.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.toml"));
}

#[test]
fn user_add_and_token_write_only_hashes_to_the_users_file() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[access]\nusers_file = \"people.toml\"\nargon2_memory_kib = 64\nargon2_iterations = 1\n",
    )
    .unwrap();
    let run = |args: &[&str], stdin: &str| {
        let mut child = kotacerdas()
            .arg("--config")
            .arg(&config)
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
        child.wait_with_output().unwrap()
    };
    let out = run(
        &[
            "user",
            "add",
            "bappeda-jember",
            "--role",
            "viewer",
            "--region",
            "35.09",
        ],
        "kata-sandi-panjang\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["user", "token", "bappeda-jember"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("kc_"), "{token}");

    let text = std::fs::read_to_string(dir.path().join("people.toml")).unwrap();
    assert!(
        !text.contains("kata-sandi-panjang") && !text.contains(&token),
        "{text}"
    );
    let users = kotacerdas::auth::Users::load(&dir.path().join("people.toml")).unwrap();
    let user = users.get("bappeda-jember").unwrap();
    assert_eq!(user.scope().to_string(), "35.09");
    assert!(kotacerdas::auth::users::verify_secret(
        "kata-sandi-panjang",
        user.password.as_deref().unwrap()
    ));
    assert!(kotacerdas::auth::users::verify_secret(
        &token,
        &user.tokens[0].hash
    ));

    // Refusals name what is wrong.
    let out = run(
        &[
            "user",
            "add",
            "kominfo",
            "--role",
            "evaluator",
            "--scope",
            "35.09",
        ],
        "kata-sandi-panjang\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sees all regions"));
    let out = run(&["user", "add", "pendek", "--role", "viewer"], "pendek\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));
    let out = run(&["user", "list"], "");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("bappeda-jember\tviewer\t35.09\tpassword=yes"),
        "{listing}"
    );
    assert!(!listing.contains("kominfo") && !listing.contains("pendek"));
}

#[tokio::test(flavor = "multi_thread")]
async fn round_list_and_recap_read_the_servers_database() {
    let (app, cleanup) = crate::helpers::TestDb::all("cli_round")
        .await
        .into_iter()
        .next()
        .unwrap()
        .spawn()
        .await;
    let deadline = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d");
    let resp = app
        .as_user("admin")
        .client
        .post(format!("{}/api/v1/rounds", app.address))
        .json(
            &serde_json::json!({ "year": 2025, "cohort": ["35.09", "35.10"],
                                   "deadline": deadline.to_string() }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let database = format!(
        "sqlite://{}",
        app.dir.path().join("kotacerdas.db").display()
    );
    let out_dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        kotacerdas()
            .env("KOTACERDAS_DATABASE__URL", &database)
            .env("KOTACERDAS_EVALUATION__EVIDENCE_DIR", out_dir.path())
            .args(args)
            .output()
            .unwrap()
    };

    let list = tokio::task::block_in_place(|| run(&["round", "list"]));
    let stdout = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    assert!(stdout.starts_with("1\t2025\t"), "{stdout}");
    assert!(stdout.contains("0/2 finalised"), "{stdout}");

    let recap = tokio::task::block_in_place(|| run(&["round", "recap", "7"]));
    let stderr = String::from_utf8_lossy(&recap.stderr);
    assert_eq!(recap.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains('7'), "the unknown round is named: {stderr}");
    cleanup.finish().await;
}
