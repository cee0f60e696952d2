//! Where compile time goes, per kind of compile, for `--stats`' second line.
//!
//! Each compile (a root, a side trace, a function entry, a tree compiled again as one function)
//! adds its IR size and its time, split into our optimizer, our lowering to Cranelift IR,
//! Cranelift's compile, and the code memory's module ([`CompileCost`]); the CPU time it
//! took on the interpreter's thread (preparing and finishing; code generation too in the
//! inline mode) and on the compile thread (`compile_thread.rs`), and how many results came back
//! too late to install (stale). Touches nothing
//! but its own counters; `TOYJIT_COMPILE_LOG` set in the environment prints one line per
//! compile to stderr as well, and `TOYJIT_COMPILE_LOG=passes` adds to `--stats` where
//! Cranelift's time went, pass by pass (its own timings, summed over the run's compiles).

use std::cell::RefCell;
use std::time::{Duration, Instant};

use cranelift_codegen::timing::{self, PassTimes};

/// What was compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompileKind {
    /// A loop's root trace.
    Root,
    /// A side trace (or an entry prefix: a side trace of the loop's tree) compiled on its own.
    Side,
    /// A function-entry trace.
    Entry,
    /// A whole tree compiled again as one function.
    TreeAsOne,
}

impl CompileKind {
    const ALL: [CompileKind; 4] = [CompileKind::Root, CompileKind::Side, CompileKind::Entry, CompileKind::TreeAsOne];

    fn name(self) -> &'static str {
        match self {
            CompileKind::Root => "roots",
            CompileKind::Side => "side traces",
            CompileKind::Entry => "function entries",
            CompileKind::TreeAsOne => "trees as one function",
        }
    }
}

/// The compiles of one kind: how many, their trace-IR instructions, their time.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    count: u32,
    ir_insts: usize,
    total: Duration,
}

/// The clocks of one compile: wall time (what `--stats`' "compiling" adds up) and this
/// thread's CPU time (what the compile cost on a loaded machine, where the wall time also
/// counts the time other processes ran).
pub struct CompileClock {
    wall: Instant,
    cpu: Duration,
}

impl CompileClock {
    pub fn start() -> CompileClock {
        CompileClock { wall: Instant::now(), cpu: cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) }
    }

    /// Wall time since the start.
    pub fn elapsed(&self) -> Duration {
        self.wall.elapsed()
    }

    /// The wall and CPU time since the start.
    pub fn spent(&self) -> Spent {
        Spent { wall: self.wall.elapsed(), cpu: cpu_time(libc::CLOCK_THREAD_CPUTIME_ID).saturating_sub(self.cpu) }
    }
}

/// Time a compile spent on the interpreter's thread: wall and CPU.
#[derive(Clone, Copy, Debug, Default)]
pub struct Spent {
    pub wall: Duration,
    pub cpu: Duration,
}

impl std::ops::Add for Spent {
    type Output = Spent;
    fn add(self, other: Spent) -> Spent {
        Spent { wall: self.wall + other.wall, cpu: self.cpu + other.cpu }
    }
}

