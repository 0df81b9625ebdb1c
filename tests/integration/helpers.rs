//! Shared set-up: every test server is started by `Application::build` from a configuration,
//! as the binary is, on the shipped sample data with a store of its own in a temporary folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use kotacerdas::auth::{AccessSettings, HashParams, Role, Scope, Users};
use kotacerdas::config::{Config, Overrides};
use kotacerdas::server::{AppState, Application};

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The test configuration with its charts and store under `dir`: the shipped `config.toml`
/// (public read-only mode) with the test users, listening on a free port, charts not
/// rendered at start.
pub fn test_config(dir: &Path) -> Config {
    let overrides = Overrides {
        bind: Some("127.0.0.1:0".into()),
        data_dir: Some(repo().join("data")),
        chart_dir: Some(dir.to_path_buf()),
        store: Some(dir.join("store")),
        framework: Some(repo().join("data/frameworks/seven_dimensions.toml")),
        ..Overrides::default()
    };
    let mut config = Config::load(Some(&repo().join("config.toml")), &overrides).unwrap();
    config.access = access_settings(Some("all"));
    config.schedule.render_on_start = false;
    // Each test server has a store of its own; the tests of several instances on one store
    // turn following on.
    config.schedule.follow_store_seconds = 0;
    // The evaluation database and evidence of each test server are its own.
    config.database = kotacerdas::db::Target::Sqlite(dir.join("kotacerdas.db"));
    config.evaluation.evidence_dir = dir.join("evidence");
    config
}

/// A running test server and a client for it.
#[derive(Clone)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The state it answers from.
    pub state: AppState,
    /// The folder of its store and charts, removed with the last clone.
    pub dir: Arc<tempfile::TempDir>,
    /// Its own data folder, when it does not read the repository's.
    pub data: Option<Arc<tempfile::TempDir>>,
}

impl TestApp {
    /// The same server, every request sent with test user `name`'s API token.
    pub fn as_user(&self, name: &str) -> TestApp {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", token(name)).parse().unwrap(),
        );
        TestApp {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .unwrap(),
            ..self.clone()
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let resp = self.get(path).await;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {content_type}"
        );
        (status, resp.json().await.unwrap())
    }
}

/// A server with the shipped access settings (public read-only mode) and the test users.
pub async fn spawn_app() -> TestApp {
    spawn_own(|_| {}).await
}

/// A server under other access settings.
pub async fn spawn_app_with(settings: AccessSettings) -> TestApp {
    spawn_own(move |c| c.access = settings).await
}

/// A server whose test configuration `configure` adjusts, started as the binary starts.
pub async fn spawn_own(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    configure(&mut config);
    let app = Application::build(config).await.unwrap();
    let address = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        dir: Arc::new(dir),
        data: None,
    }
}

/// The kab/kota of East Java's smart-city cohort that [`spawn_app_with_east_java`] gives
/// kab/kota-wide records, beside Jember's kecamatan.
pub const EAST_JAVA_MEMBERS: [&str; 4] = ["35.15", "35.22", "35.24", "35.25"];

/// A server on the sample data plus kab/kota-wide records of four more East Java members of the
/// smart-city cohort in 2024 and 2025 (different amounts each, so that they rank), for the
/// tests of provincial and cohort rankings: with Jember's data alone only Jember is scored.
pub async fn spawn_app_with_east_java() -> TestApp {
    spawn_east_java_with(|_| {}).await
}

/// [`spawn_app_with_east_java`] under a configuration `configure` adjusts.
pub async fn spawn_east_java_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let mut csv = String::from("activity_id,date,region_code,programme,dimension,quantity\n");
    let programmes = [
        ("umkm_go_online", "economy", 400.0),
        ("literasi_digital", "people", 900.0),
        ("layanan_daring", "government", 60.0),
        ("bank_sampah", "environment", 50.0),
    ];
    for (k, region) in EAST_JAVA_MEMBERS.iter().enumerate() {
        for year in [2024, 2025] {
            for (p, (programme, dimension, base)) in programmes.iter().enumerate() {
                let quantity = base * (1.0 + k as f64) * if year == 2025 { 1.5 } else { 1.0 };
                csv.push_str(&format!(
                    "JTM-{region}-{year}-{p},{year}-06-01,{region},{programme},{dimension},{quantity}\n"
                ));
            }
        }
    }
    spawn_sample_with_file("jatim_kabkota_2024_2025.csv", &csv, configure).await
}

