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

/// Access on a fresh SQLite file (sessions live in a database); the folder goes with the
/// returned guard.
async fn open_access(settings: AccessSettings) -> (Access, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::db::Db::open(&crate::db::Target::Sqlite(dir.path().join("kc.db")), 2)
        .await
        .unwrap();
    let access = Access::open(settings, AccessStore::new(db)).await.unwrap();
    (access, dir)
}

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

async fn access_with_token(settings: AccessSettings) -> (Access, String, tempfile::TempDir) {
    let mut users = Users::default();
    users
        .add("kominfo", Role::Evaluator, None, None, &CHEAP)
        .unwrap();
    let token = users.new_token("kominfo", &CHEAP).unwrap();
    let (access, dir) = open_access(AccessSettings {
        users: Arc::new(users),
        hash_params: CHEAP,
        ..settings
    })
    .await;
    (access, token, dir)
}

#[tokio::test]
async fn a_token_is_verified_once_and_then_remembered() {
    let (access, token, _dir) = access_with_token(AccessSettings::default()).await;
    assert_eq!(access.remembered_token(&token), None);
    let p = access.authenticate_token(&token, None).await.unwrap();
    assert_eq!(
        (p.name(), p.role(), p.via()),
        (Some("kominfo"), Some(Role::Evaluator), Via::Token)
    );
    assert_eq!(access.remembered_token(&token), Some(p.clone()));
    assert_eq!(access.gate_stats().verifications, 1);
    assert_eq!(access.authenticate_token(&token, None).await, Ok(p));
    assert_eq!(access.gate_stats().verifications, 1);

    let forged = format!(
        "{}{}",
        &token[..token.len() - 1],
        if token.ends_with('0') { '1' } else { '0' }
    );
    assert_eq!(
        access.authenticate_token(&forged, None).await,
        Err(AccessError::InvalidToken)
    );
    assert_eq!(access.gate_stats().verifications, 2);
    // A known invalid token is refused from memory.
    assert_eq!(
        access.authenticate_token(&forged, None).await,
        Err(AccessError::InvalidToken)
    );
    assert_eq!(access.gate_stats().verifications, 2);
}

#[tokio::test]
async fn an_unknown_token_id_costs_an_argon2_verification_and_a_malformed_token_none() {
    let (access, _, _dir) = access_with_token(AccessSettings::default()).await;
    let unknown = format!("kc_{}_{}", "0".repeat(12), "ab".repeat(32));
    assert_eq!(
        access.authenticate_token(&unknown, None).await,
        Err(AccessError::InvalidToken)
    );
    assert_eq!(access.gate_stats().verifications, 1);
    for malformed in [
        "kc_000000000000_nothing",
        "kc_000000000000_0000",
        "nonsense",
        "kc_ABCDEF012345_0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        assert_eq!(
            access.authenticate_token(malformed, None).await,
            Err(AccessError::MalformedToken),
            "{malformed}"
        );
    }
    assert_eq!(access.gate_stats().verifications, 1);
}

#[tokio::test]
async fn many_invalid_tokens_do_not_push_out_a_valid_one() {
    let (access, token, _dir) = access_with_token(AccessSettings::default()).await;
    access.authenticate_token(&token, None).await.unwrap();
    for i in 0..2_000u32 {
        let bad = format!("kc_{:012x}_{}", i, "cd".repeat(32));
        let _ = access.authenticate_token(&bad, None).await;
    }
    let before = access.gate_stats().verifications;
    assert!(access.authenticate_token(&token, None).await.is_ok());
    assert_eq!(access.gate_stats().verifications, before);
}

#[tokio::test]
async fn failed_logins_are_limited_per_name_and_per_address() {
    let mut users = Users::default();
    for name in ["admin", "budi"] {
        users
            .add(name, Role::Admin, None, Some("kata-sandi"), &CHEAP)
            .unwrap();
    }
    let window = Duration::from_secs(600);
    let (access, _dir) = open_access(AccessSettings {
        users: Arc::new(users),
        login_limits: LoginLimits {
            per_name: FailureLimit { max: 2, window },
            per_address: FailureLimit { max: 4, window },
        },
        ..AccessSettings::default()
    })
    .await;
    let here: std::net::IpAddr = "192.0.2.7".parse().unwrap();
    let there: std::net::IpAddr = "198.51.100.9".parse().unwrap();
    for _ in 0..2 {
        assert_eq!(
            access.login("admin", "salah", Some(here)).await,
            Err(AccessError::WrongPassword)
        );
    }
    // The name is refused now, even with the right password, and without a verification.
    let spent = access.gate_stats().verifications;
    match access.login("Admin", "kata-sandi", Some(there)).await {
        Err(AccessError::TooManyFailures {
            by: Counted::Name,
            retry_after,
        }) => assert!(retry_after <= window && retry_after > Duration::ZERO),
        other => panic!("{other:?}"),
    }
    assert_eq!(access.gate_stats().verifications, spent);
    // Another name from the same address still signs in, and a success clears its count.
    assert!(access.login("budi", "kata-sandi", Some(here)).await.is_ok());
    // Two more failures fill the address's count: then every name from it is refused.
    for name in ["siapa", "budi"] {
        assert_eq!(
            access.login(name, "salah", Some(here)).await,
            Err(AccessError::WrongPassword)
        );
    }
    assert!(matches!(
        access.login("budi", "kata-sandi", Some(here)).await,
        Err(AccessError::TooManyFailures {
            by: Counted::Address,
            ..
        })
    ));
    assert!(
        access
            .login("budi", "kata-sandi", Some(there))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn sessions_end_at_logout_and_expire() {
    let mut users = Users::default();
    users
        .add("admin", Role::Admin, None, Some("pw"), &CHEAP)
        .unwrap();
    let users = Arc::new(users);
    let (access, _dir) = open_access(AccessSettings {
        users: users.clone(),
        session_ttl: Duration::from_millis(0),
        ..AccessSettings::default()
    })
    .await;
    assert!(access.login("admin", "wrong", None).await.is_err());
    assert!(access.login("nobody", "pw", None).await.is_err());
    let p = access.login("admin", "pw", None).await.unwrap();
    let expired = access.start_session(&p).await.unwrap();
    assert_eq!(access.session(expired.as_str()).await.unwrap(), None);

    let (access, _dir) = open_access(AccessSettings {
        users,
        ..AccessSettings::default()
    })
    .await;
    let id = access.start_session(&p).await.unwrap();
    assert_eq!(access.session(id.as_str()).await.unwrap(), Some(p));
    access.end_session(id.as_str()).await.unwrap();
    assert_eq!(access.session(id.as_str()).await.unwrap(), None);
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
