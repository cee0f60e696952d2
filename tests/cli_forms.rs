//! The command line's python3 habits: `toyjit FILE [ARGS]` runs a file as `python3 FILE` does
//! (flags before FILE, what follows FILE belongs to the program), and flag errors say what was
//! meant. `toyjit run` and the robustness checks are in tests/cli.rs.
//!
//!     cargo test --release --test cli_forms

mod common;

use common::{RunOutput, run_with_timeout, scratch_dir, toyjit};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A program whose hot loop the JIT compiles, so `--stats` has something to say.
const LOOP_PROGRAM: &str = "t = 0\nfor i in range(5000):\n    t += i % 7\nprint(t)\n";

fn toyjit_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> RunOutput {
    let mut cmd = Command::new(toyjit());
    cmd.args(args).current_dir(dir);
    let out = run_with_timeout(&mut cmd, stdin, TIMEOUT).expect("cannot start toyjit");
    assert!(!out.timed_out, "toyjit {args:?} timed out: {}", out.describe());
    out
}

fn dir_with_loop_program(test: &str) -> std::path::PathBuf {
    let dir = scratch_dir(test);
    fs::write(dir.join("loop.toy"), LOOP_PROGRAM).unwrap();
    dir
}

#[test]
fn a_file_runs_without_the_run_command_with_any_run_flag() {
    let dir = dir_with_loop_program("forms-file");
    let reference = toyjit_in(&dir, &["run", "loop.toy"], None);
    assert_eq!(reference.code(), Some(0), "{}", reference.describe());
    for flags in [&[][..], &["--no-jit"], &["--jit-threshold", "1"], &["--stats"], &["--trace-dump=events"]] {
        let mut args = flags.to_vec();
        args.push("loop.toy");
        let out = toyjit_in(&dir, &args, None);
        assert_eq!(out.code(), Some(0), "toyjit {args:?}: {}", out.describe());
        assert_eq!(out.stdout, reference.stdout, "toyjit {args:?} printed something else than `run`");
    }
    let stats = toyjit_in(&dir, &["--stats", "loop.toy"], None);
    assert!(stats.stderr_text().contains("traces compiled: 1"), "--stats before FILE: {}", stats.describe());
    let no_jit = toyjit_in(&dir, &["--no-jit", "--stats", "loop.toy"], None);
    assert!(no_jit.stderr_text().contains("off (--no-jit)"), "--no-jit before FILE: {}", no_jit.describe());
}

#[test]
fn what_follows_the_file_belongs_to_the_program() {
    let dir = dir_with_loop_program("forms-args");
    let out = toyjit_in(&dir, &["loop.toy", "some", "--stats"], None);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    // `--stats` went to the program (as python3 would pass it), not to toyjit; a note says so.
    assert!(!out.stderr_text().contains("traces compiled"), "{}", out.describe());
    assert!(out.stderr_text().contains("`--stats` after FILE"), "{}", out.describe());
}

#[test]
fn a_dash_or_no_file_reads_the_program_from_stdin() {
    let dir = scratch_dir("forms-stdin");
    for args in [&["-"][..], &[], &["--no-jit"]] {
        let out = toyjit_in(&dir, args, Some(b"print(6 * 7)\n"));
        assert_eq!((out.code(), out.stdout_text().as_str()), (Some(0), "42\n"), "toyjit {args:?}: {}", out.describe());
    }
}

#[test]
fn a_dump_level_after_a_space_names_the_form_with_equals() {
    let dir = dir_with_loop_program("forms-dump-space");
    for command in [&[][..], &["run"]] {
        let mut args = command.to_vec();
        args.extend(["--trace-dump", "ir", "loop.toy"]);
        let out = toyjit_in(&dir, &args, None);
        assert_eq!(out.code(), Some(2), "toyjit {args:?}: {}", out.describe());
        assert!(out.stdout.is_empty(), "nothing runs: {}", out.describe());
        assert!(out.stderr_text().contains("`--trace-dump=ir`"), "toyjit {args:?}: {}", out.describe());
    }
}

#[test]
fn bad_values_are_refused_listing_what_help_lists() {
    let dir = dir_with_loop_program("forms-bad-values");
    let help = toyjit_in(&dir, &["--help"], None).stdout_text();
    let out = toyjit_in(&dir, &["--trace-dump=bogus", "loop.toy"], None);
    assert_eq!(out.code(), Some(2), "{}", out.describe());
    let listed = out.stderr_text();
    let listed = listed.split("[possible values: ").nth(1).and_then(|rest| rest.split(']').next()).unwrap_or_default();
    assert!(!listed.is_empty(), "the error lists the values: {}", out.describe());
    assert!(help.contains(&format!("[possible values: {listed}]")), "--help lists {listed:?} too: {help}");
    for args in [&["--jit-threshold", "0", "loop.toy"][..], &["run", "--jit-threshold", "0", "loop.toy"]] {
        let out = toyjit_in(&dir, args, None);
        assert_eq!(out.code(), Some(2), "toyjit {args:?}: {}", out.describe());
        assert!(out.stdout.is_empty() && out.stderr_text().contains("--jit-threshold"), "{}", out.describe());
    }
}

#[test]
fn compare_times_both_engines_and_checks_they_agree() {
    let dir = dir_with_loop_program("forms-compare");
    let out = toyjit_in(&dir, &["compare", "--no-peers", "--runs", "2", "loop.toy"], None);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    let text = out.stdout_text();
    assert!(text.starts_with("loop.toy: outputs agree (2 engines, best of 2 runs)\n"), "{text}");
    let rows: Vec<&str> = text.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "one row per engine: {text}");
    assert!(rows[0].trim_start().starts_with("toyjit --no-jit") && rows[0].ends_with("1.00x"), "{text}");
    assert!(rows[1].trim_start().starts_with("toyjit (JIT)"), "{text}");
    let program_output = toyjit_in(&dir, &["loop.toy"], None).stdout_text();
    assert!(!text.contains(program_output.trim()), "the program's own output is not shown: {text}");
}

#[test]
fn compare_of_a_missing_file_is_a_usage_error() {
    let dir = scratch_dir("forms-compare-missing");
    let out = toyjit_in(&dir, &["compare", "--no-peers", "nothing.toy"], None);
    assert_eq!(out.code(), Some(2), "{}", out.describe());
    assert!(out.stdout.is_empty() && out.stderr_text().contains("nothing.toy"), "{}", out.describe());
}
