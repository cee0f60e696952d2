//! Lowering trace IR to machine code with Cranelift.
//!
//! [`compile_trace`] checks a [`Trace`] with the IR verifier ([`verify_for_lowering`]: references
//! point backwards, operand and result types fit each opcode, snapshots only name values defined
//! before their guards, a root loops and a side trace links), then builds one Cranelift function `extern "C" fn(frame, globals, side exits) -> u32` in a `JITModule` of its own (so the code can be freed with the trace):
//!
//! ```text
//!   entry block:  the preamble, straight-line (each guard splits it: `brif` to a cold exit)
//!                 jump loop(entry values of the Phis)
//!   loop(phis):   the body; each Phi is a block parameter, so loop-carried ints and floats
//!                 live in registers; the body ends with jump loop(back values of the Phis)
//!   exitN:        one cold block per snapshot used: stores each (slot, value) of snapshot N
//!                 into the frame or the globals (numbers: tag byte + payload; lists and
//!                 functions: a runtime call that counts the reference) and returns N; or,
//!                 when writing it would take runtime calls, stores the values into the exit
//!                 buffer and jumps to the one restore block, whose one call writes the frame
//!                 by the exit's plan (`exit_plan.rs`), then returns N
//! ```
//!
//! Guards are always branches, never traps. The per-opcode lowering lives in `lower_ops.rs`;
//! exits, links and side traces lowered inside their parent's exit in `lower_exits.rs`.
//!
//! [`compile_tree`] builds one function for a whole trace tree: each side trace's code goes into
//! the exit block of the guard it starts from (after the exit's stores, or with them handed over
//! to the side trace: `exit_handover.rs`), starting from the values its parent had
//! (`snap::known_at_exit`), and its `Link` back to the root jumps to the root's start block, or
//! to its loop header with the carried values (`loop_link.rs`), instead of returning.
//!
//! Compile time: the target ISA is built once per process and Cranelift's contexts are reused
//! (per thread) between small compiles (`lower_contexts.rs`); only the code memory belongs to
//! each trace. Text listings
//! (Cranelift IR, machine code) are produced only when the dump asks for them.
//!
//! Touches: the frame, globals and list memory that the generated code reads and writes (nothing
//! at compile time); allocates executable memory owned by the returned [`CompiledTrace`].

pub use super::compile_stats::CompileCost;
use std::collections::HashMap;

use cranelift_codegen::ir::{self, AbiParam, Block, BlockArg, InstBuilder, types};

pub use crate::interp::engine::native::NativeEntry;
use cranelift_codegen::isa::{TargetFrontendConfig, TargetIsa};

use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

use super::exit_plan::{self, ExitPlan};
use super::ir::verify::{Shape, place_of_verified, verify_for_lowering};
use super::ir::{IrRef, Op, Trace, Type};
use super::layout::ListLayout;
use super::snap::Known;
use super::{compile_guard, exit_handover, loop_link};

#[path = "lower_ops.rs"]
mod ops;

#[path = "lower_calls.rs"]
mod calls;

#[path = "lower_tuples.rs"]
mod tuples;

#[path = "lower_old_elements.rs"]
mod old_elements;
#[path = "lower_old_tuples.rs"]
mod old_tuples;
#[path = "lower_tuple_blocks.rs"]
mod tuple_blocks;

#[path = "lower_call_garbage.rs"]
mod call_garbage;

#[path = "lower_lists.rs"]
mod lists;

#[path = "lower_bigints.rs"]
mod bigints;
#[path = "lower_clear_slots.rs"]
mod clear_slots;
#[path = "lower_dicts.rs"]
mod dicts;
#[path = "lower_slot_facts.rs"]
mod slot_facts;

#[path = "lower_entry_poll.rs"]
mod entry_poll;
#[path = "lower_exit_chains.rs"]
mod exit_chains;
#[path = "lower_exits.rs"]
mod exits;
#[path = "lower_loop_link.rs"]
mod loop_link_lowering;
#[path = "lower_str_append.rs"]
mod str_append;
#[path = "lower_str_direct.rs"]
mod str_direct;
#[path = "lower_strings.rs"]
mod strings;
pub use strings::is_helper;

#[path = "lower_code_memory.rs"]
mod code_memory;
#[path = "lower_codegen.rs"]
mod codegen;
#[path = "lower_contexts.rs"]
mod contexts;
#[path = "lower_memory.rs"]
mod memory;
#[path = "lower_module.rs"]
mod module;
#[path = "lower_prewarm.rs"]
mod prewarm;
use codegen::prepare_with;
pub use codegen::{Code, CodegenJob, FinishParts, Prepared, codegen, finish};
pub use prewarm::prewarm;

