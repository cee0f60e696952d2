//! toyjit's own golden programs (`tests/golden/`) and the example programs (`programs/`).
//!
//! `tests/golden/NAME.toy` probes an edge case beyond the conformance suite (`tests/conformance-suite`); its
//! `NAME.out` and `NAME.status` (and `NAME.err`, the exception class, for error tests) come from
//! CPython 3.11 and are never written by hand. `tests/golden/unsupported/` holds programs outside
//! Toy. Checks and modes are those of the conformance suite (see `tests/common/mod.rs`).
//!
//! Regenerate one expected file after changing a program (from tests/golden):
//!
//!     n=NAME; PYTHONIOENCODING=utf-8 python3 $n.toy > $n.out 2> /tmp/$n.stderr; echo $? > $n.status
//!
//! and, for an error test, put the exception class from the last stderr line into `NAME.err`.

mod common;

use std::path::Path;
use std::time::Duration;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
const PROGRAMS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/programs");

#[test]
fn golden_programs() {
    common::check_suite("golden", Path::new(GOLDEN), false, common::DEFAULT_TIMEOUT);
}

/// The example programs print what CPython prints (`programs/NAME.out`), in every mode.
/// They are bigger (mandel and primes take seconds even in CPython), hence the longer timeout.
#[test]
fn example_programs() {
    common::check_suite("programs", Path::new(PROGRAMS), true, Duration::from_secs(180));
}
