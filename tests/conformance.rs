//! The conformance suite (`tests/conformance-suite`): every program, in every mode of
//! [`common::MODES`] (`--no-jit`, default, `--jit-threshold 1`), must print exactly what CPython
//! 3.11 printed and exit with the same status; programs in `unsupported/` must be rejected with
//! status 1, empty stdout and "not supported" on stderr.
//!
//! Same checks as the suite's own `run` script (which stays the reference; see its README), plus
//! "no Rust panic on stderr". All failures are listed together at the end.
//!
//!     cargo test --release --test conformance
//!     TOYJIT_TEST_FILTER=t1_,err_ cargo test --release --test conformance   # a subset
//!     TOYJIT_TEST_PYTHON=python3 cargo test --release --test conformance  # self-check vs CPython

mod common;

use std::path::Path;

const SUITE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance-suite");

#[test]
fn conformance_suite() {
    common::check_suite("conformance", Path::new(SUITE), false, common::DEFAULT_TIMEOUT);
}
