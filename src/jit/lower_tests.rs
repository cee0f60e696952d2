//! Tests of `lower.rs`: the trace files of `tests/ir/lower/`, each compiled and run on real
//! frames, and the few checks those files cannot express.
//!
//! # The file format (`tests/ir/lower/*.ir`, see the README there)
//!
//! A file is one test: trace text in, runs out, in the spirit of Cranelift's run filetests.
//!
//! ```text
//! ; `while i < n: i += 1`              <- comments: lines starting with ';'
//!       GuardTag r0(i) is int  snap0   <- the trace, exactly as the dump prints it (parse_trace)
//! ...
//!   snap1 @pc 1: r0(i)=%11
//! trace T2: side trace of T1 exit 3    <- optional: more traces of the tree (see below)
//! ...
//! run: r0=0 r1=10 -> exit 1: r0=10     <- frame before -> exit taken: slots after
//! run: r0=5 r1=0 -> exit 0
//! error: does not loop                 <- or: the lowering must reject the trace so
//! ```
//!
//! - `run: BEFORE -> exit N[: AFTER]`: `BEFORE` sets frame slots (`r3=7`) and globals (`g1=2`);
//!   the slots it does not name hold `None`. The trace runs once (from its entry until an exit
//!   returns) and must return exit number `N`; then every slot and global `AFTER` names must
//!   hold that value, and every other one must still hold its value from `BEFORE` (so a run
//!   that writes nothing has no `AFTER`). Values are written as Python writes them: `7`, `-2.5`,
//!   `1e308`, `-0.0`, `inf`, `NaN`, `True`, `None`, `'text'` (a str), `[1, 2.0, 's']` (a list).
//!   Floats compare bit for bit (any NaN equals any NaN); lists by their items, so a list the
//!   trace changed in place is checked too.
//! - `error: TEXT`: compiling the trace must fail with a message containing `TEXT`; a file has
//!   either runs or one error.
//! - The first trace is the root, T1: exit `N` of a root is its snapshot `N`. A line
//!   `trace Tk: side trace of Tj exit S` starts side trace `Tk`, which hangs from snapshot `S`
//!   of the earlier trace `Tj`; its exits are numbered after all earlier traces' snapshots (as
//!   in the VM's trees). Each run of a tree is checked twice: with every trace compiled alone
//!   and called through the side-exit tables (a `Link` to T1 returns to the runner, which calls
//!   the root again, as the VM does), and with the tree compiled as one function.
//!
//! A failure names the file and the line of the run, with what was expected and what the run
//! gave; all files run, and the test reports every failure.

use super::*;
use crate::interp::engine::native::SideExitSlot;
use crate::interp::objects::value::Value;
use crate::jit::ir::GLOBAL_SLOTS;
use crate::jit::ir::text::parse_trace;

const LOWER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ir/lower");

fn layout() -> ListLayout {
    ListLayout::measure().expect("list layout")
}

/// One trace of a test file, with where it hangs in the tree: `(trace index, snapshot)` of its
/// parent exit, `None` for the root.
struct FileTrace {
    trace: Trace,
    parent: Option<(usize, u32)>,
}

/// One `run:` line: the slots set before, the exit expected and the slots expected after.
struct Run {
    line: usize,
    text: String,
    before: Vec<(u16, Value)>,
    exit: u32,
    after: Vec<(u16, Value)>,
}

struct TestFile {
    traces: Vec<FileTrace>,
    runs: Vec<Run>,
    error: Option<String>,
}

