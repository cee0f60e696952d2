//! `toyjit compare FILE`: runs FILE in toyjit's interpreter (`--no-jit`) and with the JIT, and in
//! python3 and pypy3 when they are on PATH; checks that every engine printed the same stdout and
//! exited with the same status (the interpreter is the reference); prints a table of the best
//! wall-clock time of each engine and its speedup over the interpreter.
//!
//! Touches: child processes (this same binary, python3, pypy3) with stdin from /dev/null and
//! stdout/stderr captured; this process's stdout (the table) and stderr (a disagreement).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::args::CompareArgs;

/// One way of running the program.
struct Engine {
    label: String,
    command: Command,
}

/// What an engine's runs gave: its output (of the last run) and its fastest time.
struct Measured {
    label: String,
    stdout: Vec<u8>,
    status: Option<i32>,
    best: Duration,
}

/// Runs the comparison; the status is 0 when every engine agreed, 1 when one printed something
/// else or exited otherwise, 2 when the file or an engine could not be run.
pub fn run(args: &CompareArgs) -> i32 {
    if let Err(e) = std::fs::metadata(&args.file) {
        eprintln!("toyjit compare: can't open file '{}': {e}", args.file);
        return 2;
    }
    let engines = match engines(&args.file, !args.no_peers) {
        Ok(engines) => engines,
        Err(message) => {
            eprintln!("toyjit compare: {message}");
            return 2;
        }
    };
    let mut measured = Vec::new();
    for engine in engines {
        match measure(engine, args.runs) {
            Ok(m) => measured.push(m),
            Err(message) => {
                eprintln!("toyjit compare: {message}");
                return 2;
            }
        }
    }
    let reference = &measured[0];
    let mut agree = true;
    for other in &measured[1..] {
        if let Some(difference) = describe_difference(reference, other) {
            eprintln!("toyjit compare: OUTPUTS DIFFER: {} and {}: {difference}", reference.label, other.label);
            agree = false;
        }
    }
    print!("{}", table(&args.file, &measured, args.runs, agree));
    if agree { 0 } else { 1 }
}

/// The engines to time, the interpreter first (the reference for outputs and speedups).
fn engines(file: &str, with_peers: bool) -> Result<Vec<Engine>, String> {
    let toyjit = std::env::current_exe().map_err(|e| format!("cannot find the toyjit binary: {e}"))?;
    let toyjit_run = |flags: &[&str]| {
        let mut command = Command::new(&toyjit);
        command.arg("run").args(flags).arg(file);
        command
    };
    let mut engines = vec![
        Engine { label: "toyjit --no-jit".into(), command: toyjit_run(&["--no-jit"]) },
        Engine { label: "toyjit (JIT)".into(), command: toyjit_run(&[]) },
    ];
    if with_peers {
        for peer in ["python3", "pypy3"] {
            if let Some(path) = find_on_path(peer) {
                let mut command = Command::new(path);
                command.arg(file).env("PYTHONIOENCODING", "utf-8");
                engines.push(Engine { label: peer.into(), command });
            }
        }
    }
    Ok(engines)
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// Runs `engine` `runs` times; keeps the fastest time and the last output.
fn measure(mut engine: Engine, runs: u32) -> Result<Measured, String> {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let output = engine
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", engine.label))?;
        best = best.min(start.elapsed());
        last = Some(output);
    }
    let output = last.expect("at least one run (clap refuses --runs 0)");
    Ok(Measured { label: engine.label, stdout: output.stdout, status: output.status.code(), best })
}

/// Why `other` disagrees with `reference`, or `None` when it printed the same and exited alike.
fn describe_difference(reference: &Measured, other: &Measured) -> Option<String> {
    if reference.status != other.status {
        return Some(format!("exit status {} vs {}", show_status(reference.status), show_status(other.status)));
    }
    if reference.stdout == other.stdout {
        return None;
    }
    let expected = String::from_utf8_lossy(&reference.stdout);
    let got = String::from_utf8_lossy(&other.stdout);
    let (mut expected_lines, mut got_lines) = (expected.lines(), got.lines());
    for line in 1.. {
        match (expected_lines.next(), got_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => return Some("stdout differs only in its final newline".into()),
            (a, b) => {
                let show = |l: Option<&str>| l.map_or("end of output".to_string(), |l| format!("{l:?}"));
                return Some(format!("stdout line {line}: {} vs {}", show(a), show(b)));
            }
        }
    }
    unreachable!("the loop returns at the first difference")
}

fn show_status(status: Option<i32>) -> String {
    status.map_or("(killed by a signal)".to_string(), |code| code.to_string())
}

/// The table: engine, best time, speedup over the interpreter.
fn table(file: &str, measured: &[Measured], runs: u32, agree: bool) -> String {
    let verdict = if agree { "outputs agree" } else { "OUTPUTS DIFFER" };
    let of_runs = if runs == 1 { "1 run each".to_string() } else { format!("best of {runs} runs") };
    let mut text = format!("{file}: {verdict} ({} engines, {of_runs})\n", measured.len());
    let width = measured.iter().map(|m| m.label.len()).max().unwrap_or(0).max("engine".len());
    text += &format!("  {:<width$}  {:>9}  {:>14}\n", "engine", "time", "vs interpreter");
    let reference = measured[0].best.as_secs_f64();
    for m in measured {
        let seconds = m.best.as_secs_f64();
        let speedup = reference / seconds.max(1e-9);
        text += &format!("  {:<width$}  {:>7.3} s  {:>13.2}x\n", m.label, seconds, speedup);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(label: &str, stdout: &str, status: i32, millis: u64) -> Measured {
        Measured {
            label: label.into(),
            stdout: stdout.into(),
            status: Some(status),
            best: Duration::from_millis(millis),
        }
    }

    #[test]
    fn a_difference_names_the_first_differing_line_or_the_status() {
        let reference = measured("a", "1\n2\n3\n", 0, 1);
        assert_eq!(describe_difference(&reference, &measured("b", "1\n2\n3\n", 0, 1)), None);
        assert_eq!(
            describe_difference(&reference, &measured("b", "1\n5\n3\n", 0, 1)).as_deref(),
            Some("stdout line 2: \"2\" vs \"5\"")
        );
        assert_eq!(
            describe_difference(&reference, &measured("b", "1\n2\n", 0, 1)).as_deref(),
            Some("stdout line 3: \"3\" vs end of output")
        );
        assert_eq!(
            describe_difference(&reference, &measured("b", "1\n2\n3\n", 1, 1)).as_deref(),
            Some("exit status 0 vs 1")
        );
    }

    #[test]
    fn the_table_shows_speedups_over_the_interpreter() {
        let rows = [measured("toyjit --no-jit", "", 0, 2000), measured("toyjit (JIT)", "", 0, 250)];
        let text = table("p.toy", &rows, 3, true);
        assert!(text.starts_with("p.toy: outputs agree (2 engines, best of 3 runs)\n"), "{text}");
        assert!(text.contains("toyjit (JIT)       0.250 s           8.00x"), "{text}");
        assert!(text.contains("toyjit --no-jit    2.000 s           1.00x"), "{text}");
    }
}
