//! Shared test harness: runs Toy programs through the built `toyjit` binary and checks them
//! against the answers CPython 3.11 gave (the oracle), exactly as `tests/conformance-suite/run` does.
//!
//! A *suite* is a folder of `NAME.toy` programs, each with `NAME.out` (the exact stdout),
//! `NAME.status` (the exit status) and, for error tests, `NAME.err` (text stderr must contain,
//! the Python exception class). Programs in its `unsupported/` subfolder are outside Toy: they
//! must exit with status 1, print nothing on stdout and say "not supported" (any case) on stderr.
//!
//! Every program runs once per mode of [`MODES`], in a small pool of worker threads, each run
//! under a timeout; all failures are collected and reported together by [`check_suite`], so one
//! run of `cargo test` shows everything that is wrong.
//!
//! Environment knobs (all optional):
//! - `TOYJIT_TEST_FILTER=t1_,jit_`: only programs whose name starts with one of the prefixes;
//! - `TOYJIT_TEST_TIMEOUT=S`: seconds per run (default: the suite's own, 20 s for small programs);
//! - `TOYJIT_TEST_JOBS=N`: worker threads (default: the number of cores, clamped to 2..=4);
//! - `TOYJIT_TEST_PYTHON=python3`: self-check of the harness and of the expected files: run
//!   `python3 NAME.toy` instead of toyjit, in one mode, skipping `unsupported/` (CPython runs
//!   those programs happily, so they have no oracle).

#![allow(dead_code)] // each test crate uses a different part of this module

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// The four ways every program is run; all must give CPython's answer.
///
/// `--no-jit` is the pure interpreter, the second the default threshold with Cranelift on the
/// compile thread (installs come whenever a compile is done), `--jit-threshold 1` the stress
/// mode that traces every loop at once, with Cranelift on the interpreter's thread
/// (deterministic), and `--jit-threshold 2` in the background: loops and exits hot after one
/// run, so that traces meet what the interpreter left in the states between (a native callee
/// finished in the interpreter freed a value its caller still used there:
/// `tests/golden/jit_call_keeps_borrowed_alive.toy`).
pub const MODES: &[&[&str]] = &[
    &["--no-jit"],
    &["--jit-compile=background"],
    &["--jit-threshold", "1", "--jit-compile=inline"],
    &["--jit-threshold", "2", "--jit-compile=background"],
];

/// Per-run timeout for the small test programs (the conformance runner's default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// How much of a stream we keep; the rest is read and thrown away (a runaway printer must
/// neither fill memory nor block on a full pipe).
const OUTPUT_CAP: usize = 64 << 20;

/// The binary under test, built by cargo for integration tests.
/// The toyjit binary under test: cargo's, or `TOYJIT_BIN` (a copy, so that a long campaign
/// keeps testing the same build while the tree is rebuilt).
pub fn toyjit() -> PathBuf {
    std::env::var_os("TOYJIT_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_toyjit")))
}

/// A fresh scratch directory for one test, under cargo's per-target temporary folder.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("toyjit-{test}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("cannot create a scratch directory");
    dir
}

// ---------------------------------------------------------------------------------------------
// Running one process
// ---------------------------------------------------------------------------------------------

/// What one run of a process produced.
#[derive(Debug)]
pub struct RunOutput {
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl RunOutput {
    /// The exit code, or `None` when the process was killed by a signal (or timed out).
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// The signal that killed the process, if one did (never set for a timeout).
    pub fn signal(&self) -> Option<i32> {
        if self.timed_out {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            self.status.and_then(|s| s.signal())
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// One line describing how the process ended, for assertion messages.
    pub fn describe(&self) -> String {
        let how = if self.timed_out {
            "timed out".to_string()
        } else if let Some(sig) = self.signal() {
            format!("killed by signal {sig} ({})", signal_name(sig))
        } else {
            format!("status {:?}", self.code())
        };
        format!("{how}; stdout {:?}; stderr {:?}", clip(&self.stdout_text(), 400), clip(&self.stderr_text(), 800))
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let head: String = s.chars().take(max).collect();
        format!("{head}...")
    }
}

/// Runs `cmd` with `stdin` (or /dev/null) and kills it after `timeout`.
///
/// stdout and stderr are drained by two threads while the main thread polls `try_wait`, so a
/// program printing a lot never blocks on a full pipe.
pub fn run_with_timeout(cmd: &mut Command, stdin: Option<&[u8]>, timeout: Duration) -> std::io::Result<RunOutput> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let start = Instant::now();
    let mut child = cmd.spawn()?;

    let writer = match (stdin, child.stdin.take()) {
        (Some(bytes), Some(mut pipe)) => {
            let bytes = bytes.to_vec();
            // A program that stops reading early closes the pipe: ignore that error.
            Some(thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            }))
        }
        _ => None,
    };
    let out_reader = child.stdout.take().map(|s| thread::spawn(move || drain(s)));
    let err_reader = child.stderr.take().map(|s| thread::spawn(move || drain(s)));

