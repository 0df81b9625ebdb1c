//! Loading frameworks: the shipped ones, methods tables, sub-dimensions, targets, and every
//! kind of bad file rejected with the file and entry named.

use std::path::{Path, PathBuf};

use super::*;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/frameworks/seven_dimensions.toml")
}

#[test]
fn shipped_framework_has_seven_dimensions_and_28_indicators() {
    let fw = Framework::load(&shipped()).unwrap();
    assert_eq!(fw.dimensions.len(), 7);
    assert_eq!(fw.indicators.len(), 28);
    assert_eq!(fw.programmes.len(), 28);
    for d in &fw.dimensions {
        assert_eq!(
            fw.indicators.iter().filter(|i| i.dimension == d.id).count(),
            4,
            "{}",
            d.id
        );
    }
}

fn load_modified(from: &str, to: &str) -> String {
    load_edited(&[(from, to)])
}

fn load_edited(edits: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string(shipped()).unwrap();
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "fixture text {from:?} not in framework"
        );
        text = text.replacen(from, to, 1);
    }
    let text = text.replace(
        "programmes = \"programmes.csv\"",
        &format!(
            "programmes = {:?}",
            shipped().parent().unwrap().join("programmes.csv")
        ),
    );
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    Framework::load(&path).unwrap_err().to_string()
}

#[test]
fn six_pillars_framework_maps_all_28_programmes_to_six_pillars() {
    let path = shipped().parent().unwrap().join("six_pillars.toml");
    let fw = Framework::load(&path).unwrap();
    let ids: Vec<&str> = fw.dimensions.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "governance",
            "branding",
            "economy",
            "living",
            "society",
            "environment"
        ]
    );
    let mut programmes: Vec<&str> = fw
        .indicators
        .iter()
        .flat_map(|i| i.programmes.iter().map(String::as_str))
        .collect();
    programmes.sort();
    programmes.dedup();
    assert_eq!(programmes.len(), 28);
    assert_eq!(fw.hierarchy().level("six_pillars"), Some(3));
    let bands = fw.bands.as_ref().unwrap();
    assert_eq!(bands.predicate(45.0).unwrap().label_id, "Baik");
    assert_eq!(bands.predicate(0.0).unwrap().label_id, "Kurang");
}

#[test]
fn the_shipped_framework_is_on_fixed_goalposts_for_every_indicator() {
    let fw = Framework::load(&shipped()).unwrap();
    assert_eq!(fw.normalisation, Normalisation::Goalposts);
    assert_eq!(
        fw.methods.normalise,
        engine::Normalise::Goalposts { scale: 100.0 }
    );
    assert_eq!(fw.methods.normalise_within, None);
    assert!(fw.indicators.iter().all(|i| i.goalposts.is_some()));
    let stocks: Vec<&str> = fw
        .indicators
        .iter()
        .filter(|i| i.stock)
        .map(|i| i.id.as_str())
        .collect();
    assert!(stocks.contains(&"cctv_lalu_lintas") && stocks.contains(&"wifi_publik"));
}

#[test]
fn a_framework_without_normalisation_or_methods_is_relative_per_period() {
    let fw = load_shipped_edited(&[("normalisation = \"goalposts\"\n", "")]).unwrap();
    assert_eq!(fw.normalisation, Normalisation::PerPeriod);
    assert_eq!(fw.methods, default_methods());
    assert_eq!(fw.methods.normalise_within.as_deref(), Some(PEER_GROUP));
    assert!(
        fw.index_bands().is_none(),
        "a relative score has no predicate"
    );
}