/// Reads a test file (see the module doc).
fn parse_file(text: &str) -> Result<TestFile, String> {
    let mut sections: Vec<(Option<(usize, u32)>, String)> = vec![(None, String::new())];
    let mut runs = Vec::new();
    let mut error = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let at = |e: String| format!("line {}: {e}", n + 1);
        if line.starts_with(';') {
            continue;
        } else if let Some(rest) = line.strip_prefix("run:") {
            let (before, after) = rest.split_once("->").ok_or_else(|| at("a run without '->'".into()))?;
            let after = after.trim().strip_prefix("exit").ok_or_else(|| at("expected 'exit N' after '->'".into()))?;
            let (exit, slots) = after.split_once(':').unwrap_or((after, ""));
            runs.push(Run {
                line: n + 1,
                text: line.to_string(),
                before: parse_slots(before).map_err(at)?,
                exit: exit.trim().parse().map_err(|_| at(format!("bad exit number '{}'", exit.trim())))?,
                after: parse_slots(slots).map_err(at)?,
            });
        } else if let Some(rest) = line.strip_prefix("error:") {
            error = Some(rest.trim().to_string());
        } else if let Some(header) = line.strip_prefix("trace T") {
            let bad = || at(format!("expected 'trace Tk: side trace of Tj exit S', found '{line}'"));
            let (k, rest) = header.split_once(": side trace of T").ok_or_else(bad)?;
            let (j, s) = rest.split_once(" exit ").ok_or_else(bad)?;
            let (k, j, s): (usize, usize, u32) =
                (k.parse().map_err(|_| bad())?, j.parse().map_err(|_| bad())?, s.trim().parse().map_err(|_| bad())?);
            if k != sections.len() + 1 || j == 0 || j >= k {
                return Err(at(format!("side trace T{k} must follow T{} and hang from an earlier trace", k - 1)));
            }
            sections.push((Some((j - 1, s)), String::new()));
        } else {
            let section = &mut sections.last_mut().expect("the root's section").1;
            section.push_str(raw);
            section.push('\n');
        }
    }
    let traces = sections
        .into_iter()
        .enumerate()
        .map(|(i, (parent, text))| {
            let trace = parse_trace(&text).map_err(|e| format!("trace T{}: {e}", i + 1))?;
            Ok(FileTrace { trace, parent })
        })
        .collect::<Result<Vec<_>, String>>()?;
    match (&error, runs.is_empty()) {
        (Some(_), false) => Err("a file has runs or an error, not both".into()),
        (None, true) => Err("no run: and no error: line (a test that cannot fail)".into()),
        _ => Ok(TestFile { traces, runs, error }),
    }
}

/// `r0=7 g1=[1, 2.0]` → `[(0, 7), (GLOBAL_SLOTS + 1, [1, 2.0])]`.
fn parse_slots(text: &str) -> Result<Vec<(u16, Value)>, String> {
    let mut chars = text.trim().chars().peekable();
    let mut slots = Vec::new();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(kind) = chars.next() else { return Ok(slots) };
        let number: String = std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_digit())).collect();
        let number: u16 = number.parse().map_err(|_| format!("bad slot after '{kind}'"))?;
        let slot = match kind {
            'r' => number,
            'g' => GLOBAL_SLOTS + number,
            _ => return Err(format!("a slot is rN or gN, found '{kind}{number}'")),
        };
        if chars.next() != Some('=') {
            return Err(format!("expected '=' after slot {kind}{number}"));
        }
        slots.push((slot, parse_value(&mut chars)?));
    }
}

fn parse_value(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<Value, String> {
    match chars.peek() {
        Some('[') => {
            chars.next();
            let mut items = Vec::new();
            loop {
                while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
                if chars.next_if_eq(&']').is_some() {
                    return Ok(Value::list(items));
                }
                if chars.peek().is_none() {
                    return Err("a list without ']'".into());
                }
                items.push(parse_value(chars)?);
            }
        }
        Some('\'') => {
            chars.next();
            let text: String = std::iter::from_fn(|| chars.next_if(|c| *c != '\'')).collect();
            chars.next().ok_or("a str without its closing quote")?;
            Ok(Value::str(text))
        }
        _ => {
            let token: String =
                std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace() && *c != ',' && *c != ']')).collect();
            match token.as_str() {
                "None" => Ok(Value::None),
                "True" => Ok(Value::Bool(true)),
                "False" => Ok(Value::Bool(false)),
                t if t.contains(['.', 'e', 'n', 'N']) => {
                    t.parse::<f64>().map(Value::Float).map_err(|_| format!("bad float '{t}'"))
                }
                t => t.parse::<i64>().map(Value::Int).or_else(|_| {
                    t.parse::<num_bigint::BigInt>().map(Value::from_bigint).map_err(|_| format!("bad value '{t}'"))
                }),
            }
        }
    }
}

