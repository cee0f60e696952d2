//! Tests of `lower.rs`: hand-built traces compiled and run on real frames.

use super::*;
use crate::interp::value::Value;
use crate::interp::value::tag;
use crate::jit::ir::{Cond, Snapshot};

fn layout() -> ListLayout {
    ListLayout::measure().expect("list layout")
}

/// A new snapshot (a distinct pc each, so `add_snapshot` never merges them).
fn snap(t: &mut Trace, slots: &[(u16, IrRef)]) -> SnapId {
    let pc = t.snapshots.len() as u32;
    t.add_snapshot(Snapshot { pc, slots: slots.to_vec(), ..Snapshot::default() })
}

fn compile(t: &Trace) -> CompiledTrace {
    compile_trace(t, &layout(), TreePlace::root(1), Listings::default()).unwrap_or_else(|e| panic!("{e}\n{t}"))
}

fn run(c: &CompiledTrace, frame: &mut [Value]) -> u32 {
    run_with_globals(c, frame, &mut [])
}

fn run_with_globals(c: &CompiledTrace, frame: &mut [Value], globals: &mut [Value]) -> u32 {
    // No side traces attached: every exit returns its own number.
    let table = SideExitSlot::empty_table(64);
    // SAFETY: the test traces only touch slots and globals that exist in the arrays they are
    // given, and have at most 64 snapshots.
    unsafe { (c.entry)(frame.as_mut_ptr(), globals.as_mut_ptr(), table.as_ptr()) }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        other => panic!("expected an int, found {other:?}"),
    }
}

fn float(v: &Value) -> f64 {
    match v {
        Value::Float(x) => *x,
        other => panic!("expected a float, found {other:?}"),
    }
}

fn list_tag() -> u8 {
    let v = Value::list(vec![]);
    // SAFETY: `Value` is `repr(C, u8)`: byte 0 is the tag.
    unsafe { *(&v as *const Value as *const u8) }
}

fn list_items(v: &Value) -> Vec<Value> {
    match v {
        Value::List(l) => l.borrow().clone(),
        other => panic!("expected a list, found {other:?}"),
    }
}

/// Ends a trace with a loop whose body exits at once through a snapshot writing `slots`.
fn exit_loop(t: &mut Trace, slots: &[(u16, IrRef)]) {
    t.push(Op::Loop, Type::Void);
    let f = t.push(Op::ConstBool { value: false }, Type::Bool);
    let s = snap(t, slots);
    t.push(Op::Guard { cond: f, expect: true, snap: s }, Type::Void);
}

/// `while i < n: i += 1` on slots 0 (i) and 1 (n).
fn counting_loop() -> Trace {
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    t.push(Op::GuardTag { slot: 0, tag: tag::INT, snap: s0 }, Type::Void);
    t.push(Op::GuardTag { slot: 1, tag: tag::INT, snap: s0 }, Type::Void);
    let i = t.push(Op::SlotInt { slot: 0 }, Type::Int);
    let n = t.push(Op::SlotInt { slot: 1 }, Type::Int);
    let c = t.push(Op::CmpInt { cond: Cond::Lt, a: i, b: n }, Type::Bool);
    t.push(Op::Guard { cond: c, expect: true, snap: s0 }, Type::Void);
    let one = t.push(Op::ConstInt { value: 1 }, Type::Int);
    let i1 = t.push(Op::AddInt { a: i, b: one, snap: s0 }, Type::Int);
    t.push(Op::Loop, Type::Void);
    let phi = t.push(Op::Phi { slot: 0, ty: Type::Int, entry: i1, back: IrRef(0) }, Type::Int);
    let s1 = snap(&mut t, &[(0, phi)]);
    let c = t.push(Op::CmpInt { cond: Cond::Lt, a: phi, b: n }, Type::Bool);
    t.push(Op::Guard { cond: c, expect: true, snap: s1 }, Type::Void);
    let next = t.push(Op::AddInt { a: phi, b: one, snap: s1 }, Type::Int);
    t.insts[phi.0 as usize].op = Op::Phi { slot: 0, ty: Type::Int, entry: i1, back: next };
    t
}

#[test]
fn counting_loop_writes_back_the_counter() {
    let compiled =
        compile_trace(&counting_loop(), &layout(), TreePlace::root(1), Listings { clif: true, disassembly: true })
            .unwrap();
    assert!(compiled.code_size > 0);
    assert!(compiled.clif.as_deref().is_some_and(|c| c.contains("brif")), "{:?}", compiled.clif);
    assert!(compiled.disassembly.as_deref().is_some_and(|d| !d.is_empty()));
    // Listings cost time: none unless asked for.
    let quiet = compile(&counting_loop());
    assert!(quiet.clif.is_none() && quiet.disassembly.is_none());
    let mut frame = vec![Value::Int(0), Value::Int(10)];
    assert_eq!(run(&compiled, &mut frame), 1);
    assert_eq!((int(&frame[0]), int(&frame[1])), (10, 10));
    // The preamble's guard fails: nothing is written.
    let mut frame = vec![Value::Int(5), Value::Int(0)];
    assert_eq!(run(&compiled, &mut frame), 0);
    assert_eq!(int(&frame[0]), 5);
    let mut frame = vec![Value::Int(-3), Value::Int(1_000_000)];
    assert_eq!(run(&compiled, &mut frame), 1);
    assert_eq!(int(&frame[0]), 1_000_000);
}

#[test]
fn guard_tag_failure_leaves_the_frame_untouched() {
    let compiled = compile(&counting_loop());
    let mut frame = vec![Value::Float(0.5), Value::Int(10)];
    assert_eq!(run(&compiled, &mut frame), 0);
    assert_eq!(float(&frame[0]), 0.5);
    let mut frame = vec![Value::Int(0), Value::str("ten")];
    assert_eq!(run(&compiled, &mut frame), 0);
    assert!(matches!(&frame[1], Value::Str(s) if s.text == "ten"));
}

#[test]
fn int_overflow_exits_with_the_last_good_value() {
    // while True: x += 1000   (slot 0)
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    t.push(Op::GuardTag { slot: 0, tag: tag::INT, snap: s0 }, Type::Void);
    let x = t.push(Op::SlotInt { slot: 0 }, Type::Int);
    let k = t.push(Op::ConstInt { value: 1000 }, Type::Int);
    let x1 = t.push(Op::AddInt { a: x, b: k, snap: s0 }, Type::Int);
    t.push(Op::Loop, Type::Void);
    let phi = t.push(Op::Phi { slot: 0, ty: Type::Int, entry: x1, back: IrRef(0) }, Type::Int);
    let s1 = snap(&mut t, &[(0, phi)]);
    let next = t.push(Op::AddInt { a: phi, b: k, snap: s1 }, Type::Int);
    t.insts[phi.0 as usize].op = Op::Phi { slot: 0, ty: Type::Int, entry: x1, back: next };
    let compiled = compile(&t);
    let mut frame = vec![Value::Int(i64::MAX - 2500)];
    assert_eq!(run(&compiled, &mut frame), 1);
    assert_eq!(int(&frame[0]), i64::MAX - 500);
    let mut frame = vec![Value::Int(i64::MAX - 999)];
    assert_eq!(run(&compiled, &mut frame), 0);
    assert_eq!(int(&frame[0]), i64::MAX - 999);
}

