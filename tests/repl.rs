//! The interactive session, driven through a pseudo-terminal as a person would use it, and
//! Ctrl-C (SIGINT) stopping `toyjit run` the way it stops python3.
//!
//!     cargo test --test repl

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;
use expectrl::session::OsSession as Session;
use expectrl::{ControlCode, Expect};

/// Per step; generous for a loaded CI box, while a passing run takes a few seconds.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("repl-tests").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cannot create the scratch directory");
    dir
}

/// `toyjit ARGS` with SIGINT at its default disposition (a test run from a background job
/// would otherwise hand the child an ignored SIGINT, which toyjit, like python3, respects).
fn toyjit(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_toyjit"));
    command.args(args);
    // SAFETY: `signal` is async-signal-safe, as a pre_exec hook requires.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    command
}

/// Starts `toyjit ARGS` on a pseudo-terminal, its history in `dir`.
fn spawn_repl(args: &[&str], dir: &std::path::Path) -> Session {
    let mut command = toyjit(args);
    command.env("XDG_DATA_HOME", dir).env("TERM", "xterm").env_remove("NO_COLOR");
    let mut session = Session::spawn(command).expect("cannot start toyjit on a pty");
    session.set_expect_timeout(Some(STEP_TIMEOUT));
    session
}

/// Waits for `needle`, failing with what was seen instead.
fn expect(session: &mut Session, needle: &str, step: &str) {
    if let Err(e) = session.expect(needle) {
        panic!("{step}: did not see {needle:?}: {e}");
    }
}

/// Types one line and waits for the next prompt (`>>> ` or `... `) after `output`.
fn line(session: &mut Session, text: &str, output: &str, prompt: &str, step: &str) {
    session.send_line(text).unwrap_or_else(|e| panic!("{step}: cannot type: {e}"));
    if !output.is_empty() {
        expect(session, output, step);
    }
    expect(session, prompt, step);
}

/// Types a compound statement line by line (each answered by `... `), then the blank line that
/// ends it.
fn block(session: &mut Session, lines: &[&str], step: &str) {
    for text in lines {
        line(session, text, "", "... ", step);
    }
    line(session, "", "", ">>> ", step);
}

/// A function whose loop the JIT compiles when it is called with a large `n`.
const HOT_LOOP: &[&str] = &["    t = 0", "    for i in range(n):", "        t += i", "    return t"];

/// Defines `NAME(n)`, the sum of `range(n)`, with a hot loop.
fn define_hot_loop(session: &mut Session, name: &str) {
    let header = format!("def {name}(n):");
    let lines: Vec<&str> = std::iter::once(header.as_str()).chain(HOT_LOOP.iter().copied()).collect();
    block(session, &lines, "a function with a hot loop");
}