    let mut timed_out = false;
    let mut nap = Duration::from_micros(200);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if start.elapsed() >= timeout {
            timed_out = true;
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();

    let stdout = out_reader.map(|h| h.join().unwrap_or_default()).unwrap_or_default();
    let stderr = err_reader.map(|h| h.join().unwrap_or_default()).unwrap_or_default();
    if let Some(w) = writer {
        let _ = w.join();
    }
    Ok(RunOutput { status, stdout, stderr, timed_out, elapsed })
}

/// Reads a stream to its end, keeping at most [`OUTPUT_CAP`] bytes.
fn drain(mut stream: impl Read) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = OUTPUT_CAP.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    kept
}

pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT (a Rust stack overflow or abort)",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        25 => "SIGXFSZ",
        _ => "?",
    }
}

// ---------------------------------------------------------------------------------------------
// Suites of programs
// ---------------------------------------------------------------------------------------------

/// What a program must do.
#[derive(Debug, Clone)]
pub enum Expect {
    /// CPython's answer: exact stdout, exit status, and text stderr must contain (if any).
    Oracle { stdout: Vec<u8>, status: i32, stderr_contains: Option<String> },
    /// Outside Toy: status 1, empty stdout, "not supported" on stderr.
    Unsupported,
    /// The expected files are missing or unreadable; the reason is reported as a failure.
    Broken(String),
}

/// One program of a suite.
#[derive(Debug, Clone)]
pub struct Case {
    /// Display name: `NAME` or `unsupported/NAME`.
    pub name: String,
    /// Path of the `.toy` relative to the suite folder (programs run with the suite as cwd).
    pub file: String,
    pub expect: Expect,
}

/// Finds `*.toy` in `dir` (and `dir/unsupported/*.toy`), sorted by name, with their expectations.
///
/// With `status_optional`, a missing `NAME.status` means 0 (used for `programs/`, whose programs
/// all succeed); otherwise it is an error, as in the conformance runner.
pub fn discover(dir: &Path, status_optional: bool) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for name in toy_names(dir)? {
        let base = dir.join(&name);
        let expect = oracle_expectation(&base, status_optional);
        cases.push(Case { file: format!("{name}.toy"), name, expect });
    }
    let unsupported = dir.join("unsupported");
    if unsupported.is_dir() {
        for name in toy_names(&unsupported)? {
            cases.push(Case {
                name: format!("unsupported/{name}"),
                file: format!("unsupported/{name}.toy"),
                expect: Expect::Unsupported,
            });
        }
    }
    if let Some(prefixes) = env_filter() {
        cases.retain(|c| {
            let bare = c.name.trim_start_matches("unsupported/");
            prefixes.iter().any(|p| bare.starts_with(p.as_str()))
        });
    }
    Ok(cases)
}

fn toy_names(dir: &Path) -> Result<Vec<String>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".toy")?;
            e.path().is_file().then(|| stem.to_string())
        })
        .collect();
    names.sort();
    Ok(names)
}

fn oracle_expectation(base: &Path, status_optional: bool) -> Expect {
    let with = |ext: &str| base.with_extension(ext);
    let stdout = match fs::read(with("out")) {
        Ok(bytes) => bytes,
        Err(_) => {
            return Expect::Broken(format!("missing {} (regenerate it with python3)", with("out").display()));
        }
    };
    let status = match fs::read_to_string(with("status")) {
        Ok(text) => match first_line(&text).parse::<i32>() {
            Ok(n) => n,
            Err(_) => {
                return Expect::Broken(format!("{} does not hold a number", with("status").display()));
            }
        },
        Err(_) if status_optional => 0,
        Err(_) => {
            return Expect::Broken(format!("missing {} (regenerate it with python3)", with("status").display()));
        }
    };
    let stderr_contains =
        fs::read_to_string(with("err")).ok().map(|t| first_line(&t).to_string()).filter(|t| !t.is_empty());
    Expect::Oracle { stdout, status, stderr_contains }
}

/// The first line, trimmed (what the shell runner's `read -r` gives).
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

fn env_filter() -> Option<Vec<String>> {
    let raw = std::env::var("TOYJIT_TEST_FILTER").ok()?;
    let prefixes: Vec<String> = raw.split(',').map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect();
    (!prefixes.is_empty()).then_some(prefixes)
}

