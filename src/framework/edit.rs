//! Writing goalposts into a framework file, keeping everything else as it is written.
//!
//! The file is edited as text, line by line, so its comments, order and layout survive: each
//! `[[indicator]]` block gets (or has replaced) its `goalposts = [worst, best]` line and, for an
//! indicator per resident, its `typical = …` line (see `[small_regions]`), the
//! top-level `normalisation = "goalposts"` is set, a `[methods]` table's own `normalise` and
//! `normalise_within` are removed (the normalisation decides them), and the version is bumped,
//! because published scores are only comparable within one version. The result is loaded back
//! before it is written, so a file is never left in a state the framework loader refuses.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Framework, FrameworkError};

/// What a base period fixes for one indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// `[worst, best]`.
    pub goalposts: [f64; 2],
    /// The typical value (the base's median), for the indicators `[small_regions]` weighs.
    pub typical: Option<f64>,
}

/// The text of `text` with `goalposts` (per indicator id) written in, normalisation on
/// goalposts and the version `version`.
pub fn with_goalposts(text: &str, goalposts: &BTreeMap<String, Scale>, version: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut section = String::new();
    let mut indicator: Option<String> = None;
    let mut saw_normalisation = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            close_indicator(&mut out, indicator.take(), goalposts);
            section = trimmed.to_string();
        }
        let key = trimmed.split('=').next().unwrap_or("").trim();
        match (section.as_str(), key) {
            ("", "version") => {
                out.push(format!("version = \"{version}\""));
                continue;
            }
            ("", "normalisation") => {
                saw_normalisation = true;
                out.push("normalisation = \"goalposts\"".into());
                continue;
            }
            ("[methods]", "normalise" | "normalise_within") => continue,
            ("[[indicator]]", "goalposts" | "typical") => continue,
            ("[[indicator]]", "id") => {
                indicator = trimmed
                    .split('=')
                    .nth(1)
                    .map(|v| v.trim().trim_matches('"').to_string());
            }
            _ => {}
        }
        // A blank line ends an indicator block as it is laid out in the shipped files.
        if trimmed.is_empty() && section == "[[indicator]]" {
            close_indicator(&mut out, indicator.take(), goalposts);
        }
        out.push(line.to_string());
    }
    close_indicator(&mut out, indicator.take(), goalposts);
    if !saw_normalisation {
        let at = out
            .iter()
            .position(|l| l.trim_start().starts_with("version"))
            .map_or(0, |i| i + 1);
        out.insert(at, "normalisation = \"goalposts\"".into());
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// Put the goalposts line of `indicator` before the trailing blank lines of its block.
fn close_indicator(
    out: &mut Vec<String>,
    indicator: Option<String>,
    goalposts: &BTreeMap<String, Scale>,
) {
    let Some(id) = indicator else { return };
    let Some(scale) = goalposts.get(&id) else {
        return;
    };
    let blanks = out.iter().rev().take_while(|l| l.trim().is_empty()).count();
    let at = out.len() - blanks;
    let [worst, best] = scale.goalposts;
    out.insert(at, format!("goalposts = [{worst}, {best}]"));
    if let Some(typical) = scale.typical {
        out.insert(at + 1, format!("typical = {typical}"));
    }
}

/// The next version: the last number of `version` plus one (`2025.1` → `2025.2`), or `.1`
/// appended when it ends in none.
pub fn next_version(version: &str) -> String {
    let digits = version
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .count();
    let (head, tail) = version.split_at(version.len() - digits);
    match tail.parse::<u64>() {
        Ok(n) => format!("{head}{}", n + 1),
        Err(_) => format!("{version}.1"),
    }
}

/// Write `goalposts` into the framework file at `path` (see the module docs) and return the new
/// version. The edited file must load as a framework, or nothing is written.
pub fn write_goalposts(
    path: &Path,
    framework: &Framework,
    goalposts: &BTreeMap<String, Scale>,
) -> Result<String, FrameworkError> {
    let io = |source| FrameworkError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let version = next_version(&framework.version);
    let edited = with_goalposts(&text, goalposts, &version);
    // Checked in a file beside the original (the catalogue path is relative to it).
    let trial = path.with_extension("toml.new");
    std::fs::write(&trial, &edited).map_err(io)?;
    if let Err(e) = Framework::load(&trial) {
        let _ = std::fs::remove_file(&trial);
        return Err(e);
    }
    std::fs::rename(&trial, path).map_err(io)?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"# a comment that must stay
id = "t"
version = "2025.1"
programmes = "p.csv"

[methods]
normalise = { method = "min_max" }
normalise_within = "peer"
aggregate = { method = "arithmetic" }

[[indicator]]
id = "a"
dimension = "d"
goalposts = [1, 2]

[[indicator]]
id = "b"
dimension = "d"
"#;

    #[test]
    fn goalposts_go_into_each_indicator_block_and_the_rest_is_kept() {
        let scale = |goalposts, typical| Scale { goalposts, typical };
        let g = BTreeMap::from([
            ("a".to_string(), scale([0.0, 10.5], Some(2.5))),
            ("b".to_string(), scale([3.0, 0.0], None)),
        ]);
        let out = with_goalposts(FILE, &g, "2025.2");
        assert!(out.starts_with("# a comment that must stay\n"));
        assert!(out.contains("version = \"2025.2\"\nnormalisation = \"goalposts\"\n"));
        assert!(
            out.contains("id = \"a\"\ndimension = \"d\"\ngoalposts = [0, 10.5]\ntypical = 2.5\n\n")
        );
        assert!(out.ends_with("id = \"b\"\ndimension = \"d\"\ngoalposts = [3, 0]\n"));
        assert!(!out.contains("goalposts = [1, 2]"));
        assert!(!out.contains("normalise_within"));
        assert!(out.contains("aggregate = { method = \"arithmetic\" }"));
        // A second run replaces, never repeats.
        let again = with_goalposts(&out, &g, "2025.3");
        assert_eq!(again.matches("goalposts = [0, 10.5]").count(), 1);
        assert_eq!(again.matches("typical = 2.5").count(), 1);
        assert_eq!(again.matches("normalisation =").count(), 1);
    }

    #[test]
    fn versions_count_up_in_their_last_number() {
        assert_eq!(next_version("2025.1"), "2025.2");
        assert_eq!(next_version("7"), "8");
        assert_eq!(next_version("2025.9"), "2025.10");
        assert_eq!(next_version("beta"), "beta.1");
    }
}
