//! The conformance suite (`tests/conformance-suite`): every program, in every mode of
//! [`common::MODES`] (`--no-jit`, default in the background, `--jit-threshold 1` inline, `--jit-threshold 2` in the background), must
//! print exactly what CPython 3.11 printed and exit with the same status; programs in
//! `unsupported/` must be rejected with status 1, empty stdout and "not supported" on stderr.
//!
//! Same checks as the suite's own `run` script (which stays the reference; see its README), plus
//! "no Rust panic on stderr". All failures are listed together at the end.
//!
//! This test target has its own `main` (`harness = false` in Cargo.toml): libtest captures what
//! a passing test prints, and the summary line ("conformance: 204 runs passed (68 programs × 3
//! modes)") belongs in the normal `cargo test` output. The few libtest arguments that matter are
//! honoured: `--list`, a name filter (`cargo test NAME`), `--exact`, `--skip`, `--ignored`.
//!
//!     cargo test --release --test conformance
//!     TOYJIT_TEST_FILTER=t1_,err_ cargo test --release --test conformance   # a subset
//!     TOYJIT_TEST_PYTHON=python3 cargo test --release --test conformance  # self-check vs CPython

mod common;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

const SUITE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance-suite");

/// The one test this target holds, by the name libtest would give it.
const TEST_NAME: &str = "conformance_suite";

/// What the libtest-style arguments ask of this target.
#[derive(Debug, PartialEq)]
enum Request {
    List,
    Run,
    FilteredOut,
}

/// Reads the arguments cargo passes on (`cargo test [FILTER] -- [FLAGS]`); flags this target has
/// no use for (`--nocapture`, `--test-threads N`, `--color X`, ...) are accepted and ignored.
fn parse_request(args: &[String]) -> Request {
    let mut filters = Vec::new();
    let mut skips = Vec::new();
    let (mut exact, mut list, mut ignored_only) = (false, false, false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list" => list = true,
            "--exact" => exact = true,
            "--ignored" => ignored_only = true,
            "--skip" => skips.extend(args.next().cloned()),
            // Flags with a value: skip the value too.
            "--test-threads" | "--color" | "--format" | "--logfile" | "-Z" | "--shuffle-seed" | "--report-time" => {
                args.next();
            }
            flag if flag.starts_with('-') => {}
            filter => filters.push(filter.to_string()),
        }
    }
    let matches = |pattern: &str| if exact { TEST_NAME == pattern } else { TEST_NAME.contains(pattern) };
    let selected = (filters.is_empty() || filters.iter().any(|f| matches(f)))
        && !skips.iter().any(|s| matches(s))
        && !ignored_only;
    match (list, selected) {
        (true, true) => Request::List,
        (true, false) | (false, false) => Request::FilteredOut,
        (false, true) => Request::Run,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let request = parse_request(&args);
    let listing = args.iter().any(|a| a == "--list");
    match request {
        Request::List => {
            println!("{TEST_NAME}: test");
            return ExitCode::SUCCESS;
        }
        Request::FilteredOut if listing => return ExitCode::SUCCESS,
        Request::FilteredOut => {
            println!(
                "\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out\n"
            );
            return ExitCode::SUCCESS;
        }
        Request::Run => {}
    }
    println!("\nrunning 1 test");
    let start = Instant::now();
    let result = common::run_suite("conformance", Path::new(SUITE), false, common::DEFAULT_TIMEOUT);
    let seconds = start.elapsed().as_secs_f64();
    match result {
        Ok(summary) => {
            println!("{summary}");
            println!("test {TEST_NAME} ... ok\n");
            println!(
                "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in {seconds:.2}s\n"
            );
            ExitCode::SUCCESS
        }
        Err(report) => {
            println!("test {TEST_NAME} ... FAILED\n");
            eprintln!("{report}\n");
            println!(
                "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in {seconds:.2}s\n"
            );
            ExitCode::FAILURE
        }
    }
}
