//! A fuzzer for the whole pipeline: mutated programs (bytes → parse → compile → run, the JIT at
//! threshold 1) must never panic, abort, overflow the stack, die by a signal or hang past their
//! budget, and a program that ends on its own must print the same with and without the JIT.
//!
//! Stable Rust, no fuzzing crate: seeds are the programs of `tests/conformance-suite`,
//! `tests/golden` and `programs/`; `fuzz/mutate.rs` mutates them (text-aware mutations plus raw
//! bytes); each input runs as a subprocess `toyjit run --jit-threshold 1 FILE` with a budget: after
//! `BUDGET` it gets SIGINT (toyjit's Ctrl-C: a `KeyboardInterrupt` that compiled loops poll for
//! too), and if it is still running `GRACE` later it is killed and counted as a hang (when that happens
//! twice). The address
//! space is limited (`MEMORY_LIMIT`) so a runaway allocation cannot take the machine; an abort
//! saying "memory allocation ... failed" under that limit is counted apart, not as a crash.
//! Every finding is saved to `<target tmp>/fuzz-findings/run-SECONDS-seedS/KIND-N.toy` with a `.txt`
//! describing it, one folder per run so a later run never erases an earlier run's findings (a run
//! with no finding removes its empty folder); the failing test's message also quotes the first
//! finding's program, so a CI log keeps it. Inputs that ran (not a SyntaxError) join the pool of seeds.
//!
//! Knobs: `TOYJIT_FUZZ_SECONDS` (default 8: the short run of `cargo test`),
//! `TOYJIT_FUZZ_SEED` (default 1), `TOYJIT_FUZZ_JOBS` (default 2), `TOYJIT_FUZZ_BIN` (the binary
//! to fuzz; default cargo's, so a copy can be fuzzed while you rebuild), `TOYJIT_FUZZ_FINDINGS`
//! (the findings folder), `TOYJIT_FUZZ_REPLAY=DIR` (run the `.toy` files of DIR, e.g. saved
//! findings, instead of fuzzing). The long run:
//!
//!     TOYJIT_FUZZ_SECONDS=3600 cargo test --release --test fuzz -- --nocapture

mod common;
#[path = "fuzz/mutate.rs"]
mod mutate;

use std::fs;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{scratch_dir, toyjit};
use mutate::{Rng, mutate};

/// Time a run gets before its Ctrl-C.
const BUDGET: Duration = Duration::from_secs(2);
/// Time after the Ctrl-C before the run counts as a hang.
const GRACE: Duration = Duration::from_secs(10);
/// Address-space limit of a run (the interpreter thread reserves a 1 GiB stack).
const MEMORY_LIMIT: u64 = 4 << 30;
/// Bytes of stdout/stderr kept per run.
const OUTPUT_CAP: usize = 1 << 20;
/// Seeds kept at most (the initial ones plus inputs that ran).
const POOL_CAP: usize = 2000;

/// How one run ended.
struct Run {
    status: Option<i32>,
    signal: Option<i32>,
    interrupted: bool,
    hung: bool,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    /// Why this run is a bug, if it is one.
    fn problem(&self) -> Option<&'static str> {
        let oom = self.stderr.contains("memory allocation of");
        if self.hung {
            Some("hang")
        } else if self.stderr.contains("panicked") || self.status == Some(101) {
            Some("panic")
        } else if self.stderr.contains("overflowed its stack") {
            Some("stack-overflow")
        } else if self.stderr.contains("internal compiler error") || self.stderr.contains("internal error") {
            Some("internal-error")
        } else if oom {
            None
        } else if let Some(sig) = self.signal {
            (!(self.interrupted && sig == libc::SIGINT)).then_some("signal")
        } else if !matches!(self.status, Some(0 | 1 | 120)) {
            Some("exit-status")
        } else {
            None
        }
    }

    /// Ended by itself, normally (comparable across modes).
    fn finished(&self) -> bool {
        !self.interrupted && !self.hung && matches!(self.status, Some(0 | 1)) && self.stdout.len() < OUTPUT_CAP
    }

    fn last_stderr_line(&self) -> &str {
        self.stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
    }
}

/// `text` with object addresses (`<function f at 0x7f...>`) blanked: they differ from run to
/// run in any mode (as in CPython), so they are no JIT difference.
fn without_addresses(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(b" at 0x") {
            out.extend_from_slice(b" at 0x_");
            i += 6;
            while i < text.len() && text[i].is_ascii_hexdigit() {
                i += 1;
            }
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

fn read_capped(mut stream: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let (mut kept, mut buf) = (Vec::new(), [0u8; 8192]);
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            if kept.len() < OUTPUT_CAP {
                kept.extend_from_slice(&buf[..n.min(OUTPUT_CAP - kept.len())]);
            }
        }
        kept
    })
}

