//! The function's code: the zip given, the current cargo-lambda build, or a fresh build;
//! its content hash and the object key derived from it.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::config::Architecture;
use crate::error::{Error, Result};
use crate::progress::Progress;

/// The artifact prefix of the stack `name`. A stack and a stack set of the same name keep
/// their code apart: tearing one down never deletes the other's.
pub fn stack_prefix(name: &str) -> String {
    format!("stacks/{name}/")
}

/// The artifact prefix of the stack set `name`.
pub fn stack_set_prefix(name: &str) -> String {
    format!("stack-sets/{name}/")
}

/// Where `cargo lambda build --output-format zip` leaves the function's zip.
pub const CARGO_LAMBDA_ZIP: &str = "target/lambda/bootstrap/bootstrap.zip";

/// A zip ready to upload.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

impl Artifact {
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if !bytes.starts_with(b"PK\x03\x04") {
            return Err(Error::Usage(format!(
                "{}: not a zip file: pass the function zip built by `make lambda` (target/lambda/bootstrap/bootstrap.zip)",
                path.display()
            )));
        }
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Ok(Artifact {
            path: path.to_path_buf(),
            bytes,
            sha256,
        })
    }

    /// The object key: the owner's prefix ([`stack_prefix`] or [`stack_set_prefix`]) and
    /// the content hash.
    pub fn key(&self, prefix: &str) -> String {
        format!("{prefix}bootstrap-{}.zip", &self.sha256[..16])
    }
}

/// The given `--artifact`, else the cargo-lambda build output, else a fresh build.
pub fn resolve(
    explicit: Option<&Path>,
    architecture: Architecture,
    progress: &Progress,
) -> Result<Artifact> {
    if let Some(path) = explicit {
        return Artifact::read(path);
    }
    let default = Path::new(CARGO_LAMBDA_ZIP);
    if default.exists() && !stale(default) {
        return Artifact::read(default);
    }
    let arch_flag = match architecture {
        Architecture::Arm64 => "--arm64",
        Architecture::X86_64 => "--x86-64",
    };
    progress.step(format!(
        "building the function (cargo lambda build --profile function {arch_flag} --output-format zip): a few minutes the first time"
    ));
    let status = Command::new("cargo")
        .args(["lambda", "build", "--profile", "function", arch_flag, "--output-format", "zip", "-p", "worktime-lambda"])
        .status()
        .map_err(|e| Error::Other(format!("could not run cargo lambda: {e}; install it (pip install cargo-lambda ziglang) or pass --artifact PATH")))?;
    if !status.success() {
        return Err(Error::Other(
            "cargo lambda build failed (see above); fix the build or pass --artifact PATH".into(),
        ));
    }
    Artifact::read(default)
}

/// Inside the worktime workspace, a zip older than any of the function's sources (or the
/// lock file) is not the current build. Outside it (an installed binary) the zip is taken
/// as it is.
fn stale(zip: &Path) -> bool {
    let Ok(built) = std::fs::metadata(zip).and_then(|m| m.modified()) else {
        return true;
    };
    let newer = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t > built)
    };
    fn walk(dir: &Path, newer: &dyn Fn(&Path) -> bool) -> bool {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return false;
        };
        entries.flatten().any(|entry| {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, newer)
            } else {
                newer(&path)
            }
        })
    }
    let sources = Path::new("lambda");
    sources.join("Cargo.toml").exists()
        && (walk(&sources.join("src"), &newer)
            || newer(&sources.join("Cargo.toml"))
            || newer(Path::new("Cargo.lock")))
}
