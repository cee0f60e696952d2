//! Edges of the source and of the compiler's limits, each checked against what python3 3.11
//! does with the same input (the expected status, stdout and last stderr line below were taken
//! from python3 3.11.7 runs of these exact sources): NUL bytes, int literals past the
//! 4,300-digit limit, a directory given as the program, displays of 70,000 elements, `+` chains
//! and unary chains near CPython's compile depth (~3,000), a call with 65,536 arguments and a
//! function with 65,536 locals (refused as "not supported", never an internal error), and
//! absurd nesting (an error, never a Rust stack overflow). Every program runs in all three modes.

mod common;

use common::{MODES, RunOutput, run_with_timeout, scratch_dir, toyjit};
use std::fs;
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// `toyjit run MODE prog.toy` on `source` (bytes: it may hold a NUL).
fn run(test: &str, source: &[u8], mode: &[&str]) -> RunOutput {
    let dir = scratch_dir(test);
    fs::write(dir.join("prog.toy"), source).unwrap();
    let mut cmd = Command::new(toyjit());
    cmd.arg("run").args(mode).arg("prog.toy").current_dir(&dir);
    let out = run_with_timeout(&mut cmd, None, TIMEOUT).expect("cannot start toyjit");
    assert!(!out.timed_out, "{test} {mode:?}: timed out");
    let err = out.stderr_text();
    assert!(
        out.signal().is_none() && !err.contains("panicked") && !err.contains("overflowed"),
        "{test}: {}",
        out.describe()
    );
    assert!(!err.contains("internal compiler error"), "{test} {mode:?}: {}", out.describe());
    out
}

fn last_line(text: &str) -> &str {
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
}

/// In every mode: python3's status and stdout, and stderr ending with `last_stderr` (if given).
fn expect(test: &str, source: &[u8], status: i32, stdout: &str, last_stderr: Option<&str>) {
    for mode in MODES {
        let out = run(test, source, mode);
        assert_eq!(out.code(), Some(status), "{test} {mode:?}: {}", out.describe());
        assert_eq!(out.stdout_text(), stdout, "{test} {mode:?}");
        if let Some(want) = last_stderr {
            assert_eq!(last_line(&out.stderr_text()), want, "{test} {mode:?}");
        }
    }
}

#[test]
fn a_nul_byte_anywhere_is_a_syntax_error() {
    let want = Some("SyntaxError: source code cannot contain null bytes");
    expect("nul_string", b"print('before')\nx = \"a\0b\"\nprint(len(x))\n", 1, "", want);
    expect("nul_comment", b"print(1)\n# \0 comment\n", 1, "", want);
}

#[test]
fn int_literals_past_4300_digits_are_a_syntax_error() {
    let limit = "SyntaxError: Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; \
                 use sys.set_int_max_str_digits() to increase the limit - Consider hexadecimal for huge integer \
                 literals to avoid decimal conversion limits.";
    let over = format!("print('before')\nx = {}\n", "7".repeat(4301));
    expect("int_4301", over.as_bytes(), 1, "", Some(limit));
    let underscored = format!("x = 1_{}\n", "7".repeat(4300));
    expect("int_4301_underscore", underscored.as_bytes(), 1, "", Some(limit));
    let at_limit = format!("x = {}\nprint(len(str(x)))\n", "7".repeat(4300));
    expect("int_4300", at_limit.as_bytes(), 0, "4300\n", None);
    let zeros = format!("x = {}\nprint(x)\n", "0".repeat(4301));
    expect("int_zeros", zeros.as_bytes(), 0, "0\n", None);
    let hex = format!("x = 0x{}\nprint(x % 1000)\n", "f".repeat(5000));
    expect("int_hex", hex.as_bytes(), 0, "375\n", None);
}

#[test]
fn a_directory_as_the_program_is_status_1() {
    let dir = scratch_dir("directory");
    fs::create_dir_all(dir.join("package")).unwrap();
    let mut cmd = Command::new(toyjit());
    cmd.args(["run", "package"]).current_dir(&dir);
    let out = run_with_timeout(&mut cmd, None, TIMEOUT).unwrap();
    // python3: "python3: can't find '__main__' module in '/abs/path/package'", status 1.
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    let err = out.stderr_text();
    assert!(
        err.starts_with("toyjit: can't find '__main__' module in '") && err.trim_end().ends_with("package'"),
        "{err}"
    );
}

