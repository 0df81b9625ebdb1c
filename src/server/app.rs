//! One start-up for the binary and the tests: [`Application::build`] goes from a configuration
//! to a listening server — reference data, the start-up job (ingest the activity folder, score),
//! the database (opened and migrated: evaluation rounds, login sessions, users when they live
//! there), the shared state, the scheduled jobs and source pulls, the listener — and
//! [`Application::run_until_stopped`] serves until Ctrl-C or SIGTERM. `kotacerdas serve` and
//! the integration tests' `spawn_app` both go through it, so a test cannot pass on wiring the
//! binary does not use.
//!
//! The listener is bound here, so a test can ask for port 0 and read back the real one. The
//! standard chart files are rendered, and the reports' rank intervals computed, after the
//! server listens: the dashboard renders what it shows on demand, nobody waits for them.

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

use super::{AppState, reports, router, spawn_schedule, spawn_source_pulls, spawn_store_follow};
use crate::auth::{Access, AccessStore, UserSource};
use crate::config::Config;
use crate::db::Db;
use crate::evaluation::Evaluation;
use crate::evaluation::evidence::FsEvidence;
use crate::job::{self, JobError, ReferenceData};

/// The server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Loading the reference data or the start-up job failed.
    #[error("the start-up job failed")]
    Job(#[from] JobError),
    /// The database of evaluation rounds could not be opened or migrated.
    #[error("the evaluation database could not be opened")]
    Database(#[from] crate::db::DbError),
    /// The users in the database could not be read.
    #[error("the users in the database could not be read")]
    Users(#[from] crate::auth::StoreError),
    /// The start-up job panicked.
    #[error("the start-up job panicked: {0}")]
    Panicked(String),
    /// The address could not be bound.
    #[error("failed to listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Everything from `config` to a bound listener (`config.bind`; port 0 picks a free port):
    /// reference data and the start-up job on the blocking pool, the state, the scheduled jobs.
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let job_config = config.clone();
        let (reference, snapshot) = tokio::task::spawn_blocking(move || {
            let reference = ReferenceData::load(&job_config)?;
            let snapshot = job::run(&job_config, &reference, false)?;
            Ok::<_, JobError>((reference, snapshot))
        })
        .await
        .map_err(|e| StartError::Panicked(e.to_string()))??;
        let evaluation = open_evaluation(&config).await?;
        let access = open_access(&config, evaluation.db().clone()).await?;
        let addr = config.bind;
        let mut state = AppState::new(config, reference, snapshot, access);
        state.db = Some(evaluation.db().clone());
        state.evaluation = Some(std::sync::Arc::new(evaluation));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        spawn_source_pulls(&state);
        spawn_schedule(&state);
        spawn_store_follow(&state);
        let after = state.clone();
        tokio::task::spawn_blocking(move || {
            if after.config.schedule.render_on_start {
                let book = &after.snapshot().book;
                if let Err(e) = job::render(&after.config, &after.reference, book) {
                    tracing::warn!("rendering the standard charts failed: {e}");
                }
            }
            reports::prepare(&after);
        });
        Ok(Application { listener, state })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The state the server answers from (its snapshot, cache, metrics).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until Ctrl-C or SIGTERM, then finish in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let app: Router = router(self.state);
        // Peer addresses reach the handlers: failed logins are counted per client address.
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    }
}

/// Evaluation rounds on the configured database (SQLite file or PostgreSQL, migrated on
/// opening) and evidence folder.
pub async fn open_evaluation(config: &Config) -> Result<Evaluation, StartError> {
    let db = Db::open(&config.database, config.database_connections).await?;
    Ok(Evaluation::new(
        db,
        std::sync::Arc::new(FsEvidence::new(config.evaluation.evidence_dir.clone())),
        config.evaluation.instruments_dir.clone(),
        config.evaluation.max_evidence_bytes,
    ))
}

/// Who may do what, with sessions (and, when configured, users) on `db`.
async fn open_access(config: &Config, db: Db) -> Result<Access, StartError> {
    let settings = config.access.clone();
    let file = settings.users.path();
    if settings.source == UserSource::Database && file.exists() {
        // Not an error: the file may be the one just migrated. But it is not read.
        tracing::warn!(
            file = %file.display(),
            "[access] users = \"database\": the users file is not read (`kotacerdas user migrate` \
             copies its users into the database)"
        );
    }
    Ok(Access::open(settings, AccessStore::new(db)).await?)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
