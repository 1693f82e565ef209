//! The artifact bucket: owned by worktime directly (not by a stack),
//! `worktime-artifacts-<account>-<region>`, versioned, encrypted (SSE-S3), public access
//! blocked. Each stack keeps its zips under its own prefix, keyed by content hash, so
//! unchanged code is never uploaded twice and never updates the function. Its policy denies
//! every request not made over TLS (`bucket_policy`).

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};

use sha2::{Digest, Sha256};

use super::artifact::Artifact;
use super::bucket_policy;
use crate::aws::calls::{Call, Cmd::*, On};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// What stops worktime at the artifact bucket (exit 1, but [`BucketError::Missing`]: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    /// Bucket names are global: another account has this one.
    #[error("the artifact bucket name {bucket} belongs to another account (bucket names are global). Nothing was created. Delete or rename that bucket if it is yours, or deploy from the account that owns it")]
    Taken { bucket: String },
    /// `deploy` expects the bucket `bootstrap` made.
    #[error(
        "artifact bucket {bucket} not found in account {account}: run `worktime bootstrap` first"
    )]
    Missing { bucket: String, account: String },
    /// The code's object could not be read back (to compare its content hash).
    #[error("reading s3://{bucket}/{key}: {source}")]
    Unreadable {
        bucket: String,
        key: String,
        #[source]
        source: aws_sdk_s3::primitives::ByteStreamError,
    },
    #[error("s3://{bucket}/{key} has no version id: versioning is off on {bucket}; run `worktime bootstrap` to turn it on")]
    Unversioned { bucket: String, key: String },
    /// Teardown deleted what one listing returned, `rounds` times, and more kept coming.
    #[error("s3://{bucket}/{prefix} still has objects after {rounds} rounds of deleting ({deleted} deleted): something keeps writing there; stop it and re-run teardown")]
    KeepsFilling {
        bucket: String,
        prefix: String,
        rounds: usize,
        deleted: usize,
    },
    /// `DeleteObjects` answered with keys it could not delete (`named`: the first few, each
    /// with S3's code and message).
    #[error("could not delete {count} object version(s) in s3://{bucket}/{prefix}: {}{}", named.join("; "), if *count > named.len() { "; ..." } else { "" })]
    NotDeleted {
        bucket: String,
        prefix: String,
        count: usize,
        named: Vec<String>,
    },
    /// A policy worktime can't read is not replaced: its statements would be lost.
    #[error("the policy of bucket {bucket} is not JSON worktime can read ({reason}): fix or remove it, then re-run")]
    UnreadablePolicy { bucket: String, reason: String },
    /// `HeadBucket` answered 403: the caller may not list it, or (when the bucket was not
    /// already known to exist) it may be another account's.
    #[error("checking artifact bucket {bucket} (s3:HeadBucket): 403 AccessDenied: {}", if *maybe_taken {
        "either the name belongs to another account (bucket names are global), or the caller has no s3:ListBucket on it. Nothing was created. Fix: grant what `worktime policy` prints; if the bucket is another account's, delete or rename it if it is yours, or deploy from the account that owns it"
    } else {
        "the caller has no s3:ListBucket on it. Nothing was changed. Fix: grant what `worktime policy` prints"
    })]
    AccessDenied { bucket: String, maybe_taken: bool },
    /// Another writer kept replacing the policy (S3 has no conditional policy write).
    #[error("the policy of bucket {bucket} kept changing under worktime ({attempts} writes): another rollout is writing it; re-run when it is done")]
    PolicyContended { bucket: String, attempts: u32 },
}

