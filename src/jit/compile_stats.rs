//! Where compile time goes, per kind of compile, for `--stats`' second line.
//!
//! Each compile (a root, a side trace, a function entry, a tree compiled again as one function)
//! adds its IR size and its time, split into our optimizer, our lowering to Cranelift IR,
//! Cranelift's compile, and the code memory's module (`lower::CompileCost`). Touches nothing
//! but its own counters; `TOYJIT_COMPILE_LOG` set in the environment prints one line per
//! compile to stderr as well.

use std::time::Duration;

use super::lower::CompileCost;

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

/// Compile time by kind and by phase.
#[derive(Clone, Debug, Default)]
pub struct CompileStats {
    by_kind: [Tally; 4],
    optimizer: Duration,
    lowering: Duration,
    cranelift: Duration,
    module: Duration,
}

impl CompileStats {
    /// Counts one compile of `ir_insts` trace-IR instructions that took `total` in all, of
    /// which `optimizer` in our passes and `cost` in lowering and Cranelift.
    pub fn record(
        &mut self,
        kind: CompileKind,
        ir_insts: usize,
        optimizer: Duration,
        total: Duration,
        cost: &CompileCost,
    ) {
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
                "[compile] {:<22} ir {:>4} clif {:>5} insts {:>4} blocks: total {:>7.3} ms = optimizer {:.3} + lowering {:.3} + cranelift {:.3} + module {:.3}",
                kind.name(),
                ir_insts,
                cost.clif_insts,
                cost.clif_blocks,
                ms(total),
                ms(optimizer),
                ms(cost.lowering),
                ms(cost.cranelift),
                ms(cost.module)
            );
        }
    }

    /// The `--stats` line: per kind, compiles, IR instructions and milliseconds; then the
    /// phases over all compiles.
    pub fn line(&self) -> String {
        let kinds: Vec<String> = CompileKind::ALL
            .iter()
            .zip(&self.by_kind)
            .filter(|(_, t)| t.count > 0)
            .map(|(kind, t)| format!("{} {} ({} IR insts, {:.3} ms)", kind.name(), t.count, t.ir_insts, ms(t.total)))
            .collect();
        format!(
            "[jit] compiles: {}; optimizer {:.3} ms, lowering {:.3} ms, Cranelift {:.3} ms, code memory {:.3} ms",
            if kinds.is_empty() { "none".to_string() } else { kinds.join(", ") },
            ms(self.optimizer),
            ms(self.lowering),
            ms(self.cranelift),
            ms(self.module)
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
