//! Shared set-up: the job is run once on the shipped sample data; each test gets its own server
//! on a free port answering from that result.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use kotacerdas::auth::{AccessSettings, HashParams, Role, Scope, Users};
use kotacerdas::config::{Config, Overrides};
use kotacerdas::job::{self, ReferenceData};
use kotacerdas::server::{AppState, Application};

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where the shared job wrote its charts.
pub fn chart_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

pub fn test_config(chart_dir: &Path) -> Config {
    let overrides = Overrides {
        bind: Some("127.0.0.1:0".into()),
        data_dir: Some(repo().join("data")),
        chart_dir: Some(chart_dir.to_path_buf()),
        store: Some(chart_dir.join("store")),
        framework: Some(repo().join("data/frameworks/seven_dimensions.toml")),
        ..Overrides::default()
    };
    let mut config = Config::load(Some(&repo().join("config.toml")), &overrides).unwrap();
    // The shipped configuration: public read-only mode; the test users on top.
    config.access = access_settings(Some("all"));
    config
}

fn state() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE
        .get_or_init(|| {
            let config = test_config(chart_dir());
            let reference = ReferenceData::load(&config).unwrap();
            let snapshot = job::run(&config, &reference, true).unwrap();
            AppState::new(config, reference, snapshot)
        })
        .clone()
}

#[derive(Clone)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
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
            address: self.address.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .unwrap(),
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
    let state = tokio::task::spawn_blocking(state).await.unwrap();
    serve(state).await
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
pub const USERS: [(&str, Role, Option<&str>); 5] = [
    ("bappeda-jember", Role::Viewer, Some("35.09")),
    ("kominfo", Role::Evaluator, None),
    ("diskominfo-jember", Role::Steward, Some("35.09")),
    ("admin", Role::Admin, None),
    ("bappeda-jatim", Role::Viewer, Some("35")),
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

/// A server on the shared job's result under other access settings.
pub async fn spawn_app_with(settings: AccessSettings) -> TestApp {
    let state = tokio::task::spawn_blocking(state).await.unwrap();
    serve(state.with_access(settings)).await
}

async fn serve(state: AppState) -> TestApp {
    let app = Application::build(state).await.unwrap();
    let address = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
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

/// A database for one test: SQLite in a temporary folder, or PostgreSQL in a schema of its own
/// (`KOTACERDAS_TEST_POSTGRES_URL`), with evaluation rounds on it (evidence up to 1 MiB).
pub struct TestDb {
    pub evaluation: kotacerdas::evaluation::Evaluation,
    pub label: &'static str,
    schema: Option<String>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    /// SQLite, and PostgreSQL when configured. Without the PostgreSQL URL the PostgreSQL part
    /// is skipped with a notice, unless `CI` is set (`.ci/run` starts PostgreSQL), when it fails.
    pub async fn all(test: &str) -> Vec<TestDb> {
        use kotacerdas::db::{Db, Target};
        let mut out = Vec::new();
        let make = |db: Db, dir: tempfile::TempDir| {
            kotacerdas::evaluation::Evaluation::new(
                db,
                Arc::new(kotacerdas::evaluation::evidence::FsEvidence::new(
                    dir.path().join("evidence"),
                )),
                repo().join("data/frameworks"),
                1024 * 1024,
            )
        };
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&Target::Sqlite(dir.path().join("kotacerdas.db")), 4)
            .await
            .unwrap();
        out.push(TestDb {
            evaluation: make(db, tempfile::tempdir().unwrap()),
            label: "sqlite",
            schema: None,
            _dir: dir,
        });
        match std::env::var("KOTACERDAS_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => {
                let schema = format!("it_{test}_{}", kotacerdas::auth::users::random_hex(4));
                let target = Target::Postgres {
                    url,
                    schema: Some(schema.clone()),
                };
                let db = Db::open(&target, 4).await.unwrap();
                let dir = tempfile::tempdir().unwrap();
                out.push(TestDb {
                    evaluation: make(db, tempfile::tempdir().unwrap()),
                    label: "postgres",
                    schema: Some(schema),
                    _dir: dir,
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

    /// A server (public mode off, the test users) answering from the shared job with this
    /// database; call [`Cleanup::finish`] at the end.
    pub async fn spawn(self) -> (TestApp, Cleanup) {
        let state = tokio::task::spawn_blocking(state).await.unwrap();
        let cleanup = Cleanup {
            db: self.evaluation.db().clone(),
            schema: self.schema,
            _dir: self._dir,
        };
        let app = serve(
            state
                .with_access(access_settings(None))
                .with_evaluation(self.evaluation),
        )
        .await;
        (app, cleanup)
    }
}

/// What a test leaves behind: its SQLite folder, or its PostgreSQL schema.
pub struct Cleanup {
    db: kotacerdas::db::Db,
    schema: Option<String>,
    _dir: tempfile::TempDir,
}

impl Cleanup {
    /// Drop the PostgreSQL schema (the SQLite folder goes with the value).
    pub async fn finish(self) {
        if let Some(schema) = &self.schema {
            self.db
                .execute_raw(&format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .unwrap();
        }
    }
}