fn run(file: &Path, mode: &[&str]) -> Run {
    let binary = std::env::var_os("TOYJIT_FUZZ_BIN").map(PathBuf::from).unwrap_or_else(toyjit);
    let mut cmd = Command::new(binary);
    cmd.arg("run").args(mode).arg(file).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls (setrlimit, signal) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: MEMORY_LIMIT, rlim_max: MEMORY_LIMIT };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            // A fuzzer started in the background inherits an ignored SIGINT, which toyjit
            // (like python3) would keep ignoring: the budget's Ctrl-C must reach it.
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("cannot start toyjit");
    let out = read_capped(child.stdout.take().unwrap());
    let err = read_capped(child.stderr.take().unwrap());
    let start = Instant::now();
    let (mut interrupted, mut hung) = (false, false);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let waited = start.elapsed();
        if !interrupted && waited > BUDGET {
            // SAFETY: signals our own child, which has not been reaped (try_wait saw it running).
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            interrupted = true;
        } else if waited > BUDGET + GRACE {
            let _ = child.kill();
            hung = true;
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(if waited < Duration::from_millis(50) { 1 } else { 10 }));
    };
    Run {
        status: status.code(),
        signal: status.signal(),
        interrupted,
        hung,
        stdout: out.join().unwrap(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/conformance-suite", "tests/conformance-suite/unsupported", "tests/golden", "programs"] {
        let Ok(entries) = fs::read_dir(root.join(dir)) else { continue };
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toy")));
    }
    files.sort();
    files.iter().filter_map(|p| fs::read(p).ok()).filter(|s| s.len() < 20_000).collect()
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Default)]
struct Tally {
    inputs: AtomicU64,
    ran: AtomicU64,
    compared: AtomicU64,
    interrupted: AtomicU64,
    memory_limit: AtomicU64,
    findings: Mutex<Vec<String>>,
    /// The first finding's program, quoted in the failure message.
    first_input: Mutex<Option<String>>,
}

fn save_finding(dir: &Path, tally: &Tally, kind: &str, input: &[u8], detail: String) {
    let mut findings = tally.findings.lock().unwrap();
    let name = format!("{kind}-{}", findings.len());
    let _ = fs::write(dir.join(format!("{name}.toy")), input);
    let _ = fs::write(dir.join(format!("{name}.txt")), &detail);
    findings.push(format!("{name}: {}", detail.lines().next().unwrap_or("")));
    tally.first_input.lock().unwrap().get_or_insert_with(|| {
        let text = String::from_utf8_lossy(input);
        let shown: String = text.chars().take(4000).collect();
        format!("---- {name}.toy ----\n{shown}\n---- {detail}")
    });
}

/// The failure message: one line per finding, then the first finding's program and its detail.
fn report(tally: &Tally) -> String {
    let findings = tally.findings.lock().unwrap();
    let first = tally.first_input.lock().unwrap();
    format!("{} problems:\n{}\n{}", findings.len(), findings.join("\n"), first.as_deref().unwrap_or(""))
}

/// Runs `input` as the fuzzer does; true when it ran to its end (a candidate seed).
fn check_input(file: &Path, input: &[u8], tally: &Tally, findings: &Path) -> bool {
    fs::write(file, input).unwrap();
    tally.inputs.fetch_add(1, Ordering::Relaxed);
    let mut jit = run(file, &["--jit-threshold", "1"]);
    if jit.hung {
        // The machine may just be busy: a hang counts only if it happens twice.
        jit = run(file, &["--jit-threshold", "1"]);
    }
    if jit.interrupted {
        tally.interrupted.fetch_add(1, Ordering::Relaxed);
    }
    if jit.stderr.contains("memory allocation of") {
        tally.memory_limit.fetch_add(1, Ordering::Relaxed);
    }
    if let Some(kind) = jit.problem() {
        let detail =
            format!("{kind} (--jit-threshold 1): status {:?} signal {:?}\n{}", jit.status, jit.signal, jit.stderr);
        save_finding(findings, tally, kind, input, detail);
        return false;
    }
    let syntax = jit.stderr.contains("SyntaxError") || jit.stderr.contains("IndentationError");
    if syntax || !jit.finished() {
        return false;
    }
    tally.ran.fetch_add(1, Ordering::Relaxed);
    let interp = run(file, &["--no-jit"]);
    if let Some(kind) = interp.problem() {
        let detail =
            format!("{kind} (--no-jit): status {:?} signal {:?}\n{}", interp.status, interp.signal, interp.stderr);
        save_finding(findings, tally, kind, input, detail);
        return false;
    }
    if interp.finished() {
        tally.compared.fetch_add(1, Ordering::Relaxed);
        let same_stdout = without_addresses(&interp.stdout) == without_addresses(&jit.stdout);
        let same_error = without_addresses(interp.last_stderr_line().as_bytes())
            == without_addresses(jit.last_stderr_line().as_bytes());
        if !same_stdout || interp.status != jit.status || !same_error {
            let detail = format!(
                "jit-difference: status {:?} vs {:?} (--no-jit vs --jit-threshold 1); last stderr line {:?} vs {:?}",
                interp.status,
                jit.status,
                interp.last_stderr_line(),
                jit.last_stderr_line()
            );
            save_finding(findings, tally, "jit-difference", input, detail);
            return false;
        }
    }
    true
}

