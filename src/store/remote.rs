//! Where an object-storage store lives (`s3://bucket/prefix` and how to reach it) and a small
//! blocking client for the few operations the store needs: read, write, create-only write,
//! list and delete one object.
//!
//! The S3 protocol is spoken by the `object_store` crate (the Apache Arrow project's), on a
//! runtime of its own: the store is called from blocking threads (`spawn_blocking`, the CLI),
//! and a runtime of its own answers them the same way whether or not the caller is inside
//! another. This module knows nothing of generations, manifests or Parquet; `object.rs` does.

use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use super::StoreError;

/// An S3-compatible bucket and prefix holding a store, with how to reach it. Parsed once from
/// the configuration; credentials not given here come from the environment
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), as every S3 tool reads
/// them.
#[derive(Clone, PartialEq)]
pub struct Remote {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix of the store inside the bucket, without leading or trailing `/`; may be empty.
    pub prefix: String,
    /// Endpoint URL of an S3-compatible server (MinIO, a government cloud); `None`: AWS.
    pub endpoint: Option<String>,
    /// Region (most S3-compatible servers accept any, e.g. `us-east-1`).
    pub region: String,
    /// Whether plain `http://` endpoints are allowed (a server on loopback or a private
    /// network).
    pub allow_http: bool,
    /// Access key id, when not taken from the environment.
    pub access_key_id: Option<String>,
    /// Secret access key, when not taken from the environment; never printed.
    pub secret_access_key: Option<String>,
}

// The secret key is never printed.
impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("url", &self.url())
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("allow_http", &self.allow_http)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

impl Remote {
    /// Parse `s3://bucket/prefix`; the other settings are taken as given, except that an
    /// endpoint must be an `http(s)://` URL and plain `http://` needs `allow_http`.
    pub fn parse(
        url: &str,
        endpoint: Option<&str>,
        region: &str,
        allow_http: bool,
    ) -> Result<Remote, StoreError> {
        let bad = |reason: &str| StoreError::Location {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let rest = url
            .trim()
            .strip_prefix("s3://")
            .ok_or_else(|| bad("expected s3://bucket or s3://bucket/prefix"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        // S3's bucket naming rules, in short: what a URL host part can hold.
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(bad(
                "the bucket name must be 3 to 63 characters of a-z, 0-9, '-' and '.'",
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == "." || p == "..")
            || prefix.contains("//")
            || prefix.chars().any(char::is_control)
        {
            return Err(bad("the prefix must be plain path segments"));
        }
        let endpoint = endpoint.map(str::trim).filter(|e| !e.is_empty());
        if let Some(e) = endpoint {
            let plain = e.starts_with("http://");
            if !plain && !e.starts_with("https://") {
                return Err(StoreError::Location {
                    url: e.to_string(),
                    reason: "the endpoint must be an http:// or https:// URL".into(),
                });
            }
            if plain && !allow_http {
                return Err(StoreError::Location {
                    url: e.to_string(),
                    reason: "a plain http:// endpoint needs allow_http = true".into(),
                });
            }
        }
        Ok(Remote {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            endpoint: endpoint.map(str::to_string),
            region: region.trim().to_string(),
            allow_http,
            access_key_id: None,
            secret_access_key: None,
        })
    }

    /// `s3://bucket/prefix`, for messages and logs.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// The runtime every object-storage call runs on; two threads are plenty for a handful of
/// requests at a time.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("object-store")
            .enable_all()
            .build()
            .expect("the object-store runtime starts")
    })
}

/// Run `f` on the object-store runtime and wait for it. Safe from any thread: the caller only
/// waits on a channel, so a caller that is itself on a runtime (inside `block_in_place`) does
/// not nest one runtime in another.
fn block<F>(f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime().spawn(async move {
        let _ = tx.send(f.await);
    });
    rx.recv()
        .expect("an object-store request runs to completion on its runtime")
}

/// A connection to the bucket of a [`Remote`]; keys are relative to its prefix.
#[derive(Debug, Clone)]
pub(super) struct Bucket {
    client: Arc<dyn ObjectStore>,
    remote: Remote,
}

impl Bucket {
    /// A client for `remote`. Nothing is sent yet, so an unreachable server shows on first use.
    /// One client per remote and process: the store is opened per request and polled every few
    /// seconds, and a shared client keeps its connections open between them.
    pub(super) fn connect(remote: &Remote) -> Result<Bucket, StoreError> {
        static CLIENTS: OnceLock<Mutex<Vec<Bucket>>> = OnceLock::new();
        let clients = CLIENTS.get_or_init(Mutex::default);
        let mut clients = clients.lock().expect("object-store clients");
        if let Some(b) = clients.iter().find(|b| b.remote == *remote) {
            return Ok(b.clone());
        }
        let bucket = Bucket::build(remote)?;
        clients.push(bucket.clone());
        Ok(bucket)
    }

    /// A new client for `remote`, credentials not given taken from the environment.
    fn build(remote: &Remote) -> Result<Bucket, StoreError> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&remote.bucket)
            .with_region(&remote.region)
            .with_allow_http(remote.allow_http)
            // Retried for at most 20 seconds, not the client's default three minutes: an
            // unreachable store should fail an upload, a health check or a poll with a clear
            // error while someone is still waiting for the answer.
            .with_retry(object_store::RetryConfig {
                max_retries: 4,
                retry_timeout: std::time::Duration::from_secs(20),
                ..object_store::RetryConfig::default()
            });
        if let Some(endpoint) = &remote.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(id) = &remote.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &remote.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let client = builder.build().map_err(|source| StoreError::Object {
            url: remote.url(),
            key: String::new(),
            source: Box::new(source),
        })?;
        Ok(Bucket {
            client: Arc::new(client),
            remote: remote.clone(),
        })
    }

