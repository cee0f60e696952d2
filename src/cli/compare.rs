//! `toyjit compare FILE`: placeholder.
pub fn run(_args: &super::args::CompareArgs) -> i32 {
    0
}
