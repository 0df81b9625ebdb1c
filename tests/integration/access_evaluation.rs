//! The access matrix of the evaluation routes: every route × every role × a region inside the
//! Jember scope and two outside it, on a server with one open round whose cohort holds all
//! three, each assigned to the evaluator.
//!
//! Anonymous callers get 401 everywhere (evaluation data is not public); a viewer and a steward
//! of Jember get 403 outside it, whatever the route; inside, the role decides (a steward fills,
//! an evaluator verifies, an admin does both and runs rounds). A caller who gets past both
//! meets the handler's own answer: the form at version 0 is stale (409), a draft cannot be
//! submitted with items unanswered (422), the masterplan entry's pillar is unknown (422),
//! nothing is finalised yet (404).

use serde_json::json;

use crate::access::{CALLERS, Row, check_in, row};
use crate::helpers::{access_settings, spawn_app_with};

const IN: [u16; 5] = [401, 200, 200, 200, 200];
const OUT: [u16; 5] = [401, 403, 200, 403, 200];
/// Nothing finalised: found by nobody, refused outside the scope as always.
const NONE_IN: [u16; 5] = [401, 404, 404, 404, 404];
const NONE_OUT: [u16; 5] = [401, 403, 404, 403, 404];
/// Filling: the steward and the admin reach the workflow.
const FILL_IN: [u16; 5] = [401, 403, 403, 409, 409];
const FILL_OUT: [u16; 5] = [401, 403, 403, 403, 409];
/// Verifying: the evaluator and the admin reach the workflow.
const VERIFY_IN: [u16; 5] = [401, 403, 409, 403, 409];
const VERIFY_OUT: [u16; 5] = [401, 403, 409, 403, 409];
/// Everything, for those with the reports capability.
const COHORT: [u16; 5] = [401, 403, 200, 403, 200];
/// Submitting: the steward and the admin reach the workflow, which wants every item answered.
const SUBMIT_IN: [u16; 5] = [401, 403, 403, 422, 422];
const SUBMIT_OUT: [u16; 5] = [401, 403, 403, 403, 422];
/// Running rounds: an admin (whose round has no valid deadline here).
const ADMIN: [u16; 5] = [401, 403, 403, 403, 422];
/// Any signed-in user.
const SIGNED_IN: [u16; 5] = [401, 200, 200, 200, 200];

const R: &str = "/api/v1/rounds/{round}/forms/{region}";