/// This thread's CPU time so far (zero if it cannot be read).
pub fn thread_cpu_time() -> Duration {
    cpu_time(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// The CPU time of `clock` (a thread's or the process's), zero if it cannot be read.
fn cpu_time(clock: libc::clockid_t) -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec; the call writes only it.
    if unsafe { libc::clock_gettime(clock, &mut t) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Compile time by kind and by phase.
#[derive(Clone, Debug, Default)]
pub struct CompileStats {
    by_kind: [Tally; 4],
    /// The compiles' CPU time on the interpreter's thread, all kinds.
    cpu: Duration,
    /// Their code generation's CPU time on the compile thread.
    background_cpu: Duration,
    /// Of `cpu`, the code generation of jobs taken back from the compile threads' queue (all
    /// cores busy): what a loaded machine adds to the interpreter's thread's share.
    taken_back_cpu: Duration,
    /// Results dropped because what they were for had changed meanwhile.
    stale: u32,
    optimizer: Duration,
    lowering: Duration,
    cranelift: Duration,
    module: Duration,
}

impl CompileStats {
    /// Counts one compile of `ir_insts` trace-IR instructions that took `main` on the
    /// interpreter's thread and `background` (CPU) on the compile thread, of which `optimizer`
    /// in our passes and `cost` in lowering and Cranelift. Returns its wall time on the
    /// interpreter's thread.
    pub fn record(
        &mut self,
        kind: CompileKind,
        ir_insts: usize,
        main: Spent,
        background: Duration,
        optimizer: Duration,
        cost: &CompileCost,
    ) -> Duration {
        let (total, cpu) = (main.wall, main.cpu);
        self.cpu += cpu;
        self.background_cpu += background;
        let tally = &mut self.by_kind[CompileKind::ALL.iter().position(|&k| k == kind).unwrap_or(0)];
        tally.count += 1;
        tally.ir_insts += ir_insts;
        tally.total += total;
        self.optimizer += optimizer;
        self.lowering += cost.lowering;
        self.cranelift += cost.cranelift;
        self.module += cost.module;
        if std::env::var_os("TOYJIT_COMPILE_LOG").is_some() {
            eprintln!(
                "[compile] {:<22} ir {:>4} clif {:>5} insts {:>4} blocks: cpu {:>7.3} ms (+ {:.3} ms on the compile thread), wall {:>7.3} ms; optimizer {:.3} + lowering {:.3} + cranelift {:.3} + module {:.3}",
                kind.name(),
                ir_insts,
                cost.clif_insts,
                cost.clif_blocks,
                ms(cpu),
                ms(background),
                ms(total),
                ms(optimizer),
                ms(cost.lowering),
                ms(cost.cranelift),
                ms(cost.module)
            );
        }
        total
    }

    /// A job taken back from the compile threads' queue was generated on the interpreter's
    /// thread in `cpu` (counted in its compile's time as well).
    pub fn taken_back(&mut self, cpu: Duration) {
        self.taken_back_cpu += cpu;
    }

    /// A result came back for something that changed meanwhile, and was dropped.
    pub fn dropped_stale(&mut self) {
        self.stale += 1;
    }

    /// The `--stats` line: per kind, compiles, IR instructions and milliseconds; then the
    /// phases over all compiles, and the compiles' CPU time on each thread (and how much of the
    /// interpreter's thread's went to jobs taken back) with its share of
    /// the process's CPU time so far (and, on the interpreter's thread, of that thread's own:
    /// the stricter figure, which the compile threads' time does not dilute); then the stale
    /// results dropped.
    pub fn line(&self, taken_back: u32) -> String {
        let process = cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID);
        let thread = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
        let share =
            |d: Duration, of: Duration| if of.is_zero() { 0.0 } else { 100.0 * d.as_secs_f64() / of.as_secs_f64() };
        let (share, own_share, background_share) =
            (share(self.cpu, process), share(self.cpu, thread), share(self.background_cpu, process));
        let kinds: Vec<String> = CompileKind::ALL
            .iter()
            .zip(&self.by_kind)
            .filter(|(_, t)| t.count > 0)
            .map(|(kind, t)| format!("{} {} ({} IR insts, {:.3} ms)", kind.name(), t.count, t.ir_insts, ms(t.total)))
            .collect();
        format!(
            "[jit] compiles: {}; optimizer {:.3} ms, lowering {:.3} ms, Cranelift {:.3} ms, code memory {:.3} ms; CPU time on the interpreter's thread {:.3} ms, {share:.1}% of the process's, {own_share:.1}% of the thread's own; on the compile thread {:.3} ms, {background_share:.1}% of the process's; taken back from the compile thread: {taken_back} ({:.3} ms); stale results dropped: {}; the interpreter's thread's CPU time in all {:.3} ms",
            if kinds.is_empty() { "none".to_string() } else { kinds.join(", ") },
            ms(self.optimizer),
            ms(self.lowering),
            ms(self.cranelift),
            ms(self.module),
            ms(self.cpu),
            ms(self.background_cpu),
            ms(self.taken_back_cpu),
            self.stale,
            ms(thread)
        )
    }
}

thread_local! {
    /// Cranelift's pass timings of this thread's compiles so far (when they are logged).
    static PASSES: RefCell<PassTimes> = RefCell::new(PassTimes::default());
}

/// Does `TOYJIT_COMPILE_LOG=passes` ask for Cranelift's pass timings? Read once.
fn log_passes() -> bool {
    static PASSES_LOGGED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *PASSES_LOGGED.get_or_init(|| std::env::var("TOYJIT_COMPILE_LOG").is_ok_and(|v| v == "passes"))
}

/// After one of Cranelift's compiles (no pass running): adds its pass timings to the run's,
/// when they are logged.
pub fn note_cranelift_passes() {
    if log_passes() {
        let times = timing::take_current();
        PASSES.with(|p| p.borrow_mut().add(&times));
    }
}

/// Cranelift's pass timings summed over this thread's compiles (a table), when they are logged.
pub fn cranelift_passes() -> Option<String> {
    log_passes().then(|| PASSES.with(|p| format!("[jit] Cranelift's passes, all compiles (seconds):\n{}", p.borrow())))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Where one compile's time went: our lowering, Cranelift's compile, and making and finalizing
/// the code memory; and how large the Cranelift function was.
#[derive(Clone, Copy, Debug, Default)]
pub struct CompileCost {
    /// Building the Cranelift function from the trace IR (imports, blocks, instructions).
    pub lowering: std::time::Duration,
    /// Cranelift's `define_function`: its optimizer, register allocation, emission.
    pub cranelift: std::time::Duration,
    /// Making the `JITModule` and finalizing its code memory.
    pub module: std::time::Duration,
    /// Cranelift instructions and blocks of the function built.
    pub clif_insts: usize,
    pub clif_blocks: usize,
}