/// A trace computing `op(slot0, slot1)` (of type `ty`) once and writing it to slot 2.
fn binop_trace(arg: Type, ty: Type, op: impl Fn(IrRef, IrRef, SnapId) -> Op) -> CompiledTrace {
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    let (tag, slot_op): (u8, fn(u16) -> Op) = match arg {
        Type::Int => (tag::INT, |slot| Op::SlotInt { slot }),
        _ => (tag::FLOAT, |slot| Op::SlotFloat { slot }),
    };
    t.push(Op::GuardTag { slot: 0, tag, snap: s0 }, Type::Void);
    t.push(Op::GuardTag { slot: 1, tag, snap: s0 }, Type::Void);
    t.push(Op::ClearSlot { slot: 2 }, Type::Void);
    let a = t.push(slot_op(0), arg);
    let b = t.push(slot_op(1), arg);
    let r = t.push(op(a, b, s0), ty);
    exit_loop(&mut t, &[(2, r)]);
    compile(&t)
}

fn run_binop(c: &CompiledTrace, a: Value, b: Value) -> Option<Value> {
    let mut frame = vec![a, b, Value::None];
    match run(c, &mut frame) {
        0 => {
            assert!(matches!(frame[2], Value::None));
            None
        }
        1 => Some(frame[2].clone()),
        n => panic!("unexpected exit {n}"),
    }
}

/// Edge cases, including both sides of the 32-bit division fast path's limits.
const INTS: [i64; 23] = [
    0,
    1,
    -1,
    2,
    -2,
    3,
    -3,
    7,
    -7,
    100,
    -100,
    i64::MAX,
    i64::MIN,
    i64::MIN + 1,
    i64::MAX - 1,
    1 << 32,
    -(1 << 32),
    (1 << 32) - 1,
    (1 << 32) + 7,
    1 << 31,
    -(1 << 31),
    u32::MAX as i64 - 6,
    -((1 << 32) - 1),
];

fn py_floordiv(a: i64, b: i64) -> Option<i64> {
    if b == 0 {
        return None;
    }
    let (a, b) = (i128::from(a), i128::from(b));
    let mut q = a / b;
    if a % b != 0 && ((a < 0) != (b < 0)) {
        q -= 1;
    }
    i64::try_from(q).ok()
}

fn py_mod(a: i64, b: i64) -> Option<i64> {
    if b == 0 {
        return None;
    }
    let (a, b) = (i128::from(a), i128::from(b));
    let mut r = a % b;
    if r != 0 && ((r < 0) != (b < 0)) {
        r += b;
    }
    Some(r as i64)
}

/// Python's `a << b` when it fits 64 bits (`None`: an exit: a negative count raises, a lost bit
/// needs a big int).
fn py_shl(a: i64, b: i64) -> Option<i64> {
    if !(0..64).contains(&b) {
        return None;
    }
    let shifted = a << b;
    (shifted >> b == a).then_some(shifted)
}

/// Python's `a >> b` (`None` for a negative count, which raises).
fn py_shr(a: i64, b: i64) -> Option<i64> {
    (b >= 0).then(|| a >> b.min(63))
}

#[test]
fn int_arithmetic_matches_python_including_edge_cases() {
    type Reference = fn(i64, i64) -> Option<i64>;
    let cases: Vec<(&str, CompiledTrace, Reference)> = vec![
        ("+", binop_trace(Type::Int, Type::Int, |a, b, snap| Op::AddInt { a, b, snap }), |a, b| a.checked_add(b)),
        ("-", binop_trace(Type::Int, Type::Int, |a, b, snap| Op::SubInt { a, b, snap }), |a, b| a.checked_sub(b)),
        ("*", binop_trace(Type::Int, Type::Int, |a, b, snap| Op::MulInt { a, b, snap }), |a, b| a.checked_mul(b)),
        ("neg", binop_trace(Type::Int, Type::Int, |a, _, snap| Op::NegInt { a, snap }), |a, _| a.checked_neg()),
        ("//", binop_trace(Type::Int, Type::Int, |a, b, snap| Op::FloorDivInt { a, b, snap }), py_floordiv),
        ("%", binop_trace(Type::Int, Type::Int, |a, b, snap| Op::ModInt { a, b, snap }), py_mod),
        ("&", binop_trace(Type::Int, Type::Int, |a, b, _| Op::AndInt { a, b }), |a, b| Some(a & b)),
        ("|", binop_trace(Type::Int, Type::Int, |a, b, _| Op::OrInt { a, b }), |a, b| Some(a | b)),
        ("^", binop_trace(Type::Int, Type::Int, |a, b, _| Op::XorInt { a, b }), |a, b| Some(a ^ b)),
        ("<<", binop_trace(Type::Int, Type::Int, |a, b, snap| Op::ShlInt { a, b, snap }), py_shl),
        (">>", binop_trace(Type::Int, Type::Int, |a, b, snap| Op::ShrInt { a, b, snap }), py_shr),
        ("**", binop_trace(Type::Int, Type::Int, |a, b, snap| Op::PowInt { a, b, snap }), |a, b| {
            u32::try_from(b).ok().and_then(|e| a.checked_pow(e))
        }),
    ];
    // Shift counts around the edges too.
    let counts = [0, 1, 2, 31, 32, 62, 63, 64, 65, 1000, -1, -64];
    for (name, compiled, reference) in &cases {
        for a in INTS {
            for b in INTS.into_iter().chain(counts) {
                let got = run_binop(compiled, Value::Int(a), Value::Int(b)).map(|v| int(&v));
                assert_eq!(got, reference(a, b), "{a} {name} {b}");
            }
        }
    }
}

#[test]
fn int_comparisons() {
    for (cond, reference) in [
        (Cond::Lt, i64::lt as fn(&i64, &i64) -> bool),
        (Cond::Le, i64::le),
        (Cond::Gt, i64::gt),
        (Cond::Ge, i64::ge),
        (Cond::Eq, i64::eq),
        (Cond::Ne, i64::ne),
    ] {
        let compiled = binop_trace(Type::Int, Type::Bool, |a, b, _| Op::CmpInt { cond, a, b });
        for a in INTS {
            for b in INTS {
                let got = run_binop(&compiled, Value::Int(a), Value::Int(b));
                assert!(
                    matches!(got, Some(Value::Bool(x)) if x == reference(&a, &b)),
                    "{a} {} {b}: {got:?}",
                    cond.symbol()
                );
            }
        }
    }
}

const FLOATS: [f64; 10] = [0.0, -0.0, 1.5, -2.25, 3.0, 1e308, -1e-300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];

