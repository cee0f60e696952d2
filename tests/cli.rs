//! The command line: flags, file handling, stdin, start-up time, and robustness — whatever the
//! input, toyjit ends with a status and a message, never with a panic or a signal.
//!
//!     cargo test --release --test cli

mod common;

use common::{RunOutput, run_with_timeout, scratch_dir, toyjit};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Held by the start-up timing test and by the tests that keep a core busy, so the timing is
/// not measured while they run (the tests of one file run in parallel threads).
static HEAVY: Mutex<()> = Mutex::new(());

fn heavy() -> MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `toyjit ARGS...` (stdin = `stdin` or /dev/null) under a timeout.
fn toyjit_with(args: &[&str], stdin: Option<&[u8]>, cwd: &Path) -> RunOutput {
    let mut cmd = Command::new(toyjit());
    cmd.args(args).current_dir(cwd);
    let out = run_with_timeout(&mut cmd, stdin, TIMEOUT).expect("cannot start toyjit");
    assert!(!out.timed_out, "toyjit {args:?} did not finish within {TIMEOUT:?}: {}", out.describe());
    out
}

/// Writes `source` to DIR/NAME and runs `toyjit run [FLAGS...] NAME` from DIR.
fn run_source(test: &str, name: &str, source: &str, flags: &[&str]) -> RunOutput {
    let dir = scratch_dir(test);
    fs::write(dir.join(name), source).unwrap();
    let mut args = vec!["run"];
    args.extend_from_slice(flags);
    args.push(name);
    toyjit_with(&args, None, &dir)
}

/// No signal, no Rust panic, no stack overflow report.
fn assert_no_crash(out: &RunOutput, what: &str) {
    assert!(out.signal().is_none(), "{what}: crashed: {}", out.describe());
    let err = out.stderr_text();
    assert!(
        !err.contains("panicked") && !err.contains("has overflowed its stack") && out.code() != Some(101),
        "{what}: Rust panic: {}",
        out.describe()
    );
}

#[test]
fn version_names_the_crate_version() {
    let out = toyjit_with(&["--version"], None, Path::new("."));
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    let text = out.stdout_text();
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "--version should print {}: {text:?}", env!("CARGO_PKG_VERSION"));
    assert!(text.to_lowercase().contains("toyjit"), "--version should name toyjit: {text:?}");
}

#[test]
fn help_mentions_run() {
    let out = toyjit_with(&["--help"], None, Path::new("."));
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert!(out.stdout_text().contains("run"), "--help should mention the run command: {:?}", out.stdout_text());
    let out = toyjit_with(&["run", "--help"], None, Path::new("."));
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    for flag in ["--no-jit", "--jit-threshold", "--dump-bytecode", "--stats", "--trace-dump"] {
        assert!(out.stdout_text().contains(flag), "run --help should list {flag}: {:?}", out.stdout_text());
    }
}

#[test]
fn missing_file_is_status_2_with_a_message() {
    let dir = scratch_dir("missing");
    let out = toyjit_with(&["run", "no_such_file.toy"], None, &dir);
    assert_no_crash(&out, "missing file");
    // CPython: "python3: can't open file '.../no_such_file.toy': [Errno 2] No such file or directory", status 2.
    assert_eq!(out.code(), Some(2), "a missing file exits with status 2, like python3: {}", out.describe());
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", out.describe());
    assert!(out.stderr_text().contains("no_such_file.toy"), "stderr should name the file: {}", out.describe());
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let out = run_source("badflag", "ok.toy", "print(1)\n", &["--no-such-flag"]);
    assert_no_crash(&out, "unknown flag");
    assert_eq!(out.code(), Some(2), "usage errors exit with status 2: {}", out.describe());
    assert!(out.stdout.is_empty(), "{}", out.describe());
}

#[test]
fn run_dash_reads_stdin() {
    let src = b"x = 6\nfor i in range(3):\n    x = x * 7\nprint(x, 'from stdin')\n";
    let out = toyjit_with(&["run", "-"], Some(src), Path::new("."));
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert_eq!(out.stdout_text(), "2058 from stdin\n");
}

