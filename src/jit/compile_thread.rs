//! Where Cranelift's code generation runs: on compile threads of its own ([`COMPILE_THREADS`],
//! the background mode), or at once on the interpreter's thread (the inline mode,
//! deterministic).
//!
//! The interpreter's thread prepares a compile (`lower_codegen.rs`) and [`Compiler::submit`]s
//! its [`CodegenJob`], which owns nothing of the interpreter's, to a queue shared with the
//! thread; it never waits for the thread: it polls with [`Compiler::try_next`] at the safe
//! points the JIT already visits (`trace.rs`), and finishes what came back. An urgent job the
//! thread has not started after [`TAKE_BACK_AFTER`] (all cores busy) is taken back and
//! generated on the interpreter's thread at that poll. The first thread is started at the first
//! background compile, the second only when a job comes while the first has one already (each
//! thread's stack, allocator heap and kept Cranelift contexts are peak memory); they end when
//! the compiler is dropped or with the process: nothing waits for them, and each touches only its own data and Cranelift's contexts of its thread.
//!
//! Touches: its thread, the shared queue, the results' channel, its queue of results compiled
//! inline.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::compile_stats::thread_cpu_time;
use super::layout::ListLayout;
use super::lower::{self, Code, CodegenJob};
use crate::interp::engine::native::COMPILED_CODE_WAITING;

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
    /// Its wall time.
    pub wall: Duration,
    /// Where it ran: on the compile thread, inline (within the submission), or on the
    /// interpreter's thread after it was taken back from the queue (at a poll).
    pub ran: Ran,
    /// When it was done (`TOYJIT_COMPILE_LOG` shows how long it waited to be installed).
    pub done: Instant,
}

/// Where a code generation ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ran {
    Background,
    Inline,
    TakenBack,
}

/// A job waiting for the compile thread: its number, when it was submitted, the job.
struct Queued {
    number: u64,
    submitted: Instant,
    job: CodegenJob,
}

/// The jobs not started yet, shared by both threads: urgent ones (something is interpreted
/// until they are there: a loop's root, a side trace) first, then the others (a tree as one
/// function, which only makes the tree faster); and whether the interpreter's side is gone.
#[derive(Default)]
struct Queue {
    waiting: [VecDeque<Queued>; 2],
    closed: bool,
    /// Jobs a compile thread is generating.
    running: usize,
}

/// The compile thread as the interpreter's thread holds it: the shared queue (and its signal)
/// and the results' channel.
struct Worker {
    queue: Arc<(Mutex<Queue>, Condvar)>,
    results: Receiver<Generated>,
    /// The sending end each new thread gets a copy of.
    results_out: Sender<Generated>,
    /// Threads started so far (at most [`COMPILE_THREADS`]).
    started: usize,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let (queue, signal) = &*self.queue;
        if let Ok(mut queue) = queue.lock() {
            queue.closed = true;
        }
        signal.notify_all();
    }
}

/// How long an urgent job may wait for the compile thread to start it before the interpreter's
/// thread takes it back and generates it itself: on a machine whose cores are all busy, the
/// compile thread may wait milliseconds for a core, while the code's loop or exit runs in the
/// interpreter (measured on bench/poly.toy with another process on the second core: results
/// came back 1-5 ms after compiles of 0.1 ms). On a machine with a core free, the thread starts
/// a job within microseconds and nothing is taken back. Measured with function entries in the
/// background too, three sessions on two cores (the interpreter's thread's CPU time, median of
/// 5-7, and its compile share): never taking back cost calls.toy 5%, poly.toy 12%, ledger 9%
/// and template 17% more time, but halved the shares (tuples 8.4% -> 4.2%, json_parse 13.4% ->
/// 6.8%); 5 ms instead of 1.5 ms ran as fast (within 3% each way) with lower shares (poly 6.2% ->
/// 4.0-4.7%, json_parse 13.4% -> 8.8-9.2%, markdown 8.9% -> 6.2%).
const TAKE_BACK_AFTER: Duration = Duration::from_millis(5);

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
    /// Urgent jobs taken back from the queue (see [`TAKE_BACK_AFTER`]).
    pub taken_back: u32,
}