#[path = "lower_imports.rs"]
mod imports;
use imports::RuntimeFunctions;

/// Machine code for one trace, and the module that owns it (freed on drop).
pub struct CompiledTrace {
    /// Runs the trace on the frame whose slot 0 is at `frame`; returns the index of the
    /// snapshot of the exit taken (traces never return otherwise).
    pub entry: NativeEntry,
    /// The Cranelift IR text as generated (before Cranelift's own optimizations), when asked for.
    pub clif: Option<String>,
    /// The machine code listing, when asked for.
    pub disassembly: Option<String>,
    /// Bytes of machine code.
    pub code_size: usize,
    /// The functions and builtins whose addresses the code holds (`ConstObj`), per member.
    _objects: Box<[Box<[crate::interp::objects::value::Value]>]>,
    /// The plans of exits written by one runtime call, whose addresses the code holds.
    _exit_plans: Vec<Box<ExitPlan>>,
    /// Owns the code memory: held only to be freed on drop.
    _code: codegen::CodeHome,
    /// Where this compile's time went (for `--stats`).
    pub cost: CompileCost,
}

/// Which text listings [`compile_trace`] produces. Only the dump reads them, and printing the
/// Cranelift IR costs about a sixth of the compile time, so the default is none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Listings {
    /// The Cranelift IR text.
    pub clif: bool,
    /// The machine code listing.
    pub disassembly: bool,
}

/// Compiles `trace` to machine code on this thread. `layout` locates a list's elements and
/// length. Returns `Err` for any trace it cannot or must not compile, and for a panic while
/// compiling (`compile_guard.rs`): never panics.
pub fn compile_trace(
    trace: &Trace,
    layout: &ListLayout,
    place: TreePlace,
    listings: Listings,
) -> Result<CompiledTrace, String> {
    prepare_tree(&[TreeMember { trace, place, parent: None, verified: false }], layout, listings)?.compile_here()
}

/// The first part of [`compile_trace`] (`lower_codegen.rs`) for a trace the optimizer made (and
/// verified): the Cranelift function, ready for code generation on any thread.
pub fn prepare_trace(
    trace: &Trace,
    layout: &ListLayout,
    place: TreePlace,
    listings: Listings,
) -> Result<Prepared, String> {
    prepare_tree(&[TreeMember { trace, place, parent: None, verified: true }], layout, listings)
}

/// Prepares side trace `trace` (the optimizer's, verified) for the time until its tree is compiled again as one function
/// (which replaces this code): as cheaply as Cranelift can, its single-pass register allocator
/// (a compile about a third cheaper; the code keeps values in stack slots across its guards).
pub fn prepare_side_trace_for_now(
    trace: &Trace,
    layout: &ListLayout,
    place: TreePlace,
    listings: Listings,
) -> Result<Prepared, String> {
    compile_guard::guarded(|| {
        let members = [TreeMember { trace, place, parent: None, verified: true }];
        let shapes = check_members(&members)?;
        prepare_with(&members, layout, listings, &shapes, Tier::ForNow, &Handover::default())
    })
}

/// How a tree compiled as one function passes state on, per member (empty: as written).
#[derive(Default)]
struct Handover {
    /// Does it take its parent's exit's writes over (`exit_handover.rs`)? That exit then
    /// writes nothing.
    takes_over: Vec<bool>,
    /// Does its `Link` to the root enter the root's loop body with the carried values
    /// (`loop_link.rs`)?
    enters_body: Vec<bool>,
}

/// One trace of a tree compiled as one function (see [`compile_tree`]).
#[derive(Clone, Copy)]
pub struct TreeMember<'a> {
    pub trace: &'a Trace,
    pub place: TreePlace,
    /// For a side trace: the member (an earlier index) and snapshot whose exit runs it.
    pub parent: Option<(usize, u32)>,
    /// Did `trace` pass the IR verifier already (the optimizer's result)? Then only the checks
    /// of its place are made again (`verify::place_of_verified`).
    pub verified: bool,
}

