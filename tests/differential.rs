//! Differential test: random Toy programs must print exactly the same in every mode, and what
//! CPython prints.
//!
//! For each seed, `gen::generate(seed, nan)` (see `tests/gen/mod.rs`) writes a random program full of
//! hot loops, type changes, int overflow, negative indices, early exits, calls and caught
//! exceptions. The program runs under `toyjit run --no-jit` (the reference), `toyjit run`
//! (JIT at the default threshold), `toyjit run --jit-threshold 1` (every loop traced at
//! once) and `toyjit run --jit-threshold 2`. All four must give the same stdout and exit status, nothing may panic, a status-1
//! run must end stderr with the same exception line in every mode, and that exception must be
//! one the generator means to raise (`ZeroDivisionError`, `IndexError`, `ValueError`,
//! `OverflowError`). A failing program is saved to
//! `<target dir>/differential-failures/seed-N.toy`, to be re-run by hand:
//!
//!     toyjit run --jit-threshold 1 target/differential-failures/seed-N.toy
//!
//! Environment knobs (all optional):
//! - `TOYJIT_DIFF_PROGRAMS=N`: how many programs (default 300);
//! - `TOYJIT_DIFF_SEED=S`: first seed (default 0), so seeds `S..S+N` run;
//! - `TOYJIT_DIFF_PYTHON=0`: do not run `python3`. By default, whenever `python3` is on PATH,
//!   every program also runs under CPython, and the reference's stdout, status and exception
//!   class must be CPython's (without python3 the test says so and compares the modes only);
//! - `TOYJIT_DIFF_NAN=1`: let the generator put `nan` in containers (identity-then-equality,
//!   which the interpreter is about to get; off by default, see `tests/gen/extras.rs`);
//! - `TOYJIT_DIFF_DUMP=DIR`: write every generated program to `DIR/seed-N.toy`;
//! - `TOYJIT_TEST_JOBS=N`: worker threads (default: cores, clamped to 2..=4);
//! - `TOYJIT_DIFF_COMPILE=inline|background`: where the JIT modes run Cranelift
//!   (`--jit-compile`); by default even seeds inline, odd seeds in the background.
//!
//! A longer campaign, by hand (see README.md, "Testing against CPython"):
//!
//!     TOYJIT_DIFF_PROGRAMS=100000 cargo test --release --test differential -- --nocapture
//!     TOYJIT_DIFF_SEED=100000 TOYJIT_DIFF_PROGRAMS=20000 cargo test --release --test differential

mod common;
#[path = "gen/mod.rs"]
mod generator;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::RunOutput;

/// The modes compared; the first is the reference.
/// `--jit-threshold 2` catches what the states after one run leave (see `common::MODES`).
const MODES: &[&[&str]] = &[&["--no-jit"], &[], &["--jit-threshold", "1"], &["--jit-threshold", "2"]];
const TIMEOUT: Duration = Duration::from_secs(10);
/// Exceptions the generated programs may end with (the extra blocks catch all of theirs).
const INTENDED: &[&str] = &["ZeroDivisionError", "IndexError", "ValueError", "OverflowError"];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(default)
}

fn jobs() -> usize {
    match std::env::var("TOYJIT_TEST_JOBS").ok().and_then(|s| s.trim().parse::<usize>().ok()) {
        Some(n) => n.max(1),
        None => thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(2, 4),
    }
}

/// Compare with CPython? Yes when `python3` is on PATH, unless `TOYJIT_DIFF_PYTHON=0`; says
/// why not when it does not.
fn python_wanted() -> bool {
    if std::env::var("TOYJIT_DIFF_PYTHON").is_ok_and(|v| v == "0") {
        eprintln!("differential: TOYJIT_DIFF_PYTHON=0: comparing the modes only, not CPython");
        return false;
    }
    let found = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("differential: python3 is not on PATH: SKIPPING the comparison with CPython (modes only)");
    }
    found
}

fn mode_label(mode: &[&str]) -> String {
    if mode.is_empty() { "default".to_string() } else { mode.join(" ") }
}