/// How many compile threads take jobs from the queue: two, so that an urgent job (a loop's
/// root, a side trace, an entry) need not wait behind a tree compiled as one function, which
/// takes up to 10 ms (json_parse: 19 urgent jobs taken back by the interpreter's thread behind
/// them with one thread). Measured against one (three sessions on two cores, median of 5): the
/// interpreter's thread's compile share json_parse 11.4% -> 8.4%, markdown 7.1% -> 5.6%,
/// dijkstra 6.3% -> 5.3%, ledger 5.5% -> 4.1%, tuples 5.9% -> 5.2%; wall time 0.90-1.01x (fib,
/// poly, dijkstra, calls faster); peak memory +0.5 MB (tuples) to +1.7 MB (json_parse), each
/// thread keeping its Cranelift contexts (so the second starts only when a job comes while the first
/// has one already). Results may come back in another order than
/// submitted: every install checks that what it goes into still waits for it
/// (`tree_compiles.rs`), and no job depends on another's code being installed first.
const COMPILE_THREADS: usize = 2;

/// The compile thread's stack: Cranelift's passes recurse little, but a large tree's function
/// is large.
const COMPILE_THREAD_STACK: usize = 16 << 20;

impl Compiler {
    pub fn new() -> Compiler {
        Compiler { worker: None, no_thread: false, next_job: 1, ready: VecDeque::new(), in_flight: 0, taken_back: 0 }
    }

    /// Submits a code generation in `mode`; returns the job's number (its result comes back
    /// from [`Compiler::try_next`], at once in the inline mode). An `urgent` job (something is
    /// interpreted until it is there) goes before the others waiting on the compile thread.
    pub fn submit(&mut self, job: CodegenJob, mode: CompileMode, urgent: bool) -> u64 {
        let number = self.next_job;
        self.next_job += 1;
        self.in_flight += 1;
        if let (CompileMode::Background, Some(worker)) = (mode, self.worker()) {
            let (queue, signal) = &*worker.queue;
            if let Ok(mut queue) = queue.lock() {
                queue.waiting[usize::from(!urgent)].push_back(Queued { number, submitted: Instant::now(), job });
                let work = queue.running + queue.waiting.iter().map(VecDeque::len).sum::<usize>();
                drop(queue);
                signal.notify_one();
                if work > worker.started
                    && worker.started < COMPILE_THREADS
                    && spawn_thread(&worker.queue, &worker.results_out, None)
                {
                    worker.started += 1;
                }
                return number;
            }
            // A poisoned lock cannot happen (nothing panics holding it); the job is lost with
            // it, and stays in flight: its loop or exit is interpreted.
            return number;
        }
        self.ready.push_back(generate(number, job, Ran::Inline));
        number
    }

    /// Are results still to come?
    pub fn has_pending(&self) -> bool {
        self.in_flight > 0
    }

    /// Clears `COMPILED_CODE_WAITING` when no result is to come (the thread sets it after
    /// sending one, which may be after the result was taken: left set, every call entering an
    /// entry tree would go through the interpreter).
    pub fn no_result_waiting(&self) {
        if self.in_flight == 0 {
            COMPILED_CODE_WAITING.store(false, Ordering::Release);
        }
    }

    /// The next result ready, without waiting (an urgent job the compile thread has not
    /// started for [`TAKE_BACK_AFTER`] is generated here and then).
    pub fn try_next(&mut self) -> Option<Generated> {
        let generated = match self.ready.pop_front() {
            Some(generated) => generated,
            None => {
                let worker = self.worker.as_ref()?;
                // Cleared before looking: a result sent after the look sets it again.
                COMPILED_CODE_WAITING.store(false, Ordering::Release);
                match worker.results.try_recv() {
                    Ok(generated) => generated,
                    Err(_) => {
                        let late = take_back_late(&worker.queue)?;
                        self.taken_back += 1;
                        generate(late.number, late.job, Ran::TakenBack)
                    }
                }
            }
        };
        self.in_flight -= 1;
        Some(generated)
    }

    /// Generates job `number` here and now if the compile thread has not started it (it is
    /// then ready for [`Compiler::try_next`]); false if it has.
    pub fn take_back(&mut self, number: u64) -> bool {
        let Some(worker) = self.worker.as_ref() else { return false };
        let Ok(mut queue) = worker.queue.0.lock() else { return false };
        let found = queue.waiting.iter_mut().find_map(|jobs| {
            let at = jobs.iter().position(|queued| queued.number == number)?;
            jobs.remove(at)
        });
        drop(queue);
        let Some(queued) = found else { return false };
        self.taken_back += 1;
        self.ready.push_back(generate(queued.number, queued.job, Ran::TakenBack));
        true
    }

