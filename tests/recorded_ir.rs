//! The recorder pinned: small Toy programs in, the trace IR as recorded out (before the
//! optimizer: after loop peeling and snapshot pruning), compared as whole text. The IR is read
//! from `toyjit run --trace-dump=ir --jit-threshold 1`, the section `---- trace IR as recorded`
//! of the first trace, exactly as the dump prints it (line ends trimmed).
//!
//! A change here is a change in what the recorder emits for these bytecodes: read the new text,
//! and if it is right, paste it in.

use std::process::Command;

/// Runs `source` with the JIT forced on and returns the first trace's IR as recorded.
fn recorded_ir(name: &str, source: &str) -> String {
    let dir = std::env::temp_dir().join(format!("toyjit-recorded-ir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join(format!("{name}.toy"));
    std::fs::write(&path, source).expect("the program is written");
    let output = Command::new(env!("CARGO_BIN_EXE_toyjit"))
        .args(["run", "--trace-dump=ir", "--jit-threshold", "1"])
        .arg(&path)
        .output()
        .expect("toyjit runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let dump = String::from_utf8_lossy(&output.stderr);
    let mut lines = dump.lines().skip_while(|l| !l.starts_with("---- trace IR as recorded"));
    let header = lines.next().unwrap_or_else(|| panic!("no recorded IR in the dump:\n{dump}"));
    let mut ir = format!("{header}\n");
    for line in lines.take_while(|l| !l.starts_with("---- ")) {
        ir.push_str(line.trim_end());
        ir.push('\n');
    }
    ir
}

fn check(name: &str, source: &str, expected: &str) {
    let got = recorded_ir(name, source);
    let expected = expected.strip_prefix('\n').unwrap_or(expected);
    assert!(got == expected, "{name}: the recorder emitted\n{got}\nexpected:\n{expected}");
}

/// A counting loop: int guards, overflow checks, the loop condition.
#[test]
fn a_counting_loop() {
    let source = "\
def main():
    i = 0
    total = 0
    while i < 100:
        total += i
        i += 1
    print(total)

main()
";
    let expected = "
---- trace IR as recorded (the first iteration (preamble), then the loop body) ----
0000        GuardTag r1(total) is int  snap0
0001  int   %1 = SlotInt r1(total)
0002        GuardTag r0(i) is int  snap0
0003  int   %3 = SlotInt r0(i)
0004  int   %4 = AddInt %1, %3  snap0
0005  int   %5 = ConstInt 1
0006  int   %6 = AddInt %3, %5  snap1
0007  int   %7 = ConstInt 100
0008  bool  %8 = CmpInt %6 < %7
0009        Guard %8 is True  snap2
0010  ------------------------------ loop
0011  int   %11 = Phi r1(total) [%4, %13]
0012  int   %12 = Phi r0(i) [%6, %14]
0013  int   %13 = AddInt %11, %12  snap3
0014  int   %14 = AddInt %12, %5  snap4
0015  bool  %15 = CmpInt %14 < %7
0016        Guard %15 is True  snap5
0017        CheckInterrupt   snap6
  snap0 @pc 4:
  snap1 @pc 5: r1(total)=%4
  snap2 @pc 6: r1(total)=%4 r0(i)=%6
  snap3 @pc 4: r1(total)=%11 r0(i)=%12
  snap4 @pc 5: r1(total)=%13 r0(i)=%12
  snap5 @pc 6: r1(total)=%13 r0(i)=%14
  snap6 @pc 3: r1(total)=%13 r0(i)=%14
";
    check("count", source, expected);
}

/// A float loop: float guards and arithmetic, a float comparison.
#[test]
fn a_float_loop() {
    let source = "\
def main():
    x = 0.0
    while x < 10.0:
        x = x * 1.5 + 0.25
    print(x)

main()
";
    let expected = "
---- trace IR as recorded (the first iteration (preamble), then the loop body) ----
0000        GuardTag r0(x) is float  snap0
0001  float %1 = SlotFloat r0(x)
0002  float %2 = ConstFloat 1.5
0003  float %3 = MulFloat %1, %2
0004        ClearSlot r5
0005  float %5 = ConstFloat 0.25
0006  float %6 = AddFloat %3, %5
0007  float %7 = ConstFloat 10.0
0008  bool  %8 = CmpFloat %6 < %7
0009        Guard %8 is True  snap1
0010  ------------------------------ loop
0011  float %11 = Phi r0(x) [%6, %13]
0012  float %12 = MulFloat %11, %2
0013  float %13 = AddFloat %12, %5
0014  bool  %14 = CmpFloat %13 < %7
0015        Guard %14 is True  snap2
0016        CheckInterrupt   snap3
  snap0 @pc 3:
  snap1 @pc 5: r0(x)=%6
  snap2 @pc 5: r0(x)=%13
  snap3 @pc 2: r0(x)=%13
";
    check("float", source, expected);
}

/// A for loop over a list: the iterator's list and index slots, a bounds-checked, type-checked read.
#[test]
fn a_for_loop_reading_a_list() {
    let source = "\
def main():
    xs = [3, 1, 4, 1, 5, 9, 2, 6]
    s = 0
    for v in xs:
        s += v
    print(s)

main()
";
    let expected = "
---- trace IR as recorded (the first iteration (preamble), then the loop body) ----
0000        GuardTag r11 is list  snap0
0001  ptr   %1 = SlotPtr r11
0002        GuardTag r12 is int  snap0
0003  int   %3 = SlotInt r12
0004  int   %4 = ListLen %1
0005  bool  %5 = CmpInt %3 < %4
0006        Guard %5 is True  snap1
0007  int   %7 = ListIndexInRange %1, %3  snap2
0008  int   %8 = ListLoad %1[%7] as int  snap2
0009  int   %9 = ConstInt 1
0010  int   %10 = AddIntUnchecked %3, %9
0011        ClearSlot r2(v)
0012        GuardTag r1(s) is int  snap3
0013  int   %13 = SlotInt r1(s)
0014  int   %14 = AddInt %13, %8  snap3
0015  ------------------------------ loop
0016  int   %16 = Phi r12 [%10, %24]
0017  int   %17 = Phi r2(v) [%8, %23]
0018  int   %18 = Phi r1(s) [%14, %25]
0019  int   %19 = ListLen %1
0020  bool  %20 = CmpInt %16 < %19
0021        Guard %20 is True  snap4
0022  int   %22 = ListIndexInRange %1, %16  snap5
0023  int   %23 = ListLoad %1[%22] as int  snap5
0024  int   %24 = AddIntUnchecked %16, %9
0025  int   %25 = AddInt %18, %23  snap6
0026        CheckInterrupt   snap7
  snap0 @pc 11:
  snap1 @pc 14:
  snap2 @pc 11:
  snap3 @pc 12: r12=%10 r2(v)=%8
  snap4 @pc 14: r1(s)=%18
  snap5 @pc 11: r12=%16 r2(v)=%17 r1(s)=%18
  snap6 @pc 12: r12=%24 r2(v)=%23 r1(s)=%18
  snap7 @pc 11: r12=%24 r2(v)=%23 r1(s)=%25
";
    check("list", source, expected);
}

/// An inlined call: the function a constant, the callee's slots named scale.v, snapshots `in scale`.
#[test]
fn an_inlined_call() {
    let source = "\
def scale(v):
    return v * 3

def main():
    i = 0
    s = 0
    while i < 50:
        s += scale(i)
        i += 1
    print(s)

main()
";
    let expected = "
---- trace IR as recorded (the first iteration (preamble), then the loop body) ----
0000        GuardTag r0(i) is int  snap0
0001  int   %1 = SlotInt r0(i)
0002        ClearSlot r7(scale.v)
0003  obj   %3 = ConstObj <function scale>
0004        ClearSlot r6
0005  int   %5 = ConstInt 3
0006  int   %6 = MulInt %1, %5  snap1
0007        ClearSlot r9
0008        ClearSlot r5
0009        GuardTag r1(s) is int  snap2
0010  int   %10 = SlotInt r1(s)
0011  int   %11 = AddInt %10, %6  snap2
0012  int   %12 = ConstInt 1
0013  int   %13 = AddInt %1, %12  snap3
0014  int   %14 = ConstInt 50
0015  bool  %15 = CmpInt %13 < %14
0016        Guard %15 is True  snap4
0017  ------------------------------ loop
0018  int   %18 = Phi r1(s) [%11, %21]
0019  int   %19 = Phi r0(i) [%13, %22]
0020  int   %20 = MulInt %19, %5  snap5
0021  int   %21 = AddInt %18, %20  snap6
0022  int   %22 = AddInt %19, %12  snap7
0023  bool  %23 = CmpInt %22 < %14
0024        Guard %23 is True  snap8
0025        CheckInterrupt   snap9
  snap0 @pc 4:
  snap1 @pc 0 in scale: r7(scale.v)=%1
  snap2 @pc 6: r5=%6
  snap3 @pc 7: r1(s)=%11
  snap4 @pc 8: r1(s)=%11 r0(i)=%13
  snap5 @pc 0 in scale: r1(s)=%18 r0(i)=%19 r7(scale.v)=%19
  snap6 @pc 6: r1(s)=%18 r0(i)=%19 r5=%20
  snap7 @pc 7: r1(s)=%21 r0(i)=%19
  snap8 @pc 8: r1(s)=%21 r0(i)=%22
  snap9 @pc 3: r1(s)=%21 r0(i)=%22
";
    check("call", source, expected);
}