#[test]
fn goalposts_are_needed_on_every_indicator_and_normalisation_excludes_methods_normalise() {
    let err = load_shipped_edited(&[("goalposts = [0, 15.76]\n", "")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("umkm_go_online") && err.contains("framework goalposts --base"),
        "{err}"
    );
    let err = load_shipped_edited(&[(
        "\n[[dimension]]",
        "[methods]\nnormalise_within = \"peer\"\n\n[[dimension]]",
    )])
    .unwrap_err()
    .to_string();
    assert!(err.contains("not both"), "{err}");
    let fw = load_shipped_edited(&[(
        "normalisation = \"goalposts\"",
        "normalisation = \"pooled\"",
    )])
    .unwrap();
    assert_eq!(fw.methods.normalise_within.as_deref(), Some(PEER_GROUP));
}

/// The shipped framework with `edits` applied, loaded from a temporary copy.
fn load_shipped_edited(edits: &[(&str, &str)]) -> Result<Framework, FrameworkError> {
    load_with_targets(edits, "")
}

#[test]
fn a_methods_table_selects_engine_methods_per_level_and_indicator() {
    let dir = tempfile::tempdir().unwrap();
    let methods = r#"
[methods]
impute = { method = "median" }
treat = { method = "skew_kurt", winmax = 3, cap = "cumulative" }
normalise = { method = "z_score", mean = 50.0, sd = 10.0 }
normalise_within = "peer"
level.3 = { aggregate = { method = "geometric" } }
node.umkm_go_online = { normalise = { method = "percent_rank" } }

[[dimension]]"#;
    let text = std::fs::read_to_string(shipped())
        .unwrap()
        .replace("normalisation = \"goalposts\"\n", "")
        .replacen("\n[[dimension]]", methods, 1)
        .replace(
            "programmes = \"programmes.csv\"",
            &format!(
                "programmes = {:?}",
                shipped().parent().unwrap().join("programmes.csv")
            ),
        );
    let path = dir.path().join("methods.toml");
    std::fs::write(&path, text).unwrap();
    let fw = Framework::load(&path).unwrap();
    assert_eq!(fw.methods.impute, engine::Impute::Median);
    assert_eq!(
        fw.methods.level["3"].aggregate,
        Some(engine::Aggregate::Geometric)
    );
    assert_eq!(
        fw.methods.node["umkm_go_online"].normalise,
        Some(engine::Normalise::PercentRank)
    );
    assert!(matches!(
        fw.methods.treat,
        engine::Treat::SkewKurt {
            winmax: 3,
            cap: engine::WinCap::Cumulative,
            ..
        }
    ));
}

#[test]
fn a_dimension_with_an_unknown_parent_is_rejected_naming_it() {
    let err = load_modified(
        "id = \"economy\"\nname_id",
        "id = \"economy\"\nparent = \"nowhere\"\nname_id",
    );
    assert!(
        err.contains("bad.toml")
            && err.contains("dimension \"economy\"")
            && err.contains("unknown parent \"nowhere\""),
        "{err}"
    );
}

#[test]
fn dimensions_whose_parents_form_a_cycle_are_rejected() {
    let err = load_edited(&[
        (
            "id = \"economy\"\nname_id",
            "id = \"economy\"\nparent = \"people\"\nname_id",
        ),
        (
            "id = \"people\"\nname_id",
            "id = \"people\"\nparent = \"economy\"\nname_id",
        ),
    ]);
    assert!(err.contains("bad.toml") && err.contains("cycle"), "{err}");
    assert!(err.contains("dimension \"economy\""), "{err}");
}

#[test]
fn a_duplicate_id_is_rejected_naming_the_entry() {
    let err = load_modified("id = \"qris_merchant\"", "id = \"umkm_go_online\"");
    assert!(
        err.contains("bad.toml")
            && err.contains("indicator \"umkm_go_online\"")
            && err.contains("duplicate id"),
        "{err}"
    );
}

#[test]
fn an_indicator_with_no_data_source_is_rejected() {
    let err = load_modified("programme = \"qris_merchant\"\n", "");
    assert!(
        err.contains("bad.toml")
            && err.contains("indicator \"qris_merchant\"")
            && err.contains("no data source"),
        "{err}"
    );
}

#[test]
fn sub_dimensions_make_a_deeper_hierarchy() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(shipped())
        .unwrap()
        .replacen(
            "id = \"economy\"\nname_id",
            "id = \"economy\"\nparent = \"people\"\nname_id",
            1,
        )
        .replace(
            "programmes = \"programmes.csv\"",
            &format!(
                "programmes = {:?}",
                shipped().parent().unwrap().join("programmes.csv")
            ),
        );
    let path = dir.path().join("deep.toml");
    std::fs::write(&path, text).unwrap();
    let fw = Framework::load(&path).unwrap();
    let h = fw.hierarchy();
    assert_eq!(h.level("economy"), Some(2));
    assert_eq!(h.level("people"), Some(3));
    assert_eq!(h.level("seven_dimensions"), Some(4));
    assert_eq!(fw.top_dimensions().count(), 6);
}