#[test]
fn jit_flags_are_accepted_in_every_mode() {
    let _heavy = heavy();
    let src = "t = 0\nfor i in range(3000):\n    t += i * 0.5\nprint(t)\n";
    for mode in common::MODES {
        let out = run_source("modes", "loop.toy", src, mode);
        assert_eq!(out.code(), Some(0), "mode {mode:?}: {}", out.describe());
        assert_eq!(out.stdout_text(), "2249250.0\n", "mode {mode:?}");
    }
}

#[test]
fn stats_and_trace_dump_still_run_the_program() {
    let _heavy = heavy();
    let src = "t = 0\nfor i in range(3000):\n    t += i\nprint('result', t)\n";
    for flag in ["--stats", "--trace-dump"] {
        let out = run_source("diag", "loop.toy", src, &[flag]);
        assert_eq!(out.code(), Some(0), "{flag}: {}", out.describe());
        assert!(out.stdout_text().contains("result 4498500\n"), "{flag}: program output missing: {}", out.describe());
    }
}

#[test]
fn dump_bytecode_prints_instead_of_running() {
    let src = "def f(x):\n    return x * 7\nprint(f(1763))\n";
    let out = run_source("dump", "dump.toy", src, &["--dump-bytecode"]);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    let text = out.stdout_text();
    assert!(!text.trim().is_empty(), "--dump-bytecode printed nothing");
    assert!(!text.lines().any(|l| l.trim() == "12341"), "--dump-bytecode must not run the program:\n{text}");
}

#[test]
fn empty_program_prints_nothing_and_starts_fast() {
    let _heavy = heavy();
    let dir = scratch_dir("empty");
    fs::write(dir.join("empty.toy"), "").unwrap();
    let out = toyjit_with(&["run", "empty.toy"], None, &dir);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{}", out.describe());

    // Wall time of 10 runs, spawn to exit; the median must stay far below CPython's ~15 ms.
    // The bound is loose (a loaded CI box); the real target, < 5 ms, is measured by hand.
    let mut times: Vec<Duration> = (0..10)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(toyjit())
                .args(["run", "empty.toy"])
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("cannot start toyjit");
            assert!(status.success());
            start.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    println!("empty program: median {median:?} over 10 runs (min {:?}, max {:?})", times[0], times[9]);
    assert!(median < Duration::from_millis(50), "start-up too slow: median {median:?} over 10 runs ({times:?})");
}

/// Runs `toyjit run MODE NAME` with stdout into a pipe that is closed after the first line, as
/// `| head -1` does; returns the first line, the exit status, stderr and the time from closing
/// the pipe to the exit.
fn run_into_closed_pipe(
    test: &str,
    source: &str,
    mode: &[&str],
) -> (String, std::process::ExitStatus, String, Duration) {
    let dir = scratch_dir(test);
    fs::write(dir.join("prog.toy"), source).unwrap();
    let mut child = Command::new(toyjit())
        .arg("run")
        .args(mode)
        .arg("prog.toy")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start toyjit");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // stdout's reader is dropped here; stderr is drained by a thread while we wait.
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut buf);
        buf
    });
    let start = Instant::now();
    let status = wait_or_kill(&mut child, &format!("{test} {mode:?}: toyjit kept running after its stdout was closed"));
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    (first, status, stderr, elapsed)
}

/// Waits for `child` to end; kills it and fails with `failure` after `TIMEOUT`.
fn wait_or_kill(child: &mut std::process::Child, failure: &str) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{failure}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn an_endless_print_loop_into_head_stops_at_once_with_broken_pipe() {
    let _heavy = heavy();
    // python3 3.11: the traceback of the print, `BrokenPipeError: [Errno 32] Broken pipe`, status 1.
    for mode in common::MODES {
        let source = "x = 5\nwhile True:\n    print(x)\n";
        let (first, status, stderr, elapsed) = run_into_closed_pipe("endless_pipe", source, mode);
        assert_eq!(first, "5\n", "{mode:?}");
        assert_eq!(status.code(), Some(1), "{mode:?}: {status:?} {stderr}");
        assert!(stderr.ends_with("    print(x)\nBrokenPipeError: [Errno 32] Broken pipe\n"), "{mode:?}: {stderr}");
        assert!(elapsed < Duration::from_secs(1), "{mode:?}: {elapsed:?} after the pipe closed");
    }
}