#[test]
fn float_arithmetic_and_comparisons_follow_ieee_like_python() {
    type Reference = fn(f64, f64) -> Option<f64>;
    let cases: Vec<(&str, CompiledTrace, Reference)> = vec![
        ("+", binop_trace(Type::Float, Type::Float, |a, b, _| Op::AddFloat { a, b }), |a, b| Some(a + b)),
        ("-", binop_trace(Type::Float, Type::Float, |a, b, _| Op::SubFloat { a, b }), |a, b| Some(a - b)),
        ("*", binop_trace(Type::Float, Type::Float, |a, b, _| Op::MulFloat { a, b }), |a, b| Some(a * b)),
        ("/", binop_trace(Type::Float, Type::Float, |a, b, snap| Op::DivFloat { a, b, snap }), |a, b| {
            (b != 0.0).then_some(a / b)
        }),
        ("neg", binop_trace(Type::Float, Type::Float, |a, _, _| Op::NegFloat { a }), |a, _| Some(-a)),
        ("**", binop_trace(Type::Float, Type::Float, |a, b, snap| Op::PowFloat { a, b, snap }), |a, b| {
            crate::interp::ops::float_pow(a, b).ok()
        }),
        ("%", binop_trace(Type::Float, Type::Float, |a, b, snap| Op::ModFloat { a, b, snap }), |a, b| {
            crate::interp::ops::float_mod(a, b).ok()
        }),
        ("abs", binop_trace(Type::Float, Type::Float, |a, _, _| Op::AbsFloat { a }), |a, _| Some(a.abs())),
    ];
    for (name, compiled, reference) in &cases {
        for a in FLOATS {
            for b in FLOATS {
                let got = run_binop(compiled, Value::Float(a), Value::Float(b)).map(|v| float(&v));
                let want = reference(a, b);
                let same = match (got, want) {
                    (Some(x), Some(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    (None, None) => true,
                    _ => false,
                };
                assert!(same, "{a} {name} {b}: got {got:?}, want {want:?}");
            }
        }
    }
    for (cond, reference) in [
        (Cond::Lt, f64::lt as fn(&f64, &f64) -> bool),
        (Cond::Le, f64::le),
        (Cond::Gt, f64::gt),
        (Cond::Ge, f64::ge),
        (Cond::Eq, f64::eq),
        (Cond::Ne, f64::ne),
    ] {
        let compiled = binop_trace(Type::Float, Type::Bool, |a, b, _| Op::CmpFloat { cond, a, b });
        for a in FLOATS {
            for b in FLOATS {
                let got = run_binop(&compiled, Value::Float(a), Value::Float(b));
                assert!(
                    matches!(got, Some(Value::Bool(x)) if x == reference(&a, &b)),
                    "{a} {} {b}: {got:?}",
                    cond.symbol()
                );
            }
        }
    }
}

#[test]
fn int_to_float_and_exactness_guard() {
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    t.push(Op::GuardTag { slot: 0, tag: tag::INT, snap: s0 }, Type::Void);
    let a = t.push(Op::SlotInt { slot: 0 }, Type::Int);
    t.push(Op::GuardExactFloat { a, snap: s0 }, Type::Void);
    let f = t.push(Op::IntToFloat { a }, Type::Float);
    exit_loop(&mut t, &[(1, f)]);
    let compiled = compile(&t);
    let limit = 1i64 << 53;
    for (a, ok) in [
        (0, true),
        (-7, true),
        (limit, true),
        (-limit, true),
        (limit + 1, false),
        (-limit - 1, false),
        (i64::MAX, false),
        (i64::MIN, false),
    ] {
        let mut frame = vec![Value::Int(a), Value::None];
        let exit = run(&compiled, &mut frame);
        assert_eq!(exit, u32::from(ok), "{a}");
        if ok {
            assert_eq!(float(&frame[1]), a as f64);
        } else {
            assert!(matches!(frame[1], Value::None));
        }
    }
}

/// The escape loop of Mandelbrot on slots zr, zi, cr, ci (floats), i, limit (ints):
/// `while i < limit: if zr*zr + zi*zi > 4.0: break; zi = 2*zr*zi + ci; zr = zr2 - zi2 + cr; i += 1`
fn mandelbrot_trace() -> Trace {
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    for slot in 0..4 {
        t.push(Op::GuardTag { slot, tag: tag::FLOAT, snap: s0 }, Type::Void);
    }
    for slot in 4..6 {
        t.push(Op::GuardTag { slot, tag: tag::INT, snap: s0 }, Type::Void);
    }
    let zr = t.push(Op::SlotFloat { slot: 0 }, Type::Float);
    let zi = t.push(Op::SlotFloat { slot: 1 }, Type::Float);
    let cr = t.push(Op::SlotFloat { slot: 2 }, Type::Float);
    let ci = t.push(Op::SlotFloat { slot: 3 }, Type::Float);
    let i = t.push(Op::SlotInt { slot: 4 }, Type::Int);
    let limit = t.push(Op::SlotInt { slot: 5 }, Type::Int);
    let four = t.push(Op::ConstFloat { value: 4.0 }, Type::Float);
    let two = t.push(Op::ConstFloat { value: 2.0 }, Type::Float);
    let one = t.push(Op::ConstInt { value: 1 }, Type::Int);
    let iteration = |t: &mut Trace, zr: IrRef, zi: IrRef, i: IrRef, snap: SnapId| {
        let c = t.push(Op::CmpInt { cond: Cond::Lt, a: i, b: limit }, Type::Bool);
        t.push(Op::Guard { cond: c, expect: true, snap }, Type::Void);
        let zr2 = t.push(Op::MulFloat { a: zr, b: zr }, Type::Float);
        let zi2 = t.push(Op::MulFloat { a: zi, b: zi }, Type::Float);
        let m = t.push(Op::AddFloat { a: zr2, b: zi2 }, Type::Float);
        let escaped = t.push(Op::CmpFloat { cond: Cond::Gt, a: m, b: four }, Type::Bool);
        t.push(Op::Guard { cond: escaped, expect: false, snap }, Type::Void);
        let p = t.push(Op::MulFloat { a: two, b: zr }, Type::Float);
        let p = t.push(Op::MulFloat { a: p, b: zi }, Type::Float);
        let new_zi = t.push(Op::AddFloat { a: p, b: ci }, Type::Float);
        let d = t.push(Op::SubFloat { a: zr2, b: zi2 }, Type::Float);
        let new_zr = t.push(Op::AddFloat { a: d, b: cr }, Type::Float);
        let new_i = t.push(Op::AddInt { a: i, b: one, snap }, Type::Int);
        (new_zr, new_zi, new_i)
    };
    let (zr1, zi1, i1) = iteration(&mut t, zr, zi, i, s0);
    t.push(Op::Loop, Type::Void);
    let pzr = t.push(Op::Phi { slot: 0, ty: Type::Float, entry: zr1, back: IrRef(0) }, Type::Float);
    let pzi = t.push(Op::Phi { slot: 1, ty: Type::Float, entry: zi1, back: IrRef(0) }, Type::Float);
    let pi = t.push(Op::Phi { slot: 4, ty: Type::Int, entry: i1, back: IrRef(0) }, Type::Int);
    let s1 = snap(&mut t, &[(0, pzr), (1, pzi), (4, pi)]);
    let (zr2, zi2, i2) = iteration(&mut t, pzr, pzi, pi, s1);
    t.insts[pzr.0 as usize].op = Op::Phi { slot: 0, ty: Type::Float, entry: zr1, back: zr2 };
    t.insts[pzi.0 as usize].op = Op::Phi { slot: 1, ty: Type::Float, entry: zi1, back: zi2 };
    t.insts[pi.0 as usize].op = Op::Phi { slot: 4, ty: Type::Int, entry: i1, back: i2 };
    t
}

fn mandelbrot_reference(cr: f64, ci: f64, limit: i64) -> (f64, f64, i64) {
    let (mut zr, mut zi, mut i) = (0.0f64, 0.0f64, 0i64);
    while i < limit {
        let (zr2, zi2) = (zr * zr, zi * zi);
        if zr2 + zi2 > 4.0 {
            break;
        }
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        i += 1;
    }
    (zr, zi, i)
}

#[test]
fn mandelbrot_escape_loop_matches_rust() {
    let compiled = compile(&mandelbrot_trace());
    for (cr, ci) in [
        (-0.5, 0.0),
        (1.0, 1.0),
        (0.3, 0.5),
        (-0.75, 0.1),
        (-2.0, 0.0),
        (0.25, 0.0),
        (-1.25, 0.2),
        (0.28, 0.53),
        (5.0, 5.0),
    ] {
        for limit in [0, 1, 2, 50, 1000] {
            let mut frame = vec![
                Value::Float(0.0),
                Value::Float(0.0),
                Value::Float(cr),
                Value::Float(ci),
                Value::Int(0),
                Value::Int(limit),
            ];
            let exit = run(&compiled, &mut frame);
            let (zr, zi, i) = mandelbrot_reference(cr, ci, limit);
            assert_eq!(exit, if i == 0 { 0 } else { 1 }, "c = {cr} + {ci}i, limit {limit}");
            assert_eq!(float(&frame[0]).to_bits(), zr.to_bits(), "zr for c = {cr} + {ci}i, limit {limit}");
            assert_eq!(float(&frame[1]).to_bits(), zi.to_bits(), "zi for c = {cr} + {ci}i, limit {limit}");
            assert_eq!(int(&frame[4]), i, "i for c = {cr} + {ci}i, limit {limit}");
        }
    }
}

#[test]
fn list_load_with_negative_and_out_of_range_indices() {
    // out = xs[ix]; n = len(xs)   (slots 0 xs, 1 ix, 2 out, 3 n)
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    t.push(Op::GuardTag { slot: 0, tag: list_tag(), snap: s0 }, Type::Void);
    t.push(Op::GuardTag { slot: 1, tag: tag::INT, snap: s0 }, Type::Void);
    let xs = t.push(Op::SlotPtr { slot: 0 }, Type::Ptr);
    let ix = t.push(Op::SlotInt { slot: 1 }, Type::Int);
    let k = t.push(Op::ListIndex { list: xs, index: ix, snap: s0 }, Type::Int);
    let v = t.push(Op::ListLoad { list: xs, index: k, ty: Type::Int, snap: s0 }, Type::Int);
    let n = t.push(Op::ListLen { list: xs }, Type::Int);
    exit_loop(&mut t, &[(2, v), (3, n)]);
    let compiled = compile(&t);
    let xs = Value::list(vec![Value::Int(10), Value::Int(20), Value::Int(30), Value::Float(2.5)]);
    for (ix, want) in [
        (0, Some(10)),
        (2, Some(30)),
        (-2, Some(30)),
        (-4, Some(10)),
        (3, None),
        (-1, None),
        (4, None),
        (-5, None),
        (i64::MIN, None),
        (i64::MAX, None),
    ] {
        let mut frame = vec![xs.clone(), Value::Int(ix), Value::None, Value::None];
        let exit = run(&compiled, &mut frame);
        match want {
            Some(w) => {
                assert_eq!(exit, 1, "xs[{ix}]");
                assert_eq!((int(&frame[2]), int(&frame[3])), (w, 4), "xs[{ix}]");
            }
            None => {
                assert_eq!(exit, 0, "xs[{ix}]");
                assert!(matches!(frame[2], Value::None));
            }
        }
    }
    // Not a list: the tag guard exits.
    let mut frame = vec![Value::Int(1), Value::Int(0), Value::None, Value::None];
    assert_eq!(run(&compiled, &mut frame), 0);
}

/// `xs[ix] = v` with `v` in slot 2 of type `ty`.
fn list_store_trace(ty: Type) -> CompiledTrace {
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    t.push(Op::GuardTag { slot: 0, tag: list_tag(), snap: s0 }, Type::Void);
    t.push(Op::GuardTag { slot: 1, tag: tag::INT, snap: s0 }, Type::Void);
    t.push(Op::GuardTag { slot: 2, tag: ty.value_tag().unwrap(), snap: s0 }, Type::Void);
    let xs = t.push(Op::SlotPtr { slot: 0 }, Type::Ptr);
    let ix = t.push(Op::SlotInt { slot: 1 }, Type::Int);
    let op = match ty {
        Type::Int => Op::SlotInt { slot: 2 },
        Type::Float => Op::SlotFloat { slot: 2 },
        _ => Op::SlotBool { slot: 2 },
    };
    let v = t.push(op, ty);
    let k = t.push(Op::ListIndex { list: xs, index: ix, snap: s0 }, Type::Int);
    t.push(Op::ListStore { list: xs, index: k, value: v, snap: s0 }, Type::Void);
    exit_loop(&mut t, &[]);
    compile(&t)
}

#[test]
fn list_store_replaces_scalars_and_exits_on_heap_values() {
    let fresh = || Value::list(vec![Value::Int(1), Value::Float(2.0), Value::str("s"), Value::Bool(false)]);
    let store = |compiled: &CompiledTrace, ix: i64, v: Value| {
        let xs = fresh();
        let mut frame = vec![xs.clone(), Value::Int(ix), v];
        let exit = run(compiled, &mut frame);
        (exit, format!("{:?}", list_items(&xs)))
    };
    let ints = list_store_trace(Type::Int);
    let floats = list_store_trace(Type::Float);
    let bools = list_store_trace(Type::Bool);
    let (exit, items) = store(&ints, -1, Value::Int(99));
    assert_eq!(exit, 1);
    assert_eq!(items, format!("{:?}", vec![Value::Int(1), Value::Float(2.0), Value::str("s"), Value::Int(99)]));
    let (exit, items) = store(&floats, 0, Value::Float(-0.5));
    assert_eq!(exit, 1);
    assert_eq!(
        items,
        format!("{:?}", vec![Value::Float(-0.5), Value::Float(2.0), Value::str("s"), Value::Bool(false)])
    );
    let (exit, items) = store(&bools, 1, Value::Bool(true));
    assert_eq!(exit, 1);
    assert_eq!(items, format!("{:?}", vec![Value::Int(1), Value::Bool(true), Value::str("s"), Value::Bool(false)]));
    // The old element is a string: dropping it is the interpreter's job.
    let (exit, items) = store(&ints, 2, Value::Int(7));
    assert_eq!(exit, 0);
    assert_eq!(items, format!("{:?}", fresh_items()));
    let (exit, items) = store(&ints, 4, Value::Int(7));
    assert_eq!(exit, 0);
    assert_eq!(items, format!("{:?}", fresh_items()));

    fn fresh_items() -> Vec<Value> {
        vec![Value::Int(1), Value::Float(2.0), Value::str("s"), Value::Bool(false)]
    }
}

/// `while i < len(xs): s += xs[i]; xs[i] = xs[i] * 2; i += 1`  (slots 0 xs, 1 i, 2 s)
fn sum_and_double_trace() -> Trace {
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    t.push(Op::GuardTag { slot: 0, tag: list_tag(), snap: s0 }, Type::Void);
    t.push(Op::GuardTag { slot: 1, tag: tag::INT, snap: s0 }, Type::Void);
    t.push(Op::GuardTag { slot: 2, tag: tag::INT, snap: s0 }, Type::Void);
    let xs = t.push(Op::SlotPtr { slot: 0 }, Type::Ptr);
    let i = t.push(Op::SlotInt { slot: 1 }, Type::Int);
    let s = t.push(Op::SlotInt { slot: 2 }, Type::Int);
    let one = t.push(Op::ConstInt { value: 1 }, Type::Int);
    let two = t.push(Op::ConstInt { value: 2 }, Type::Int);
    let iteration = |t: &mut Trace, i: IrRef, s: IrRef, snap: SnapId| {
        let n = t.push(Op::ListLen { list: xs }, Type::Int);
        let c = t.push(Op::CmpInt { cond: Cond::Lt, a: i, b: n }, Type::Bool);
        t.push(Op::Guard { cond: c, expect: true, snap }, Type::Void);
        let k = t.push(Op::ListIndex { list: xs, index: i, snap }, Type::Int);
        let v = t.push(Op::ListLoad { list: xs, index: k, ty: Type::Int, snap }, Type::Int);
        let s1 = t.push(Op::AddInt { a: s, b: v, snap }, Type::Int);
        let d = t.push(Op::MulInt { a: v, b: two, snap }, Type::Int);
        let i1 = t.push(Op::AddInt { a: i, b: one, snap }, Type::Int);
        t.push(Op::ListStore { list: xs, index: k, value: d, snap }, Type::Void);
        (i1, s1)
    };
    let (i1, s1) = iteration(&mut t, i, s, s0);
    t.push(Op::Loop, Type::Void);
    let pi = t.push(Op::Phi { slot: 1, ty: Type::Int, entry: i1, back: IrRef(0) }, Type::Int);
    let ps = t.push(Op::Phi { slot: 2, ty: Type::Int, entry: s1, back: IrRef(0) }, Type::Int);
    let s1_snap = snap(&mut t, &[(1, pi), (2, ps)]);
    let (i2, s2) = iteration(&mut t, pi, ps, s1_snap);
    t.insts[pi.0 as usize].op = Op::Phi { slot: 1, ty: Type::Int, entry: i1, back: i2 };
    t.insts[ps.0 as usize].op = Op::Phi { slot: 2, ty: Type::Int, entry: s1, back: s2 };
    t
}

#[test]
fn list_loop_sums_and_doubles_in_place() {
    let compiled = compile(&sum_and_double_trace());
    let xs = Value::list((1..=5).map(Value::Int).collect());
    let mut frame = vec![xs.clone(), Value::Int(0), Value::Int(0)];
    assert_eq!(run(&compiled, &mut frame), 1);
    assert_eq!((int(&frame[1]), int(&frame[2])), (5, 15));
    assert_eq!(list_items(&xs).iter().map(int).collect::<Vec<_>>(), vec![2, 4, 6, 8, 10]);
    // A float element stops the loop there, the earlier elements already doubled.
    let xs = Value::list(vec![Value::Int(1), Value::Int(2), Value::Int(3), Value::Float(4.0), Value::Int(5)]);
    let mut frame = vec![xs.clone(), Value::Int(0), Value::Int(100)];
    assert_eq!(run(&compiled, &mut frame), 1);
    assert_eq!((int(&frame[1]), int(&frame[2])), (3, 106));
    assert_eq!(
        format!("{:?}", list_items(&xs)),
        format!("{:?}", vec![Value::Int(2), Value::Int(4), Value::Int(6), Value::Float(4.0), Value::Int(5)])
    );
}

#[test]
fn a_phi_may_loop_back_to_a_preamble_value() {
    // while i < n: i += 1; k = 5   (slots 0 i, 1 n, 2 k): the body reuses the preamble's 5.
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    t.push(Op::GuardTag { slot: 0, tag: tag::INT, snap: s0 }, Type::Void);
    t.push(Op::GuardTag { slot: 1, tag: tag::INT, snap: s0 }, Type::Void);
    t.push(Op::ClearSlot { slot: 2 }, Type::Void);
    let i = t.push(Op::SlotInt { slot: 0 }, Type::Int);
    let n = t.push(Op::SlotInt { slot: 1 }, Type::Int);
    let c = t.push(Op::CmpInt { cond: Cond::Lt, a: i, b: n }, Type::Bool);
    t.push(Op::Guard { cond: c, expect: true, snap: s0 }, Type::Void);
    let one = t.push(Op::ConstInt { value: 1 }, Type::Int);
    let i1 = t.push(Op::AddInt { a: i, b: one, snap: s0 }, Type::Int);
    let five = t.push(Op::ConstInt { value: 5 }, Type::Int);
    t.push(Op::Loop, Type::Void);
    let pi = t.push(Op::Phi { slot: 0, ty: Type::Int, entry: i1, back: i1 }, Type::Int);
    let pk = t.push(Op::Phi { slot: 2, ty: Type::Int, entry: five, back: five }, Type::Int);
    let s1 = snap(&mut t, &[(0, pi), (2, pk)]);
    let c = t.push(Op::CmpInt { cond: Cond::Lt, a: pi, b: n }, Type::Bool);
    t.push(Op::Guard { cond: c, expect: true, snap: s1 }, Type::Void);
    let next = t.push(Op::AddInt { a: pi, b: one, snap: s1 }, Type::Int);
    t.insts[pi.0 as usize].op = Op::Phi { slot: 0, ty: Type::Int, entry: i1, back: next };
    let compiled = compile(&t);
    let mut frame = vec![Value::Int(0), Value::Int(4), Value::None];
    assert_eq!(run(&compiled, &mut frame), 1);
    assert_eq!((int(&frame[0]), int(&frame[2])), (4, 5));
}

#[test]
fn bools_are_written_back_as_bool_values() {
    // while i < n: i += 1, with an exit that also writes `i < n` and True to slots 2 and 3.
    let mut t = counting_loop();
    let loop_at = t.loop_start().unwrap();
    // Rebuild the body: Phi, compare, guard with a snapshot holding bools.
    t.insts.truncate(loop_at + 2);
    let phi = IrRef(loop_at as u32 + 1);
    let n = IrRef(3);
    let one = IrRef(6);
    let c = t.push(Op::CmpInt { cond: Cond::Lt, a: phi, b: n }, Type::Bool);
    let yes = t.push(Op::ConstBool { value: true }, Type::Bool);
    let s = snap(&mut t, &[(0, phi), (2, c), (3, yes)]);
    t.push(Op::Guard { cond: c, expect: true, snap: s }, Type::Void);
    let next = t.push(Op::AddInt { a: phi, b: one, snap: s }, Type::Int);
    let Op::Phi { entry, .. } = t.insts[phi.0 as usize].op else { panic!("phi") };
    t.insts[phi.0 as usize].op = Op::Phi { slot: 0, ty: Type::Int, entry, back: next };
    let compiled = compile(&t);
    let mut frame = vec![Value::Int(0), Value::Int(3), Value::Int(7), Value::None];
    assert_eq!(run(&compiled, &mut frame), s.0);
    assert_eq!(int(&frame[0]), 3);
    assert!(matches!(frame[2], Value::Bool(false)), "{:?}", frame[2]);
    assert!(matches!(frame[3], Value::Bool(true)), "{:?}", frame[3]);
    // The payload is a whole word: reading it as an int gives 1.
    // SAFETY: reads the payload word of a live Value.
    let word = unsafe { *((&frame[3] as *const Value as *const u8).add(8) as *const u64) };
    assert_eq!(word, 1);
}

#[test]
fn phis_are_written_correctly_on_exits_in_the_middle_of_the_body() {
    // while b < limit: a, b = b, a + b     (slots 0 a, 1 b, 2 limit), with an extra exit
    // after computing a + b when it equals 13: the snapshot holds the new a (a Phi) and b.
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    for slot in 0..3 {
        t.push(Op::GuardTag { slot, tag: tag::INT, snap: s0 }, Type::Void);
    }
    let a = t.push(Op::SlotInt { slot: 0 }, Type::Int);
    let b = t.push(Op::SlotInt { slot: 1 }, Type::Int);
    let limit = t.push(Op::SlotInt { slot: 2 }, Type::Int);
    let thirteen = t.push(Op::ConstInt { value: 13 }, Type::Int);
    let c = t.push(Op::CmpInt { cond: Cond::Lt, a: b, b: limit }, Type::Bool);
    t.push(Op::Guard { cond: c, expect: true, snap: s0 }, Type::Void);
    let sum = t.push(Op::AddInt { a, b, snap: s0 }, Type::Int);
    let is13 = t.push(Op::CmpInt { cond: Cond::Eq, a: sum, b: thirteen }, Type::Bool);
    let s_mid0 = snap(&mut t, &[(0, b), (1, sum)]);
    t.push(Op::Guard { cond: is13, expect: false, snap: s_mid0 }, Type::Void);
    t.push(Op::Loop, Type::Void);
    let pa = t.push(Op::Phi { slot: 0, ty: Type::Int, entry: b, back: IrRef(0) }, Type::Int);
    let pb = t.push(Op::Phi { slot: 1, ty: Type::Int, entry: sum, back: IrRef(0) }, Type::Int);
    let s_top = snap(&mut t, &[(0, pa), (1, pb)]);
    let c = t.push(Op::CmpInt { cond: Cond::Lt, a: pb, b: limit }, Type::Bool);
    t.push(Op::Guard { cond: c, expect: true, snap: s_top }, Type::Void);
    let sum2 = t.push(Op::AddInt { a: pa, b: pb, snap: s_top }, Type::Int);
    let is13 = t.push(Op::CmpInt { cond: Cond::Eq, a: sum2, b: thirteen }, Type::Bool);
    let s_mid = snap(&mut t, &[(0, pb), (1, sum2)]);
    t.push(Op::Guard { cond: is13, expect: false, snap: s_mid }, Type::Void);
    // a's back value is the Phi of b: the block arguments are a parallel copy.
    t.insts[pa.0 as usize].op = Op::Phi { slot: 0, ty: Type::Int, entry: b, back: pb };
    t.insts[pb.0 as usize].op = Op::Phi { slot: 1, ty: Type::Int, entry: sum, back: sum2 };
    let compiled = compile(&t);

    let fib = |a: i64, b: i64, limit: i64| {
        let mut frame = vec![Value::Int(a), Value::Int(b), Value::Int(limit)];
        let exit = run(&compiled, &mut frame);
        (exit, int(&frame[0]), int(&frame[1]))
    };
    // 0 1 1 2 3 5 8 13: stops in the middle of the body with a = 8, b = 13.
    assert_eq!(fib(0, 1, 1000), (s_mid.0, 8, 13));
    // 2 4 6 10 16 26 42 68 110: the loop condition ends it (b = 110 >= 100).
    assert_eq!(fib(2, 4, 100), (s_top.0, 68, 110));
    // 5 8 → 13 at once: the preamble's mid exit.
    assert_eq!(fib(5, 8, 100), (s_mid0.0, 8, 13));
    // Overflow exits at the top of the body with the last good pair.
    let (exit, a, b) = fib(3, 4, i64::MAX);
    assert_eq!(exit, s_top.0);
    assert!(a.checked_add(b).is_none() && b > a && a > 0, "{a} {b}");
}

#[test]
fn invalid_traces_are_rejected_not_compiled() {
    let layout = layout();
    let err = |t: &Trace| {
        compile_trace(t, &layout, TreePlace::root(1), Listings::default())
            .err()
            .unwrap_or_else(|| panic!("compiled:\n{t}"))
    };

    // No loop.
    let mut t = Trace::default();
    t.push(Op::ConstInt { value: 1 }, Type::Int);
    assert!(err(&t).contains("does not loop"));
    // A forward reference.
    let mut t = counting_loop();
    t.insts[4].op = Op::CmpInt { cond: Cond::Lt, a: IrRef(2), b: IrRef(9) };
    assert!(err(&t).contains("not defined before"), "{}", err(&t));
    // A type mismatch: a float compare on ints.
    let mut t = counting_loop();
    t.insts[4].op = Op::CmpFloat { cond: Cond::Lt, a: IrRef(2), b: IrRef(3) };
    assert!(err(&t).contains("expected Float"), "{}", err(&t));
    // A wrong result type.
    let mut t = counting_loop();
    t.insts[4].ty = Type::Int;
    err(&t);
    // A snapshot that does not exist.
    let mut t = counting_loop();
    t.insts[0].op = Op::GuardTag { slot: 0, tag: tag::INT, snap: SnapId(7) };
    assert!(err(&t).contains("does not exist"));
    // A snapshot naming a value defined after its guard.
    let mut t = counting_loop();
    t.snapshots[0].slots.push((0, IrRef(7)));
    err(&t);
    // A snapshot writing a value that has none (a guard's).
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    let yes = t.push(Op::ConstBool { value: true }, Type::Bool);
    let guard = t.push(Op::Guard { cond: yes, expect: true, snap: s0 }, Type::Void);
    exit_loop(&mut t, &[(1, guard)]);
    assert!(err(&t).contains("cannot write"), "{}", err(&t));
    // A Phi away from the loop header, and a Phi whose back value is in the preamble.
    let mut t = counting_loop();
    t.push(Op::Phi { slot: 0, ty: Type::Int, entry: IrRef(2), back: IrRef(10) }, Type::Int);
    err(&t);
    let mut t = counting_loop();
    t.insts[9].op = Op::Phi { slot: 0, ty: Type::Int, entry: IrRef(7), back: IrRef(11) };
    assert!(err(&t).contains("back value"), "{}", err(&t));
    // Two loops; a body without any exit.
    let mut t = counting_loop();
    t.push(Op::Loop, Type::Void);
    err(&t);
    let mut t = Trace::default();
    let one = t.push(Op::ConstInt { value: 1 }, Type::Int);
    t.push(Op::Loop, Type::Void);
    t.push(Op::Phi { slot: 0, ty: Type::Int, entry: one, back: IrRef(2) }, Type::Int);
    assert!(err(&t).contains("no exit"));
    // Loading a list element as a function.
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    let p = t.push(Op::SlotPtr { slot: 0 }, Type::Ptr);
    let i = t.push(Op::ConstInt { value: 0 }, Type::Int);
    t.push(Op::ListLoad { list: p, index: i, ty: Type::Obj, snap: s0 }, Type::Obj);
    exit_loop(&mut t, &[]);
    err(&t);
}

#[test]
fn many_traces_can_be_compiled_and_freed() {
    let trace = counting_loop();
    for n in 0..50 {
        let compiled = compile(&trace);
        let mut frame = vec![Value::Int(0), Value::Int(n)];
        run(&compiled, &mut frame);
        assert_eq!(int(&frame[0]), n.max(0));
    }
}

/// `m = a % b; c = m == 0` (or `!=`), exiting with both: the comparison reads the truncated
/// remainder, the exit still writes Python's floored one.
#[test]
fn modulo_compared_with_zero_matches_python() {
    for (cond, want_zero) in [(Cond::Eq, true), (Cond::Ne, false)] {
        let mut t = Trace::default();
        let s0 = snap(&mut t, &[]);
        t.push(Op::GuardTag { slot: 0, tag: tag::INT, snap: s0 }, Type::Void);
        t.push(Op::GuardTag { slot: 1, tag: tag::INT, snap: s0 }, Type::Void);
        t.push(Op::ClearSlot { slot: 2 }, Type::Void);
        t.push(Op::ClearSlot { slot: 3 }, Type::Void);
        let a = t.push(Op::SlotInt { slot: 0 }, Type::Int);
        let b = t.push(Op::SlotInt { slot: 1 }, Type::Int);
        let zero = t.push(Op::ConstInt { value: 0 }, Type::Int);
        let m = t.push(Op::ModInt { a, b, snap: s0 }, Type::Int);
        let c = t.push(Op::CmpInt { cond, a: zero, b: m }, Type::Bool);
        exit_loop(&mut t, &[(2, c), (3, m)]);
        let compiled = compile(&t);
        for a in INTS {
            for b in INTS {
                let mut frame = vec![Value::Int(a), Value::Int(b), Value::None, Value::None];
                let exit = run(&compiled, &mut frame);
                match py_mod(a, b) {
                    None => assert_eq!(exit, 0, "{a} % {b}"),
                    Some(r) => {
                        assert_eq!(exit, 1, "{a} % {b}");
                        assert!(matches!(frame[2], Value::Bool(x) if x == ((r == 0) == want_zero)), "{a} % {b}");
                        assert_eq!(int(&frame[3]), r, "{a} % {b}");
                    }
                }
            }
        }
    }
}

/// A root loop counting `i` up to 10, and a side trace on its loop exit that counts rounds in
/// `c`, resets `i` and links back to the root, until `c` reaches 3.
fn root_and_side_trace() -> (Trace, Trace) {
    let parse = |text: &str| crate::jit::ir::text::parse_trace(text).unwrap_or_else(|e| panic!("{e}"));
    let root = parse(
        "
              GuardTag r0(i) is int  snap0
        int   %1 = SlotInt r0(i)
        int   %2 = ConstInt 1
        int   %3 = AddInt %1, %2  snap0
        int   %4 = ConstInt 10
        bool  %5 = CmpInt %3 < %4
              Guard %5 is True  snap1
        ------------------------------ loop
        int   %8 = Phi r0(i) [%3, %9]
        int   %9 = AddInt %8, %2  snap2
        bool  %10 = CmpInt %9 < %4
              Guard %10 is True  snap3
          snap0 @pc 0:
          snap1 @pc 1: r0(i)=%3
          snap2 @pc 0: r0(i)=%8
          snap3 @pc 1: r0(i)=%9
        ",
    );
    let side = parse(
        "
              GuardTag r1(c) is int  snap0
        int   %1 = SlotInt r1(c)
        int   %2 = ConstInt 1
        int   %3 = AddInt %1, %2  snap0
        int   %4 = ConstInt 3
        bool  %5 = CmpInt %3 < %4
              Guard %5 is True  snap1
        int   %7 = ConstInt 0
              Link to T1  snap2
          snap0 @pc 5:
          snap1 @pc 6: r1(c)=%3
          snap2 @pc 0: r1(c)=%3 r0(i)=%7
        ",
    );
    (root, side)
}

#[test]
fn an_exit_calls_its_side_trace_which_links_back_to_the_root_loop() {
    let (root, side) = root_and_side_trace();
    let root_code = compile(&root);
    let place = TreePlace { exit_base: root.snapshots.len() as u32, root_trace: 1, is_root: false };
    let side_code = compile_trace(&side, &layout(), place, Listings::default()).unwrap_or_else(|e| panic!("{e}"));
    let root_table = SideExitSlot::empty_table(root.snapshots.len());
    let side_table = SideExitSlot::empty_table(side.snapshots.len());
    // Both guards on `i < 10` (preamble and body) lead to the side trace.
    for exit in [1, 3] {
        root_table[exit].entry.set(Some(side_code.entry));
        root_table[exit].table.set(side_table.as_ptr());
    }
    let mut frame = vec![Value::Int(0), Value::Int(0)];
    // As the VM does: a side trace linking back returns LINK_TO_ROOT, and the root runs again.
    let mut links = 0;
    let exit = loop {
        // SAFETY: both traces touch only slots 0 and 1; the tables have one slot per snapshot.
        let status = unsafe { (root_code.entry)(frame.as_mut_ptr(), std::ptr::null_mut(), root_table.as_ptr()) };
        if status != crate::interp::native::LINK_TO_ROOT {
            break status;
        }
        links += 1;
    };
    assert_eq!(links, 2, "the first two rounds link back to the root");
    // Three rounds of counting to 10; the third round's side trace leaves through its snap1,
    // numbered after the root's four exits.
    assert_eq!(exit, 4 + 1);
    assert_eq!((int(&frame[0]), int(&frame[1])), (10, 3));
}

#[test]
fn a_tree_compiled_as_one_function_runs_its_side_trace_inside_the_exit_and_jumps_back_to_the_root() {
    let (root, side) = root_and_side_trace();
    let side_place = TreePlace { exit_base: root.snapshots.len() as u32, root_trace: 1, is_root: false };
    // The side trace hangs from the loop body's guard on `i < 10` (snap3). No side trace is
    // compiled on its own: the tables name no code.
    let members = [
        TreeMember { trace: &root, place: TreePlace::root(1), parent: None },
        TreeMember { trace: &side, place: side_place, parent: Some((0, 3)) },
    ];
    let tree = compile_tree(&members, &layout(), Listings::default()).unwrap_or_else(|e| panic!("{e}"));
    let root_table = SideExitSlot::empty_table(root.snapshots.len());
    let side_table = SideExitSlot::empty_table(side.snapshots.len());
    root_table[3].table.set(side_table.as_ptr());
    let mut frame = vec![Value::Int(0), Value::Int(0)];
    // SAFETY: both traces touch only slots 0 and 1; the tables have one slot per snapshot.
    let status = unsafe { (tree.entry)(frame.as_mut_ptr(), std::ptr::null_mut(), root_table.as_ptr()) };
    // One call runs all three rounds of counting to 10: the side trace's link is a jump. The
    // third round's side trace leaves through its snap1, numbered after the root's four exits.
    assert_eq!(status, 4 + 1);
    assert_eq!((int(&frame[0]), int(&frame[1])), (10, 3));
}

#[test]
fn a_tree_is_rejected_when_a_side_trace_hangs_from_nowhere() {
    let (root, side) = root_and_side_trace();
    let side_place = TreePlace { exit_base: 4, root_trace: 1, is_root: false };
    let root_member = TreeMember { trace: &root, place: TreePlace::root(1), parent: None };
    for parent in [None, Some((1, 3)), Some((0, 99))] {
        let members = [root_member, TreeMember { trace: &side, place: side_place, parent }];
        assert!(compile_tree(&members, &layout(), Listings::default()).is_err(), "{parent:?}");
    }
    let twice = [
        root_member,
        TreeMember { trace: &side, place: side_place, parent: Some((0, 3)) },
        TreeMember { trace: &side, place: side_place, parent: Some((0, 3)) },
    ];
    let err = compile_tree(&twice, &layout(), Listings::default()).err().expect("two side traces on one exit");
    assert!(err.contains("shares its exit"), "{err}");
}

#[test]
fn a_side_trace_must_end_in_link_and_a_root_must_loop_or_link() {
    let (root, side) = root_and_side_trace();
    let side_place = TreePlace { exit_base: 4, root_trace: 1, is_root: false };
    let err = compile_trace(&root, &layout(), side_place, Listings::default()).err().expect("a loop is no side trace");
    assert!(err.contains("must end in Link"), "{err}");
    // A root that links to another loop (an outer loop's iteration reaching a compiled inner
    // loop) need not loop; one that does neither is rejected.
    compile_trace(&side, &layout(), TreePlace::root(2), Listings::default()).expect("a linking root compiles");
    let mut dead_end = side.clone();
    dead_end.insts.pop();
    let err = compile_trace(&dead_end, &layout(), TreePlace::root(1), Listings::default())
        .err()
        .expect("a root that neither loops nor links");
    assert!(err.contains("does not loop"), "{err}");
}

#[test]
fn clear_slot_drops_a_heap_value_so_that_the_exit_can_overwrite_it() {
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    t.push(Op::GuardTag { slot: 0, tag: tag::INT, snap: s0 }, Type::Void);
    t.push(Op::ClearSlot { slot: 1 }, Type::Void);
    let a = t.push(Op::SlotInt { slot: 0 }, Type::Int);
    exit_loop(&mut t, &[(1, a)]);
    let c = compile(&t);
    let list = Value::list(vec![Value::Int(1)]);
    let Value::List(watched) = &list else { unreachable!() };
    let watched = watched.clone();
    let mut frame = vec![Value::Int(7), list];
    run(&c, &mut frame);
    assert_eq!(int(&frame[1]), 7);
    assert_eq!(std::rc::Rc::strong_count(&watched), 1, "the frame's reference to the list was dropped");
    // A slot already holding a number is left alone (no call) and overwritten.
    let mut frame = vec![Value::Int(8), Value::Float(1.5)];
    run(&c, &mut frame);
    assert_eq!(int(&frame[1]), 8);
}

/// An exit writing a list (a trace's `ptr` value, as when a list is passed to an inlined call)
/// stores a counted reference to the same list, dropping what the slot held; an exit writing a
/// function (`ConstObj`) stores the function.
#[test]
fn exits_write_lists_and_objects_as_counted_references() {
    use crate::jit::ir::TraceObject;
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    t.push(Op::GuardTag { slot: 0, tag: list_tag(), snap: s0 }, Type::Void);
    let p = t.push(Op::SlotPtr { slot: 0 }, Type::Ptr);
    t.objects.push(TraceObject::Builtin(crate::interp::builtins::BuiltinId::Len));
    let f = t.push(Op::ConstObj { index: 0 }, Type::Obj);
    exit_loop(&mut t, &[(1, p), (2, f)]);
    let compiled = compile(&t);
    let list = std::rc::Rc::new(std::cell::RefCell::new(vec![Value::Int(7)]));
    let old = std::rc::Rc::new(std::cell::RefCell::new(vec![Value::Int(1)]));
    let mut frame = vec![Value::List(list.clone()), Value::List(old.clone()), Value::Int(0)];
    run(&compiled, &mut frame);
    assert!(matches!(&frame[1], Value::List(l) if std::rc::Rc::ptr_eq(l, &list)), "{:?}", frame[1]);
    assert_eq!(std::rc::Rc::strong_count(&list), 3, "ours, slot 0's and slot 1's");
    assert_eq!(std::rc::Rc::strong_count(&old), 1, "slot 1's old list was released");
    assert!(matches!(frame[2], Value::Builtin(crate::interp::builtins::BuiltinId::Len)), "{:?}", frame[2]);
    drop(frame);
    assert_eq!(std::rc::Rc::strong_count(&list), 1);
}

/// Global slots (`GLOBAL_SLOTS + g`) live in the globals array, not the frame: a loop adding frame
/// slot 0 into global 1 until global 1 reaches frame slot 1 reads, guards and writes global 1.
#[test]
fn global_slots_are_read_and_written_in_the_globals() {
    use crate::jit::ir::GLOBAL_SLOTS;
    let g1 = GLOBAL_SLOTS + 1;
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    t.push(Op::GuardTag { slot: 0, tag: tag::INT, snap: s0 }, Type::Void);
    let step = t.push(Op::SlotInt { slot: 0 }, Type::Int);
    t.push(Op::GuardTag { slot: 1, tag: tag::INT, snap: s0 }, Type::Void);
    let limit = t.push(Op::SlotInt { slot: 1 }, Type::Int);
    t.push(Op::GuardTag { slot: g1, tag: tag::INT, snap: s0 }, Type::Void);
    let start = t.push(Op::SlotInt { slot: g1 }, Type::Int);
    t.push(Op::Loop, Type::Void);
    let total = t.push(Op::Phi { slot: g1, ty: Type::Int, entry: start, back: IrRef(0) }, Type::Int);
    let more = t.push(Op::CmpInt { cond: Cond::Lt, a: total, b: limit }, Type::Bool);
    let done = snap(&mut t, &[(g1, total)]);
    t.push(Op::Guard { cond: more, expect: true, snap: done }, Type::Void);
    let sum_snap = snap(&mut t, &[(g1, total)]);
    let sum = t.push(Op::AddInt { a: total, b: step, snap: sum_snap }, Type::Int);
    if let Op::Phi { back, .. } = &mut t.insts[total.0 as usize].op {
        *back = sum;
    }
    let compiled = compile(&t);
    let mut frame = vec![Value::Int(7), Value::Int(100)];
    let mut globals = vec![Value::Int(-1), Value::Int(2), Value::Int(-3)];
    assert_eq!(run_with_globals(&compiled, &mut frame, &mut globals), done.0);
    assert_eq!(int(&globals[1]), 100, "2 + 7 * 14");
    assert_eq!((int(&globals[0]), int(&globals[2])), (-1, -3), "the other globals are untouched");
    assert_eq!((int(&frame[0]), int(&frame[1])), (7, 100));
    // A global of another type fails the guard before anything is written.
    let mut globals = vec![Value::Int(-1), Value::Float(2.0)];
    assert_eq!(run_with_globals(&compiled, &mut frame, &mut globals), s0.0);
    assert!(matches!(globals[1], Value::Float(f) if f == 2.0));
}

/// An exit that swaps two lists, each held only by its slot (`a, b = b, a`): every list is
/// counted before any slot is stored, so the first store cannot free the list the second one
/// writes.
#[test]
fn an_exit_swapping_two_lists_keeps_both_alive() {
    let mut t = Trace::default();
    let s0 = snap(&mut t, &[]);
    t.push(Op::GuardTag { slot: 0, tag: list_tag(), snap: s0 }, Type::Void);
    let a = t.push(Op::SlotPtr { slot: 0 }, Type::Ptr);
    t.push(Op::GuardTag { slot: 1, tag: list_tag(), snap: s0 }, Type::Void);
    let b = t.push(Op::SlotPtr { slot: 1 }, Type::Ptr);
    exit_loop(&mut t, &[(0, b), (1, a)]);
    let compiled = compile(&t);
    let first = std::rc::Rc::new(std::cell::RefCell::new(vec![Value::Int(1), Value::Int(10)]));
    let second = std::rc::Rc::new(std::cell::RefCell::new(vec![Value::Int(2)]));
    let (weak_first, weak_second) = (std::rc::Rc::downgrade(&first), std::rc::Rc::downgrade(&second));
    // The frame holds the only strong references.
    let mut frame = vec![Value::List(first), Value::List(second)];
    run(&compiled, &mut frame);
    assert_eq!((weak_first.strong_count(), weak_second.strong_count()), (1, 1));
    assert_eq!(list_items(&frame[0]).len(), 1, "slot 0 holds the second list");
    assert_eq!(int(&list_items(&frame[1])[1]), 10, "slot 1 holds the first list");
    drop(frame);
    assert_eq!((weak_first.strong_count(), weak_second.strong_count()), (0, 0));
}

/// `int(x)` of a float: truncation towards zero when the result fits 64 bits; an exit for NaN,
/// infinities and anything at or beyond 2**63 in size (the interpreter raises or makes a big int).
#[test]
fn float_to_int_truncates_or_exits() {
    let compiled = binop_trace(Type::Float, Type::Int, |a, _, snap| Op::FloatToInt { a, snap });
    let cases = [
        (2.7, Some(2)),
        (-2.7, Some(-2)),
        (-0.5, Some(0)),
        (-0.0, Some(0)),
        (9.223372036854775e18, Some(9223372036854774784)),
        (-(2f64.powi(63)), Some(i64::MIN)),
        (2f64.powi(63), None),
        (1e300, None),
        (f64::INFINITY, None),
        (f64::NEG_INFINITY, None),
        (f64::NAN, None),
    ];
    for (x, want) in cases {
        let got = run_binop(&compiled, Value::Float(x), Value::Float(0.0)).map(|v| int(&v));
        assert_eq!(got, want, "int({x})");
    }
}
