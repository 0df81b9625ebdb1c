//! Background re-pulls of remote sources on their configured interval, re-scoring when a pull
//! changed the store. A failing source is logged and tried again at its next turn.

use std::time::Duration;

use tracing::{info, warn};

use super::AppState;
use crate::ingest::{self, Options};
use crate::store::Store;

/// Start one task per `[[sources]]` entry that has `interval_minutes`; the first pull happens
/// one interval after start-up (the start-up job has just read the local data).
pub fn spawn_source_pulls(state: &AppState) {
    for source in state.config.sources.iter().cloned() {
        let Some(minutes) = source.interval_minutes else {
            continue;
        };
        info!(source = %source.name, minutes, "scheduled re-pull");
        let state = state.clone();
        tokio::spawn(async move {
            let client = ingest::remote::client();
            let period = Duration::from_secs(minutes * 60);
            let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            loop {
                ticker.tick().await;
                let report = match Store::open(&state.config.store) {
                    Ok(store) => {
                        ingest::pull(
                            &client,
                            &source,
                            state.reference.validation(),
                            &store,
                            Options::default(),
                        )
                        .await
                    }
                    Err(e) => Err(e.into()),
                };
                match report {
                    Ok(r) => {
                        for f in r.failed_files() {
                            warn!(source = %source.name, "pull failed: {}", f.error.as_deref().unwrap_or(""));
                        }
                        info!(source = %source.name, added = r.added(), replaced = r.replaced(), rejected = r.rejected(), "pulled");
                        if r.added() + r.replaced() > 0
                            && let Err(e) = state.rescore().await
                        {
                            warn!(source = %source.name, "re-scoring after the pull failed: {e:#}");
                        }
                    }
                    Err(e) => warn!(source = %source.name, "pull failed: {e:#}"),
                }
            }
        });
    }
}