#[test]
fn a_long_finite_program_into_head_exits_as_python3_does() {
    let _heavy = heavy();
    // More output than the pipe holds: the write fails while the program runs (status 1).
    let source = "for i in range(1000000):\n    print(i, 'a line of output')\nprint('end')\n";
    let (first, status, stderr, elapsed) = run_into_closed_pipe("finite_pipe", source, &[]);
    assert_eq!(first, "0 a line of output\n");
    assert_eq!(status.code(), Some(1), "{status:?} {stderr}");
    assert!(
        stderr.ends_with(
            "line 2, in <module>\n    print(i, 'a line of output')\nBrokenPipeError: [Errno 32] Broken pipe\n"
        ),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?} after the pipe closed");
}

/// Runs `toyjit run NAME` with stdout on /dev/full (where every write fails with ENOSPC).
fn run_into_dev_full(test: &str, source: &str) -> Option<(Option<i32>, String)> {
    let full = fs::OpenOptions::new().write(true).open("/dev/full").ok()?;
    let dir = scratch_dir(test);
    fs::write(dir.join("prog.toy"), source).unwrap();
    let mut cmd = Command::new(toyjit());
    cmd.args(["run", "prog.toy"]).current_dir(&dir).stdin(Stdio::null()).stdout(full);
    let out = cmd.output().expect("cannot start toyjit");
    Some((out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned()))
}

#[test]
fn printing_to_dev_full_fails_as_in_python3() {
    // python3 3.11: output that fits in the 8 KiB buffer fails only at exit ("Exception
    // ignored", status 120); more output fails at a print (a traceback, status 1).
    let Some((status, stderr)) = run_into_dev_full("full_small", "print('hi')\n") else {
        eprintln!("no /dev/full here: skipped");
        return;
    };
    assert_eq!(status, Some(120), "{stderr}");
    assert_eq!(
        stderr,
        "Exception ignored in: <_io.TextIOWrapper name='<stdout>' mode='w' encoding='utf-8'>\n\
         OSError: [Errno 28] No space left on device\n"
    );
    let (status, stderr) = run_into_dev_full("full_large", "for i in range(100000):\n    print(i)\n").unwrap();
    assert_eq!(status, Some(1), "{stderr}");
    assert!(stderr.ends_with("    print(i)\nOSError: [Errno 28] No space left on device\n"), "{stderr}");
    let (status, err) = run_into_dev_full("full_error", "print('hi')\nprint(1 / 0)\n").unwrap();
    assert_eq!(status, Some(120), "{err}");
    assert!(err.contains("ZeroDivisionError: division by zero\nException ignored in: <_io.TextIOWrapper"), "{err}");
}

#[test]
fn deeply_nested_parentheses_do_not_crash() {
    let _heavy = heavy();
    // CPython: "SyntaxError: too many nested parentheses". toyjit may accept or reject it.
    let src = format!("x = {}1{}\nprint(x)\n", "(".repeat(100_000), ")".repeat(100_000));
    let out = run_source("parens", "parens.toy", &src, &[]);
    assert_no_crash(&out, "100000 nested parentheses");
    assert!(matches!(out.code(), Some(0) | Some(1)), "{}", out.describe());
}

#[test]
fn deeply_nested_list_literal_does_not_crash() {
    let _heavy = heavy();
    let src = format!("x = {}{}\nprint(len(x))\n", "[".repeat(10_000), "]".repeat(10_000));
    let out = run_source("lists", "lists.toy", &src, &[]);
    assert_no_crash(&out, "10000 nested list displays");
    assert!(matches!(out.code(), Some(0) | Some(1)), "{}", out.describe());
    if out.code() == Some(0) {
        assert_eq!(out.stdout_text(), "1\n");
    }
}