impl BucketError {
    /// Found before anything was changed, and fixed by running another command first.
    pub fn is_usage(&self) -> bool {
        matches!(self, BucketError::Missing { .. })
    }
}

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "S3",
        "HeadBucket",
        "s3:ListBucket",
        &[Bootstrap, Deploy, Rollout, Teardown],
        On::ArtifactBucket,
    ),
    Call::new(
        "S3",
        "CreateBucket",
        "s3:CreateBucket",
        &[Bootstrap, Rollout],
        On::ArtifactBucket,
    ),
    Call::new(
        "S3",
        "ListBuckets",
        "s3:ListAllMyBuckets",
        &[Bootstrap, Rollout],
        On::Any,
    )
    .note(
        "s3:ListAllMyBuckets has no resource type (confirms the caller owns the artifact bucket)",
    ),
    Call::new(
        "S3",
        "GetBucketVersioning",
        "s3:GetBucketVersioning",
        &[Bootstrap, Rollout],
        On::ArtifactBucket,
    ),
    Call::new(
        "S3",
        "PutBucketVersioning",
        "s3:PutBucketVersioning",
        &[Bootstrap, Rollout],
        On::ArtifactBucket,
    ),
    Call::new(
        "S3",
        "GetBucketEncryption",
        "s3:GetEncryptionConfiguration",
        &[Bootstrap, Rollout],
        On::ArtifactBucket,
    ),
    Call::new(
        "S3",
        "PutBucketEncryption",
        "s3:PutEncryptionConfiguration",
        &[Bootstrap, Rollout],
        On::ArtifactBucket,
    ),
    Call::new(
        "S3",
        "GetPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
        &[Bootstrap, Rollout],
        On::ArtifactBucket,
    ),
    Call::new(
        "S3",
        "PutPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        &[Bootstrap, Rollout],
        On::ArtifactBucket,
    ),
    Call::new(
        "S3",
        "GetObject",
        "s3:GetObject",
        &[Bootstrap, Deploy, Diff, Rollout],
        On::Artifacts,
    ),
    Call::new(
        "S3",
        "PutObject",
        "s3:PutObject",
        &[Bootstrap, Deploy, Rollout],
        On::Artifacts,
    ),
    Call::new(
        "S3",
        "ListObjectVersions",
        "s3:ListBucketVersions",
        &[Teardown],
        On::ArtifactBucket,
    ),
    Call::new(
        "S3",
        "DeleteObjects",
        "s3:DeleteObject",
        &[Teardown],
        On::Artifacts,
    ),
    Call::new(
        "S3",
        "DeleteObjects",
        "s3:DeleteObjectVersion",
        &[Teardown],
        On::Artifacts,
    ),
    Call::new(
        "S3",
        "DeleteBucket",
        "s3:DeleteBucket",
        &[Teardown],
        On::ArtifactBucket,
    ),
];

/// The artifact bucket of one account and region.
pub fn bucket_name(account: &str, region: &str) -> String {
    format!("worktime-artifacts-{account}-{region}")
}

/// Makes sure the artifact bucket exists, is ours, and has its protections on. Returns
/// whether it was created now.
pub async fn ensure(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
    region: &str,
    progress: &Progress,
) -> Result<bool> {
    let head = s3
        .head_bucket()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .send()
        .await;
    let created = match head {
        // S3 answers 403 to a bucket of another account's when the expected owner is sent;
        // an endpoint that ignores that header (moto) answers 200, so the owner is confirmed
        // by the caller's own bucket list, which only ever holds the caller's buckets.
        Ok(_) if !owned_by_caller(s3, bucket).await? => return Err(taken_error(bucket)),
        Ok(_) => false,
        Err(error) => {
            let status = error.raw_response().map(|r| r.status().as_u16());
            match status {
                Some(404) => {
                    progress.step(format!("creating artifact bucket {bucket}"));
                    let mut create = s3.create_bucket().bucket(bucket);
                    if region != "us-east-1" {
                        create = create.create_bucket_configuration(
                            CreateBucketConfiguration::builder()
                                .location_constraint(BucketLocationConstraint::from(region))
                                .build(),
                        );
                    }
                    match create.send().await {
                        Ok(_) => true,
                        Err(error) => {
                            let taken = error
                                .as_service_error()
                                .is_some_and(|e| e.is_bucket_already_exists());
                            if taken {
                                return Err(taken_error(bucket));
                            }
                            return Err(Error::aws(
                                format!("creating artifact bucket {bucket}"),
                                error,
                            ));
                        }
                    }
                }
                // 403 without a body: another account's bucket, or no s3:ListBucket on it
                // (S3 API reference, HeadBucket). The caller's own list tells them apart.
                Some(403) if owned_by_caller(s3, bucket).await? => {
                    return Err(no_list_bucket_error(bucket))
                }
                Some(403) => return Err(taken_or_denied_error(bucket)),
                _ => {
                    return Err(Error::aws(
                        format!("checking artifact bucket {bucket}"),
                        error,
                    ))
                }
            }
        }
    };
    // Protections are checked every run (cheap reads) and set only when missing.
    // A never-versioned bucket answers with an empty document; moto 5.2.5 names its root
    // element differently and the SDK cannot parse it. Either way: not enabled, so enable.
    let versioning = s3
        .get_bucket_versioning()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .send()
        .await
        .ok()
        .and_then(|o| o.status().cloned());
    if versioning != Some(BucketVersioningStatus::Enabled) {
        s3.put_bucket_versioning()
            .bucket(bucket)
            .expected_bucket_owner(account)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| Error::aws(format!("enabling versioning on {bucket}"), e))?;
    }
    let encrypted = s3
        .get_bucket_encryption()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .send()
        .await
        .is_ok_and(|o| {
            o.server_side_encryption_configuration()
                .is_some_and(|c| !c.rules().is_empty())
        });
    if !encrypted {
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::Aes256)
                    .build()?,
            )
            .build();
        s3.put_bucket_encryption()
            .bucket(bucket)
            .expected_bucket_owner(account)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| Error::aws(format!("enabling encryption on {bucket}"), e))?;
    }
    let blocked = s3
        .get_public_access_block()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .send()
        .await
        .is_ok_and(|o| {
            o.public_access_block_configuration().is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            })
        });
    if !blocked {
        s3.put_public_access_block()
            .bucket(bucket)
            .expected_bucket_owner(account)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .block_public_policy(true)
                    .ignore_public_acls(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| Error::aws(format!("blocking public access on {bucket}"), e))?;
    }
    let partition = crate::template::partition(region);
    bucket_policy::set_statement(
        s3,
        bucket,
        account,
        partition,
        bucket_policy::TLS_ONLY_SID,
        Some(bucket_policy::tls_only_statement(bucket, partition)),
    )
    .await?;
    Ok(created)
}