    /// The remote this bucket was opened for.
    pub(super) fn remote(&self) -> &Remote {
        &self.remote
    }

    fn key(&self, rel: &str) -> Key {
        if self.remote.prefix.is_empty() {
            Key::from(rel)
        } else {
            Key::from(format!("{}/{rel}", self.remote.prefix))
        }
    }

    fn err(&self, rel: &str) -> impl FnOnce(object_store::Error) -> StoreError + '_ {
        let (url, key) = (self.remote.url(), rel.to_string());
        move |source| StoreError::Object {
            url,
            key,
            source: Box::new(source),
        }
    }

    /// The object at `rel`, or `None` when there is none.
    pub(super) fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let (client, key) = (self.client.clone(), self.key(rel));
        let result = block(async move {
            match client.get(&key).await {
                Ok(got) => got.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        });
        result.map(|b| b.map(|b| b.to_vec())).map_err(self.err(rel))
    }

    /// Write `bytes` at `rel`, replacing what is there.
    pub(super) fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let (client, key) = (self.client.clone(), self.key(rel));
        block(async move { client.put(&key, PutPayload::from(bytes)).await })
            .map(|_| ())
            .map_err(self.err(rel))
    }

    /// Write `bytes` at `rel` only if no object is there (`If-None-Match: *`): the store's
    /// compare-and-swap. `Ok(false)` when another writer created it first.
    pub(super) fn create(&self, rel: &str, bytes: Vec<u8>) -> Result<bool, StoreError> {
        let (client, key) = (self.client.clone(), self.key(rel));
        let result = block(async move {
            let opts = PutOptions::from(PutMode::Create);
            client.put_opts(&key, PutPayload::from(bytes), opts).await
        });
        match result {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.err(rel)(e)),
        }
    }

    /// Keys (relative, sorted) under the folder `dir`, only those after `after` when given.
    pub(super) fn list(&self, dir: &str, after: Option<&str>) -> Result<Vec<String>, StoreError> {
        let (client, prefix) = (self.client.clone(), self.key(dir));
        let offset = after.map(|a| self.key(a));
        let metas = block(async move {
            let stream = match &offset {
                Some(offset) => client.list_with_offset(Some(&prefix), offset),
                None => client.list(Some(&prefix)),
            };
            stream.try_collect::<Vec<_>>().await
        })
        .map_err(self.err(dir))?;
        let strip = if self.remote.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.remote.prefix)
        };
        let mut keys: Vec<String> = metas
            .into_iter()
            .filter_map(|m| m.location.as_ref().strip_prefix(&strip).map(str::to_string))
            .collect();
        keys.sort();
        Ok(keys)
    }

    /// Remove the object at `rel` (no error when it is already gone).
    pub(super) fn delete(&self, rel: &str) -> Result<(), StoreError> {
        let (client, key) = (self.client.clone(), self.key(rel));
        match block(async move { client.delete(&key).await }) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err(rel)(e)),
        }
    }
}