#[test]
fn negative_weight_is_rejected_naming_the_entry() {
    let err = load_modified("weight = 1.0", "weight = -1.0");
    assert!(err.contains("bad.toml") && err.contains("weight"), "{err}");
}

#[test]
fn unknown_programme_is_rejected_naming_the_indicator() {
    let err = load_modified(
        "programme = \"umkm_go_online\"",
        "programme = \"umkm_go_offline\"",
    );
    assert!(
        err.contains("indicator \"umkm_go_online\"") && err.contains("umkm_go_offline"),
        "{err}"
    );
}

#[test]
fn indicator_in_the_wrong_dimension_is_rejected() {
    let err = load_modified(
        "dimension = \"economy\"\nprogramme",
        "dimension = \"people\"\nprogramme",
    );
    assert!(err.contains("belongs to dimension"), "{err}");
}

/// The shipped framework with `edits`, written next to a `targets.csv` holding `targets`.
fn load_with_targets(edits: &[(&str, &str)], targets: &str) -> Result<Framework, FrameworkError> {
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string(shipped()).unwrap().replace(
        "programmes = \"programmes.csv\"",
        &format!(
            "programmes = {:?}",
            shipped().parent().unwrap().join("programmes.csv")
        ),
    );
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "fixture text {from:?} not in framework"
        );
        text = text.replacen(from, to, 1);
    }
    std::fs::write(dir.path().join("targets.csv"), targets).unwrap();
    let path = dir.path().join("with_targets.toml");
    std::fs::write(&path, text).unwrap();
    Framework::load(&path)
}

const WITH_TARGETS: (&str, &str) = (
    "\n[[dimension]]",
    "targets = \"targets.csv\"\n\n[[dimension]]",
);

#[test]
fn shipped_frameworks_have_no_targets() {
    for name in ["seven_dimensions.toml", "six_pillars.toml"] {
        let fw = Framework::load(&shipped().parent().unwrap().join(name)).unwrap();
        assert!(fw.targets.is_none(), "{name}");
        assert!(
            !fw.methods.any_to_target() && fw.methods.targets.is_none(),
            "{name}"
        );
    }
}

#[test]
fn the_example_targets_load_as_goalposts_for_jember_kecamatan() {
    let example = std::fs::read_to_string(
        shipped()
            .parent()
            .unwrap()
            .join("targets_jember_example.csv"),
    )
    .unwrap();
    let fw = load_with_targets(&[WITH_TARGETS], &example).unwrap();
    let targets = fw.targets.as_ref().unwrap();
    assert_eq!(targets.len(), 10);
    assert_eq!(
        targets.get("35.09.02", "umkm_go_online", "2025"),
        Some(10.0)
    );
    // Every indicator uses its targets; the file is recorded with the methods.
    assert_eq!(fw.methods.to_target, Some(true));
    assert!(fw.methods.uses_target("qris_merchant"));
    let source = fw.methods.targets.as_ref().unwrap();
    assert_eq!(source.file, "targets.csv");
    assert_eq!(source.sha256, targets.sha256);
    let json = serde_json::to_string(&fw.methods).unwrap();
    assert!(
        json.contains("targets.csv") && json.contains(&targets.sha256),
        "{json}"
    );
    // Its kecamatan are Jember's.
    let regions =
        crate::region::Regions::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/regions"))
            .unwrap();
    targets.check_regions(&regions).unwrap();
}

