//! The `toyjit` binary's command line, apart from `main` itself: the argument grammar
//! ([`args`]) and the `compare` command ([`compare`]).

pub mod args;
pub mod compare;
