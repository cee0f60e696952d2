//! Golden tests of the teaching dump: for each program in `tests/dump/`, the trace dump of
//! `toyjit run --trace-dump --jit-threshold 1` is pinned in `tests/snapshots/` (insta), and the
//! program's output must equal the interpreter's.
//!
//! The default level shows the recorded bytecode and the optimized trace IR: what the recorder
//! and the optimizer did. Only one test ([`ir_dump_of_a_countdown_loop`]) pins `--trace-dump=ir`,
//! which adds the IR as recorded, the optimizer's per-pass lines and the Cranelift IR, so that a
//! Cranelift upgrade (which changes the Cranelift IR it prints) churns one snapshot, not all.
//!
//! The dump is deterministic by design (no addresses, no timings), so a change in a snapshot is
//! a change in what the JIT records, optimizes or generates: review it, then refresh with
//!
//!     INSTA_UPDATE=always cargo test --release --test jit_dump
//!
//! (or `cargo insta review` if cargo-insta is installed).

use std::path::Path;
use std::process::Command;

const DUMP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dump");

fn run(args: &[&str], program: &Path) -> (String, String, Option<i32>) {
    let output = Command::new(env!("CARGO_BIN_EXE_toyjit"))
        .arg("run")
        .args(args)
        .arg(program.file_name().expect("a file"))
        .current_dir(program.parent().expect("a folder"))
        .output()
        .expect("toyjit runs");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code(),
    )
}

fn check(name: &str) {
    check_level(name, name, "--trace-dump");
}

fn check_level(name: &str, snapshot: &str, flag: &str) {
    let program = Path::new(DUMP_DIR).join(format!("{name}.toy"));
    let (jit_out, dump, jit_status) = run(&[flag, "--jit-threshold", "1"], &program);
    let (interp_out, _, interp_status) = run(&["--no-jit"], &program);
    assert_eq!(jit_out, interp_out, "{name}: the JIT changed the output");
    assert_eq!(jit_status, interp_status, "{name}: the JIT changed the exit status");
    insta::assert_snapshot!(snapshot, dump);
}

/// The one snapshot of `--trace-dump=ir`: the IR as recorded, one line per optimizer pass, and
/// the Cranelift IR of a small loop.
#[test]
fn ir_dump_of_a_countdown_loop() {
    check_level("count_down", "count_down", "--trace-dump=ir");
}

#[test]
fn dump_of_a_float_loop_with_a_break() {
    check("float_escape");
}

#[test]
fn dump_of_a_list_reading_for_loop() {
    check("list_sum");
}

#[test]
fn dump_of_loops_the_jit_gives_up_on() {
    check("aborts");
}

/// Nested loops: the inner loop's trace, side traces from its exits, the outer loop linking to
/// the inner trace.
#[test]
fn dump_of_nested_loops_with_side_traces() {
    check_level("nested", "nested_default", "--trace-dump");
}

/// A call inlined into a loop: the callee's bytecode indented under its `Call`, its slots named
/// `scale.x`, and snapshots inside it marked `in scale` (the exit re-creates its frame).
#[test]
fn dump_of_an_inlined_call() {
    check_level("inlined_call", "inlined_call_default", "--trace-dump");
}

/// A loop calling a function that has a loop: the callee's loop gets its trace first; the
/// caller's trace (at module level: it uses globals, stored before the call) calls it
/// (`CallInterp`), which runs the callee's entry trace natively once it has one (until session
/// 13 the call was inlined up to the loop's header and the trace ended by linking to it).
#[test]
fn dump_of_a_loop_calling_a_function_with_a_loop() {
    check("callee_loop");
}

/// A loop calling its own function (which has a loop): the recursive call runs in the
/// interpreter (`CallInterp`, "calls count in the interpreter"), the callee's loop running this
/// same trace.
#[test]
fn dump_of_a_recursive_call_run_in_the_interpreter() {
    check("interp_call");
}

/// With nothing hot the dump says so, and with `--no-jit` it says the JIT is off (rather than
/// printing nothing, which looks like a broken flag).
#[test]
fn dump_says_when_nothing_was_compiled_or_the_jit_is_off() {
    let program = Path::new(DUMP_DIR).join("aborts.toy");
    let (_, dump, _) = run(&["--trace-dump", "--jit-threshold", "1000000"], &program);
    assert!(dump.contains("[jit] nothing was compiled: no loop ran 1000000 times"), "{dump}");
    let (_, dump, _) = run(&["--trace-dump", "--no-jit"], &program);
    assert_eq!(dump, "[jit] off (--no-jit): nothing is recorded or compiled\n");
}

/// `programs/fib.toy` at the default threshold (the walkthrough in docs/JIT.md): fib's
/// function-entry trace (its recursive case, with two native calls of fib itself, each
/// returning to the trace that made it), the side trace of its base case.
#[test]
fn dump_of_fib_with_native_recursion() {
    let program = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/programs/fib.toy"));
    let (jit_out, dump, jit_status) = run(&["--trace-dump"], program);
    let (interp_out, _, interp_status) = run(&["--no-jit"], program);
    assert_eq!(jit_out, interp_out, "fib: the JIT changed the output");
    assert_eq!(jit_status, interp_status, "fib: the JIT changed the exit status");
    insta::assert_snapshot!("fib", dump);
}

/// Strings and dicts: a char loop with `ord`/`chr` inline, string methods and dict reads and
/// writes as runtime helpers (`Helper1`..`Helper3`), a string carried by the loop.
#[test]
fn dump_of_strings_and_dicts() {
    check("strings");
}

/// Allocation removal: a pair updated each iteration is never allocated in the loop; the
/// exits that need it build it (`... materialized at exit N`).
#[test]
fn dump_of_a_virtual_loop_carried_pair() {
    check("tuple_pair");
}