#[test]
fn deeply_nested_unary_and_binary_operators_do_not_crash() {
    let _heavy = heavy();
    let src = format!("x = {}1\ny = 1{}\nprint(x, y)\n", "-".repeat(100_000), " + 1".repeat(100_000));
    let out = run_source("unary", "unary.toy", &src, &[]);
    assert_no_crash(&out, "100000 nested operators");
    assert!(matches!(out.code(), Some(0) | Some(1)), "{}", out.describe());
    if out.code() == Some(0) {
        assert_eq!(out.stdout_text(), "1 100001\n");
    }
}

#[test]
fn infinite_recursion_is_a_recursion_error() {
    let _heavy = heavy();
    let src = "def f(n):\n    return f(n + 1)\nprint('start')\nf(0)\n";
    for mode in common::MODES {
        let out = run_source("recursion", "rec.toy", src, mode);
        assert_no_crash(&out, "infinite recursion");
        assert_eq!(out.code(), Some(1), "mode {mode:?}: {}", out.describe());
        assert_eq!(out.stdout_text(), "start\n", "mode {mode:?}");
        assert!(out.stderr_text().contains("RecursionError"), "mode {mode:?}: {}", out.describe());
    }
}

#[test]
fn huge_allocation_is_a_memory_error() {
    let _heavy = heavy();
    let src = "print('before')\nx = [0] * 10 ** 12\nprint('after')\n";
    let out = run_source("memory", "mem.toy", src, &[]);
    assert_no_crash(&out, "huge allocation");
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    assert_eq!(out.stdout_text(), "before\n");
    assert!(out.stderr_text().contains("MemoryError"), "{}", out.describe());
}

#[test]
fn runtime_error_names_file_and_line() {
    let src = "print(1)\nx = [1, 2]\nprint(x[5])\n";
    let out = run_source("traceback", "tb.toy", src, &[]);
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    assert_eq!(out.stdout_text(), "1\n");
    let err = out.stderr_text();
    assert!(err.contains("tb.toy"), "the traceback should name the file: {err}");
    assert!(err.contains('3'), "the traceback should give line 3: {err}");
    let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    assert_eq!(last, "IndexError: list index out of range", "last line of stderr, as in CPython");
}

#[test]
fn syntax_error_runs_nothing() {
    let src = "print('must not run')\nx = (1,\nprint(x\n";
    let out = run_source("syntax", "syn.toy", src, &[]);
    assert_no_crash(&out, "syntax error");
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    assert!(out.stdout.is_empty(), "a syntax error is found before anything runs: {}", out.describe());
    assert!(out.stderr_text().contains("SyntaxError"), "{}", out.describe());
}

#[test]
fn invalid_utf8_source_is_an_error_not_a_panic() {
    let dir = scratch_dir("utf8");
    fs::write(dir.join("bad.toy"), b"print('ok')\nx = '\xff\xfe'\n").unwrap();
    let out = toyjit_with(&["run", "bad.toy"], None, &dir);
    assert_no_crash(&out, "invalid UTF-8");
    // CPython: "SyntaxError: (unicode error) ..." with status 1 and nothing run.
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    assert!(out.stdout.is_empty(), "{}", out.describe());
}

#[test]
fn examples_in_programs_folder_exist() {
    let programs = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/programs"));
    for name in ["mandel", "primes", "ascii_mandel", "fib", "sieve", "nbody_lite", "wordcount"] {
        assert!(programs.join(format!("{name}.toy")).is_file(), "programs/{name}.toy is missing");
    }
}

