//! The function as it ships: the arm64 `bootstrap.zip` that `make lambda` builds (profile
//! `function`, fat LTO, cargo-lambda's zig linker against glibc), run on this machine.
//!
//! On an x86_64 machine the arm64 binary runs under QEMU's user-mode emulator (Debian package
//! `qemu-user`), which needs the arm64 dynamic loader and C library the binary is linked
//! against (Debian package `libc6-arm64-cross`, installed under `/usr/aarch64-linux-gnu`).
//! `.ci/run` installs both. Nothing here skips: a missing zip, emulator or library fails the
//! test with the command or package that provides it.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::workspace_root;

/// Where `make lambda` leaves the zip (`cargo lambda build --output-format zip`).
pub const SHIPPED_ZIP: &str = "target/lambda/bootstrap/bootstrap.zip";

/// The arm64 C runtime of Debian's `libc6-arm64-cross`: QEMU's `-L` prefix, under which the
/// binary's interpreter `/lib/ld-linux-aarch64.so.1` and its libraries are found.
pub const ARM64_SYSROOT: &str = "/usr/aarch64-linux-gnu";

/// `make lambda`'s zip, checked to be there and not older than the function's sources: a
/// zip left from an earlier build would test code that no longer exists.
pub fn shipped_function_zip() -> PathBuf {
    let zip = workspace_root().join(SHIPPED_ZIP);
    let built = std::fs::metadata(&zip)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}: run `make lambda` (make test does) to build the function zip this test runs",
                zip.display()
            )
        });
    let lambda = workspace_root().join("lambda");
    // The lock file too: a dependency bump changes what ships.
    let mut sources = vec![
        lambda.join("Cargo.toml"),
        workspace_root().join("Cargo.lock"),
    ];
    collect_files(&lambda.join("src"), &mut sources);
    for source in sources {
        let changed = modified(&source);
        assert!(
            changed <= built,
            "{} is older than {}: run `make lambda` (make test does) so that the test runs the current code",
            zip.display(),
            source.display()
        );
    }
    zip
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// Extracts the zip's `bootstrap` into `dir` as Lambda does (executable), and returns its
/// path. Panics unless the zip holds exactly that one file.
pub fn unzip_bootstrap(zip: &[u8], dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a zip archive");
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    assert_eq!(
        names,
        ["bootstrap"],
        "the function zip holds only bootstrap"
    );
    let mut entry = archive.by_name("bootstrap").expect("bootstrap in the zip");
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).expect("unzip bootstrap");
    let path = dir.join("bootstrap");
    std::fs::write(&path, &bytes).expect("write bootstrap");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// The ELF machine of an executable: `EM_AARCH64` (183) or `EM_X86_64` (62).
pub fn elf_machine(path: &Path) -> u16 {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        bytes.get(..4),
        Some(&b"\x7fELF"[..]),
        "{} is ELF",
        path.display()
    );
    u16::from_le_bytes([bytes[18], bytes[19]])
}

pub const EM_AARCH64: u16 = 183;

/// The command an arm64 Linux executable runs under on this machine: nothing on an arm64
/// machine; else `qemu-aarch64 -L /usr/aarch64-linux-gnu` (qemu-user-static's
/// `qemu-aarch64-static` also does). Panics naming the Debian package when either is missing.
pub fn arm64_runner() -> Vec<OsString> {
    if std::env::consts::ARCH == "aarch64" {
        return Vec::new();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let qemu = ["qemu-aarch64", "qemu-aarch64-static"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "qemu-aarch64 not found on PATH: the arm64 function runs under QEMU's user-mode \
                 emulator here; install it with `apt-get install qemu-user` (.ci/run does)"
            )
        });
    let loader = Path::new(ARM64_SYSROOT).join("lib/ld-linux-aarch64.so.1");
    assert!(
        loader.is_file(),
        "{} not found: the arm64 function is linked against glibc and needs its loader and C \
         library; install them with `apt-get install libc6-arm64-cross` (.ci/run does)",
        loader.display()
    );
    vec![qemu.into(), "-L".into(), ARM64_SYSROOT.into()]
}
