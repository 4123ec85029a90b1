//! The `snapctl` binary for tests/e2e_cli.rs: the same one line as
//! `crates/snapctl/src/main.rs`, built in this package so that cargo gives the end-to-end
//! tests its path (`CARGO_BIN_EXE_snapctl-e2e`) and rebuilds it with them.

fn main() -> std::process::ExitCode {
    snapctl::main()
}
