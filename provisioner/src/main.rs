//! The `worktime` binary: everything is in the library (`worktime::main`), so that the
//! compiler sees every item's use and flags dead code.

fn main() -> std::process::ExitCode {
    worktime::main()
}