/// A server on the sample data plus the activity file `name` holding `csv`, under a
/// configuration `configure` adjusts.
pub async fn spawn_sample_with_file(
    name: &str,
    csv: &str,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let data = tempfile::tempdir().unwrap();
    for dir in ["regions", "frameworks"] {
        std::os::unix::fs::symlink(repo().join("data").join(dir), data.path().join(dir)).unwrap();
    }
    let activities = data.path().join("activities");
    std::fs::create_dir(&activities).unwrap();
    std::os::unix::fs::symlink(
        repo().join("data/activities/jember_2018_2025.csv"),
        activities.join("jember_2018_2025.csv"),
    )
    .unwrap();
    std::fs::write(activities.join(name), csv).unwrap();
    let dir = data.path().to_path_buf();
    let mut app = spawn_own(move |c| {
        c.data_dir = dir;
        configure(c);
    })
    .await;
    app.data = Some(Arc::new(data));
    app
}

/// argon2 parameters for test users: cheap, since the tests check behaviour, not cost.
pub const CHEAP_HASH: HashParams = HashParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

/// The password of every test user.
pub const PASSWORD: &str = "kata-sandi-uji-123";

/// Test users: (name, role, scope). Each gets [`PASSWORD`] and one API token.
pub const USERS: [(&str, Role, Option<&str>); 8] = [
    ("bappeda-jember", Role::Viewer, Some("35.09")),
    ("kominfo", Role::Evaluator, None),
    ("diskominfo-jember", Role::Steward, Some("35.09")),
    ("admin", Role::Admin, None),
    ("bappeda-jatim", Role::Viewer, Some("35")),
    ("bappeda-banyuwangi", Role::Viewer, Some("35.10")),
    ("diskominfo-banyuwangi", Role::Steward, Some("35.10")),
    ("bappeda-sidoarjo", Role::Viewer, Some("35.15")),
];

/// The test users, written to a users file once and read back, with each one's API token.
pub fn test_users() -> &'static (Arc<Users>, HashMap<&'static str, String>) {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    static USERS_FILE: OnceLock<(Arc<Users>, HashMap<&'static str, String>)> = OnceLock::new();
    USERS_FILE.get_or_init(|| {
        let path = DIR
            .get_or_init(|| tempfile::tempdir().unwrap())
            .path()
            .join("users.toml");
        let mut users = Users::load(&path).unwrap();
        let mut tokens = HashMap::new();
        for (name, role, scope) in USERS {
            users
                .add(name, role, scope, Some(PASSWORD), &CHEAP_HASH)
                .unwrap();
            tokens.insert(name, users.new_token(name, &CHEAP_HASH).unwrap());
        }
        users.save().unwrap();
        // The server trusts the file, not the in-memory copy.
        (Arc::new(Users::load(&path).unwrap()), tokens)
    })
}

/// The API token of test user `name`.
pub fn token(name: &str) -> &'static str {
    test_users()
        .1
        .get(name)
        .unwrap_or_else(|| panic!("no test user {name}"))
}

/// Access settings with the test users; `public` switches public read-only mode on within
/// that scope.
pub fn access_settings(public: Option<&str>) -> AccessSettings {
    AccessSettings {
        public: public.map(|s| Scope::parse(s).unwrap()),
        hash_params: CHEAP_HASH,
        users: test_users().0.clone(),
        ..AccessSettings::default()
    }
}

/// A server like [`spawn_app_with`], and its state, for tests that read the server's own
/// counters (the verification gate's, say).
pub async fn spawn_app_with_state(settings: AccessSettings) -> (TestApp, AppState) {
    let app = spawn_app_with(settings).await;
    let state = app.state.clone();
    (app, state)
}

/// Decode a PNG: (width, height, RGB(A) pixels as RGB triples).
pub fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| match channels {
            1 | 2 => [p[0], p[0], p[0]],
            _ => [p[0], p[1], p[2]],
        })
        .collect();
    (info.width, info.height, pixels)
}

pub fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// A database for one test: SQLite in the test server's folder, or PostgreSQL in a schema of
/// its own (`KOTACERDAS_TEST_POSTGRES_URL`); evidence up to 1 MiB.
pub struct TestDb {
    pub label: &'static str,
    target: Option<kotacerdas::db::Target>,
    schema: Option<String>,
}