/// Runs the golden error program `golden` without the JIT, checks that its traceback names
/// `frames`, then with the JIT (default and stress thresholds): output, status and traceback
/// must be the interpreter's.
fn assert_jit_traceback_matches_interpreter(golden: &str, frames: &[&str]) {
    let path = format!("{}/tests/golden/{golden}.toy", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(path).expect("the golden program");
    let file = format!("{golden}.toy");
    let interpreted = run_source(golden, &file, &src, &["--no-jit"]);
    let err = interpreted.stderr_text();
    for frame in frames {
        assert!(err.contains(frame), "the interpreter's traceback names {frame}: {err}");
    }
    for flags in [&[][..], &["--jit-threshold", "1"][..]] {
        let jitted = run_source(golden, &file, &src, flags);
        assert_eq!(jitted.code(), Some(1), "{}", jitted.describe());
        assert_eq!(jitted.stdout_text(), interpreted.stdout_text(), "flags {flags:?}");
        assert_eq!(jitted.stderr_text(), err, "flags {flags:?}");
    }
}

/// An error raised after a trace exited inside two inlined calls: the JIT re-created their
/// frames, so the traceback is the interpreter's, frame for frame and line for line.
#[test]
fn traceback_through_inlined_calls_matches_the_interpreter() {
    assert_jit_traceback_matches_interpreter(
        "err_jit_inlined_nested",
        &["in <module>", "in h", "in outer", "in inner"],
    );
}

/// An error raised inside a callee's loop trace that a hot loop's trace linked to (the link
/// re-created the inlined frames): the traceback is the interpreter's, frame for frame.
#[test]
fn traceback_from_a_linked_callee_loop_matches_the_interpreter() {
    assert_jit_traceback_matches_interpreter(
        "err_jit_callee_loop",
        &["in <module>", "in outer", "in middle", "in inner"],
    );
}

/// RecursionError from a recursion that goes on forever, after recursion 990 deep inside a hot
/// loop: native calls count frames as the interpreter does, so the error comes at the same
/// depth with the same traceback in every mode.
#[test]
fn recursion_error_through_native_calls_matches_the_interpreter() {
    assert_jit_traceback_matches_interpreter("err_jit_recursion_limit", &["in <module>", "in down"]);
}

/// An error raised 30 frames deep in natively called recursion: the exit re-created every
/// native frame, so the traceback is the interpreter's, frame for frame.
#[test]
fn traceback_from_deep_native_calls_matches_the_interpreter() {
    assert_jit_traceback_matches_interpreter("err_jit_native_deep", &["in <module>", "in dive"]);
}

/// Ctrl-C reaches a recursion running as native calls (no loop, so no loop's poll): each
/// native call checks the interrupt flag first, and the interpreter raises KeyboardInterrupt.
#[test]
fn ctrl_c_stops_a_deep_native_recursion() {
    let _guard = heavy();
    let source = "def spin(n):\n    if n == 0:\n        return 0\n    return spin(n - 1) + spin(n - 1)\n\n\
                  for i in range(300):\n    spin(5)\nprint('started', flush=True)\nspin(60)\n";
    for mode in [&[][..], &["--jit-threshold", "1"][..]] {
        let dir = scratch_dir("ctrl_c_native");
        fs::write(dir.join("prog.toy"), source).unwrap();
        let mut cmd = Command::new(toyjit());
        cmd.arg("run").args(mode).arg("prog.toy").current_dir(&dir);
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // SAFETY: only an async-signal-safe call (signal) between fork and exec: a test run in
        // the background inherits an ignored SIGINT, which toyjit would keep ignoring.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("cannot start toyjit");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert_eq!(first, "started\n", "{mode:?}");
        std::thread::sleep(Duration::from_millis(200));
        // SAFETY: signals our own child, which has not been reaped.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let status = wait_or_kill(&mut child, &format!("{mode:?}: Ctrl-C did not stop the native recursion"));
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        // Like CPython, toyjit ends an uncaught KeyboardInterrupt by the signal itself.
        assert!(!status.success(), "{mode:?}: {stderr}");
        assert!(stderr.trim_end().ends_with("KeyboardInterrupt") && stderr.contains("in spin"), "{mode:?}: {stderr}");
    }
}

/// A function's entry compiled in the background is installed at a call that asks the JIT
/// again while it compiles: that call must not take the fresh tree for a stale one (dropped
/// and recorded again: fib's entry was compiled 11 times and never ran). fib(27), not 24:
/// fib(24) ran in 6 ms, and on a loaded machine ended before the compile thread had run at all.
#[test]
fn an_entry_compiled_in_the_background_is_compiled_once() {
    let src = "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\nprint(fib(27))\n";
    let out = run_source("bg_entry", "fib.toy", src, &["--jit-compile=background", "--stats"]);
    assert_eq!(out.code(), Some(0), "{}", out.describe());
    assert_eq!(out.stdout_text(), "196418\n");
    let err = out.stderr_text();
    assert!(err.contains(", 1 function entries)"), "one entry expected:\n{err}");
}
