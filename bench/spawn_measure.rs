//! One measured process run for `make bench` (compiled by scripts/bench.sh with plain
//! `rustc -O`; no crates).
//!
//!     spawn-measure STDOUT_FILE STDERR_FILE -- PROGRAM [ARGS...]
//!
//! Runs PROGRAM once (stdin /dev/null, stdout and stderr to the files) and prints one line:
//! `<wall nanoseconds> <peak RSS KiB> <exit code>` (exit code -N: killed by signal N).
//!
//! Why not time it from the Python harness directly: on Linux a child's ru_maxrss starts at
//! the RSS of the process it was forked (or vfork/posix_spawn-ed) from, because exec records
//! the old address space's high-water mark. Spawned from a 40 MiB Python, every child "peaks"
//! at >= 40 MiB. Spawned from this ~1 MiB program, the number is the child's own. The wall
//! time is taken here too, spawn to reap, so no interpreter start-up is in it.

use std::fs::File;
use std::process::{Command, Stdio};
use std::time::Instant;

/// `struct rusage` on 64-bit Linux: two timevals (4 longs) then 14 longs; ru_maxrss is the
/// first of those 14.
#[repr(C)]
struct Rusage {
    fields: [i64; 18],
}

extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 || args[3] != "--" {
        eprintln!("usage: spawn-measure STDOUT_FILE STDERR_FILE -- PROGRAM [ARGS...]");
        std::process::exit(2);
    }
    let stdout = File::create(&args[1]).unwrap_or_else(|e| fail(&args[1], e));
    let stderr = File::create(&args[2]).unwrap_or_else(|e| fail(&args[2], e));
    let mut command = Command::new(&args[4]);
    command
        .args(&args[5..])
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);

    let start = Instant::now();
    let child = command.spawn().unwrap_or_else(|e| fail(&args[4], e));
    let mut status: i32 = 0;
    let mut usage = Rusage { fields: [0; 18] };
    let pid = child.id() as i32;
    let reaped = loop {
        let r = unsafe { wait4(pid, &mut status, 0, &mut usage) };
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let wall = start.elapsed();
    if reaped != pid {
        fail("wait4", std::io::Error::last_os_error());
    }
    // WIFEXITED / WEXITSTATUS / WTERMSIG, as glibc defines them.
    let code = if status & 0x7f == 0 {
        (status >> 8) & 0xff
    } else {
        -(status & 0x7f)
    };
    println!("{} {} {}", wall.as_nanos(), usage.fields[4], code);
}

fn fail(what: &str, error: std::io::Error) -> ! {
    eprintln!("spawn-measure: {what}: {error}");
    std::process::exit(3);
}
