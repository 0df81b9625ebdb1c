use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::users::{self, HashParams, Users};
use super::*;

/// Cheap parameters: the tests check behaviour, not cost.
const CHEAP: HashParams = HashParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

#[test]
fn a_kabupaten_scope_holds_its_kecamatan_and_desa_and_nothing_else() {
    let jember = Scope::parse("35.09").unwrap();
    for inside in ["35.09", "35.09.20", "35.09.20.2001"] {
        assert!(jember.contains(&code(inside)), "{inside}");
    }
    for outside in ["35", "35.10", "35.10.01", "36.09"] {
        assert!(!jember.contains(&code(outside)), "{outside}");
    }
    assert!(Scope::parse("all").unwrap().contains(&code("11.01")));
}

#[test]
fn a_kecamatan_is_not_a_scope() {
    let err = Scope::parse("35.09.20").unwrap_err().to_string();
    assert!(err.contains("kab/kota"), "{err}");
    assert!(Scope::parse("35.9").is_err());
}

#[test]
fn roles_carry_their_capabilities() {
    use Capability as C;
    assert_eq!(Role::Viewer.capabilities(), [C::View]);
    assert_eq!(Role::Evaluator.capabilities(), [C::View, C::Reports]);
    assert_eq!(Role::Steward.capabilities(), [C::View, C::Ingest]);
    assert_eq!(Role::Admin.capabilities(), Capability::ALL);
    assert_eq!("Steward".parse::<Role>().unwrap(), Role::Steward);
    assert!("owner".parse::<Role>().is_err());
}

#[test]
fn anonymous_callers_are_asked_to_log_in_and_users_are_forbidden() {
    let nobody = Principal::anonymous(None);
    assert!(matches!(
        nobody.require(Capability::View),
        Err(Denied::Unauthenticated(_))
    ));
    let public = Principal::anonymous(Some(&Scope::All));
    assert!(public.require(Capability::View).is_ok());
    assert!(matches!(
        public.require(Capability::Reports),
        Err(Denied::Unauthenticated(_))
    ));
    let viewer = Principal::user(
        "bappeda".into(),
        Role::Viewer,
        Scope::parse("35.09").unwrap(),
        Via::Token,
    );
    assert!(viewer.require_region(&code("35.09.20")).is_ok());
    match viewer.require_region(&code("35.10")) {
        Err(Denied::Forbidden(m)) => assert!(m.contains("35.10") && m.contains("35.09"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        viewer.require(Capability::Ingest),
        Err(Denied::Forbidden(_))
    ));
    assert_eq!(viewer.default_region(&code("35.10")), code("35.09"));
    assert_eq!(viewer.default_region(&code("35.09")), code("35.09"));
}

#[test]
fn the_users_file_refuses_inconsistent_roles_and_scopes() {
    let path = Path::new("users.toml");
    let cases = [
        (
            "[[user]]\nname = \"k\"\nrole = \"evaluator\"\nregion = \"35.09\"\n",
            "sees all regions",
        ),
        (
            "[[user]]\nname = \"s\"\nrole = \"steward\"\n",
            "give it a region",
        ),
        (
            "[[user]]\nname = \"s\"\nrole = \"viewer\"\nregion = \"35.09.20\"\n",
            "kab/kota",
        ),
        (
            "[[user]]\nname = \"Budi\"\nrole = \"viewer\"\n",
            "lower-case",
        ),
        (
            "[[user]]\nname = \"b\"\nrole = \"viewer\"\npassword = \"hunter2\"\n",
            "PHC",
        ),
        (
            "[[user]]\nname = \"b\"\nrole = \"boss\"\n",
            "unknown variant",
        ),
        (
            "[[user]]\nname = \"b\"\nrole = \"viewer\"\n[[user]]\nname = \"b\"\nrole = \"admin\"\n",
            "twice",
        ),
    ];
    for (text, expected) in cases {
        let err = Users::parse(text, path).unwrap_err().to_string();
        assert!(err.contains(expected), "{text}: {err}");
        assert!(err.contains("users.toml"), "{err}");
    }
}

#[test]
fn users_round_trip_through_the_file_with_hashes_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.toml");
    let mut users = Users::load(&path).unwrap();
    assert!(users.is_empty());
    users
        .add(
            "bappeda-jember",
            Role::Viewer,
            Some("35.09"),
            Some("rahasia-sekali"),
            &CHEAP,
        )
        .unwrap();
    let token = users.new_token("bappeda-jember", &CHEAP).unwrap();
    users.save().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("rahasia-sekali") && !text.contains(&token));
    assert!(text.contains("$argon2id$"), "{text}");

    let users = Users::load(&path).unwrap();
    let user = users.get("bappeda-jember").unwrap();
    assert!(users::verify_secret(
        "rahasia-sekali",
        user.password.as_deref().unwrap()
    ));
    assert!(!users::verify_secret(
        "rahasia-sekalI",
        user.password.as_deref().unwrap()
    ));
    let id = users::token_id(&token).unwrap();
    assert_eq!(users.token(id).unwrap().0.name, "bappeda-jember");
}