impl TestDb {
    /// SQLite, and PostgreSQL when configured. Without the PostgreSQL URL the PostgreSQL part
    /// is skipped with a notice, unless `CI` is set (`.ci/run` starts PostgreSQL), when it fails.
    pub async fn all(test: &str) -> Vec<TestDb> {
        use kotacerdas::db::Target;
        let mut out = vec![TestDb {
            label: "sqlite",
            target: None,
            schema: None,
        }];
        match std::env::var("KOTACERDAS_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => {
                let schema = format!("it_{test}_{}", kotacerdas::auth::users::random_hex(4));
                out.push(TestDb {
                    label: "postgres",
                    target: Some(Target::Postgres {
                        url,
                        schema: Some(schema.clone()),
                    }),
                    schema: Some(schema),
                });
            }
            _ => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI is set but KOTACERDAS_TEST_POSTGRES_URL is not (.ci/run starts PostgreSQL)"
                );
                eprintln!("{test}: PostgreSQL part skipped (set KOTACERDAS_TEST_POSTGRES_URL)");
            }
        }
        out
    }

    /// A server (public mode off, the test users) on this database, started as the binary
    /// starts; call [`Cleanup::finish`] at the end.
    pub async fn spawn(self) -> (TestApp, Cleanup) {
        let target = self.target;
        let app = spawn_own(move |c| {
            c.access = access_settings(None);
            c.evaluation.max_evidence_bytes = 1024 * 1024;
            c.evaluation.instruments_dir = repo().join("data/frameworks");
            if let Some(t) = target {
                c.database = t;
            }
        })
        .await;
        let cleanup = Cleanup {
            db: app
                .state
                .db
                .clone()
                .expect("the server opened its database"),
            schema: self.schema,
        };
        (app, cleanup)
    }
}

impl TestDb {
    /// Where this database is, for several servers and commands that share it: an SQLite file
    /// in `dir`, or this test's PostgreSQL schema.
    pub fn shared_target(&self, dir: &Path) -> kotacerdas::db::Target {
        self.target
            .clone()
            .unwrap_or_else(|| kotacerdas::db::Target::Sqlite(dir.join("kotacerdas.db")))
    }

    /// A server (public mode off, the test users) on `target`, adjusted by `configure`,
    /// started as the binary starts: one of several instances on one database.
    pub async fn spawn_instance(
        target: kotacerdas::db::Target,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        spawn_own(move |c| {
            c.access = access_settings(None);
            c.database = target;
            configure(c);
        })
        .await
    }

    /// What to clean up after the servers on this database, `app` among them.
    pub fn cleanup(self, app: &TestApp) -> Cleanup {
        Cleanup {
            db: app
                .state
                .db
                .clone()
                .expect("the server opened its database"),
            schema: self.schema,
        }
    }
}

/// What a test leaves behind: its PostgreSQL schema (the SQLite file goes with the server's
/// folder).
pub struct Cleanup {
    db: kotacerdas::db::Db,
    schema: Option<String>,
}

impl Cleanup {
    /// Drop the PostgreSQL schema.
    pub async fn finish(self) {
        if let Some(schema) = &self.schema {
            self.db
                .execute_raw(&format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .unwrap();
        }
    }
}

/// The bucket of the S3-compatible test server that the object-store tests keep their stores
/// in, each under a prefix of its own.
pub const S3_BUCKET: &str = "kotacerdas-test";

/// The S3-compatible test server (`KOTACERDAS_TEST_S3_ENDPOINT`, started by `.ci/run`). Without
/// it the test is skipped with a notice, unless `CI` is set, when it fails.
pub fn s3_endpoint(test: &str) -> Option<String> {
    match std::env::var("KOTACERDAS_TEST_S3_ENDPOINT") {
        Ok(url) if !url.is_empty() => Some(url.trim_end_matches('/').to_string()),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but KOTACERDAS_TEST_S3_ENDPOINT is not (.ci/run starts the S3 server)"
            );
            eprintln!(
                "{test}: skipped (set KOTACERDAS_TEST_S3_ENDPOINT to an S3-compatible server)"
            );
            None
        }
    }
}

/// A store of its own on the S3 test server at `endpoint`: the test bucket (created when
/// missing), a fresh prefix, the test server's credentials.
pub async fn s3_store(endpoint: &str) -> kotacerdas::store::Remote {
    // The test server takes a bucket from an unsigned request; an existing bucket is fine.
    let _ = reqwest::Client::new()
        .put(format!("{endpoint}/{S3_BUCKET}"))
        .send()
        .await;
    let prefix = format!("t-{}", kotacerdas::auth::users::random_hex(6));
    let mut remote = kotacerdas::store::Remote::parse(
        &format!("s3://{S3_BUCKET}/{prefix}"),
        Some(endpoint),
        "us-east-1",
        true,
    )
    .unwrap();
    remote.access_key_id = Some(S3_KEY_ID.into());
    remote.secret_access_key = Some(S3_SECRET.into());
    remote
}

/// Credentials of the S3 test server (it takes any).
pub const S3_KEY_ID: &str = "kotacerdas-test";
/// Secret of [`S3_KEY_ID`].
pub const S3_SECRET: &str = "kotacerdas-test-secret";
