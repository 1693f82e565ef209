//! The function's code: the zip given, the zip a release binary carries, the current
//! cargo-lambda build, or a fresh build; its content hash and the object key derived from it.

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
    /// The zip the running executable carries for `architecture` (`make dist`), if any.
    fn carried(architecture: Architecture) -> Result<Option<Self>> {
        let Some(carried) = super::embedded::of_this_executable()? else {
            return Ok(None);
        };
        let Some(bytes) = carried.zip(architecture)? else {
            return Ok(None);
        };
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Ok(Some(Artifact {
            path: PathBuf::from(format!(
                "{} (its {} function)",
                carried.executable.display(),
                architecture.as_str()
            )),
            bytes,
            sha256,
        }))
    }

    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if !bytes.starts_with(b"PK\x03\x04") {
            return Err(ArtifactError::NotZip {
                path: path.to_path_buf(),
            }
            .into());
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

/// Why there is no function code to deploy: a zip that cannot be the function, or no code at
/// all (exit 2, nothing was created); a build that did not run or failed (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("{}: not a zip file: pass the function zip built by `make lambda` (target/lambda/bootstrap/bootstrap.zip)", path.display())]
    NotZip { path: PathBuf },
    /// No executable `bootstrap`, or not a Linux program; `why` says which.
    #[error("{} {why}. Nothing was created. Fix: pass the zip `make lambda` builds (target/lambda/bootstrap/bootstrap.zip)", path.display())]
    NoBootstrap { path: PathBuf, why: String },
    /// Built for another architecture (`found`) than `[function] architecture`.
    #[error("{}: its bootstrap is built for {found}, and [function] architecture is {}: every invocation would fail. Nothing was created. Fix: build for {} (cargo lambda build {}) or set [function] architecture = \"{found}\"", path.display(), wanted.as_str(), wanted.as_str(), arch_flag(*wanted))]
    WrongArchitecture {
        path: PathBuf,
        found: String,
        wanted: Architecture,
    },
    /// Outside the workspace, from a binary that carries no function, without `--artifact`.
    #[error("no function code to deploy: this worktime binary carries no {} function and this is not the worktime workspace (nothing to build). Nothing was created. Fix: pass --artifact PATH (a bootstrap zip built by make lambda), or use the release binary that carries the function (make dist: target/dist/worktime)", architecture.as_str())]
    NoCode { architecture: Architecture },
    #[error("could not run cargo lambda to build the function: {source}. Fix: pass --artifact PATH (a bootstrap zip), use the release binary that carries the function (make dist: target/dist/worktime), or install cargo-lambda (pip install cargo-lambda ziglang)")]
    NoCargoLambda {
        #[source]
        source: std::io::Error,
    },
    #[error("cargo lambda build failed (see above); fix the build or pass --artifact PATH")]
    BuildFailed,
}

impl ArtifactError {
    /// The code given (or carried) cannot be deployed: found before anything was created.
    pub fn is_usage(&self) -> bool {
        !matches!(
            self,
            ArtifactError::NoCargoLambda { .. } | ArtifactError::BuildFailed
        )
    }
}

/// What the function zip's `bootstrap` was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    Known(Architecture),
    /// An ELF `e_machine` Lambda has no architecture for.
    Other(u16),
}

/// Why a zip cannot be the function's code (a `provided.al2023` function runs the zip's
/// executable `bootstrap`, an ELF binary for its architecture).
fn bootstrap_machine(bytes: &[u8]) -> std::result::Result<Machine, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a readable zip ({e})"))?;
    let mut entry = archive.by_name("bootstrap").map_err(|_| {
        "has no `bootstrap` at its root (Lambda's provided.al2023 runtime runs ./bootstrap)"
            .to_string()
    })?;
    if entry.unix_mode().is_none_or(|mode| mode & 0o111 == 0) {
        return Err("has a `bootstrap` that is not executable (Lambda could not start it): zip it with mode 755, as cargo lambda does".into());
    }
    let mut header = [0u8; 20];
    std::io::Read::read_exact(&mut entry, &mut header)
        .map_err(|_| "has a `bootstrap` too short to be a program".to_string())?;
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return Err(
            "has a `bootstrap` that is not a 64-bit little-endian ELF program (Linux)".into(),
        );
    }
    Ok(match u16::from_le_bytes([header[18], header[19]]) {
        183 => Machine::Known(Architecture::Arm64),
        62 => Machine::Known(Architecture::X86_64),
        other => Machine::Other(other),
    })
}

/// Refuses code that would fail at every invocation: no executable `bootstrap`, or one
/// built for another architecture than the function's.
pub fn check_code(artifact: &Artifact, architecture: Architecture) -> Result<()> {
    let path = artifact.path.clone();
    match bootstrap_machine(&artifact.bytes) {
        Err(why) => Err(ArtifactError::NoBootstrap { path, why }.into()),
        Ok(Machine::Known(built)) if built == architecture => Ok(()),
        Ok(found) => {
            let found = match found {
                Machine::Known(a) => a.as_str().to_string(),
                Machine::Other(m) => format!("ELF machine {m}"),
            };
            Err(ArtifactError::WrongArchitecture {
                path,
                found,
                wanted: architecture,
            }
            .into())
        }
    }
}

fn arch_flag(architecture: Architecture) -> &'static str {
    match architecture {
        Architecture::Arm64 => "--arm64",
        Architecture::X86_64 => "--x86-64",
    }
}

/// The function crate's package name: what makes a directory the worktime workspace.
const FUNCTION_PACKAGE: &str = "worktime-lambda";