async fn owned_by_caller(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool> {
    let mut token: Option<String> = None;
    loop {
        let page = s3
            .list_buckets()
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| Error::aws("listing the account's buckets", e))?;
        if page.buckets().iter().any(|b| b.name() == Some(bucket)) {
            return Ok(true);
        }
        match page.continuation_token() {
            Some(next) if Some(next) != token.as_deref() => token = Some(next.to_string()),
            _ => return Ok(false),
        }
    }
}

fn no_list_bucket_error(bucket: &str) -> Error {
    BucketError::AccessDenied {
        bucket: bucket.to_string(),
        maybe_taken: false,
    }
    .into()
}

fn taken_or_denied_error(bucket: &str) -> Error {
    BucketError::AccessDenied {
        bucket: bucket.to_string(),
        maybe_taken: true,
    }
    .into()
}

fn taken_error(bucket: &str) -> Error {
    BucketError::Taken {
        bucket: bucket.to_string(),
    }
    .into()
}

/// How many list-and-delete rounds teardown makes under one prefix (1,000 versions each).
const MAX_EMPTYING_ROUNDS: usize = 100;

/// The object version shown for code a dry run or `diff` would upload (it has none yet).
pub const NOT_UPLOADED: &str = "(not uploaded yet)";

/// The function's code in the bucket: its object version (what the stack pins) and whether
/// this run uploaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub version_id: String,
    pub uploaded: bool,
}

/// The version of `key` when it holds exactly the artifact: the object is downloaded and its
/// content hash compared (a key is only a name: someone may have overwritten it). `None`
/// when there is no such object, or it holds something else.
pub async fn stored_version(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
    key: &str,
    artifact: &Artifact,
) -> Result<Option<String>> {
    let present = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .expected_bucket_owner(account)
        .send()
        .await;
    match present {
        Ok(object) => {
            let version = object.version_id().map(str::to_string);
            let body = object
                .body
                .collect()
                .await
                .map_err(|source| BucketError::Unreadable {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    source,
                })?
                .into_bytes();
            let same = hex::encode(Sha256::digest(&body)) == artifact.sha256;
            Ok(version.filter(|_| same))
        }
        Err(error)
            if error
                .raw_response()
                .is_some_and(|r| r.status().as_u16() == 404) =>
        {
            Ok(None)
        }
        Err(error) => Err(Error::aws(format!("checking s3://{bucket}/{key}"), error)),
    }
}

