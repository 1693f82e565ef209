//! The function zips a release binary carries: appended to the executable by `make dist`
//! (`worktime package`), read back from the running executable, so that `worktime bootstrap`
//! deploys from any directory with no cargo, cargo-lambda, zig or Python on PATH.
//!
//! Why appended, not compiled in: the binary CI tests is the binary that ships. A compiled-in
//! zip would need a second build of the CLI with the zips present at compile time; an ELF
//! executable runs unchanged with data after its last section (the loader maps only what its
//! program headers name), as `deno compile` and `bun build --compile` also rely on.
//!
//! Layout after the executable's own bytes:
//! `zip… | index (JSON) | index length (u64, little-endian) | MAGIC`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Architecture;

/// Ends a packed executable. Versioned: a later layout gets a new magic.
pub const MAGIC: &[u8; 16] = b"worktime-fn-zip1";
const TRAILER: u64 = 8 + MAGIC.len() as u64;
/// No index is larger: two entries of a few dozen bytes each.
const MAX_INDEX: u64 = 64 * 1024;

/// One carried zip: where it is in the executable and its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// `arm64` or `x86_64`, as `[function] architecture`.
    pub architecture: String,
    pub offset: u64,
    pub length: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Index {
    functions: Vec<Entry>,
}

/// What an executable carries (nothing for a plain build).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    pub executable: PathBuf,
    /// Where the executable's own bytes end (the first zip starts here).
    pub program_length: u64,
    pub functions: Vec<Entry>,
}