#[test]
fn a_session_at_the_terminal() {
    let started = Instant::now();
    let dir = scratch("session");
    let mut s = spawn_repl(&[], &dir);
    expect(&mut s, ">>> ", "the first prompt");

    // A function over two lines (a compound statement ends with a blank line), then a call.
    line(&mut s, "def double(x):", "", "... ", "def");
    line(&mut s, "    return x * 2", "", "... ", "def body");
    line(&mut s, "", "", ">>> ", "blank line ending the def");
    line(&mut s, "double(21)", "42\r\n", ">>> ", "calling it echoes the result");
    line(&mut s, "x = None", "", ">>> ", "an assignment");
    line(&mut s, "x", "", ">>> ", "None is not echoed");

    // An error prints python3's REPL traceback; the session goes on.
    line(
        &mut s,
        "1 / 0",
        "Traceback (most recent call last):\r\n  File \"<stdin>\", line 1, in <module>\r\nZeroDivisionError: division by zero\r\n",
        ">>> ",
        "ZeroDivisionError",
    );

    // A hot loop typed at the prompt is compiled.
    define_hot_loop(&mut s, "total");
    line(&mut s, "total(100000)", "4999950000\r\n", ">>> ", "running the hot loop");
    s.send_line(":stats").expect("cannot type");
    if let Err(e) = s.expect(expectrl::Regex("traces compiled: [1-9]")) {
        panic!(":stats after a hot loop: no compiled trace: {e}");
    }
    expect(&mut s, ">>> ", ":stats prompt");
    line(&mut s, ":nope", "unknown command ':nope'", ">>> ", "an unknown command");

    // Ctrl-C while typing cancels the line.
    s.send("print('never')").expect("cannot type");
    s.send(ControlCode::EndOfText).expect("cannot send Ctrl-C");
    expect(&mut s, "KeyboardInterrupt\r\n", "Ctrl-C at the prompt");
    expect(&mut s, ">>> ", "the prompt after Ctrl-C at the prompt");

    // Ctrl-C stops an infinite loop (the JIT is on) with a KeyboardInterrupt traceback.
    line(&mut s, "if True:", "", "... ", "infinite loop");
    line(&mut s, "    print('spinning')", "", "... ", "infinite loop");
    line(&mut s, "    while True: pass", "", "... ", "infinite loop");
    s.send_line("").expect("cannot type");
    expect(&mut s, "spinning\r\n", "the infinite loop started");
    std::thread::sleep(Duration::from_millis(300));
    s.send(ControlCode::EndOfText).expect("cannot send Ctrl-C");
    expect(&mut s, "Traceback (most recent call last):\r\n", "Ctrl-C in a running loop");
    expect(&mut s, "KeyboardInterrupt\r\n", "Ctrl-C in a running loop");
    expect(&mut s, ">>> ", "the prompt after interrupting");

    // And a loop the JIT has compiled: Ctrl-C reaches native code too.
    line(&mut s, "def spin():", "", "... ", "compiled infinite loop");
    line(&mut s, "    i = 0", "", "... ", "compiled infinite loop");
    line(&mut s, "    print('spinning natively')", "", "... ", "compiled infinite loop");
    line(&mut s, "    while True:", "", "... ", "compiled infinite loop");
    line(&mut s, "        i += 1", "", "... ", "compiled infinite loop");
    line(&mut s, "", "", ">>> ", "compiled infinite loop");
    s.send_line("spin()").expect("cannot type");
    expect(&mut s, "spinning natively\r\n", "the compiled loop started");
    std::thread::sleep(Duration::from_millis(300));
    s.send(ControlCode::EndOfText).expect("cannot send Ctrl-C");
    expect(&mut s, ", in spin\r\nKeyboardInterrupt\r\n", "Ctrl-C in a compiled loop");
    expect(&mut s, ">>> ", "the prompt after interrupting a compiled loop");
    s.send_line(":stats").expect("cannot type");
    if let Err(e) = s.expect(expectrl::Regex("traces compiled: ([2-9]|[1-9][0-9])")) {
        panic!(":stats: spin's loop was not compiled: {e}");
    }
    expect(&mut s, ">>> ", ":stats prompt");

    // The session's state survived all of that.
    line(&mut s, "print(double(3), total(4))", "6 6\r\n", ">>> ", "state kept after Ctrl-C");

    // Lines typed ahead (or pasted) are kept, not dropped between prompts.
    s.send("a = 20\nb = 22\nprint('typed ahead', a + b)\n").expect("cannot type");
    expect(&mut s, "typed ahead 42\r\n", "lines typed ahead");
    expect(&mut s, ">>> ", "the prompt after lines typed ahead");

    // Ctrl-D exits with status 0 and the history was kept.
    s.send(ControlCode::EndOfTransmission).expect("cannot send Ctrl-D");
    match s.get_process().wait() {
        Ok(WaitStatus::Exited(_, 0)) => {}
        other => panic!("Ctrl-D: expected exit status 0, got {other:?}"),
    }
    let history = std::fs::read_to_string(dir.join("toyjit/history")).unwrap_or_default();
    assert!(history.contains("def double(x):"), "history file lacks the session's lines:\n{history}");
    assert!(started.elapsed() < Duration::from_secs(60), "the session took {:?}", started.elapsed());
}