/// Compiles a trace tree as one function: `members[0]` is the root (or a lone side trace), and
/// each other member is a side trace whose code goes where its parent's exit would leave: after
/// the exit writes its snapshot, the side trace runs on, and its `Link` back to the root jumps
/// to the root's start instead of returning to the VM. Exit numbers, side-exit tables and what
/// each exit writes are the same as when the members are compiled one by one.
pub fn compile_tree(
    members: &[TreeMember<'_>],
    layout: &ListLayout,
    listings: Listings,
) -> Result<CompiledTrace, String> {
    prepare_tree(members, layout, listings)?.compile_here()
}

/// The first part of [`compile_tree`], on the interpreter's thread (`lower_codegen.rs`).
pub fn prepare_tree(members: &[TreeMember<'_>], layout: &ListLayout, listings: Listings) -> Result<Prepared, String> {
    compile_guard::guarded(|| prepare_tree_unguarded(members, layout, listings))
}

fn prepare_tree_unguarded(
    members: &[TreeMember<'_>],
    layout: &ListLayout,
    listings: Listings,
) -> Result<Prepared, String> {
    // Exits whose side trace runs on in the function and takes their writes over: those side
    // traces are compiled from the traces `exit_handover` makes (each exit then writes nothing).
    let handover: Vec<exit_handover::Member<'_>> =
        members.iter().map(|m| exit_handover::Member { trace: m.trace, parent: m.parent }).collect();
    let taken = exit_handover::hand_over(&handover);
    let handover: Vec<exit_handover::Member<'_>> = handover
        .iter()
        .zip(&taken)
        .map(|(m, taken)| exit_handover::Member { trace: taken.as_ref().unwrap_or(m.trace), parent: m.parent })
        .collect();
    let members: Vec<TreeMember<'_>> = members
        .iter()
        .zip(&taken)
        .map(|(m, taken)| match taken {
            // A trace the hand-over made is verified here.
            Some(taken) => TreeMember { trace: taken, verified: false, ..*m },
            None => *m,
        })
        .collect();
    let members = &members[..];
    let shapes = check_members(members)?;
    // A side trace compiled on its own is straight-line code, and is compiled again inside
    // its tree once the tree settles (or runs rarely): Cranelift's e-graph optimizer, a
    // quarter of its time, buys little there (measured on bench/poly.toy).
    let tier = if members.len() > 1 || members[0].place.is_root { Tier::Optimized } else { Tier::Plain };
    // Cranelift's working memory is kept for the next compile or handed back at once
    // (`lower_contexts.rs`).
    let handover = Handover {
        takes_over: taken.iter().map(Option::is_some).collect(),
        enters_body: loop_link::links_into_body(&handover),
    };
    prepare_with(members, layout, listings, &shapes, tier, &handover)
}

/// How much Cranelift works on a function (see `lower_module.rs`'s `host_isa`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tier {
    /// Roots and trees: the e-graph optimizer and the backtracking register allocator.
    Optimized,
    /// A side trace on its own: no e-graph optimizer.
    Plain,
    /// A side trace whose tree will soon be compiled again as one function: no e-graph
    /// optimizer, the single-pass register allocator.
    ForNow,
}

/// Checks a tree's members (their order and parents, and each trace with the verifier) and
/// returns their shapes.
fn check_members(members: &[TreeMember<'_>]) -> Result<Vec<Shape>, String> {
    let mut shapes = Vec::with_capacity(members.len());
    for (i, member) in members.iter().enumerate() {
        if i > 0 && (member.place.is_root || member.place.root_trace != members[0].place.root_trace) {
            return Err(format!("member {i} is not a side trace of the first member's tree"));
        }
        match member.parent {
            None if i > 0 => return Err(format!("member {i} has no parent")),
            Some((parent, snap)) => {
                if parent >= i || snap as usize >= members[parent].trace.snapshots.len() {
                    return Err(format!("member {i} hangs from a later member or a missing exit"));
                }
                if members[..i].iter().any(|m| m.parent == member.parent) {
                    return Err(format!("member {i} shares its exit with another side trace"));
                }
            }
            None => {}
        }
        let check = if member.verified { place_of_verified } else { verify_for_lowering };
        shapes.push(check(member.trace, member.place.is_root, member.place.exit_base)?);
    }
    if members.len() > 1 && !members[0].place.is_root {
        return Err("a tree compiled as one function starts with its root".into());
    }
    Ok(shapes)
}

/// Where a trace sits in its trace tree: decides what its exits return and how it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreePlace {
    /// The number of the tree's exits before this trace's: exit `snap` returns `exit_base + snap`.
    pub exit_base: u32,
    /// The root trace's number: a `Link` to it re-enters the root's loop.
    pub root_trace: u32,
    /// Is this the root (a loop) rather than a side trace?
    pub is_root: bool,
    /// Is it entered by calls of its function (a function's entry tree's root, an entry
    /// prefix)? Its function then starts by polling for compiled code waiting
    /// (`lower_entry_poll.rs`).
    pub polls_at_entry: bool,
}

impl TreePlace {
    /// A root trace: its exits are numbered from 0.
    pub fn root(trace_id: u32) -> TreePlace {
        TreePlace { exit_base: 0, root_trace: trace_id, is_root: true, polls_at_entry: false }
    }

    /// A side trace of the tree of `root_trace`, its exits numbered from `exit_base`.
    pub fn side(exit_base: u32, root_trace: u32) -> TreePlace {
        TreePlace { exit_base, root_trace, is_root: false, polls_at_entry: false }
    }

    /// The same place, entered by calls of its function (see [`TreePlace::polls_at_entry`]).
    pub fn entered_by_calls(self) -> TreePlace {
        TreePlace { polls_at_entry: true, ..self }
    }
}

/// `(frame, globals, side-exit table) -> exit number`, for every trace; the Ctrl-C flag is the
/// symbol `runtime::INTERRUPT_FLAG`.
fn entry_signature(isa: &dyn TargetIsa) -> ir::Signature {
    let pointer = isa.frontend_config().pointer_type();
    let mut signature = ir::Signature::new(isa.default_call_conv());
    signature.params.extend([pointer; 3].map(AbiParam::new));
    signature.returns.push(AbiParam::new(types::I32));
    signature
}

/// The Cranelift type of an IR value (`None` for `Void`).
fn cl_type(ty: Type) -> Option<ir::Type> {
    match ty {
        // An object is the address of its `Value` (see `CompiledTrace::_objects`).
        Type::Int | Type::Ptr | Type::Tuple | Type::Str | Type::Dict | Type::Big | Type::Iter | Type::Obj => {
            Some(types::I64)
        }
        Type::Float => Some(types::F64),
        // `None` is its type: an i8 that is always 0 (a Phi or an exit needs some value).
        Type::Bool | Type::NoneType => Some(types::I8),
        Type::Void => None,
    }
}

/// The state of lowering a trace tree into one Cranelift function.
struct Lowerer<'a, 'f> {
    b: FunctionBuilder<'f>,
    layout: &'a ListLayout,
    /// The frame pointer (the function's first parameter).
    frame: ir::Value,
    /// The module's globals (`Vm::globals`, the second parameter): where global slots live.
    globals: ir::Value,
    /// The runtime functions the traces call.
    runtime: RuntimeFunctions,
    /// Does any trace of the tree append to lists? Then list lengths and element pointers may
    /// change.
    lists_resize: bool,
    /// The traces of the tree, their shapes and their `ConstObj` objects.
    members: &'a [TreeMember<'a>],
    /// How state passes from exits to side traces and from links to the loop.
    handover: &'a Handover,
    shapes: &'a [Shape],
    objects: &'a [Box<[crate::interp::objects::value::Value]>],
    /// Where the root trace starts (its preamble): a side trace's `Link` to the root jumps here
    /// when the tree is one function.
    root_start: Option<Block>,
    /// The root's loop header and its `Phi`s (slot, type), once lowered, when the tree is one
    /// function: a link into the body jumps there (`loop_link.rs`).
    root_loop: Option<(Block, Vec<(u16, Type)>)>,
    /// The trace being lowered.
    t: TraceState<'a>,
    /// The plans of the exits that write through one runtime call (owned by the compiled
    /// trace: the code holds their addresses), and the stack buffer their values go through.
    exit_plans: Vec<Box<ExitPlan>>,
    exit_buffer: Option<ir::StackSlot>,
    /// The address of the thread's free lists of tuple blocks, read at the function's entry
    /// when a trace pops them inline (`lower_tuple_blocks.rs`).
    tuple_blocks: Option<ir::Value>,
    /// May this run free the elements list stores replace at once (`lower_old_tuples.rs`)?
    /// Read at the function's entry when a trace frees an element whose shape it knows.
    frees_at_once: Option<ir::Value>,
    /// The memory flags the loads and stores use, interned in the function (`lower_memory.rs`).
    mem_flags: Vec<(ir::MemFlagsData, ir::MemFlags)>,
}

/// What lowering one trace of the tree keeps (swapped out while a side trace is lowered inside
/// one of its exits).
struct TraceState<'a> {
    /// Its index in `Lowerer::members`.
    member: usize,
    trace: &'a Trace,
    place: TreePlace,
    /// This trace's side-exit table (the root's is the fourth parameter; a side trace's is
    /// loaded from its parent's table).
    side_exits: ir::Value,
    /// The objects of `ConstObj`, kept alive by the compiled code.
    objects: &'a [crate::interp::objects::value::Value],
    /// The Cranelift value of each IR instruction, once lowered.
    vals: Vec<Option<ir::Value>>,
    /// For a `ModInt`, its truncated (C) remainder: zero exactly when Python's is.
    truncated: Vec<Option<ir::Value>>,
    /// The exit block of each snapshot, created when a guard first needs it.
    exits: Vec<Option<Block>>,
    /// For a side trace inside its tree's function: what the frame's slots are known to hold
    /// when it starts (the values its parent wrote at the exit or had loaded), so that its
    /// slot loads and tag guards need not go to memory.
    inherited: HashMap<u16, Known<ir::Value>>,
    /// In straight-line code, the frame slots known to hold no heap value (`lower_slot_facts.rs`).
    heap_free: Option<std::collections::HashSet<u16>>,
    /// The tuples whose reference goes straight to their one consumer
    /// (`lower_tuples::handed_over_tuples`).
    handed_over: Vec<bool>,
    /// The list stores that free the element they replace at once
    /// (`lower_old_elements::frees_old_element`).
    frees_old: Vec<bool>,
    /// The old elements of those stores whose shape the trace knows
    /// (`lower_old_tuples::old_elements`).
    old_elements: Vec<Option<old_tuples::OldElement>>,
    /// The block whose one call writes the exits leaving for the VM by their plans.
    restore: Option<Block>,
    /// Per call (`CallNative`, `CallInterp`): the values it keeps alive for the caller
    /// (`lower_call_garbage::borrowed_across_calls`). A native call with none drops its
    /// callee's garbage when the callee returns.
    borrowed_across_calls: Vec<Vec<IrRef>>,
    /// The string helpers called directly (`lower_str_direct::direct_kinds`).
    direct_kinds: Vec<Option<str_direct::Direct>>,
}