/// Whether the current directory is the worktime workspace: its `lambda/Cargo.toml` is the
/// function's own package (another project's `lambda/` crate is not).
fn in_workspace() -> bool {
    Path::new("Cargo.toml").exists()
        && std::fs::read_to_string("lambda/Cargo.toml").is_ok_and(|manifest| {
            manifest
                .lines()
                .any(|line| line.trim() == format!("name = \"{FUNCTION_PACKAGE}\""))
        })
}

/// The given `--artifact`; else, outside the worktime workspace, the zip the release binary
/// carries; else the cargo-lambda build output, else a fresh build. In each case checked to
/// hold an executable `bootstrap` for `architecture`. Inside the workspace a local build wins
/// over a carried zip: there the sources may have changed since the binary was packed.
pub fn resolve(
    explicit: Option<&Path>,
    architecture: Architecture,
    progress: &Progress,
) -> Result<Artifact> {
    if let Some(path) = explicit {
        let artifact = Artifact::read(path)?;
        check_code(&artifact, architecture)?;
        return Ok(artifact);
    }
    // Outside the workspace a `target/lambda/` zip is another project's function: only
    // the carried zip (or --artifact) is ours.
    if !in_workspace() {
        if let Some(artifact) = Artifact::carried(architecture)? {
            check_code(&artifact, architecture)?;
            progress.step(format!(
                "function: the {} zip this binary carries ({})",
                architecture.as_str(),
                &artifact.sha256[..16]
            ));
            return Ok(artifact);
        }
        return Err(ArtifactError::NoCode { architecture }.into());
    }
    let default = Path::new(CARGO_LAMBDA_ZIP);
    if default.exists() && !stale(default) {
        let artifact = Artifact::read(default)?;
        // The last build was for the other architecture: build again rather than refuse.
        if check_code(&artifact, architecture).is_ok() {
            return Ok(artifact);
        }
    }
    let arch_flag = arch_flag(architecture);
    progress.step(format!(
        "building the function (cargo lambda build --profile function {arch_flag} --output-format zip): a few minutes the first time"
    ));
    let status = Command::new("cargo")
        .args([
            "lambda",
            "build",
            "--profile",
            "function",
            arch_flag,
            "--output-format",
            "zip",
            "-p",
            "worktime-lambda",
        ])
        .status()
        .map_err(|source| ArtifactError::NoCargoLambda { source })?;
    if !status.success() {
        return Err(ArtifactError::BuildFailed.into());
    }
    let artifact = Artifact::read(default)?;
    check_code(&artifact, architecture)?;
    Ok(artifact)
}

/// A zip older than any of the function's sources (or the lock file) is not the current
/// build (only asked inside the workspace).
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// An ELF header for `machine` (the first 64 bytes of a 64-bit little-endian program).
    fn elf(machine: u16) -> Vec<u8> {
        let mut header = vec![0u8; 64];
        header[..4].copy_from_slice(b"\x7fELF");
        header[4] = 2; // ELFCLASS64
        header[5] = 1; // little-endian
        header[18..20].copy_from_slice(&machine.to_le_bytes());
        header
    }

    fn zip_with(name: &str, mode: u32, content: &[u8]) -> Artifact {
        let mut cursor = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut cursor);
        let options = zip::write::SimpleFileOptions::default().unix_permissions(mode);
        zip.start_file(name, options).unwrap();
        zip.write_all(content).unwrap();
        zip.finish().unwrap();
        let bytes = cursor.into_inner();
        Artifact {
            path: PathBuf::from("fn.zip"),
            sha256: hex::encode(Sha256::digest(&bytes)),
            bytes,
        }
    }

    #[test]
    fn the_bootstrap_machine_is_read_from_its_elf_header() {
        let arm = zip_with("bootstrap", 0o755, &elf(183));
        assert_eq!(
            bootstrap_machine(&arm.bytes),
            Ok(Machine::Known(Architecture::Arm64))
        );
        check_code(&arm, Architecture::Arm64).unwrap();
        let intel = zip_with("bootstrap", 0o755, &elf(62));
        assert_eq!(
            bootstrap_machine(&intel.bytes),
            Ok(Machine::Known(Architecture::X86_64))
        );
        let other = zip_with("bootstrap", 0o755, &elf(40));
        assert_eq!(bootstrap_machine(&other.bytes), Ok(Machine::Other(40)));
    }

    #[test]
    fn wrong_architecture_missing_or_unrunnable_bootstrap_is_refused_with_the_fix() {
        let intel = zip_with("bootstrap", 0o755, &elf(62));
        let err = check_code(&intel, Architecture::Arm64).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
        let text = err.to_string();
        assert!(text.contains("built for x86_64"), "{text}");
        assert!(text.contains("architecture is arm64"), "{text}");
        assert!(text.contains("--arm64"), "{text}");

        let missing = zip_with("handler", 0o755, &elf(183));
        let text = check_code(&missing, Architecture::Arm64)
            .unwrap_err()
            .to_string();
        assert!(text.contains("has no `bootstrap`"), "{text}");

        let not_executable = zip_with("bootstrap", 0o644, &elf(183));
        let text = check_code(&not_executable, Architecture::Arm64)
            .unwrap_err()
            .to_string();
        assert!(text.contains("not executable"), "{text}");

        let script = zip_with(
            "bootstrap",
            0o755,
            b"#!/bin/sh\necho hello world, not ELF\n",
        );
        let text = check_code(&script, Architecture::Arm64)
            .unwrap_err()
            .to_string();
        assert!(text.contains("not a 64-bit little-endian ELF"), "{text}");
    }
}