/// Per-run timeout: `TOYJIT_TEST_TIMEOUT` seconds if set, else `default`.
pub fn timeout_or(default: Duration) -> Duration {
    std::env::var("TOYJIT_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map(Duration::from_secs)
        .unwrap_or(default)
}

fn worker_count() -> usize {
    if let Some(n) = std::env::var("TOYJIT_TEST_JOBS").ok().and_then(|s| s.trim().parse::<usize>().ok()) {
        return n.max(1);
    }
    thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(2, 4)
}

/// The command under test: toyjit (`toyjit run MODE... FILE`) or, for the harness self-check,
/// CPython (`python3 FILE`).
enum Runner {
    Toyjit(PathBuf),
    Python(OsString),
}

impl Runner {
    fn from_env() -> Runner {
        match std::env::var_os("TOYJIT_TEST_PYTHON") {
            Some(python) if !python.is_empty() => Runner::Python(python),
            _ => Runner::Toyjit(toyjit()),
        }
    }

    fn modes(&self) -> &'static [&'static [&'static str]] {
        match self {
            Runner::Toyjit(_) => MODES,
            Runner::Python(_) => &[&[]],
        }
    }

    fn command(&self, mode: &[&str], file: &str, cwd: &Path) -> Command {
        let mut cmd = match self {
            Runner::Toyjit(bin) => {
                let mut c = Command::new(bin);
                c.arg("run").args(mode);
                c
            }
            Runner::Python(python) => Command::new(python),
        };
        cmd.arg(file).current_dir(cwd).env("PYTHONIOENCODING", "utf-8");
        cmd
    }
}

/// How a mode is shown in failure messages.
pub fn mode_label(mode: &[&str]) -> String {
    if mode.is_empty() { "default".to_string() } else { mode.join(" ") }
}

/// One failed run.
#[derive(Debug)]
pub struct Failure {
    pub case: String,
    pub mode: String,
    pub reasons: Vec<String>,
}

/// Runs every case of `dir` in every mode and panics with the full list of failures, if any.
///
/// `what` names the suite in messages; `status_optional` as in [`discover`].
pub fn check_suite(what: &str, dir: &Path, status_optional: bool, timeout: Duration) {
    match run_suite(what, dir, status_optional, timeout) {
        Ok(summary) => println!("{summary}"),
        Err(report) => panic!("{report}"),
    }
}

/// Runs every case of `dir` in every mode: `Ok` with the summary line
/// ("what: N runs passed (P programs × M modes)"), or `Err` with the full list of failures.
pub fn run_suite(what: &str, dir: &Path, status_optional: bool, timeout: Duration) -> Result<String, String> {
    let dir = match dir.canonicalize() {
        Ok(d) if d.is_dir() => d,
        _ => return Err(format!("{what}: folder {} not found (it is part of the repository).", dir.display())),
    };
    let runner = Runner::from_env();
    let mut cases = discover(&dir, status_optional).map_err(|e| format!("{what}: {e}"))?;
    if matches!(runner, Runner::Python(_)) {
        cases.retain(|c| !matches!(c.expect, Expect::Unsupported));
    }
    if cases.is_empty() {
        return Err(format!("{what}: no program found in {} (is TOYJIT_TEST_FILTER too narrow?)", dir.display()));
    }

    let modes = runner.modes();
    let timeout = timeout_or(timeout);
    let failures = run_all(&runner, &dir, &cases, modes, timeout);
    let runs = cases.len() * modes.len();
    if failures.is_empty() {
        return Ok(format!("{what}: {runs} runs passed ({} programs × {} modes)", cases.len(), modes.len()));
    }
    let mut msg = format!(
        "{what}: {} of {runs} runs failed ({} programs × {} modes; programs in {}):\n",
        failures.len(),
        cases.len(),
        modes.len(),
        dir.display()
    );
    for f in &failures {
        let _ = writeln!(msg, "  FAIL {} [{}]: {}", f.case, f.mode, f.reasons.join("; "));
    }
    let mut failed_names: Vec<&str> = failures.iter().map(|f| f.case.as_str()).collect();
    failed_names.dedup();
    let _ = write!(msg, "{} of {} programs failed in at least one mode", failed_names.len(), cases.len());
    Err(msg)
}

/// Runs all (case, mode) pairs on a pool of worker threads; failures sorted by case then mode.
fn run_all(runner: &Runner, dir: &Path, cases: &[Case], modes: &[&[&str]], timeout: Duration) -> Vec<Failure> {
    let jobs: Mutex<VecDeque<(usize, usize)>> =
        Mutex::new((0..cases.len()).flat_map(|c| (0..modes.len()).map(move |m| (c, m))).collect());
    let results: Mutex<Vec<(usize, usize, Vec<String>)>> = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..worker_count() {
            scope.spawn(|| {
                loop {
                    let next = jobs.lock().unwrap().pop_front();
                    let Some((c, m)) = next else { break };
                    let reasons = run_case(runner, dir, &cases[c], modes[m], timeout);
                    if !reasons.is_empty() {
                        results.lock().unwrap().push((c, m, reasons));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|&(c, m, _)| (c, m));
    results
        .into_iter()
        .map(|(c, m, reasons)| Failure { case: cases[c].name.clone(), mode: mode_label(modes[m]), reasons })
        .collect()
}

/// Runs one program in one mode; returns the reasons it failed (empty when it passed).
fn run_case(runner: &Runner, dir: &Path, case: &Case, mode: &[&str], timeout: Duration) -> Vec<String> {
    if let Expect::Broken(why) = &case.expect {
        return vec![why.clone()];
    }
    let mut cmd = runner.command(mode, &case.file, dir);
    let out = match run_with_timeout(&mut cmd, None, timeout) {
        Ok(out) => out,
        Err(e) => return vec![format!("cannot start the command: {e}")],
    };
    check_output(&case.expect, &out, timeout)
}

/// The checks of `tests/conformance-suite/run`, plus one: stderr must not show a Rust panic.
pub fn check_output(expect: &Expect, out: &RunOutput, timeout: Duration) -> Vec<String> {
    let mut reasons = Vec::new();
    if out.timed_out {
        reasons.push(format!("timeout after {}s", timeout.as_secs_f64()));
        return reasons;
    }
    if let Some(sig) = out.signal() {
        reasons.push(format!("crashed by signal {sig} ({})", signal_name(sig)));
        reasons.extend(stderr_context(out));
        return reasons;
    }
    let stderr = out.stderr_text();
    let code = out.code().unwrap_or(-1);
    match expect {
        Expect::Unsupported => {
            if !out.stdout.is_empty() {
                let first = out.stdout_text().lines().next().unwrap_or("").to_string();
                reasons.push(format!("stdout not empty: first line {}", show(&first)));
            }
            if code != 1 {
                reasons.push(format!("status {code} != 1"));
            }
            if !stderr.to_lowercase().contains("not supported") {
                reasons.push("stderr lacks \"not supported\"".to_string());
            }
        }
        Expect::Oracle { stdout, status, stderr_contains } => {
            if &out.stdout != stdout {
                reasons.push(first_diff(stdout, &out.stdout));
            }
            if code != *status {
                reasons.push(format!("status {code} != {status}"));
            }
            if let Some(want) = stderr_contains
                && !stderr.contains(want.as_str())
            {
                reasons.push(format!("stderr lacks {want}"));
            }
        }
        Expect::Broken(why) => reasons.push(why.clone()),
    }
    if stderr.contains("panicked at") || stderr.contains("has overflowed its stack") {
        reasons.push("stderr shows a Rust panic".to_string());
    }
    if !reasons.is_empty() {
        reasons.extend(stderr_context(out));
    }
    reasons
}

/// The most telling line of stderr, as context for a failure: a Rust panic's location and
/// message, else the last non-empty line (CPython-style tracebacks end with `Error: message`).
fn stderr_context(out: &RunOutput) -> Option<String> {
    let text = out.stderr_text();
    let lines: Vec<&str> = text.lines().collect();
    if let Some(i) = lines.iter().position(|l| l.contains("panicked at") || l.contains("has overflowed its stack")) {
        let mut msg = lines[i].trim().to_string();
        if let Some(next) = lines.get(i + 1).filter(|l| !l.trim().is_empty() && !l.starts_with("note:")) {
            msg = format!("{msg} {}", next.trim());
        }
        return Some(format!("stderr: {}", show(&msg)));
    }
    lines.iter().rev().find(|l| !l.trim().is_empty()).map(|l| format!("stderr ends {}", show(l.trim_end())))
}

/// Quotes one line for a message: truncated to 120 characters, `\t` and `\r` made visible.
fn show(line: &str) -> String {
    let mut s = clip(line, 120);
    s = s.replace('\r', "\\r").replace('\t', "\\t");
    format!("'{s}'")
}

/// Describes the first line where `got` differs from `want`, like the conformance runner.
pub fn first_diff(want: &[u8], got: &[u8]) -> String {
    let want = String::from_utf8_lossy(want);
    let got = String::from_utf8_lossy(got);
    let w: Vec<&str> = want.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    for i in 0..w.len().max(g.len()) {
        let at = i + 1;
        match (w.get(i), g.get(i)) {
            (Some(e), None) => {
                return format!("stdout differs at line {at}: expected {}, got end of output", show(e));
            }
            (None, Some(a)) => {
                return format!("stdout differs at line {at}: expected end of output, got {}", show(a));
            }
            (Some(e), Some(a)) if e != a => {
                return format!("stdout differs at line {at}: expected {}, got {}", show(e), show(a));
            }
            _ => {}
        }
    }
    "stdout differs only in the final newline, line endings or invalid UTF-8".to_string()
}
