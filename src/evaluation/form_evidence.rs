//! A form's evidence in the workflow: adding a file or a link to an item, and removing it again
//! while the region may still edit the form (a draft, or a form returned for correction, before
//! the deadline). Both take the form's row first, like every change of the workflow, and leave
//! an entry in the audit trail: what was added, or what was removed, with the file's name and
//! SHA-256.
//!
//! Which bytes are accepted and where they are kept is [`super::evidence`]'s; who may see the
//! region is the server's to decide before calling.

use super::EvaluationError;
use super::evidence;
use super::store::{self, Evidence};
use super::workflow::{Actor, Evaluation, change};
use crate::db;
use crate::region::RegionCode;

type Result<T> = std::result::Result<T, EvaluationError>;

/// Evidence to add: a file's bytes with its original name, or a link.
#[derive(Debug, Clone)]
pub enum EvidenceInput {
    /// A file.
    File {
        /// Original name.
        name: String,
        /// Content.
        bytes: Vec<u8>,
    },
    /// A link to evidence published elsewhere.
    Link(String),
}

/// What the audit trail says of a piece of evidence: the file's name and hash, or the link.
fn describe(e: &Evidence) -> String {
    match (&e.url, &e.file_name, &e.sha256) {
        (Some(url), _, _) => url.clone(),
        (None, name, sha) => format!(
            "{} (sha256 {})",
            name.as_deref().unwrap_or(""),
            sha.as_deref().unwrap_or("")
        ),
    }
}

impl Evaluation {
    /// Add evidence to an item of the form, while the region may edit it.
    pub async fn add_evidence(
        &self,
        actor: &Actor,
        round_id: i64,
        region: &RegionCode,
        item: &str,
        input: EvidenceInput,
    ) -> Result<Evidence> {
        let (mut tx, round, instrument, form) = self.begin_on_form(round_id, region).await?;
        Self::check_region_edit(actor, &round, &form)?;
        let item = instrument
            .item(item.trim())
            .ok_or_else(|| EvaluationError::UnknownItem(item.to_string()))?;
        let now = db::now();
        let mut e = Evidence {
            id: crate::auth::users::random_hex(8),
            item: item.id.clone(),
            kind: String::new(),
            sha256: None,
            file_name: None,
            media_type: None,
            size_bytes: None,
            url: None,
            added_by: actor.name.clone(),
            added_at: now.clone(),
        };
        match input {
            EvidenceInput::File { name, bytes } => {
                let name: String = name
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                if bytes.len() as u64 > self.max_evidence_bytes() {
                    return Err(EvaluationError::TooLarge {
                        name,
                        limit_mb: self.max_evidence_bytes() / (1024 * 1024),
                    });
                }
                let media = evidence::check_type(&name, &bytes)?;
                let store = self.evidence.clone();
                let (sha, size) = tokio::task::spawn_blocking(move || {
                    let sha = evidence::sha256(&bytes);
                    store.put(&sha, &bytes).map(|()| (sha, bytes.len()))
                })
                .await
                .map_err(|e| EvaluationError::Io(std::io::Error::other(e)))??;
                e.kind = "file".into();
                e.media_type = Some(media.into());
                e.size_bytes = Some(size as i64);
                e.sha256 = Some(sha);
                e.file_name = Some(name);
            }
            EvidenceInput::Link(url) => {
                let url = url.trim().to_string();
                let ok = (url.starts_with("https://") || url.starts_with("http://"))
                    && url.len() <= 2000
                    && !url.chars().any(char::is_whitespace);
                if !ok {
                    return Err(EvaluationError::invalid(
                        "Tautan bukti harus alamat http(s):// yang utuh, tanpa spasi.",
                        "An evidence link must be a whole http(s):// address without spaces.",
                    ));
                }
                e.kind = "link".into();
                e.url = Some(url);
            }
        }
        store::touch(&mut tx, round_id, region, &actor.name, &now).await?;
        store::insert_evidence(&mut tx, round_id, region, &e).await?;
        let entry = change(
            actor,
            &now,
            "evidence",
            Some(e.item.as_str()),
            &e.kind,
            None,
            Some(describe(&e).as_str()),
        );
        store::append_audit(&mut tx, round_id, region, &[entry]).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Remove a piece of evidence from the form, while the region may edit it; returns what was
    /// removed. The record goes and the audit trail keeps what it was. The file's bytes stay in
    /// the store: it is kept once by content hash and may back other evidence, and the audit
    /// trail names its hash.
    pub async fn remove_evidence(
        &self,
        actor: &Actor,
        round_id: i64,
        region: &RegionCode,
        evidence_id: &str,
    ) -> Result<Evidence> {
        let (mut tx, round, _, form) = self.begin_on_form(round_id, region).await?;
        Self::check_region_edit(actor, &round, &form)?;
        let now = db::now();
        // The form's row first: a second removal of the same evidence waits here, then finds
        // it gone.
        store::touch(&mut tx, round_id, region, &actor.name, &now).await?;
        let e = store::evidence(&mut tx, round_id, region)
            .await?
            .into_iter()
            .find(|e| e.id == evidence_id)
            .ok_or_else(|| {
                EvaluationError::not_found(
                    format!(
                        "Bukti {evidence_id:?} tidak ada di formulir {region} ronde {round_id}."
                    ),
                    format!(
                        "No evidence {evidence_id:?} in the form of {region} in round {round_id}."
                    ),
                )
            })?;
        store::delete_evidence(&mut tx, round_id, region, &e.id).await?;
        let entry = change(
            actor,
            &now,
            "evidence",
            Some(e.item.as_str()),
            &e.kind,
            Some(describe(&e).as_str()),
            None,
        );
        store::append_audit(&mut tx, round_id, region, &[entry]).await?;
        tx.commit().await?;
        Ok(e)
    }
}
