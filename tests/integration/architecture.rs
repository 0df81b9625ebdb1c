//! The layering of `src/`, checked against ARCHITECTURE.md: every `crate::` path in a module
//! names a module its row in the table allows, and the table itself has no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::helpers::repo;

/// The "Layers" table of ARCHITECTURE.md: module → the modules it may use.
fn allowed() -> BTreeMap<String, BTreeSet<String>> {
    let doc = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    let table = doc
        .split("| module | may use |")
        .nth(1)
        .expect("ARCHITECTURE.md has the layers table");
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            let uses = cells[1]
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect();
            (cells[0].to_string(), uses)
        })
        .collect()
}

/// The top-level module a file of `src/` belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules named by `crate::x` paths in `text`, comments left out.
fn used_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let before = code[..i].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `kotacerdas::crate::` cannot occur; `mycrate::` is not ours
            }
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
        // `use crate::{a, b::c}`
        if let Some(group) = code.split("crate::{").nth(1) {
            for part in group.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

#[test]
fn every_module_uses_only_what_architecture_md_allows() {
    let allowed = allowed();
    let src = repo().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut failures = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let Some(may) = allowed.get(&module) else {
            failures.push(format!("module {module} has no row in ARCHITECTURE.md"));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in used_modules(&text) {
            if used != module && !may.contains(&used) {
                failures.push(format!(
                    "{} uses crate::{used}, which ARCHITECTURE.md does not allow {module}",
                    file.strip_prefix(repo()).unwrap().display()
                ));
            }
        }
    }
    failures.sort();
    failures.dedup();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_layers_table_names_real_modules_and_has_no_cycle() {
    let allowed = allowed();
    for (module, uses) in &allowed {
        for u in uses {
            assert!(
                allowed.contains_key(u),
                "{module} may use {u}, which has no row"
            );
        }
    }
    // Depth-first search for a path back to the start.
    fn reaches(
        allowed: &BTreeMap<String, BTreeSet<String>>,
        from: &str,
        target: &str,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        allowed[from].iter().any(|next| {
            next == target || (seen.insert(next.clone()) && reaches(allowed, next, target, seen))
        })
    }
    for module in allowed.keys() {
        assert!(
            !reaches(&allowed, module, module, &mut BTreeSet::new()),
            "{module} reaches itself through the layers table"
        );
    }
}

#[test]
fn the_path_scanner_sees_use_lines_groups_and_inline_paths_but_not_comments() {
    let text = "use crate::region::RegionCode;\nuse crate::{chart, view::Measure};\n\
                let x = crate::score::compute();\n// crate::server is only mentioned\n";
    let used: Vec<String> = used_modules(text).into_iter().collect();
    assert_eq!(used, ["chart", "region", "score", "view"]);
}