/// Makes sure `key` holds exactly the artifact ([`stored_version`]), uploading it when it
/// does not. Returns the version the stack is to pin.
pub async fn upload(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
    key: &str,
    artifact: &Artifact,
    progress: &Progress,
) -> Result<Stored> {
    if let Some(version_id) = stored_version(s3, bucket, account, key, artifact).await? {
        return Ok(Stored {
            version_id,
            uploaded: false,
        });
    }
    progress.step(format!(
        "uploading {} ({} bytes) to s3://{bucket}/{key}",
        artifact.path.display(),
        artifact.bytes.len()
    ));
    let put = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .expected_bucket_owner(account)
        .body(aws_sdk_s3::primitives::ByteStream::from(
            artifact.bytes.clone(),
        ))
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Sha256)
        .send()
        .await
        .map_err(|e| Error::aws(format!("uploading s3://{bucket}/{key}"), e))?;
    let Some(version_id) = put.version_id().map(str::to_string) else {
        return Err(BucketError::Unversioned {
            bucket: bucket.to_string(),
            key: key.to_string(),
        }
        .into());
    };
    Ok(Stored {
        version_id,
        uploaded: true,
    })
}

/// Deletes every version and delete marker under `prefix`; then the bucket itself if
/// nothing else is left in it (another stack's prefix keeps it). Returns (objects deleted,
/// bucket deleted).
pub async fn empty_and_delete(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
    prefix: &str,
) -> Result<(usize, bool)> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let exists = s3
        .head_bucket()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .send()
        .await;
    if let Err(error) = exists {
        // Gone already (404) is done; anything else (403: no s3:ListBucket) is not.
        if error.raw_response().map(|r| r.status().as_u16()) == Some(404) {
            return Ok((0, false));
        }
        let status = error
            .raw_response()
            .map(|r| r.status().as_u16().to_string())
            .unwrap_or_default();
        return Err(Error::aws(
            format!(
                "checking artifact bucket {bucket} (s3:HeadBucket answered {status}{})",
                if status == "403" { " AccessDenied" } else { "" }
            ),
            error,
        ));
    }
    let mut deleted = 0;
    let mut rounds = 0;
    loop {
        // Each round deletes what one listing returned (up to 1,000 versions); a prefix that
        // never empties (someone writing to it) is reported, not chased forever.
        rounds += 1;
        if rounds > MAX_EMPTYING_ROUNDS {
            return Err(BucketError::KeepsFilling {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
                rounds: MAX_EMPTYING_ROUNDS,
                deleted,
            }
            .into());
        }
        let listed = s3
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .expected_bucket_owner(account)
            .send()
            .await
            .map_err(|e| Error::aws(format!("listing objects in {bucket}"), e))?;
        let mut ids = Vec::new();
        for version in listed.versions() {
            ids.push((
                version.key().unwrap_or_default().to_string(),
                version.version_id().map(str::to_string),
            ));
        }
        for marker in listed.delete_markers() {
            ids.push((
                marker.key().unwrap_or_default().to_string(),
                marker.version_id().map(str::to_string),
            ));
        }
        if ids.is_empty() {
            break;
        }
        let objects = ids
            .iter()
            .map(|(key, version)| {
                ObjectIdentifier::builder()
                    .key(key)
                    .set_version_id(version.clone())
                    .build()
                    .map_err(Error::from)
            })
            .collect::<Result<Vec<_>>>()?;
        let count = objects.len();
        let answer = s3
            .delete_objects()
            .bucket(bucket)
            .expected_bucket_owner(account)
            .delete(
                Delete::builder()
                    .set_objects(Some(objects))
                    .quiet(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| Error::aws(format!("deleting objects in {bucket}"), e))?;
        // DeleteObjects answers 200 and lists the keys it could not delete.
        let errors = answer.errors();
        deleted += count - errors.len().min(count);
        if !errors.is_empty() {
            let named: Vec<String> = errors
                .iter()
                .take(5)
                .map(|e| {
                    format!(
                        "{} ({}: {})",
                        e.key().unwrap_or("?"),
                        e.code().unwrap_or("error"),
                        e.message().unwrap_or("no message")
                    )
                })
                .collect();
            return Err(BucketError::NotDeleted {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
                count: errors.len(),
                named,
            }
            .into());
        }
    }
    let rest = s3
        .list_object_versions()
        .bucket(bucket)
        .max_keys(1)
        .expected_bucket_owner(account)
        .send()
        .await
        .map_err(|e| Error::aws(format!("listing objects in {bucket}"), e))?;
    if !rest.versions().is_empty() || !rest.delete_markers().is_empty() {
        return Ok((deleted, false));
    }
    s3.delete_bucket()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .send()
        .await
        .map_err(|e| Error::aws(format!("deleting bucket {bucket}"), e))?;
    Ok((deleted, true))
}
