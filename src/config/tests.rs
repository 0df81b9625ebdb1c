use super::*;
use std::io::Write;

fn write_config(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

#[test]
fn defaults_apply_without_a_file() {
    let cfg = Config::load(None, &Overrides::default()).unwrap();
    assert_eq!(cfg.bind.port(), 8080);
    assert_eq!(cfg.period, Granularity::Year);
    assert_eq!(cfg.region.as_str(), "35.09");
}

#[test]
fn bad_bind_address_names_key_and_file() {
    let f = write_config("[server]\nbind = \"localhost-eighty\"\n");
    let err = Config::load(Some(f.path()), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("server.bind"), "{err}");
    assert!(
        err.contains(&*f.path().file_name().unwrap().to_string_lossy()),
        "error should name the file: {err}"
    );
}

#[test]
fn unknown_key_is_rejected_with_its_name() {
    let f = write_config("[server]\nbnd = \"127.0.0.1:1\"\n");
    let err = Config::load(Some(f.path()), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("bnd"), "{err}");
}

#[test]
fn cli_overrides_win_over_the_file() {
    let f = write_config("[scoring]\nperiod = \"month\"\n");
    let overrides = Overrides {
        period: Some("quarter".into()),
        ..Overrides::default()
    };
    let cfg = Config::load(Some(f.path()), &overrides).unwrap();
    assert_eq!(cfg.period, Granularity::Quarter);
}

#[test]
fn relative_paths_in_a_file_are_relative_to_that_file() {
    let f = write_config("[paths]\ndata_dir = \"mydata\"\n");
    let cfg = Config::load(Some(f.path()), &Overrides::default()).unwrap();
    assert_eq!(cfg.data_dir, f.path().parent().unwrap().join("mydata"));
}

#[test]
fn remote_sources_are_read_from_the_file() {
    let f = write_config(
        "[[sources]]\nname = \"satu-data\"\nkind = \"ckan\"\nurl = \"http://127.0.0.1:9/\"\nresource_id = \"abc\"\n",
    );
    let cfg = Config::load(Some(f.path()), &Overrides::default()).unwrap();
    assert_eq!(cfg.sources.len(), 1);
    assert_eq!(cfg.sources[0].name, "satu-data");
}

#[test]
fn the_old_upload_token_is_refused_with_directions() {
    let f = write_config("[ingest]\ntoken = \"rahasia\"\n");
    let err = Config::load(Some(f.path()), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ingest.token") && err.contains("kotacerdas user token"),
        "{err}"
    );
}

#[test]
fn access_is_closed_by_default_and_public_mode_takes_a_scope() {
    let empty = write_config("");
    let cfg = Config::load(Some(empty.path()), &Overrides::default()).unwrap();
    assert_eq!(cfg.access.public, None);
    let f = write_config("[access]\npublic = true\npublic_scope = \"35.09\"\n");
    let cfg = Config::load(Some(f.path()), &Overrides::default()).unwrap();
    assert_eq!(cfg.access.public, Some(Scope::parse("35.09").unwrap()));
    let f = write_config("[access]\npublic_scope = \"35.09.20\"\n");
    let err = Config::load(Some(f.path()), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("access.public_scope"), "{err}");
}

#[test]
fn a_broken_users_file_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("people.toml"),
        "[[user]]\nname = \"x\"\nrole = \"steward\"\n",
    )
    .unwrap();
    let f = write_config(&format!(
        "[access]\nusers_file = {:?}\n",
        dir.path().join("people.toml")
    ));
    let err = Config::load(Some(f.path()), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("people.toml") && err.contains("steward"),
        "{err}"
    );
}

#[test]
fn with_users_in_the_database_the_users_file_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.toml");
    std::fs::write(&file, "[[user]]\nname = \"x\"\nrole = \"steward\"\n").unwrap();
    let f = write_config(&format!(
        "[access]\nusers = \"database\"\nusers_file = {file:?}\nrecheck_seconds = 0\n"
    ));
    let cfg = Config::load(Some(f.path()), &Overrides::default()).unwrap();
    assert_eq!(cfg.access.source, UserSource::Database);
    assert_eq!(cfg.access.recheck, std::time::Duration::ZERO);
    // Only its path is kept, for `kotacerdas user migrate`.
    assert!(cfg.access.users.is_empty());
    assert_eq!(cfg.access.users.path(), file.as_path());

    let f = write_config("[access]\nusers = \"ldap\"\n");
    let err = Config::load(Some(f.path()), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("access.users") && err.contains("ldap"),
        "{err}"
    );
    let f = write_config("[access]\nrecheck_seconds = 86400\n");
    let err = Config::load(Some(f.path()), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("access.recheck_seconds"), "{err}");
}

#[test]
fn operations_sections_are_read_and_checked() {
    let f = write_config(
        "[log]\nformat = \"json\"\n[cache]\nmax_mb = 8\n[schedule]\nrescore_minutes = 15\n[server]\nmax_body_kb = 2\n",
    );
    let cfg = Config::load(Some(f.path()), &Overrides::default()).unwrap();
    assert_eq!(cfg.log_format, LogFormat::Json);
    assert_eq!(cfg.cache.max_mb, 8);
    assert_eq!(cfg.schedule.rescore_minutes, 15);
    assert_eq!(cfg.max_body_bytes, 2048);
    let f = write_config("[log]\nformat = \"xml\"\n");
    let err = Config::load(Some(f.path()), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("log.format") && err.contains("xml"), "{err}");
}

