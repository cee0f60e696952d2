//! The trace explorer (`toyjit run --explore REPORT.html FILE`): one self-contained HTML page
//! (inline CSS, script and SVG; no network; opens from disk) that shows what the JIT did with a
//! program: the source shaded by where the time went, the trace tree, each trace's bytecode,
//! IR through the optimizer's passes, Cranelift IR and machine code cross-linked by source
//! line, and the aborted recordings with advice. It is the second rendering of the trace model
//! (`jit::model`); `--trace-dump` is the first.
//!
//! - `data.rs`: the model as JSON, the page's only input;
//! - `json.rs`: the JSON writer;  `advice.rs`: what to change, per abort reason;
//! - `assets/`: the page's HTML, CSS and script, compiled in with `include_str!`.
//!
//! Touches nothing: the driver writes the text this returns.

mod advice;
mod data;
mod json;

use std::time::Duration;

use crate::jit::model::RunReport;

const TEMPLATE: &str = include_str!("assets/page.html");
const STYLE: &str = include_str!("assets/page.css");
const SCRIPT: &str = include_str!("assets/page.js");

/// The explorer page for a run of `source` (named `filename`) that took `run_time`.
pub fn page(filename: &str, source: &str, report: &RunReport, run_time: Duration) -> String {
    let data = data::page_data(filename, source, report, run_time);
    TEMPLATE
        .replace("{{title}}", &html_escape(filename))
        .replace("{{style}}", STYLE)
        .replace("{{script}}", SCRIPT)
        // The data goes in last: the program's source may contain the placeholders' text.
        .replace("{{data}}", &data)
}

/// Text made safe for HTML.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
