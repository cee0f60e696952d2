//! Runtime tracebacks exactly as CPython 3.11 prints them, caret lines included (`tests/tracebacks/`):
//! every program, in every mode of [`common::MODES`], must write CPython's stderr byte for byte,
//! besides its stdout and exit status. The expected files come from python3 (see the README there).
//!
//!     cargo test --release --test tracebacks

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

const FOLDER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tracebacks");

#[test]
fn tracebacks_match_cpython_byte_for_byte() {
    let folder = Path::new(FOLDER);
    let mut names: Vec<String> = fs::read_dir(folder)
        .expect("tests/tracebacks is part of the repository")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok()?.strip_suffix(".toy").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 3, "too few programs in {FOLDER}: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let read =
            |ext: &str| fs::read(folder.join(format!("{name}.{ext}"))).unwrap_or_else(|e| panic!("{name}.{ext}: {e}"));
        let (want_out, want_err) = (read("out"), read("stderr"));
        let want_status: i32 = String::from_utf8_lossy(&read("status")).trim().parse().expect("a status number");
        for mode in common::MODES {
            let mut command = Command::new(common::toyjit());
            command.args(*mode).arg(format!("{name}.toy")).current_dir(folder);
            let run = common::run_with_timeout(&mut command, None, common::DEFAULT_TIMEOUT).expect("cannot run toyjit");
            let label = format!("{name} [{}]", common::mode_label(mode));
            if run.code() != Some(want_status) || run.stdout != want_out {
                failures.push(format!("{label}: stdout or status differ: {}", run.describe()));
            } else if run.stderr != want_err {
                failures.push(format!(
                    "{label}: stderr differs from CPython's\n--- expected\n{}--- got\n{}",
                    String::from_utf8_lossy(&want_err),
                    run.stderr_text()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}