/// A value as the test files write it.
fn show(v: &Value) -> String {
    match v {
        Value::Int(n) => n.to_string(),
        Value::BigInt(n) => n.to_string(),
        Value::Float(x) => format!("{x:?}"),
        Value::Bool(b) => (if *b { "True" } else { "False" }).into(),
        Value::None => "None".into(),
        Value::Str(s) => format!("'{}'", s.as_str()),
        Value::List(l) => format!("[{}]", l.borrow().iter().map(show).collect::<Vec<_>>().join(", ")),
        other => format!("{other:?}"),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::BigInt(x), Value::BigInt(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::None, Value::None) => true,
        (Value::Str(x), Value::Str(y)) => x.as_str() == y.as_str(),
        (Value::List(x), Value::List(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| same(a, b))
        }
        _ => false,
    }
}

fn slot_label(slot: u16) -> String {
    match slot.checked_sub(GLOBAL_SLOTS) {
        Some(g) => format!("g{g}"),
        None => format!("r{slot}"),
    }
}

/// Every slot a trace reads, guards or writes (instructions and snapshots).
fn slots_named(trace: &Trace) -> Vec<u16> {
    let mut slots = Vec::new();
    for inst in &trace.insts {
        match inst.op {
            Op::GuardTag { slot, .. }
            | Op::ClearSlot { slot }
            | Op::SlotInt { slot }
            | Op::SlotFloat { slot }
            | Op::SlotBool { slot }
            | Op::SlotPtr { slot }
            | Op::Phi { slot, .. }
            | Op::ListAppend { result: Some(slot), .. }
            | Op::ListPop { result: slot, .. }
            | Op::ListExtend { result: slot, .. }
            | Op::ListInsert { result: slot, .. }
            | Op::ListReverse { result: slot, .. } => slots.push(slot),
            _ => {}
        }
    }
    for snapshot in &trace.snapshots {
        slots.extend(snapshot.slots.iter().map(|(slot, _)| *slot));
        slots.extend(&snapshot.unbound);
    }
    slots
}

/// The frame and globals of a run: big enough for every slot the traces or the run name.
fn state(traces: &[FileTrace], run: &Run) -> (Vec<Value>, Vec<Value>) {
    let named = traces.iter().flat_map(|t| slots_named(&t.trace)).chain(run.before.iter().map(|(s, _)| *s));
    let named = named.chain(run.after.iter().map(|(s, _)| *s));
    let (mut frame_len, mut globals_len) = (0, 0);
    for slot in named {
        match slot.checked_sub(GLOBAL_SLOTS) {
            Some(g) => globals_len = globals_len.max(g as usize + 1),
            None => frame_len = frame_len.max(slot as usize + 1),
        }
    }
    let (mut frame, mut globals) = (vec![Value::None; frame_len], vec![Value::None; globals_len]);
    for (slot, value) in &run.before {
        match slot.checked_sub(GLOBAL_SLOTS) {
            Some(g) => globals[g as usize] = value.clone(),
            None => frame[*slot as usize] = value.clone(),
        }
    }
    (frame, globals)
}

/// The exit number base of each trace: the snapshots of all earlier traces.
fn places(traces: &[FileTrace]) -> Vec<TreePlace> {
    let mut base = 0;
    traces
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let place = if i == 0 { TreePlace::root(1) } else { TreePlace::side(base, 1) };
            base += t.trace.snapshots.len() as u32;
            place
        })
        .collect()
}

/// How a file's traces are compiled: one function per trace, linked through the side-exit
/// tables, or the whole tree as one function.
enum Compiled {
    Separate(Vec<CompiledTrace>),
    Tree(Box<CompiledTrace>),
}

