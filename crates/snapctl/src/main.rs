//! The `snapctl` binary: everything is in the library ([`snapctl::main`]), so that the
//! binary the end-to-end tests drive is built from exactly this one line.

fn main() -> std::process::ExitCode {
    snapctl::main()
}