pub(crate) const MATRIX: &[Row] = &[
    row(
        "GET",
        "/api/v1/rounds",
        "/api/v1/rounds?region={r}",
        SIGNED_IN,
        SIGNED_IN,
    ),
    row(
        "POST",
        "/api/v1/rounds",
        "/api/v1/rounds?region={r}",
        ADMIN,
        ADMIN,
    ),
    row(
        "GET",
        "/api/v1/rounds/{round}",
        "/api/v1/rounds/1?region={r}",
        SIGNED_IN,
        SIGNED_IN,
    ),
    row(
        "PATCH",
        "/api/v1/rounds/{round}",
        "/api/v1/rounds/1?region={r}",
        [401, 403, 403, 403, 200],
        [401, 403, 403, 403, 200],
    ),
    row("GET", R, "/api/v1/rounds/1/forms/{r}", IN, OUT),
    row("PUT", R, "/api/v1/rounds/1/forms/{r}", FILL_IN, FILL_OUT),
    row(
        "POST",
        "/api/v1/rounds/{round}/forms/{region}/evidence",
        "/api/v1/rounds/1/forms/{r}/evidence",
        [401, 403, 403, 422, 422],
        [401, 403, 403, 403, 422],
    ),
    row(
        "POST",
        "/api/v1/rounds/{round}/forms/{region}/submit",
        "/api/v1/rounds/1/forms/{r}/submit",
        SUBMIT_IN,
        SUBMIT_OUT,
    ),
    row(
        "POST",
        "/api/v1/rounds/{round}/forms/{region}/verify",
        "/api/v1/rounds/1/forms/{r}/verify",
        VERIFY_IN,
        VERIFY_OUT,
    ),
    row(
        "POST",
        "/api/v1/rounds/{round}/forms/{region}/return",
        "/api/v1/rounds/1/forms/{r}/return",
        VERIFY_IN,
        VERIFY_OUT,
    ),
    row(
        "POST",
        "/api/v1/rounds/{round}/forms/{region}/finalise",
        "/api/v1/rounds/1/forms/{r}/finalise",
        VERIFY_IN,
        VERIFY_OUT,
    ),
    row(
        "GET",
        "/api/v1/rounds/{round}/forms/{region}/audit",
        "/api/v1/rounds/1/forms/{r}/audit",
        IN,
        OUT,
    ),
    row(
        "GET",
        "/api/v1/rounds/{round}/forms/{region}/evidence/{id}",
        "/api/v1/rounds/1/forms/{r}/evidence/ev-1",
        NONE_IN,
        NONE_OUT,
    ),
    row(
        "GET",
        "/api/v1/rounds/{round}/results",
        "/api/v1/rounds/1/results?region={r}",
        COHORT,
        COHORT,
    ),
    row(
        "GET",
        "/api/v1/rounds/{round}/results/{region}",
        "/api/v1/rounds/1/results/{r}",
        NONE_IN,
        NONE_OUT,
    ),
    row(
        "GET",
        "/api/v1/rounds/{round}/results/{region}/report/{format}",
        "/api/v1/rounds/1/results/{r}/report/pdf",
        NONE_IN,
        NONE_OUT,
    ),
    row(
        "GET",
        "/api/v1/rounds/{round}/recap/{format}",
        "/api/v1/rounds/1/recap/csv?region={r}",
        COHORT,
        COHORT,
    ),
    row(
        "GET",
        "/api/v1/masterplan/{region}",
        "/api/v1/masterplan/{r}",
        IN,
        OUT,
    ),
    row(
        "POST",
        "/api/v1/masterplan/{region}",
        "/api/v1/masterplan/{r}",
        [401, 403, 403, 422, 422],
        [401, 403, 403, 403, 422],
    ),
    row(
        "PUT",
        "/api/v1/masterplan/{region}/{id}",
        "/api/v1/masterplan/{r}/1",
        [401, 403, 403, 422, 422],
        [401, 403, 403, 403, 422],
    ),
    row(
        "GET",
        "/evaluasi",
        "/evaluasi?region={r}",
        SIGNED_IN,
        SIGNED_IN,
    ),
    row("POST", "/evaluasi", "/evaluasi?region={r}", ADMIN, ADMIN),
    row(
        "GET",
        "/evaluasi/{round}",
        "/evaluasi/1?region={r}",
        SIGNED_IN,
        SIGNED_IN,
    ),
    row(
        "GET",
        "/evaluasi/{round}/{region}",
        "/evaluasi/1/{r}",
        IN,
        OUT,
    ),
    row(
        "POST",
        "/evaluasi/{round}/{region}",
        "/evaluasi/1/{r}",
        FILL_IN,
        FILL_OUT,
    ),
    row(
        "POST",
        "/evaluasi/{round}/{region}/bukti",
        "/evaluasi/1/{r}/bukti",
        [401, 403, 403, 422, 422],
        [401, 403, 403, 403, 422],
    ),
    row(
        "GET",
        "/evaluasi/{round}/{region}/riwayat",
        "/evaluasi/1/{r}/riwayat",
        IN,
        OUT,
    ),
    row(
        "GET",
        "/evaluasi/{round}/{region}/hasil",
        "/evaluasi/1/{r}/hasil",
        NONE_IN,
        NONE_OUT,
    ),
    row(
        "GET",
        "/evaluasi/{round}/grafik/{file}",
        "/evaluasi/1/grafik/radar.svg?region={r}",
        NONE_IN,
        NONE_OUT,
    ),
    row(
        "GET",
        "/evaluasi/{round}/grafik/{file}",
        "/evaluasi/1/grafik/peringkat.svg?region={r}",
        [401, 403, 404, 403, 404],
        [401, 403, 404, 403, 404],
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn every_evaluation_route_gives_each_role_the_expected_status_inside_and_outside_its_scope() {
    let app = spawn_app_with(access_settings(None)).await;
    let deadline = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d");
    let resp = app
        .as_user("admin")
        .client
        .post(format!("{}/api/v1/rounds", app.address))
        .json(&json!({ "year": 2025, "cohort": ["35.09", "35.10", "35.78"],
                       "deadline": deadline.to_string(),
                       "assignments": { "35.09": "kominfo", "35.10": "kominfo", "35.78": "kominfo" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let failures = check_in(&app, MATRIX, &CALLERS, &["35.09"], &["35.10", "35.78"]).await;
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