fn worker(index: u64, seed: u64, deadline: Instant, pool: &Mutex<Vec<Vec<u8>>>, tally: &Tally, findings: &Path) {
    let dir = scratch_dir(&format!("fuzz-{index}"));
    let file: PathBuf = dir.join("input.toy");
    let mut rng = Rng::new(seed.wrapping_mul(1000).wrapping_add(index));
    while Instant::now() < deadline {
        let input = {
            let pool = pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let base = rng.pick(&pool).clone();
            mutate(&mut rng, &base, &pool)
        };
        if check_input(&file, &input, tally, findings) && input.len() < 50_000 && rng.chance(20) {
            let mut pool = pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if pool.len() < POOL_CAP {
                pool.push(input);
            } else {
                let at = rng.below(pool.len());
                pool[at] = input;
            }
        }
    }
}

/// `TOYJIT_FUZZ_REPLAY=DIR`: runs the `.toy` files of DIR (saved findings) instead of fuzzing.
fn replay(dir: &Path, tally: &Tally, findings: &Path) {
    let scratch = scratch_dir("fuzz-replay");
    let mut files: Vec<PathBuf> =
        fs::read_dir(dir).expect("cannot read the replay folder").flatten().map(|e| e.path()).collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "toy"));
    files.sort();
    for path in files {
        eprintln!("replaying {}", path.display());
        check_input(&scratch.join("input.toy"), &fs::read(&path).unwrap(), tally, findings);
    }
}

#[test]
fn fuzz_the_whole_pipeline() {
    let seconds = env_u64("TOYJIT_FUZZ_SECONDS", 8);
    let seed = env_u64("TOYJIT_FUZZ_SEED", 1);
    let jobs = env_u64("TOYJIT_FUZZ_JOBS", 2).max(1);
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let findings_dir = std::env::var_os("TOYJIT_FUZZ_FINDINGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-findings"))
        .join(format!("run-{}-seed{seed}", since_epoch.as_secs()));
    fs::create_dir_all(&findings_dir).unwrap();
    let pool = Mutex::new(seeds());
    assert!(pool.lock().unwrap().len() > 50, "the seed programs were not found");
    let tally = Tally::default();
    if let Some(dir) = std::env::var_os("TOYJIT_FUZZ_REPLAY") {
        replay(Path::new(&dir), &tally, &findings_dir);
        let _ = fs::remove_dir(&findings_dir); // only if empty: no finding
        assert!(tally.findings.lock().unwrap().is_empty(), "{}", report(&tally));
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    std::thread::scope(|scope| {
        for index in 0..jobs {
            let (pool, tally, dir) = (&pool, &tally, &findings_dir);
            scope.spawn(move || worker(index, seed, deadline, pool, tally, dir));
        }
    });
    let found = tally.findings.lock().unwrap().len();
    let _ = fs::remove_dir(&findings_dir); // only if empty: no finding
    eprintln!(
        "fuzz: {} inputs in {seconds} s (seed {seed}, {jobs} jobs): {} ran to the end, {} compared with --no-jit, \
         {} interrupted at the budget, {} hit the memory limit; {} findings (in {})",
        tally.inputs.load(Ordering::Relaxed),
        tally.ran.load(Ordering::Relaxed),
        tally.compared.load(Ordering::Relaxed),
        tally.interrupted.load(Ordering::Relaxed),
        tally.memory_limit.load(Ordering::Relaxed),
        found,
        findings_dir.display()
    );
    assert!(found == 0, "the fuzzer found {}", report(&tally));
}