#[test]
fn a_bad_targets_file_is_rejected_naming_both_files_and_the_row() {
    let err = load_with_targets(
        &[WITH_TARGETS],
        "region_code,indicator,period,target\n35.09.01,umkm_go_online,2025,5\n\
         35.09.01,umkm_go_offline,2025,5\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("with_targets.toml")
            && err.contains("targets.csv")
            && err.contains("row 3")
            && err.contains("unknown indicator \"umkm_go_offline\""),
        "{err}"
    );
    let err = load_with_targets(
        &[WITH_TARGETS],
        "region_code,indicator,period,target\n35.09.01,umkm_go_online,2025,-5\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("row 2") && err.contains("\"-5\""), "{err}");
    let err = load_with_targets(
        &[(
            "\n[[dimension]]",
            "targets = \"nowhere.csv\"\n\n[[dimension]]",
        )],
        "",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("nowhere.csv"), "{err}");
}

#[test]
fn to_target_needs_a_targets_file_and_a_targets_file_some_indicator_using_it() {
    let methods = "[methods]\nnormalise_within = \"peer\"\nto_target = true\n\n[[dimension]]";
    let relative = ("normalisation = \"goalposts\"\n", "");
    let err = load_with_targets(&[relative, ("\n[[dimension]]", methods)], "")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("[methods]") && err.contains("needs a `targets` file"),
        "{err}"
    );
    let off = "targets = \"targets.csv\"\n[methods]\nnormalise_within = \"peer\"\n\
               to_target = false\n\n[[dimension]]";
    let targets = "region_code,indicator,period,target\n35.09.01,umkm_go_online,2025,5\n";
    let err = load_with_targets(&[relative, ("\n[[dimension]]", off)], targets)
        .unwrap_err()
        .to_string();
    assert!(err.contains("off for every indicator"), "{err}");
    // Off globally, on for one indicator.
    let one = "targets = \"targets.csv\"\n[methods]\nnormalise_within = \"peer\"\n\
               to_target = false\nnode.umkm_go_online = { to_target = true }\n\n[[dimension]]";
    let fw = load_with_targets(&[relative, ("\n[[dimension]]", one)], targets).unwrap();
    assert!(fw.methods.uses_target("umkm_go_online") && !fw.methods.uses_target("qris_merchant"));
    // The loader, not the file, says where targets came from.
    let forged =
        "[methods]\ntargets = { file = \"x\", sha256 = \"y\", targets = 1 }\n\n[[dimension]]";
    assert!(load_with_targets(&[("\n[[dimension]]", forged)], "").is_err());
}

#[test]
fn predicate_bands_on_an_indicator_need_its_declared_scale() {
    let with_values = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/frameworks/seven_dimensions_with_values.toml");
    let fw = Framework::load(&with_values).unwrap();
    let spbe = fw.indicator("indeks_spbe").unwrap();
    assert_eq!(spbe.bands.len(), 5);
    let text = std::fs::read_to_string(&with_values)
        .unwrap()
        .replace(
            "goalposts = [0, 15.76]\ntypical = 1.564\n",
            "goalposts = [0, 15.76]\ntypical = 1.564\n\n[[indicator.band]]\nmin = 1.0\nlabel_id = \"x\"\nlabel_en = \"x\"\n",
        )
        .replace(
            "programmes = \"programmes.csv\"",
            &format!(
                "programmes = {:?}",
                with_values
                    .with_file_name("programmes.csv")
                    .display()
                    .to_string()
            ),
        );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no_range.toml");
    std::fs::write(&path, text).unwrap();
    let err = Framework::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("umkm_go_online") && err.contains("bands belong to a scale"),
        "{err}"
    );
}