impl Compiled {
    fn describe(&self) -> &'static str {
        match self {
            Compiled::Separate(_) => "each trace compiled alone",
            Compiled::Tree(_) => "the tree compiled as one function",
        }
    }

    /// Runs the tree on `frame` and `globals` until an exit returns to the caller.
    fn run(&self, traces: &[FileTrace], frame: &mut [Value], globals: &mut [Value]) -> u32 {
        let tables: Vec<Box<[SideExitSlot]>> =
            traces.iter().map(|t| SideExitSlot::empty_table(t.trace.snapshots.len())).collect();
        for (i, t) in traces.iter().enumerate() {
            if let Some((parent, snap)) = t.parent {
                tables[parent][snap as usize].table.set(tables[i].as_ptr());
                if let Compiled::Separate(code) = self {
                    tables[parent][snap as usize].entry.set(Some(code[i].entry));
                }
            }
        }
        let entry = match self {
            Compiled::Separate(code) => code[0].entry,
            Compiled::Tree(code) => code.entry,
        };
        // A side trace linking to the root returns LINK_TO_ROOT: call the root again, as the VM
        // does (bounded, so a test of a wrong link cannot hang).
        for _ in 0..10_000 {
            // SAFETY: the frame and globals have a slot for every slot the traces name (see
            // `state`), and every trace's table has one entry per snapshot of that trace.
            let status = unsafe { entry(frame.as_mut_ptr(), globals.as_mut_ptr(), tables[0].as_ptr()) };
            if status != crate::interp::engine::native::LINK_TO_ROOT {
                return status;
            }
        }
        panic!("the root was re-entered 10,000 times without an exit");
    }
}

/// Compiles the file's traces in every way that applies: alone for one trace; alone and as one
/// function for a tree.
fn compile_file(traces: &[FileTrace]) -> Result<Vec<Compiled>, String> {
    let layout = layout();
    let places = places(traces);
    let alone = traces
        .iter()
        .zip(&places)
        .map(|(t, place)| compile_trace(&t.trace, &layout, *place, Listings::default()))
        .collect::<Result<Vec<_>, String>>()?;
    let mut ways = vec![Compiled::Separate(alone)];
    if traces.len() > 1 {
        let members: Vec<TreeMember<'_>> = traces
            .iter()
            .zip(&places)
            .map(|(t, place)| TreeMember { trace: &t.trace, place: *place, parent: t.parent, verified: false })
            .collect();
        ways.push(Compiled::Tree(Box::new(compile_tree(&members, &layout, Listings::default())?)));
    }
    Ok(ways)
}

/// Runs one file; returns its failures (empty: it passed).
fn check_file(path: &std::path::Path) -> Vec<String> {
    let name = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path).display().to_string();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let file = match parse_file(&text) {
        Ok(file) => file,
        Err(e) => return vec![format!("{name}: {e}")],
    };
    let compiled = compile_file(&file.traces);
    if let Some(want) = &file.error {
        return match compiled {
            Err(e) if e.contains(want.as_str()) => vec![],
            Err(e) => vec![format!("{name}: expected an error containing '{want}', got: {e}")],
            Ok(_) => vec![format!("{name}: expected an error containing '{want}', but it compiled")],
        };
    }
    let ways = match compiled {
        Ok(ways) => ways,
        Err(e) => return vec![format!("{name}: does not compile: {e}")],
    };
    let mut failures = Vec::new();
    for way in &ways {
        for run in &file.runs {
            let (mut frame, mut globals) = state(&file.traces, run);
            let exit = way.run(&file.traces, &mut frame, &mut globals);
            // What every slot must hold: its value before, or the one the run names after. Built
            // from fresh values: a list the trace changed in place is shared with the frame.
            let (mut want_frame, mut want_globals) = state(&file.traces, run);
            for (slot, value) in &run.after {
                match slot.checked_sub(GLOBAL_SLOTS) {
                    Some(g) => want_globals[g as usize] = value.clone(),
                    None => want_frame[*slot as usize] = value.clone(),
                }
            }
            let got = frame
                .iter()
                .enumerate()
                .map(|(s, v)| (s as u16, v))
                .chain(globals.iter().enumerate().map(|(g, v)| (GLOBAL_SLOTS + g as u16, v)));
            let want: Vec<&Value> = want_frame.iter().chain(&want_globals).collect();
            let (before_frame, before_globals) = state(&file.traces, run);
            let before: Vec<Value> = before_frame.into_iter().chain(before_globals).collect();
            let mut wrong = false;
            let mut shown = Vec::new();
            for ((slot, value), (want, before)) in got.zip(want.iter().zip(&before)) {
                let named = run.after.iter().any(|(s, _)| *s == slot);
                wrong |= !same(value, want);
                if named || !same(value, before) || !same(value, want) {
                    shown.push(format!("{}={}", slot_label(slot), show(value)));
                }
            }
            if wrong || exit != run.exit {
                failures.push(format!(
                    "{name}:{}: {} ({})\n    got: exit {exit}{}{}",
                    run.line,
                    run.text,
                    way.describe(),
                    if shown.is_empty() { "" } else { ": " },
                    shown.join(" ")
                ));
            }
        }
    }
    failures
}