    /// Starts the compile threads now, if they are not running yet, the first one warming the
    /// compiler up (`lower_prewarm.rs`) for lists of `layout` before it takes jobs: called when
    /// the first recording starts, so that the first compile, a recording later, finds the
    /// one-time costs paid on that thread instead of the interpreter's.
    pub fn warm_up(&mut self, layout: ListLayout) {
        if self.worker.is_none() && !self.no_thread {
            self.worker = start_worker(Some(layout));
            self.no_thread = self.worker.is_none();
        }
    }

    /// The compile thread, started at the first call.
    fn worker(&mut self) -> Option<&mut Worker> {
        if self.worker.is_none() && !self.no_thread {
            self.worker = start_worker(None);
            self.no_thread = self.worker.is_none();
        }
        self.worker.as_mut()
    }
}

impl Default for Compiler {
    fn default() -> Compiler {
        Compiler::new()
    }
}

/// The oldest urgent job, if the compile thread has left it waiting too long (never blocks:
/// if the thread holds the lock, it is taking a job right now).
fn take_back_late(queue: &(Mutex<Queue>, Condvar)) -> Option<Queued> {
    let mut queue = queue.0.try_lock().ok()?;
    let urgent = &mut queue.waiting[0];
    if urgent.front()?.submitted.elapsed() < TAKE_BACK_AFTER {
        return None;
    }
    urgent.pop_front()
}

/// Starts the first compile thread (see [`spawn_thread`]), which warms the compiler up first
/// if `prewarm` gives the list layout; None if it could not be started.
fn start_worker(prewarm: Option<ListLayout>) -> Option<Worker> {
    let queue = Arc::new((Mutex::new(Queue::default()), Condvar::new()));
    let (results_out, results) = mpsc::channel::<Generated>();
    spawn_thread(&queue, &results_out, prewarm).then_some(Worker { queue, results, results_out, started: 1 })
}

/// Starts a compile thread: it warms the compiler up if `prewarm` gives the list layout
/// (`lower_prewarm.rs`), then takes the next job, urgent ones first, each kind in the order
/// submitted, generates its code and sends it back, until the interpreter's side is gone.
/// False if it could not be started.
fn spawn_thread(
    queue: &Arc<(Mutex<Queue>, Condvar)>,
    results_out: &Sender<Generated>,
    prewarm: Option<ListLayout>,
) -> bool {
    let shared = Arc::clone(queue);
    let results_out = results_out.clone();
    std::thread::Builder::new()
        .name("toyjit-compile".into())
        .stack_size(COMPILE_THREAD_STACK)
        .spawn(move || {
            if let Some(layout) = prewarm {
                lower::prewarm(&layout);
            }
            let mut finished = false;
            while let Some(next) = next_job(&shared, finished) {
                finished = true;
                if results_out.send(generate(next.number, next.job, Ran::Background)).is_err() {
                    break;
                }
                COMPILED_CODE_WAITING.store(true, Ordering::Release);
            }
        })
        .is_ok()
}

/// The compile thread's next job, waiting for one; `None` once the interpreter's side is gone.
/// `finished`: the thread has generated the job it took before.
fn next_job(shared: &(Mutex<Queue>, Condvar), finished: bool) -> Option<Queued> {
    let (queue, signal) = shared;
    let mut queue = queue.lock().ok()?;
    queue.running -= usize::from(finished);
    let mut collect = finished;
    loop {
        if queue.closed {
            return None;
        }
        if let Some(next) = queue.waiting.iter_mut().find_map(VecDeque::pop_front) {
            queue.running += 1;
            return Some(next);
        }
        if std::mem::take(&mut collect) {
            // Going idle: hand back the pages the compiles freed (an idle thread's allocator
            // heap never gives them back by itself), without holding the queue.
            drop(queue);
            crate::allocator::return_free_pages();
            queue = shared.0.lock().ok()?;
            continue;
        }
        queue = signal.wait(queue).ok()?;
    }
}

/// Generates one job's code on this thread, timing it.
fn generate(number: u64, job: CodegenJob, ran: Ran) -> Generated {
    let cpu = thread_cpu_time();
    let wall = Instant::now();
    let code = lower::codegen(job);
    // Without a thread clock, the wall time (the thread runs nothing else meanwhile).
    let wall = wall.elapsed();
    let cpu = match thread_cpu_time().checked_sub(cpu) {
        Some(spent) if !spent.is_zero() => spent,
        _ => wall,
    };
    Generated { job: number, code, cpu, wall, ran, done: Instant::now() }
}