/// The last non-empty line of stderr: the exception line of a traceback.
fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string()
}

/// The exception class of an exception line (`ZeroDivisionError: division by zero`).
fn exception_class(line: &str) -> &str {
    line.split(':').next().unwrap_or("").trim()
}

/// Where two outputs first differ, as one line of text.
fn first_diff(want: &[u8], got: &[u8]) -> String {
    let want = String::from_utf8_lossy(want);
    let got = String::from_utf8_lossy(got);
    let (mut w, mut g) = (want.split_inclusive('\n'), got.split_inclusive('\n'));
    for n in 1.. {
        match (w.next(), g.next()) {
            (None, None) => break,
            (a, b) if a == b => continue,
            (a, b) => {
                let show = |l: Option<&str>| l.map_or("<end of output>".to_string(), |l| format!("{:?}", clip(l, 300)));
                return format!("first difference at line {n}: reference {} vs {}", show(a), show(b));
            }
        }
    }
    "outputs are equal".to_string()
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}...", s.chars().take(max).collect::<String>()) }
}

/// How a run ended, if it ended badly by itself (timeout, signal, panic), else `None`.
fn crash(out: &RunOutput) -> Option<String> {
    if out.timed_out {
        return Some(format!("timed out after {TIMEOUT:?}"));
    }
    if let Some(sig) = out.signal() {
        return Some(format!("killed by signal {sig} ({})", common::signal_name(sig)));
    }
    let stderr = out.stderr_text();
    if stderr.contains("panicked") {
        return Some(format!("panicked: {}", clip(&stderr, 600)));
    }
    None
}

/// Where the JIT modes of program `seed` run Cranelift (`--jit-compile`): as
/// `TOYJIT_DIFF_COMPILE` says, else inline for even seeds and in the background for odd ones.
fn compile_flag(seed: u64) -> String {
    let mode = match std::env::var("TOYJIT_DIFF_COMPILE") {
        Ok(mode) if mode == "inline" || mode == "background" => mode,
        _ if seed % 2 == 0 => "inline".to_string(),
        _ => "background".to_string(),
    };
    format!("--jit-compile={mode}")
}

/// Checks one program in every mode (the JIT's with `compile`, a `--jit-compile` flag);
/// returns the problems found, one line each.
fn check_program(file: &Path, python: bool, compile: &str) -> Vec<String> {
    let run = |mode: &[&str]| {
        let mut cmd = Command::new(common::toyjit());
        cmd.arg("run").args(mode);
        if mode != MODES[0] {
            cmd.arg(compile);
        }
        cmd.arg(file);
        common::run_with_timeout(&mut cmd, None, TIMEOUT).expect("cannot run toyjit")
    };
    let mut problems = Vec::new();
    let reference = run(MODES[0]);
    let ref_label = mode_label(MODES[0]);
    if let Some(why) = crash(&reference) {
        problems.push(format!("[{ref_label}] {why}"));
        return problems;
    }
    let ref_last = last_line(&reference.stderr);
    match reference.code() {
        Some(0) => {}
        Some(1) if INTENDED.contains(&exception_class(&ref_last)) => {}
        code => problems.push(format!(
            "[{ref_label}] unexpected ending (status {code:?}, stderr {:?}): a generator bug, or an interpreter bug",
            clip(&reference.stderr_text(), 600)
        )),
    }
    for mode in &MODES[1..] {
        let label = format!("{} {compile}", mode_label(mode));
        let out = run(mode);
        if let Some(why) = crash(&out) {
            problems.push(format!("[{label}] {why}"));
            continue;
        }
        if out.stdout != reference.stdout {
            problems.push(format!("[{label}] stdout differs: {}", first_diff(&reference.stdout, &out.stdout)));
        }
        if out.code() != reference.code() {
            problems.push(format!(
                "[{label}] exit status {:?}, reference {:?} (stderr {:?})",
                out.code(),
                reference.code(),
                clip(&out.stderr_text(), 600)
            ));
        } else if out.code() == Some(1) && last_line(&out.stderr) != ref_last {
            problems.push(format!("[{label}] exception {:?}, reference {ref_last:?}", last_line(&out.stderr)));
        }
    }
    if python {
        let mut cmd = Command::new("python3");
        cmd.arg(file).env("PYTHONIOENCODING", "utf-8");
        let py = common::run_with_timeout(&mut cmd, None, TIMEOUT).expect("cannot run python3");
        if py.timed_out {
            problems.push("[python3] timed out: the generator made a slow program".to_string());
        } else {
            if py.stdout != reference.stdout {
                problems.push(format!(
                    "[python3 vs {ref_label}] stdout differs: {}",
                    first_diff(&py.stdout, &reference.stdout).replace("reference", "python3")
                ));
            }
            let py_last = last_line(&py.stderr);
            if py.code() != reference.code() {
                problems.push(format!(
                    "[python3 vs {ref_label}] exit status {:?} ({py_last:?}), toyjit {:?} ({ref_last:?})",
                    py.code(),
                    reference.code()
                ));
            } else if py.code() == Some(1) && exception_class(&py_last) != exception_class(&ref_last) {
                problems.push(format!("[python3 vs {ref_label}] exception {py_last:?}, toyjit {ref_last:?}"));
            }
        }
    }
    problems
}