/// Why a packed executable cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the function zips appended to this executable are damaged ({why}); download the release binary again or rebuild it with make dist")]
    Damaged { path: PathBuf, why: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EmbeddedError + '_ {
    move |source| EmbeddedError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Carried {
    /// Reads the index of `executable`: `None` when nothing is appended to it.
    pub fn read(executable: &Path) -> Result<Option<Carried>, EmbeddedError> {
        let mut file = File::open(executable).map_err(io(executable))?;
        let size = file.metadata().map_err(io(executable))?.len();
        if size < TRAILER {
            return Ok(None);
        }
        file.seek(SeekFrom::Start(size - TRAILER))
            .map_err(io(executable))?;
        let mut trailer = [0u8; TRAILER as usize];
        file.read_exact(&mut trailer).map_err(io(executable))?;
        if &trailer[8..] != MAGIC {
            return Ok(None);
        }
        let damaged = |why: String| EmbeddedError::Damaged {
            path: executable.to_path_buf(),
            why,
        };
        let index_length = u64::from_le_bytes(trailer[..8].try_into().unwrap_or_default());
        if index_length > MAX_INDEX || index_length > size - TRAILER {
            return Err(damaged(format!("an index of {index_length} bytes")));
        }
        let index_start = size - TRAILER - index_length;
        file.seek(SeekFrom::Start(index_start))
            .map_err(io(executable))?;
        let mut raw = vec![0u8; index_length as usize];
        file.read_exact(&mut raw).map_err(io(executable))?;
        let index: Index =
            serde_json::from_slice(&raw).map_err(|e| damaged(format!("its index: {e}")))?;
        let program_length = index
            .functions
            .iter()
            .map(|f| f.offset)
            .min()
            .unwrap_or(index_start);
        for entry in &index.functions {
            if entry.sha256.len() != 64 || !entry.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(damaged(format!(
                    "the {} zip's hash is not a SHA-256",
                    entry.architecture
                )));
            }
            if entry.offset < program_length
                || entry.offset.saturating_add(entry.length) > index_start
            {
                return Err(damaged(format!(
                    "the {} zip lies outside the appended data",
                    entry.architecture
                )));
            }
        }
        Ok(Some(Carried {
            executable: executable.to_path_buf(),
            program_length,
            functions: index.functions,
        }))
    }

    /// The zip for `architecture`, checked against its recorded hash.
    pub fn zip(&self, architecture: Architecture) -> Result<Option<Vec<u8>>, EmbeddedError> {
        let Some(entry) = self
            .functions
            .iter()
            .find(|f| f.architecture == architecture.as_str())
        else {
            return Ok(None);
        };
        let mut file = File::open(&self.executable).map_err(io(&self.executable))?;
        file.seek(SeekFrom::Start(entry.offset))
            .map_err(io(&self.executable))?;
        let mut bytes = vec![0u8; entry.length as usize];
        file.read_exact(&mut bytes).map_err(io(&self.executable))?;
        if hex::encode(Sha256::digest(&bytes)) != entry.sha256 {
            return Err(EmbeddedError::Damaged {
                path: self.executable.clone(),
                why: format!("the {} zip does not match its hash", entry.architecture),
            });
        }
        Ok(Some(bytes))
    }

    /// `arm64 3f2a…, x86_64 91bc…`: what `--version` names.
    pub fn summary(&self) -> String {
        self.functions
            .iter()
            .map(|f| format!("{} {}", f.architecture, &f.sha256[..16]))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The running executable's carried functions; `None` for a plain build or when it cannot
/// be found. On Linux it is read through `/proc/self/exe`, which still opens the running
/// file after it was replaced or deleted (an upgrade while it runs); `current_exe` then
/// names a path that is gone.
pub fn of_this_executable() -> Result<Option<Carried>, EmbeddedError> {
    let proc_exe = Path::new("/proc/self/exe");
    if cfg!(target_os = "linux") && proc_exe.exists() {
        return Carried::read(proc_exe);
    }
    match std::env::current_exe() {
        Ok(path) => Carried::read(&path),
        Err(_) => Ok(None),
    }
}

/// Writes `out`: the program bytes of `executable` (without anything it already carries)
/// followed by `functions` (architecture, zip bytes) and the index.
pub fn pack(
    executable: &Path,
    functions: &[(Architecture, Vec<u8>)],
    out: &Path,
) -> Result<Vec<Entry>, EmbeddedError> {
    let program_length = match Carried::read(executable)? {
        Some(carried) => carried.program_length,
        None => std::fs::metadata(executable).map_err(io(executable))?.len(),
    };
    let mut program = Vec::with_capacity(program_length as usize);
    File::open(executable)
        .map_err(io(executable))?
        .take(program_length)
        .read_to_end(&mut program)
        .map_err(io(executable))?;
    let mut entries = Vec::new();
    let mut offset = program_length;
    for (architecture, zip) in functions {
        entries.push(Entry {
            architecture: architecture.as_str().to_string(),
            offset,
            length: zip.len() as u64,
            sha256: hex::encode(Sha256::digest(zip)),
        });
        offset += zip.len() as u64;
    }
    let index = serde_json::to_vec(&Index {
        functions: entries.clone(),
    })
    .unwrap_or_default();
    let mut file = File::create(out).map_err(io(out))?;
    let mut write = |bytes: &[u8]| file.write_all(bytes).map_err(io(out));
    write(&program)?;
    for (_, zip) in functions {
        write(zip)?;
    }
    write(&index)?;
    write(&(index.len() as u64).to_le_bytes())?;
    write(MAGIC)?;
    drop(file);
    set_executable(out)?;
    Ok(entries)
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<(), EmbeddedError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(io(path))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> Result<(), EmbeddedError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(dir: &Path) -> PathBuf {
        let path = dir.join("program");
        std::fs::write(&path, b"\x7fELF pretend program bytes").unwrap();
        path
    }

    #[test]
    fn a_plain_executable_carries_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Carried::read(&program(dir.path())).unwrap(), None);
    }

    #[test]
    fn packed_zips_read_back_by_architecture_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("worktime");
        let entries = pack(
            &program(dir.path()),
            &[
                (Architecture::Arm64, b"PK arm zip".to_vec()),
                (Architecture::X86_64, b"PK x86 zip, longer".to_vec()),
            ],
            &out,
        )
        .unwrap();
        assert_eq!(entries.len(), 2);
        let carried = Carried::read(&out).unwrap().unwrap();
        assert_eq!(carried.program_length, 26);
        assert_eq!(
            carried.zip(Architecture::Arm64).unwrap().unwrap(),
            b"PK arm zip"
        );
        assert_eq!(
            carried.zip(Architecture::X86_64).unwrap().unwrap(),
            b"PK x86 zip, longer"
        );
        assert!(
            carried.summary().starts_with("arm64 "),
            "{}",
            carried.summary()
        );
        // The program's own bytes are untouched.
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.starts_with(b"\x7fELF pretend program bytes"));
    }

    #[test]
    fn packing_a_packed_executable_replaces_what_it_carried() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first");
        pack(
            &program(dir.path()),
            &[(Architecture::Arm64, b"old".to_vec())],
            &first,
        )
        .unwrap();
        let second = dir.path().join("second");
        pack(&first, &[(Architecture::Arm64, b"new".to_vec())], &second).unwrap();
        let carried = Carried::read(&second).unwrap().unwrap();
        assert_eq!(carried.program_length, 26);
        assert_eq!(carried.functions.len(), 1);
        assert_eq!(carried.zip(Architecture::Arm64).unwrap().unwrap(), b"new");
        assert_eq!(carried.zip(Architecture::X86_64).unwrap(), None);
    }

    #[test]
    fn a_changed_zip_is_refused_by_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("worktime");
        pack(
            &program(dir.path()),
            &[(Architecture::Arm64, b"PK arm zip".to_vec())],
            &out,
        )
        .unwrap();
        let mut bytes = std::fs::read(&out).unwrap();
        bytes[27] ^= 0xff;
        std::fs::write(&out, bytes).unwrap();
        let error = Carried::read(&out)
            .unwrap()
            .unwrap()
            .zip(Architecture::Arm64)
            .unwrap_err();
        assert!(
            error.to_string().contains("does not match its hash"),
            "{error}"
        );
    }

    #[test]
    fn an_index_whose_hash_is_not_a_sha256_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("worktime");
        let index = br#"{"functions":[{"architecture":"arm64","offset":7,"length":2,"sha256":"\u00e9\u00e9"}]}"#;
        let mut bytes = b"programPK".to_vec();
        bytes.extend_from_slice(index);
        bytes.extend_from_slice(&(index.len() as u64).to_le_bytes());
        bytes.extend_from_slice(MAGIC);
        std::fs::write(&out, bytes).unwrap();
        let error = Carried::read(&out).unwrap_err();
        assert!(error.to_string().contains("not a SHA-256"), "{error}");
    }

    #[test]
    fn a_damaged_index_is_an_error_not_a_guess() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("worktime");
        let mut bytes = b"program".to_vec();
        bytes.extend_from_slice(b"{not json");
        bytes.extend_from_slice(&9u64.to_le_bytes());
        bytes.extend_from_slice(MAGIC);
        std::fs::write(&out, bytes).unwrap();
        let error = Carried::read(&out).unwrap_err();
        assert!(error.to_string().contains("damaged"), "{error}");
    }
}
