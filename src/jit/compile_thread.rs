//! Where Cranelift's code generation runs: on one compile thread of its own (the background
//! mode), or at once on the interpreter's thread (the inline mode, deterministic).
//!
//! The interpreter's thread prepares a compile (`lower_codegen.rs`) and [`Compiler::submit`]s
//! its [`CodegenJob`], which owns nothing of the interpreter's; it never waits: it polls with
//! [`Compiler::try_next`] at the safe points the JIT already visits (`trace.rs`), and finishes
//! what came back. The thread is started at the first background compile and ends when the
//! compiler is dropped (its channel closes) or with the process: nothing waits for it, and it
//! touches only its own data and Cranelift's contexts of its thread.
//!
//! Touches: its thread, its two channels and its queue of results compiled inline.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use super::compile_stats::thread_cpu_time;
use super::lower::{self, Code, CodegenJob};

/// Where code generation runs (`--jit-compile=inline|background`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompileMode {
    /// At once on the interpreter's thread: what compiles when depends only on the program.
    Inline,
    /// On the compile thread, while the interpreter runs on.
    Background,
}

impl CompileMode {
    /// The default: in the background when the machine has more than one core to run on.
    pub fn for_this_machine() -> CompileMode {
        match std::thread::available_parallelism() {
            Ok(cores) if cores.get() > 1 => CompileMode::Background,
            _ => CompileMode::Inline,
        }
    }

    /// The mode named `name` on the command line.
    pub fn named(name: &str) -> Option<CompileMode> {
        match name {
            "inline" => Some(CompileMode::Inline),
            "background" => Some(CompileMode::Background),
            _ => None,
        }
    }
}

/// One code generation done: the job's number, its result, and what it cost on its thread.
pub struct Generated {
    pub job: u64,
    pub code: Result<Code, String>,
    /// CPU time of the code generation.
    pub cpu: Duration,
    /// Did it run on the compile thread (rather than the interpreter's)?
    pub in_background: bool,
}

/// The compile thread's ends of the channels, as the interpreter's thread holds them.
struct Worker {
    jobs: Sender<(u64, CodegenJob)>,
    results: Receiver<Generated>,
}

/// Hands code generation out and takes its results back (see the module doc).
pub struct Compiler {
    worker: Option<Worker>,
    /// Could the thread not be started? Then every compile is inline.
    no_thread: bool,
    next_job: u64,
    /// Results of inline compiles, not taken yet.
    ready: VecDeque<Generated>,
    /// Jobs submitted whose result was not taken yet.
    in_flight: usize,
}

/// The compile thread's stack: Cranelift's passes recurse little, but a large tree's function
/// is large.
const COMPILE_THREAD_STACK: usize = 16 << 20;

impl Compiler {
    pub fn new() -> Compiler {
        Compiler { worker: None, no_thread: false, next_job: 1, ready: VecDeque::new(), in_flight: 0 }
    }

    /// Submits a code generation in `mode`; returns the job's number (its result comes back
    /// from [`Compiler::try_next`], at once in the inline mode).
    pub fn submit(&mut self, job: CodegenJob, mode: CompileMode) -> u64 {
        let number = self.next_job;
        self.next_job += 1;
        self.in_flight += 1;
        let job = match (mode, self.worker()) {
            (CompileMode::Background, Some(worker)) => match worker.jobs.send((number, job)) {
                Ok(()) => return number,
                // The thread is gone (it cannot panic: codegen is guarded): compile here.
                Err(mpsc::SendError((_, job))) => job,
            },
            _ => job,
        };
        self.ready.push_back(generate(number, job, false));
        number
    }

    /// Are results still to come?
    pub fn has_pending(&self) -> bool {
        self.in_flight > 0
    }

    /// The next result ready, without waiting.
    pub fn try_next(&mut self) -> Option<Generated> {
        let generated = match self.ready.pop_front() {
            Some(generated) => generated,
            None => self.worker.as_ref()?.results.try_recv().ok()?,
        };
        self.in_flight -= 1;
        Some(generated)
    }

    /// The compile thread, started at the first call.
    fn worker(&mut self) -> Option<&Worker> {
        if self.worker.is_none() && !self.no_thread {
            self.worker = start_worker();
            self.no_thread = self.worker.is_none();
        }
        self.worker.as_ref()
    }
}

impl Default for Compiler {
    fn default() -> Compiler {
        Compiler::new()
    }
}

/// Starts the compile thread: it generates each job's code in order and sends it back, until
/// either channel closes.
fn start_worker() -> Option<Worker> {
    let (jobs, jobs_in) = mpsc::channel::<(u64, CodegenJob)>();
    let (results_out, results) = mpsc::channel::<Generated>();
    std::thread::Builder::new()
        .name("toyjit-compile".into())
        .stack_size(COMPILE_THREAD_STACK)
        .spawn(move || {
            for (number, job) in jobs_in {
                if results_out.send(generate(number, job, true)).is_err() {
                    break;
                }
            }
        })
        .ok()?;
    Some(Worker { jobs, results })
}

/// Generates one job's code on this thread, timing it.
fn generate(number: u64, job: CodegenJob, in_background: bool) -> Generated {
    let cpu = thread_cpu_time();
    let wall = Instant::now();
    let code = lower::codegen(job);
    // Without a thread clock, the wall time (the thread runs nothing else meanwhile).
    let cpu = match thread_cpu_time().checked_sub(cpu) {
        Some(spent) if !spent.is_zero() => spent,
        _ => wall.elapsed(),
    };
    Generated { job: number, code, cpu, in_background }
}