/// Every file of `tests/ir/lower/`: see the module doc for the format.
#[test]
fn lowering_test_files() {
    let mut paths: Vec<_> = std::fs::read_dir(LOWER_DIR)
        .unwrap_or_else(|e| panic!("{LOWER_DIR}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "ir"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 60, "only {} test files in {LOWER_DIR}", paths.len());
    let failures: Vec<String> = paths.iter().flat_map(|path| check_file(path)).collect();
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().take(30).map(String::as_str).collect();
        panic!("{} failures in {LOWER_DIR}:\n{}", failures.len(), shown.join("\n"));
    }
}

/// A wrong expectation makes the runner fail: the runner itself is tested.
#[test]
fn a_wrong_expectation_fails() {
    let dir = std::env::temp_dir().join(format!("toyjit-lower-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let good = std::fs::read_to_string(format!("{LOWER_DIR}/counting_loop.ir")).expect("counting_loop.ir");
    assert!(good.contains("run: r0=0 r1=10 -> exit 1: r0=10\n"));
    let cases = [
        ("a wrong slot value", good.replace("-> exit 1: r0=10\n", "-> exit 1: r0=11\n"), "got: exit 1: r0=10"),
        ("a wrong exit", good.replace("-> exit 1: r0=10\n", "-> exit 0: r0=10\n"), "got: exit 1: r0=10"),
        ("a slot said unchanged", good.replace("-> exit 1: r0=10\n", "-> exit 1\n"), "got: exit 1: r0=10"),
        ("an error that does not come", format!("{good}error: does not loop\n"), "not both"),
    ];
    for (what, text, message) in cases {
        let path = dir.join("case.ir");
        std::fs::write(&path, text).expect("written");
        let failures = check_file(&path);
        assert!(failures.len() == 1 && failures[0].contains(message), "{what}: {failures:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The traces of a test file, for the Rust tests below.
fn load(file: &str) -> Vec<Trace> {
    let text = std::fs::read_to_string(format!("{LOWER_DIR}/{file}")).unwrap_or_else(|e| panic!("{file}: {e}"));
    parse_file(&text).unwrap_or_else(|e| panic!("{file}: {e}")).traces.into_iter().map(|t| t.trace).collect()
}

fn load_one(file: &str) -> Trace {
    load(file).remove(0)
}

fn compile(t: &Trace) -> CompiledTrace {
    compile_trace(t, &layout(), TreePlace::root(1), Listings::default()).unwrap_or_else(|e| panic!("{e}\n{t}"))
}

fn run(c: &CompiledTrace, frame: &mut [Value]) -> u32 {
    let table = SideExitSlot::empty_table(64);
    // SAFETY: the traces of these tests touch only the frame slots they are given (no globals),
    // and have at most 64 snapshots.
    unsafe { (c.entry)(frame.as_mut_ptr(), std::ptr::null_mut(), table.as_ptr()) }
}

// The checks below are what the text files cannot say: what the compiler returns besides code
// (listings), reference counts and pointer identity, raw memory, trees given the wrong shape,
// traces holding objects, and freeing code.

/// Listings (Cranelift IR, machine code) come only when asked for: they cost compile time.
#[test]
fn listings_only_when_asked_for() {
    let trace = load_one("counting_loop.ir");
    let listed = compile_trace(&trace, &layout(), TreePlace::root(1), Listings { clif: true, disassembly: true })
        .expect("compiles");
    assert!(listed.code_size > 0);
    assert!(listed.clif.as_deref().is_some_and(|c| c.contains("brif")), "{:?}", listed.clif);
    assert!(listed.disassembly.as_deref().is_some_and(|d| !d.is_empty()));
    let quiet = compile(&trace);
    assert!(quiet.clif.is_none() && quiet.disassembly.is_none());
    // Listings change nothing in the code's behaviour.
    let mut frame = vec![Value::Int(0), Value::Int(10)];
    assert_eq!(run(&listed, &mut frame), 1);
    assert!(matches!(frame[0], Value::Int(10)));
}

/// `ClearSlot` releases the frame's reference to the list the slot held (clear_slot.ir checks
/// the values): a last reference into the runtime's garbage first (trace values may still point
/// into it), which the VM drops when the machine code returns; a reference to a list something
/// else holds too at once (that frees nothing).
#[test]
fn clear_slot_releases_the_list_the_slot_held() {
    let c = compile(&load_one("clear_slot.ir"));
    let watched = std::rc::Rc::new(std::cell::RefCell::new(vec![Value::Int(1)]));
    let mut frame = vec![Value::Int(7), Value::List(watched.clone())];
    assert_eq!(run(&c, &mut frame), 1);
    assert!(matches!(frame[1], Value::Int(7)));
    assert_eq!(std::rc::Rc::strong_count(&watched), 1, "a shared list: the frame's reference dropped at once");
    let only_the_frame = std::rc::Rc::new(std::cell::RefCell::new(vec![Value::Int(2)]));
    let weak = std::rc::Rc::downgrade(&only_the_frame);
    let mut frame = vec![Value::Int(7), Value::List(only_the_frame)];
    assert_eq!(run(&c, &mut frame), 1);
    assert!(matches!(frame[1], Value::Int(7)));
    assert!(weak.upgrade().is_some(), "the last reference waits in the garbage");
    crate::interp::engine::native::native_context::drop_garbage();
    assert!(weak.upgrade().is_none(), "the list was freed when the garbage was dropped");
}

/// An exit writing a list (a trace's `ptr` value, as when a list is passed to an inlined call)
/// stores a counted reference to the same list, dropping what the slot held; an exit writing a
/// function (`ConstObj`) stores the function. Rust, not text: a trace's objects have no text
/// form that parses, and identity and counts are the point.
#[test]
fn exits_write_lists_and_objects_as_counted_references() {
    use crate::jit::ir::{Snapshot, TraceObject};
    let mut t = Trace::default();
    let s0 = t.add_snapshot(Snapshot::default());
    t.push(Op::GuardTag { slot: 0, tag: crate::interp::objects::value::tag::LIST, snap: s0 }, Type::Void);
    let p = t.push(Op::SlotPtr { slot: 0 }, Type::Ptr);
    t.objects.push(TraceObject::Builtin(crate::interp::objects::builtins::BuiltinId::Len));
    let f = t.push(Op::ConstObj { index: 0 }, Type::Obj);
    t.push(Op::Loop, Type::Void);
    let no = t.push(Op::ConstBool { value: false }, Type::Bool);
    let s1 = t.add_snapshot(Snapshot { pc: 1, slots: vec![(1, p), (2, f)], ..Snapshot::default() });
    t.push(Op::Guard { cond: no, expect: true, snap: s1 }, Type::Void);
    let compiled = compile(&t);
    let list = std::rc::Rc::new(std::cell::RefCell::new(vec![Value::Int(7)]));
    let old = std::rc::Rc::new(std::cell::RefCell::new(vec![Value::Int(1)]));
    let mut frame = vec![Value::List(list.clone()), Value::List(old.clone()), Value::Int(0)];
    assert_eq!(run(&compiled, &mut frame), 1);
    assert!(matches!(&frame[1], Value::List(l) if std::rc::Rc::ptr_eq(l, &list)), "{:?}", frame[1]);
    assert_eq!(std::rc::Rc::strong_count(&list), 3, "ours, slot 0's and slot 1's");
    assert_eq!(std::rc::Rc::strong_count(&old), 1, "slot 1's old list was released");
    assert!(matches!(frame[2], Value::Builtin(crate::interp::objects::builtins::BuiltinId::Len)), "{:?}", frame[2]);
    drop(frame);
    assert_eq!(std::rc::Rc::strong_count(&list), 1);
}

/// `a, b = b, a` of two lists each held only by its slot keeps both alive, and drops neither
/// reference twice (swap_two_lists.ir checks the contents).
#[test]
fn an_exit_swapping_two_lists_keeps_both_alive() {
    let compiled = compile(&load_one("swap_two_lists.ir"));
    let first = std::rc::Rc::new(std::cell::RefCell::new(vec![Value::Int(1), Value::Int(10)]));
    let second = std::rc::Rc::new(std::cell::RefCell::new(vec![Value::Int(2)]));
    let (weak_first, weak_second) = (std::rc::Rc::downgrade(&first), std::rc::Rc::downgrade(&second));
    // The frame holds the only strong references.
    let mut frame = vec![Value::List(first), Value::List(second)];
    assert_eq!(run(&compiled, &mut frame), 1);
    assert_eq!((weak_first.strong_count(), weak_second.strong_count()), (1, 1));
    assert!(matches!(&frame[1], Value::List(l) if std::rc::Rc::ptr_eq(l, &weak_first.upgrade().unwrap())));
    drop(frame);
    assert_eq!((weak_first.strong_count(), weak_second.strong_count()), (0, 0));
}

/// A string appended inline (list_append_strings.ir checks the values) is counted once per
/// append, as the runtime's append counts it; the list's drop releases those references.
#[test]
fn strings_appended_inline_are_counted() {
    use crate::interp::objects::value::Str;
    let compiled = compile(&load_one("list_append_strings.ir"));
    let (s, t) = (Str::new("ab"), Str::new("é"));
    for room in [8, 0] {
        let list = std::rc::Rc::new(std::cell::RefCell::new(Vec::with_capacity(room)));
        let mut frame = vec![Value::List(list.clone()), Value::Str(s.clone()), Value::Str(t.clone())];
        frame.resize(7, Value::None);
        assert_eq!(run(&compiled, &mut frame), 1);
        assert_eq!(list.borrow().len(), 3);
        assert_eq!((s.refcount(), t.refcount()), (4, 3), "ours, the frame's and the list's (room for {room})");
        drop(frame);
        drop(list);
        assert_eq!((s.refcount(), t.refcount()), (1, 1));
    }
}

/// A bool written back is a whole word: reading its payload as an int gives 1
/// (bools_written_back.ir checks the values).
#[test]
fn a_bool_written_back_fills_its_payload_word() {
    let compiled = compile(&load_one("bools_written_back.ir"));
    let mut frame = vec![Value::Int(0), Value::Int(3), Value::Int(7), Value::None];
    run(&compiled, &mut frame);
    assert!(matches!(frame[3], Value::Bool(true)), "{:?}", frame[3]);
    // SAFETY: reads the payload word of a live Value.
    let word = unsafe { *((&frame[3] as *const Value as *const u8).add(8) as *const u64) };
    assert_eq!(word, 1);
}

/// Trees of the wrong shape are rejected: a side trace without a parent, hanging from itself or
/// from a snapshot that does not exist, two side traces on one exit.
#[test]
fn a_tree_is_rejected_when_a_side_trace_hangs_from_nowhere() {
    let traces = load("side_trace_links_to_the_root.ir");
    let (root, side) = (&traces[0], &traces[1]);
    let side_place = TreePlace::side(4, 1);
    let root_member = TreeMember { trace: root, place: TreePlace::root(1), parent: None, verified: false };
    for parent in [None, Some((1, 3)), Some((0, 99))] {
        let members = [root_member, TreeMember { trace: side, place: side_place, parent, verified: false }];
        assert!(compile_tree(&members, &layout(), Listings::default()).is_err(), "{parent:?}");
    }
    let twice = [
        root_member,
        TreeMember { trace: side, place: side_place, parent: Some((0, 3)), verified: false },
        TreeMember { trace: side, place: side_place, parent: Some((0, 3)), verified: false },
    ];
    let err = compile_tree(&twice, &layout(), Listings::default()).err().expect("two side traces on one exit");
    assert!(err.contains("shares its exit"), "{err}");
}

/// A trace's place in its tree decides what it must be: a side trace ends in `Link`; a root
/// loops, or links (an outer loop's iteration reaching a compiled inner loop).
#[test]
fn a_side_trace_must_end_in_link_and_a_root_must_loop_or_link() {
    let traces = load("side_trace_links_to_the_root.ir");
    let (root, side) = (&traces[0], &traces[1]);
    let side_place = TreePlace::side(4, 1);
    let err = compile_trace(root, &layout(), side_place, Listings::default()).err().expect("a loop is no side trace");
    assert!(err.contains("must end in Link"), "{err}");
    compile_trace(side, &layout(), TreePlace::root(2), Listings::default()).expect("a linking root compiles");
    let mut dead_end = side.clone();
    dead_end.insts.pop();
    let err = compile_trace(&dead_end, &layout(), TreePlace::root(1), Listings::default())
        .err()
        .expect("a root that neither loops nor links");
    assert!(err.contains("does not loop"), "{err}");
}

/// Compiling and freeing many traces (each `CompiledTrace` owns its module) works, and each
/// copy runs.
#[test]
fn many_traces_can_be_compiled_and_freed() {
    let trace = load_one("counting_loop.ir");
    for n in 0..50 {
        let compiled = compile(&trace);
        let mut frame = vec![Value::Int(0), Value::Int(n)];
        run(&compiled, &mut frame);
        assert!(matches!(frame[0], Value::Int(i) if i == n.max(0)), "{:?}", frame[0]);
    }
}

/// `GuardObj` passes only for the very function object the trace holds: not another function
/// of the same code, nor a number whose payload word happens to equal the function's pointer.
/// Rust, not text: identity is the point.
#[test]
fn guard_obj_passes_only_for_the_same_function() {
    use crate::interp::engine::bytecode::CodeObject;
    use crate::interp::objects::value::FunctionObj;
    use crate::jit::ir::{Snapshot, TraceObject};
    use std::rc::Rc;
    let code = Rc::new(CodeObject { name: "f".into(), ..CodeObject::default() });
    let function = Rc::new(FunctionObj { code: code.clone(), defaults: Vec::new(), id: 1 });
    let twin = Rc::new(FunctionObj { code, defaults: Vec::new(), id: 2 });
    let mut t = Trace::default();
    t.objects.push(TraceObject::Function(function.clone()));
    let s0 = t.add_snapshot(Snapshot::default());
    t.push(Op::GuardObj { slot: 0, index: 0, snap: s0 }, Type::Void);
    t.push(Op::Loop, Type::Void);
    let no = t.push(Op::ConstBool { value: false }, Type::Bool);
    let s1 = t.add_snapshot(Snapshot { pc: 1, ..Snapshot::default() });
    t.push(Op::Guard { cond: no, expect: true, snap: s1 }, Type::Void);
    let compiled = compile(&t);
    let (_, pointer) = crate::jit::layout::value_words(&Value::Function(function.clone()));
    for (frame_value, exit) in [
        (Value::Function(function.clone()), 1),
        (Value::Function(twin), 0),
        (Value::Int(pointer as i64), 0),
        (Value::None, 0),
    ] {
        let mut frame = vec![frame_value];
        assert_eq!(run(&compiled, &mut frame), exit, "{:?}", frame[0]);
    }
}