fn failures_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target dir>/tmp`.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("differential-failures")
}

#[test]
fn jit_matches_interpreter_on_random_programs() {
    let count = env_u64("TOYJIT_DIFF_PROGRAMS", 300);
    let first = env_u64("TOYJIT_DIFF_SEED", 0);
    let python = python_wanted();
    let nan_in_containers = std::env::var("TOYJIT_DIFF_NAN").is_ok_and(|v| v == "1");
    let dump = std::env::var_os("TOYJIT_DIFF_DUMP").map(PathBuf::from);
    if let Some(d) = &dump {
        fs::create_dir_all(d).expect("cannot create TOYJIT_DIFF_DUMP");
    }
    let scratch = common::scratch_dir("differential");
    let next = AtomicU64::new(first);
    let failures: Mutex<Vec<(u64, String, Vec<String>)>> = Mutex::new(Vec::new());
    let start = Instant::now();

    thread::scope(|s| {
        for _ in 0..jobs() {
            s.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= first + count {
                        break;
                    }
                    let source = generator::generate(seed, nan_in_containers);
                    let file = scratch.join(format!("seed-{seed}.toy"));
                    fs::write(&file, &source).expect("cannot write a program");
                    if let Some(d) = &dump {
                        fs::write(d.join(format!("seed-{seed}.toy")), &source).expect("cannot dump a program");
                    }
                    let problems = check_program(&file, python, &compile_flag(seed));
                    let _ = fs::remove_file(&file);
                    if !problems.is_empty() {
                        failures.lock().unwrap_or_else(|e| e.into_inner()).push((seed, source, problems));
                    }
                }
            });
        }
    });

    let mut failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    eprintln!(
        "differential: {count} programs (seeds {first}..{}) in {:.1?}{}, {} failing",
        first + count,
        start.elapsed(),
        if python { ", with python3" } else { "" },
        failures.len()
    );
    let _ = fs::remove_dir_all(&scratch);
    if failures.is_empty() {
        return;
    }
    failures.sort_by_key(|f| f.0);
    let dir = failures_dir();
    let _ = fs::create_dir_all(&dir);
    let mut report = format!("{} of {count} generated programs behave differently across modes:\n", failures.len());
    for (seed, source, problems) in &failures {
        let path = dir.join(format!("seed-{seed}.toy"));
        let saved = match fs::write(&path, source) {
            Ok(()) => format!("saved to {}", path.display()),
            Err(e) => format!("could not save to {}: {e}", path.display()),
        };
        report.push_str(&format!("\nseed {seed} ({saved}):\n"));
        for p in problems {
            report.push_str(&format!("  {p}\n"));
        }
    }
    report.push_str(&format!(
        "\nRe-run one by hand: toyjit run --jit-threshold 1 {}/seed-N.toy (compare with --no-jit)\n",
        dir.display()
    ));
    panic!("{report}");
}