impl<'a> TraceState<'a> {
    fn new(
        member: usize,
        members: &'a [TreeMember<'a>],
        objects: &'a [Box<[crate::interp::objects::value::Value]>],
        side_exits: ir::Value,
    ) -> TraceState<'a> {
        let trace = members[member].trace;
        let handed_over = tuples::handed_over_tuples(trace);
        let frees_old = old_elements::frees_old_element(trace);
        TraceState {
            member,
            trace,
            place: members[member].place,
            side_exits,
            objects: &objects[member],
            vals: vec![None; trace.insts.len()],
            truncated: vec![None; trace.insts.len()],
            exits: vec![None; trace.snapshots.len()],
            inherited: HashMap::new(),
            heap_free: None,
            old_elements: old_tuples::old_elements(trace, &frees_old, &handed_over),
            handed_over,
            frees_old,
            restore: None,
            borrowed_across_calls: call_garbage::borrowed_across_calls(trace),
            direct_kinds: str_direct::direct_kinds(trace),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn build_function(
    func: &mut ir::Function,
    builder_ctx: &mut FunctionBuilderContext,
    config: TargetFrontendConfig,
    members: &[TreeMember<'_>],
    layout: &ListLayout,
    shapes: &[Shape],
    runtime: RuntimeFunctions,
    objects: &[Box<[crate::interp::objects::value::Value]>],
    handover: &Handover,
) -> Result<Vec<Box<ExitPlan>>, String> {
    let mut b = FunctionBuilder::new(func, builder_ctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let frame = b.block_params(entry)[0];
    let globals = b.block_params(entry)[1];
    let side_exits = b.block_params(entry)[2];
    // With side traces in the function, the root's start is a block of its own that their
    // links jump back to.
    let root_start = (members.len() > 1).then(|| b.create_block());
    let mut lw = Lowerer {
        b,
        layout,
        frame,
        globals,
        runtime,
        // Calls may run code that resizes lists too.
        lists_resize: members.iter().any(|m| m.trace.insts.iter().any(|i| i.op.resizes_lists())),
        members,
        handover,
        shapes,
        objects,
        root_start,
        root_loop: None,
        t: TraceState::new(0, members, objects, side_exits),
        exit_plans: Vec::new(),
        exit_buffer: None,
        tuple_blocks: None,
        frees_at_once: None,
        mem_flags: Vec::new(),
    };
    // Still in the entry block (before the root's start, which links jump back to).
    if members[0].place.polls_at_entry {
        lw.poll_at_entry();
    }
    lw.tuple_blocks = lw.read_tuple_blocks(members);
    lw.frees_at_once = lw.read_frees_at_once(members);
    if let Some(start) = root_start {
        lw.b.ins().jump(start, &[]);
        lw.b.switch_to_block(start);
    }
    let buffer_bytes = members.iter().map(|m| exit_plan::buffer_bytes(m.trace)).max().unwrap_or(0);
    if buffer_bytes > 0 && lw.runtime.write_exit.is_some() {
        let data = ir::StackSlotData::new(ir::StackSlotKind::ExplicitSlot, buffer_bytes, 3);
        lw.exit_buffer = Some(lw.b.create_sized_stack_slot(data));
    }
    lw.lower_member()?;
    lw.b.seal_all_blocks();
    lw.b.finalize(config);
    Ok(lw.exit_plans)
}

impl Lowerer<'_, '_> {
    /// Lowers the trace `self.t` names from the current block on: its body, its end (a jump
    /// back to the loop, or a `Link`), then its exits (with any side traces of the tree).
    fn lower_member(&mut self) -> Result<(), String> {
        let trace = self.t.trace;
        let Some(loop_at) = self.shapes[self.t.member].loop_at else {
            // A side trace (or a root linking to another loop): straight-line code, ending in `Link`.
            let (last, straight) = trace.insts.split_last().ok_or("an empty side trace")?;
            self.keep_slot_facts();
            for at in 0..straight.len() {
                self.lower(IrRef(at as u32))?;
                self.note_slot_effects(IrRef(at as u32));
            }
            match last.op {
                Op::Link { trace: target, snap } => self.link(target, snap)?,
                Op::Leave { snap } => self.leave(snap)?,
                Op::Ret { value, snap } => self.ret(value, snap)?,
                _ => return Err("a side trace must end in Link, Leave or Ret".into()),
            }
            return self.emit_exits();
        };
        for at in 0..loop_at {
            self.lower(IrRef(at as u32))?;
        }
        // The loop header: one block parameter per Phi, in order.
        let header = self.b.create_block();
        let phis = self.shapes[self.t.member].phis;
        let mut entry_args = Vec::with_capacity(phis);
        let mut back_refs = Vec::with_capacity(phis);
        for at in loop_at + 1..loop_at + 1 + phis {
            let inst = trace.insts[at];
            let Op::Phi { entry, back, ty, .. } = inst.op else { return Err(format!("%{at} is not a Phi")) };
            entry_args.push(BlockArg::Value(self.val(entry)?));
            back_refs.push(back);
            let cl_ty = cl_type(ty).ok_or("a void Phi")?;
            self.t.vals[at] = Some(self.b.append_block_param(header, cl_ty));
        }
        self.b.ins().jump(header, &entry_args);
        self.b.switch_to_block(header);
        if self.t.member == 0 && self.root_start.is_some() {
            let phis = trace.insts[loop_at + 1..loop_at + 1 + phis].iter().filter_map(|inst| match inst.op {
                Op::Phi { slot, .. } => Some((slot, inst.ty)),
                _ => None,
            });
            self.root_loop = Some((header, phis.collect()));
        }
        for at in loop_at + 1 + phis..trace.insts.len() {
            self.lower(IrRef(at as u32))?;
        }
        let back_args = back_refs.iter().map(|&r| self.val(r).map(BlockArg::Value)).collect::<Result<Vec<_>, _>>()?;
        if tuples::makes_garbage(trace) {
            // The garbage may hold what a carried heap pointer points to: those are counted
            // first (`lower_strings.rs`).
            let carried: Vec<IrRef> = back_refs.iter().copied().filter(|&r| trace.ty(r).is_heap()).collect();
            if carried.is_empty() {
                self.drop_garbage_at_back_edge()?;
            } else {
                self.drop_garbage_carrying(&carried)?;
            }
        }
        self.b.ins().jump(header, &back_args);
        self.emit_exits()
    }

    /// The Cranelift value of IR value `r` (validation guarantees it is already lowered).
    fn val(&self, r: IrRef) -> Result<ir::Value, String> {
        self.t.vals.get(r.0 as usize).copied().flatten().ok_or_else(|| format!("{r} is used before it is defined"))
    }
}

#[cfg(test)]
#[path = "lower_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "lower_cost_tests.rs"]
mod cost_tests;