#[test]
fn a_token_is_verified_once_and_then_remembered() {
    let mut users = Users::default();
    users
        .add("kominfo", Role::Evaluator, None, None, &CHEAP)
        .unwrap();
    let token = users.new_token("kominfo", &CHEAP).unwrap();
    let access = Access::new(AccessSettings {
        users: Arc::new(users),
        ..AccessSettings::default()
    });
    assert_eq!(access.cached_token(&token), None);
    let p = access.verify_token(&token).unwrap();
    assert_eq!(
        (p.name(), p.role(), p.via()),
        (Some("kominfo"), Some(Role::Evaluator), Via::Token)
    );
    assert_eq!(access.cached_token(&token), Some(Some(p)));
    let forged = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(access.verify_token(&forged), None);
    assert_eq!(access.cached_token(&forged), Some(None));
    assert_eq!(access.verify_token("kc_000000000000_nothing"), None);
}

#[test]
fn sessions_end_at_logout_and_expire() {
    let mut users = Users::default();
    users
        .add("admin", Role::Admin, None, Some("pw"), &CHEAP)
        .unwrap();
    let access = Access::new(AccessSettings {
        users: Arc::new(users),
        session_ttl: Duration::from_millis(0),
        ..AccessSettings::default()
    });
    assert!(access.verify_password("admin", "wrong").is_none());
    assert!(access.verify_password("nobody", "pw").is_none());
    let p = access.verify_password("admin", "pw").unwrap();
    let expired = access.start_session(p.clone());
    assert_eq!(access.session(expired.as_str()), None);

    let access = Access::new(AccessSettings {
        users: access.settings().users.clone(),
        ..AccessSettings::default()
    });
    let id = access.start_session(p.clone());
    assert_eq!(access.session(id.as_str()), Some(p));
    access.end_session(id.as_str());
    assert_eq!(access.session(id.as_str()), None);
}

#[test]
fn the_users_file_refuses_argon2i_and_argon2d_hashes_naming_user_and_line() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(64, 1, 1, None).unwrap();
    let salt = SaltString::encode_b64(b"garam-garam-16by").unwrap();
    for algorithm in [argon2::Algorithm::Argon2i, argon2::Algorithm::Argon2d] {
        let hash = argon2::Argon2::new(algorithm, argon2::Version::V0x13, params.clone())
            .hash_password(b"kata-sandi", &salt)
            .unwrap()
            .to_string();
        let text = format!(
            "[[user]]\nname = \"admin\"\nrole = \"admin\"\npassword = \"{hash}\"\n\n\
             [[user]]\nname = \"mesin\"\nrole = \"viewer\"\n\n[[user.token]]\n\
             id = \"0123456789ab\"\nhash = \"{hash}\"\ncreated = \"2026-11-28T10:00:00Z\"\n"
        );
        let err = Users::parse(&text, Path::new("users.toml"))
            .unwrap_err()
            .to_string();
        let variant = algorithm.as_str();
        assert!(
            err.contains("users.toml, line 4")
                && err.contains("\"admin\"")
                && err.contains(&format!("hashed with {variant}"))
                && err.contains("argon2id"),
            "{err}"
        );
        // A token hashed the same way is refused just as well.
        let tokens_only = text.replace(&format!("password = \"{hash}\"\n"), "");
        let err = Users::parse(&tokens_only, Path::new("users.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 11") && err.contains("\"mesin\"") && err.contains(variant),
            "{err}"
        );
        assert!(!users::verify_secret("kata-sandi", &hash));
    }
}
