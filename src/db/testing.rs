//! Databases for unit tests: an SQLite file in a temporary folder always, and PostgreSQL in a
//! schema of its own when `KOTACERDAS_TEST_POSTGRES_URL` is set (required when `CI` is set,
//! since `.ci/run` starts PostgreSQL). Test code only; nothing here runs in the product.

use rand::RngCore;

use super::{Db, Target};

/// One test database: the pool, the folder an SQLite file lives in, the PostgreSQL schema to
/// drop afterwards.
pub(crate) struct TestDatabase {
    /// `sqlite` or `postgres`, for assertion messages.
    pub label: &'static str,
    /// The open, migrated database.
    pub db: Db,
    /// Where the SQLite file is (kept for the test's length).
    dir: tempfile::TempDir,
    schema: Option<String>,
}

impl TestDatabase {
    /// A folder that lives as long as the database, for files beside it (evidence).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Drop the PostgreSQL schema and close the pool.
    pub async fn finish(self) {
        if let Some(s) = &self.schema {
            self.db
                .execute_raw(&format!("DROP SCHEMA {s} CASCADE"))
                .await
                .unwrap();
        }
        self.db.close().await;
    }
}

/// Every backend available for the test `name`.
pub(crate) async fn databases(name: &str) -> Vec<TestDatabase> {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&Target::Sqlite(dir.path().join("kc.db")), 4)
        .await
        .unwrap();
    let mut out = vec![TestDatabase {
        label: "sqlite",
        db,
        dir,
        schema: None,
    }];
    match std::env::var("KOTACERDAS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let mut salt = [0u8; 4];
            rand::rng().fill_bytes(&mut salt);
            let salt: String = salt.iter().map(|b| format!("{b:02x}")).collect();
            let schema = format!("unit_{name}_{salt}");
            let target = Target::Postgres {
                url,
                schema: Some(schema.clone()),
            };
            out.push(TestDatabase {
                label: "postgres",
                db: Db::open(&target, 4).await.unwrap(),
                dir: tempfile::tempdir().unwrap(),
                schema: Some(schema),
            });
        }
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but KOTACERDAS_TEST_POSTGRES_URL is not (.ci/run starts PostgreSQL)"
            );
            eprintln!("{name}: PostgreSQL part skipped (set KOTACERDAS_TEST_POSTGRES_URL)");
        }
    }
    out
}