#[test]
fn displays_of_70000_elements_work() {
    let items = |f: &dyn Fn(usize) -> String| (0..70_000).map(f).collect::<Vec<_>>().join(", ");
    let list = format!("x = [{}]\nprint(len(x), x[0], x[-1], sum(x))\n", items(&|i| i.to_string()));
    expect("list_70000", list.as_bytes(), 0, "70000 0 69999 2449965000\n", None);
    let tuple = format!("x = ({})\nprint(len(x), x[4096], x[-1])\n", items(&|i| format!("'{i}'")));
    expect("tuple_70000", tuple.as_bytes(), 0, "70000 4096 69999\n", None);
    // Later duplicates win, the first key object stays: {1: ..., 1.0: ...} keeps the key 1.
    let dict = format!("x = {{{}, 1.0: 'last'}}\nprint(len(x), x[69999], x[1])\n", items(&|i| format!("{i}: {i}")));
    expect("dict_70000", dict.as_bytes(), 0, "70000 69999 last\n", None);
    let in_function = format!("def f():\n    return [{}]\nprint(len(f()))\n", items(&|i| format!("{i} * 2")));
    expect("list_in_function", in_function.as_bytes(), 0, "70000\n", None);
}

#[test]
fn operator_chains_compile_up_to_cpython_depth() {
    // python3 3.11 compiles `x = 1 + 1 + ...` with 2,998 `+` and gives up at 2,999.
    let chain = |n: usize| format!("x = 1{}\nprint(x)\n", " + 1".repeat(n));
    expect("chain_2500", chain(2500).as_bytes(), 0, "2501\n", None);
    expect("chain_2998", chain(2998).as_bytes(), 0, "2999\n", None);
    let too_deep = Some("RecursionError: maximum recursion depth exceeded during compilation");
    expect("chain_2999", chain(2999).as_bytes(), 1, "", too_deep);
    let unary = |n: usize| format!("x = {}1\nprint(x)\n", "-".repeat(n));
    expect("unary_2997", unary(2997).as_bytes(), 0, "-1\n", None);
    expect("unary_2999", unary(2999).as_bytes(), 1, "", too_deep);
    // Inside a function one level less fits (2,997 `+`).
    let in_function = |n: usize| format!("def f():\n    return 1{}\nprint(f())\n", " + 1".repeat(n));
    expect("function_chain_2997", in_function(2997).as_bytes(), 0, "2998\n", None);
    expect("function_chain_2998", in_function(2998).as_bytes(), 1, "", too_deep);
}

#[test]
fn absurd_nesting_is_an_error_not_a_crash() {
    for (name, source) in [
        ("chain_100000", format!("x = 1{}\n", " + 1".repeat(100_000))),
        ("unary_100000", format!("x = {}1\n", "-".repeat(100_000))),
        ("lists_100000", format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000))),
        ("calls_100000", format!("x = abs{}\n", "(1)".repeat(100_000))),
    ] {
        let out = run(name, source.as_bytes(), &[]);
        assert_eq!(out.code(), Some(1), "{name}: {}", out.describe());
        assert!(out.stdout.is_empty(), "{name}");
    }
}

#[test]
fn too_many_arguments_or_locals_are_refused_before_running() {
    // CPython runs both; Toy refuses them before anything runs (status 1, "not supported").
    let call = format!("print('before')\nprint(max({}))\n", vec!["1"; 65_536].join(", "));
    let locals: String = (0..65_536).map(|i| format!("    v{i} = {i}\n")).collect();
    let function = format!("print('before')\ndef f():\n{locals}    return v65535\nprint(f())\n");
    for (name, source) in [("call_65536", call), ("locals_65536", function)] {
        let out = run(name, source.as_bytes(), &[]);
        assert_eq!(out.code(), Some(1), "{name}: {}", out.describe());
        assert!(out.stdout.is_empty(), "{name}: {}", out.describe());
        assert!(out.stderr_text().contains("not supported"), "{name}: {}", out.describe());
    }
}