#[test]
fn login_limits_and_trusted_proxies_are_read_and_checked() {
    let cfg = Config::load(None, &Overrides::default()).unwrap();
    assert_eq!(cfg.access.login_limits, LoginLimits::default());
    assert!(cfg.access.trusted_proxies.is_empty());
    let f = write_config(
        "[access]\nlogin_failures_per_name = 3\nlogin_window_minutes = 5\n\
         trusted_proxies = [\"127.0.0.1\", \"::1\"]\nverify_queue = 0\n",
    );
    let cfg = Config::load(Some(f.path()), &Overrides::default()).unwrap();
    let a = &cfg.access;
    assert_eq!(a.login_limits.per_name.max, 3);
    assert_eq!(a.login_limits.per_address.window.as_secs(), 300);
    assert_eq!(a.trusted_proxies.len(), 2);
    assert_eq!(a.gate.queue, 0);
    let f = write_config("[access]\ntrusted_proxies = [\"proxy.local\"]\n");
    let err = Config::load(Some(f.path()), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("access.trusted_proxies") && err.contains("proxy.local"),
        "{err}"
    );
}

#[test]
fn the_database_is_a_file_in_the_data_dir_unless_a_url_is_given() {
    let f = write_config("[paths]\ndata_dir = \"d\"\n");
    let cfg = Config::load(Some(f.path()), &Overrides::default()).unwrap();
    let file = f.path().parent().unwrap().join("d/kotacerdas.db");
    assert!(matches!(cfg.database, crate::db::Target::Sqlite(ref p) if *p == file));
    assert_eq!(cfg.evaluation.max_evidence_bytes, 20 * 1024 * 1024);
    let f = write_config("[database]\nurl = \"postgres://kc:rahasia@127.0.0.1/kc\"\n");
    let cfg = Config::load(Some(f.path()), &Overrides::default()).unwrap();
    assert!(!format!("{cfg:?}").contains("rahasia"));
    let f = write_config("[database]\nurl = \"mysql://h/d\"\n");
    let err = Config::load(Some(f.path()), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("database.url"), "{err}");
}

#[test]
fn bad_period_names_the_key() {
    let f = write_config("[scoring]\nperiod = \"fortnight\"\n");
    let err = Config::load(Some(f.path()), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("scoring.period") && err.contains("fortnight"),
        "{err}"
    );
}

#[test]
fn the_store_is_a_folder_unless_an_object_store_url_is_given() {
    let cfg = Config::load(None, &Overrides::default()).unwrap();
    assert!(cfg.object_store.is_none());
    assert!(cfg.store_location().remote.is_none());

    let f = write_config(
        "[object_store]\nurl = \"s3://kota-cerdas/nasional/\"\nendpoint = \"http://127.0.0.1:9000\"\nallow_http = true\n",
    );
    let cfg = Config::load(Some(f.path()), &Overrides::default()).unwrap();
    let remote = cfg.object_store.expect("an object store");
    assert_eq!(remote.bucket, "kota-cerdas");
    assert_eq!(remote.prefix, "nasional");
    assert_eq!(remote.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(remote.url(), "s3://kota-cerdas/nasional");
}

#[test]
fn a_bad_object_store_setting_names_its_key() {
    for (text, key, words) in [
        (
            "[object_store]\nurl = \"https://kota-cerdas\"\n",
            "object_store.url",
            "s3://bucket",
        ),
        (
            "[object_store]\nurl = \"s3://Kota_Cerdas\"\n",
            "object_store.url",
            "bucket name",
        ),
        (
            "[object_store]\nurl = \"s3://kota-cerdas/../x\"\n",
            "object_store.url",
            "prefix",
        ),
        (
            "[object_store]\nurl = \"s3://kota-cerdas\"\nendpoint = \"http://10.0.0.5:9000\"\n",
            "object_store.endpoint",
            "allow_http",
        ),
        (
            "[object_store]\nurl = \"s3://kota-cerdas\"\naccess_key_id = \"AKIA\"\n",
            "object_store.access_key_id",
            "both",
        ),
    ] {
        let f = write_config(text);
        let err = Config::load(Some(f.path()), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{text}: {err}");
        assert!(err.contains(words), "{text}: {err}");
    }
}

#[test]
fn the_object_store_secret_is_never_printed() {
    let f = write_config(
        "[object_store]\nurl = \"s3://kota-cerdas\"\naccess_key_id = \"AKIA\"\nsecret_access_key = \"rahasia-sekali\"\n",
    );
    let cfg = Config::load(Some(f.path()), &Overrides::default()).unwrap();
    let printed = format!("{cfg:?}");
    assert!(!printed.contains("rahasia-sekali"), "{printed}");
    assert!(printed.contains("AKIA"), "{printed}");
}
