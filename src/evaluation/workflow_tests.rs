//! The workflow on a real database: SQLite in a temporary folder always, and PostgreSQL in a
//! schema of its own when `KOTACERDAS_TEST_POSTGRES_URL` is set (required when `CI` is set).

use std::path::Path;

use super::*;
use crate::db::testing::databases;
use crate::evaluation::EvidenceInput;
use crate::evaluation::evidence::FsEvidence;
use crate::i18n::Lang;

fn evaluation(db: Db, dir: &Path) -> Evaluation {
    Evaluation::new(
        db,
        Arc::new(FsEvidence::new(dir.join("evidence"))),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/frameworks"),
        1024 * 1024,
    )
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn actor(name: &str, role: Role) -> Actor {
    Actor {
        name: name.into(),
        role,
    }
}

/// Answers for every item: level 4, yes, a number at half the target, 60 %.
pub(crate) fn full_answers(i: &Instrument) -> Vec<AnswerInput> {
    i.items
        .iter()
        .map(|item| AnswerInput {
            item: item.id.clone(),
            value: Some(match &item.answer {
                super::super::AnswerType::Maturity { .. } => "4".into(),
                super::super::AnswerType::YesNo => "ya".into(),
                super::super::AnswerType::Number { min, target, .. } => {
                    ((min + target) / 2.0).to_string()
                }
                super::super::AnswerType::MasterplanShare => "60".into(),
            }),
            note: None,
        })
        .collect()
}

fn open(deadline: NaiveDate) -> OpenRound {
    OpenRound {
        year: 2025,
        title: None,
        instrument: None,
        cohort: vec![code("35.09"), code("35.10")],
        deadline,
        assignments: vec![(code("35.09"), "kominfo".into())],
    }
}

#[tokio::test]
async fn a_round_runs_from_opening_to_results_on_every_database() {
    for t in databases("round").await {
        let db = t.db.clone();
        let ev = evaluation(db.clone(), t.dir());
        let (admin, steward) = (
            actor("admin", Role::Admin),
            actor("diskominfo-jember", Role::Steward),
        );
        let (kominfo, other) = (
            actor("kominfo", Role::Evaluator),
            actor("asesor-lain", Role::Evaluator),
        );
        let jember = code("35.09");
        // Only an admin opens a round.
        assert_eq!(
            ev.open_round(&steward, open(today_wib()))
                .await
                .unwrap_err()
                .status(),
            403
        );
        let round = ev
            .open_round(&admin, open(today_wib() + chrono::Duration::days(30)))
            .await
            .unwrap();
        let view = ev.form(round.id, &jember).await.unwrap();
        assert_eq!(
            (view.form.status, view.form.version),
            (FormStatus::Draft, 1)
        );
        let answers = full_answers(&view.instrument);

        // A draft; a second save from the same old version is a conflict and changes nothing.
        let v2 = ev
            .save_answers(&steward, round.id, &jember, 1, &answers[..10])
            .await
            .unwrap();
        assert_eq!(v2, 2);
        let stale = ev
            .save_answers(&steward, round.id, &jember, 1, &answers[10..])
            .await
            .unwrap_err();
        assert_eq!(stale.status(), 409);
        assert!(
            stale.message(Lang::Id).contains("diskominfo-jember"),
            "{}",
            stale.message(Lang::Id)
        );
        assert_eq!(ev.form(round.id, &jember).await.unwrap().answers.len(), 10);
        // An out-of-range answer refuses the whole save.
        let mut bad = answers.clone();
        bad[0].value = Some("9".into());
        assert_eq!(
            ev.save_answers(&steward, round.id, &jember, 2, &bad)
                .await
                .unwrap_err()
                .status(),
            422
        );
        assert_eq!(ev.form(round.id, &jember).await.unwrap().answers.len(), 10);
        // Submitting with unanswered items names them.
        let e = ev.submit(&steward, round.id, &jember, 2).await.unwrap_err();
        assert!(
            e.message(Lang::En).contains(&answers[10].item),
            "{}",
            e.message(Lang::En)
        );
        let v3 = ev
            .save_answers(&steward, round.id, &jember, 2, &answers)
            .await
            .unwrap();
        ev.add_evidence(
            &steward,
            round.id,
            &jember,
            "GOV-01",
            EvidenceInput::File {
                name: "perkada.pdf".into(),
                bytes: b"%PDF-1.4 perkada".to_vec(),
            },
        )
        .await
        .unwrap();
        let v4 = ev.submit(&steward, round.id, &jember, v3).await.unwrap();
        // Locked for the region; verification is the assigned evaluator's only.
        assert_eq!(
            ev.save_answers(&steward, round.id, &jember, v4, &answers)
                .await
                .unwrap_err()
                .status(),
            409
        );
        let accept = [Decision {
            item: "GOV-01".into(),
            value: None,
            note: None,
        }];
        assert_eq!(
            ev.verify(&other, round.id, &jember, v4, &accept, true)
                .await
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            ev.verify(&steward, round.id, &jember, v4, &accept, true)
                .await
                .unwrap_err()
                .status(),
            403
        );

        // Verify with one changed value, return once, resubmit, finalise.
        let change = [Decision {
            item: "GOV-01".into(),
            value: Some("2".into()),
            note: Some("Perkada belum ditetapkan".into()),
        }];
        let v5 = ev
            .verify(&kominfo, round.id, &jember, v4, &change, false)
            .await
            .unwrap();
        let v6 = ev
            .return_form(&kominfo, round.id, &jember, v5, "Lengkapi bukti GOV-03")
            .await
            .unwrap();
        assert_eq!(
            ev.return_form(&kominfo, round.id, &jember, v6, "lagi")
                .await
                .unwrap_err()
                .status(),
            409
        );
        let mut fixed = answers.clone();
        fixed[2].value = Some("tidak".into());
        let v7 = ev
            .save_answers(&steward, round.id, &jember, v6, &fixed)
            .await
            .unwrap();
        let v8 = ev.submit(&steward, round.id, &jember, v7).await.unwrap();
        assert_eq!(
            ev.return_form(&kominfo, round.id, &jember, v8, "lagi")
                .await
                .unwrap_err()
                .status(),
            409
        );
        assert_eq!(
            ev.finalise(&kominfo, round.id, &jember, v8)
                .await
                .unwrap_err()
                .status(),
            422
        );
        let v9 = ev
            .verify(&kominfo, round.id, &jember, v8, &[], true)
            .await
            .unwrap();
        ev.finalise(&kominfo, round.id, &jember, v9).await.unwrap();

        let results = ev.results(round.id).await.unwrap();
        assert_eq!((results.regions.len(), results.pending), (1, 1));
        let r = &results.regions[0];
        assert_eq!(r.rank.national, 1);
        // The evaluator lowered GOV-01 from 4 to 2: the verified index is below the self-assessed.
        assert!(r.verified.index.unwrap() < r.self_assessed.index.unwrap());
        assert_eq!(r.verified.items[0], Some(25.0));
        assert_eq!(r.self_assessed.items[0], Some(75.0));

        // The trail: who, when, old and new value.
        let trail = ev.audit(round.id, &jember).await.unwrap();
        let changed = trail
            .iter()
            .find(|e| {
                e.action == "verify"
                    && e.item.as_deref() == Some("GOV-01")
                    && e.new_value.as_deref() == Some("2")
            })
            .expect("the verified change is in the trail");
        assert_eq!(
            (changed.actor.as_str(), changed.old_value.as_deref()),
            ("kominfo", None)
        );
        assert!(trail.iter().any(|e| e.field.as_deref() == Some("value")
            && e.item.as_deref() == Some("GOV-03")
            && e.old_value.as_deref() == Some("yes")
            && e.new_value.as_deref() == Some("no")));
        assert!(
            trail
                .windows(2)
                .all(|w| w[0].seq < w[1].seq && w[0].at <= w[1].at)
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn after_the_deadline_the_region_cannot_edit_and_nothing_is_lost() {
    for t in databases("deadline").await {
        let db = t.db.clone();
        let ev = evaluation(db.clone(), t.dir());
        let admin = actor("admin", Role::Admin);
        let steward = actor("diskominfo-jember", Role::Steward);
        let jember = code("35.09");
        let round = ev.open_round(&admin, open(today_wib())).await.unwrap();
        let answers = full_answers(&ev.form(round.id, &jember).await.unwrap().instrument);
        let v = ev
            .save_answers(&steward, round.id, &jember, 1, &answers[..3])
            .await
            .unwrap();
        ev.update_round(
            &admin,
            round.id,
            Some(today_wib() - chrono::Duration::days(1)),
            &[],
        )
        .await
        .unwrap();
        let e = ev
            .save_answers(&steward, round.id, &jember, v, &answers)
            .await
            .unwrap_err();
        assert!(matches!(e, EvaluationError::DeadlinePassed(_)), "{e}");
        assert!(
            e.message(Lang::Id).contains("Batas waktu"),
            "{}",
            e.message(Lang::Id)
        );
        assert_eq!(ev.form(round.id, &jember).await.unwrap().answers.len(), 3);
        t.finish().await;
    }
}
