//! Parses every program in the shared conformance suite and benchmarks.
//!
//! Ordinary programs must parse; `err_syntax_*` ones must fail with the exception class in
//! their `.err` file; `unsupported/*` ones must fail with a "not supported" error naming the
//! feature on the line their `.note` gives. The folders live next to the crate
//! (`../shared`); set `TOYJIT_SHARED` to point elsewhere. Missing folders are skipped.

use crate::parser::{SyntaxErrorKind, parse};
use std::path::{Path, PathBuf};

fn shared_dir() -> PathBuf {
    match std::env::var("TOYJIT_SHARED") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")),
    }
}

fn toy_files(dir: &Path) -> Option<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toy"))
        .collect();
    files.sort();
    Some(files)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn conformance_and_bench_programs() {
    let root = shared_dir();
    let mut checked = 0;
    for sub in ["conformance", "bench"] {
        let Some(files) = toy_files(&root.join(sub)) else {
            eprintln!("note: {} missing; skipping", root.join(sub).display());
            continue;
        };
        for path in files {
            let src = read(&path);
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
            let result = parse(&src);
            if name.starts_with("err_syntax_") {
                let class = read(&path.with_extension("err")).trim().to_string();
                let e = result.expect_err(&name);
                assert_eq!(e.kind.class_name(), class, "{name}: {e}");
                assert_ne!(e.kind, SyntaxErrorKind::NotSupported, "{name}");
            } else if let Err(e) = result {
                panic!("{} does not parse: {e}\n{}", path.display(), e.render(&name, &src));
            }
            checked += 1;
        }
    }
    eprintln!("checked {checked} programs");
}

#[test]
fn unsupported_programs() {
    let dir = shared_dir().join("conformance/unsupported");
    let Some(files) = toy_files(&dir) else {
        eprintln!("note: {} missing; skipping", dir.display());
        return;
    };
    for path in files {
        let src = read(&path);
        let note = read(&path.with_extension("note"));
        let e = parse(&src).expect_err(&path.display().to_string());
        let rendered = e.render("prog.toy", &src);
        assert_eq!(e.kind, SyntaxErrorKind::NotSupported, "{}: {rendered}", path.display());
        assert!(e.message.contains("not supported"), "{rendered}");
        // The note names the line as "(line N)" or "line N".
        let line = note
            .split("line ")
            .skip(1)
            .find_map(|s| s.chars().take_while(|c| c.is_ascii_digit()).collect::<String>().parse::<u32>().ok());
        assert_eq!(Some(e.line), line, "{}: {rendered}", path.display());
        assert!(rendered.contains(&format!("line {}", e.line)));
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let feature = match stem.trim_start_matches("unsup_") {
            "class" => "class",
            "decorator" => "decorator",
            "import_os" => "'os'",
            "nonlocal" => "nonlocal",
            "star_args" => "*args",
            "tab_indent" => "tab",
            "with" => "with",
            "yield" => "yield",
            other => other,
        };
        assert!(e.message.contains(feature), "{stem}: {}", e.message);
    }
}
