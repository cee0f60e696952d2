//! Where programs print: stdout, buffered as CPython buffers it (8 KiB to a pipe or file, by
//! line to a terminal), or a string buffer (tests, the REPL's capture).
//!
//! Write errors are reported, never panicked on, as CPython reports them: a flush that fails
//! while the program runs is an exception at the `print` that caused it
//! ([`output_error`]: `BrokenPipeError: [Errno 32] Broken pipe` when the reader of a pipe has
//! gone, `OSError: [Errno 28] No space left on device` for `/dev/full`), and the bytes that
//! could not be written are dropped (CPython does not retry them at exit). A flush that fails
//! at exit is [`Output::finish`]'s "Exception ignored" report, after which python3 exits 120.

use std::io::{self, IsTerminal, Write};

use crate::interp::objects::error::{ExcKind, RtError};

/// CPython's buffer size for a non-terminal stdout (`io.DEFAULT_BUFFER_SIZE`): a program
/// whose output fits in it writes nothing until it ends.
const BUFFER_SIZE: usize = 8192;

/// The exit status of python3 when flushing stdout fails at exit.
pub const FLUSH_AT_EXIT_FAILED: i32 = 120;

pub enum Output {
    /// Stdout: `pending` is written when it reaches `BUFFER_SIZE` or, on a terminal
    /// (`by_line`), at each newline.
    Stdout { pending: Vec<u8>, by_line: bool },
    /// Collected in memory.
    Capture(Vec<u8>),
}

impl Output {
    /// Stdout, buffered the way CPython buffers it.
    pub fn stdout() -> Output {
        Output::Stdout { pending: Vec::with_capacity(BUFFER_SIZE), by_line: io::stdout().is_terminal() }
    }

    /// The captured text (empty unless this is a `Capture`).
    pub fn captured(&self) -> String {
        match self {
            Output::Capture(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        }
    }

    /// Flushes at the end of a run: `None`, or CPython's report of the failed flush (python3
    /// then exits with [`FLUSH_AT_EXIT_FAILED`]).
    pub fn finish(&mut self) -> Option<String> {
        let (kind, message) = describe(&self.flush().err()?);
        Some(format!(
            "Exception ignored in: <_io.TextIOWrapper name='<stdout>' mode='w' encoding='utf-8'>\n{}: {message}\n",
            kind.name()
        ))
    }
}

/// Writes `bytes` to stdout; on an error the bytes not written are dropped.
fn write_out(pending: &mut Vec<u8>) -> io::Result<()> {
    let result = io::stdout().lock().write_all(pending);
    pending.clear();
    result
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout { pending, by_line } => {
                pending.extend_from_slice(buf);
                if pending.len() >= BUFFER_SIZE || (*by_line && buf.contains(&b'\n')) {
                    write_out(pending)?;
                }
            }
            Output::Capture(v) => v.extend_from_slice(buf),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout { pending, .. } if !pending.is_empty() => write_out(pending),
            _ => Ok(()),
        }
    }
}

/// The Python exception for a failed write to stdout, with CPython's message
/// (`[Errno 32] Broken pipe`).
pub fn output_error(error: &io::Error) -> RtError {
    let (kind, message) = describe(error);
    RtError::new(kind, message)
}

/// The exception class and message CPython gives a failed write.
fn describe(error: &io::Error) -> (ExcKind, String) {
    let kind = if error.kind() == io::ErrorKind::BrokenPipe { ExcKind::BrokenPipeError } else { ExcKind::OSError };
    let message = match error.raw_os_error() {
        Some(code) => {
            // io::Error shows "No space left on device (os error 28)"; CPython "[Errno 28] No space ...".
            let text = error.to_string();
            let description = text.strip_suffix(&format!(" (os error {code})")).unwrap_or(&text).to_string();
            format!("[Errno {code}] {description}")
        }
        None => error.to_string(),
    };
    (kind, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_read_as_cpython_prints_them() {
        let pipe = describe(&io::Error::from_raw_os_error(32));
        assert_eq!(pipe, (ExcKind::BrokenPipeError, "[Errno 32] Broken pipe".to_string()));
        let full = describe(&io::Error::from_raw_os_error(28));
        assert_eq!(full, (ExcKind::OSError, "[Errno 28] No space left on device".to_string()));
        assert_eq!(output_error(&io::Error::from_raw_os_error(32)).kind(), ExcKind::BrokenPipeError);
    }

    #[test]
    fn a_capture_keeps_everything() {
        let mut out = Output::Capture(Vec::new());
        out.write_all(b"a\n").unwrap();
        assert!(out.finish().is_none());
        assert_eq!(out.captured(), "a\n");
    }
}
