//! The `[object_store]` section: whether the activity store lives on S3-compatible object
//! storage instead of the `paths.store` folder, and how to reach it. Parsed once into a
//! [`Remote`]; the secret key is never printed. Unset (the default), the store is the folder.

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::store::Remote;

/// `[object_store]` section.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ObjectStoreSettings {
    /// `s3://bucket/prefix`; empty: the store is the `paths.store` folder.
    pub url: String,
    /// Endpoint of an S3-compatible server (`http://127.0.0.1:9000` for a MinIO); empty: AWS.
    pub endpoint: String,
    /// Region; most S3-compatible servers accept any.
    pub region: String,
    /// Allow a plain `http://` endpoint (loopback, a private network).
    pub allow_http: bool,
    /// Access key id; unset: `AWS_ACCESS_KEY_ID` from the environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// Secret access key; unset: `AWS_SECRET_ACCESS_KEY` from the environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
}

impl Default for ObjectStoreSettings {
    fn default() -> Self {
        ObjectStoreSettings {
            url: String::new(),
            endpoint: String::new(),
            region: "us-east-1".into(),
            allow_http: false,
            access_key_id: None,
            secret_access_key: None,
        }
    }
}

// The secret key is never printed.
impl std::fmt::Debug for ObjectStoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStoreSettings")
            .field("url", &self.url)
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

/// The section validated: `None` for the folder store, else the bucket and how to reach it.
/// `invalid` names the key that is wrong.
pub(super) fn parse(
    s: &ObjectStoreSettings,
    invalid: impl Fn(&'static str, String) -> ConfigError,
) -> Result<Option<Remote>, ConfigError> {
    if s.url.trim().is_empty() {
        return Ok(None);
    }
    let endpoint = Some(s.endpoint.as_str()).filter(|e| !e.trim().is_empty());
    let mut remote = Remote::parse(&s.url, endpoint, &s.region, s.allow_http).map_err(|e| {
        // Name the key that holds what is wrong: the URL or the endpoint.
        let key = match &e {
            crate::store::StoreError::Location { url, .. } if *url != s.url => {
                "object_store.endpoint"
            }
            _ => "object_store.url",
        };
        invalid(key, e.to_string())
    })?;
    if s.region.trim().is_empty() {
        return Err(invalid(
            "object_store.region",
            "must not be empty (most S3-compatible servers accept us-east-1)".into(),
        ));
    }
    remote.access_key_id = s.access_key_id.clone().filter(|k| !k.is_empty());
    remote.secret_access_key = s.secret_access_key.clone().filter(|k| !k.is_empty());
    if remote.access_key_id.is_some() != remote.secret_access_key.is_some() {
        return Err(invalid(
            "object_store.access_key_id",
            "give both access_key_id and secret_access_key, or neither (then the AWS_* \
             environment variables are used)"
                .into(),
        ));
    }
    Ok(Some(remote))
}