#[test]
fn ctrl_d_ends_a_block_tab_completes_and_stats_shows_native_time() {
    let dir = scratch("ctrl-d-tab-stats");
    let mut s = spawn_repl(&[], &dir);
    expect(&mut s, ">>> ", "the first prompt");

    // Ctrl-D on a `... ` line ends the block as a blank line does (python3), and the session
    // goes on: the function is defined.
    line(&mut s, "def greet_everyone(n):", "", "... ", "def");
    line(&mut s, "    return n + 1", "", "... ", "def body");
    s.send(ControlCode::EndOfTransmission).expect("cannot send Ctrl-D");
    expect(&mut s, ">>> ", "Ctrl-D on a continuation line");
    line(&mut s, "greet_everyone(1)", "2\r\n", ">>> ", "the block Ctrl-D ended was defined");

    // A block without a body: Ctrl-D reports python3's IndentationError, the session goes on.
    line(&mut s, "def broken():", "", "... ", "def without body");
    s.send(ControlCode::EndOfTransmission).expect("cannot send Ctrl-D");
    expect(&mut s, "IndentationError: expected an indented block", "Ctrl-D after a bare header");
    expect(&mut s, ">>> ", "the prompt after the IndentationError");

    // Tab completes a name defined in the session (the only one starting so).
    s.send("greet_e\t").expect("cannot type");
    std::thread::sleep(Duration::from_millis(200));
    line(&mut s, "(41)", "42\r\n", ">>> ", "a completed name");
    // Tab at the start of a `... ` line indents.
    line(&mut s, "if True:", "", "... ", "if");
    s.send("\tprint('indented by tab')\r").expect("cannot type");
    expect(&mut s, "... ", "the indented line");
    line(&mut s, "", "indented by tab\r\n", ">>> ", "the block indented by tab");

    // `:stats` says what `--stats` says, the time in native code included.
    define_hot_loop(&mut s, "count");
    line(&mut s, "count(100000)", "4999950000\r\n", ">>> ", "running the hot loop");
    s.send_line(":stats").expect("cannot type");
    if let Err(e) =
        s.expect(expectrl::Regex(r"traces compiled: [1-9].*compiling: [0-9.]+ ms, in native code: [0-9.]+ ms"))
    {
        panic!(":stats lacks the figures of --stats: {e}");
    }
    expect(&mut s, ">>> ", ":stats prompt");

    // Ctrl-D on an empty `>>> ` line still exits.
    s.send(ControlCode::EndOfTransmission).expect("cannot send Ctrl-D");
    match s.get_process().wait() {
        Ok(WaitStatus::Exited(_, 0)) => {}
        other => panic!("Ctrl-D: expected exit status 0, got {other:?}"),
    }
}

#[test]
fn the_repl_subcommand_without_the_jit() {
    let dir = scratch("no-jit");
    let mut s = spawn_repl(&["repl", "--no-jit"], &dir);
    expect(&mut s, ">>> ", "the first prompt");
    line(&mut s, ":stats", "[jit] off (--no-jit)", ">>> ", ":stats without the JIT");
    line(&mut s, "[n * n for n in range(4)]", "[0, 1, 4, 9]\r\n", ">>> ", "an echoed list");
    line(&mut s, "print(undefined)", "NameError: name 'undefined' is not defined", ">>> ", "NameError");
    s.send(ControlCode::EndOfTransmission).expect("cannot send Ctrl-D");
    match s.get_process().wait() {
        Ok(WaitStatus::Exited(_, 0)) => {}
        other => panic!("Ctrl-D: expected exit status 0, got {other:?}"),
    }
}

#[test]
fn sigint_stops_toyjit_run_like_python3() {
    let dir = scratch("run-sigint");
    let program = dir.join("spin.toy");
    std::fs::write(&program, "print('started', flush=True)\nwhile True: pass\n").unwrap();
    let mut child = toyjit(&["run", program.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start toyjit");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, "started\n");
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: sends a signal to our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };

    let deadline = Instant::now() + STEP_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("toyjit run did not stop on SIGINT within {STEP_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    // python3 dies by SIGINT after its traceback; the shell shows status 130.
    assert_eq!(status.signal(), Some(libc::SIGINT), "status {status:?}, stderr:\n{stderr}");
    assert!(stderr.starts_with("Traceback (most recent call last):\n"), "stderr:\n{stderr}");
    assert!(stderr.ends_with("    while True: pass\nKeyboardInterrupt\n"), "stderr:\n{stderr}");
}
