//! Access control on the real server: every route × every role × a region inside and outside
//! the caller's scope, with public mode off and on; login, logout, cookies, CSRF, tokens.

use kotacerdas::server::routes::{self, Reads};

use crate::helpers::{PASSWORD, TestApp, access_settings, spawn_app_with, token};

/// The callers of the matrix, in the order of the expected-status arrays.
pub(crate) const CALLERS: [Option<&str>; 5] = [
    None, // anonymous
    Some("bappeda-jember"),
    Some("kominfo"),
    Some("diskominfo-jember"),
    Some("admin"),
];

/// Regions inside the scope of the Jember viewer and steward, and outside it. 35.10
/// (Banyuwangi) and 35.78 (Surabaya) exist but have no data, so no scores: evaluators and
/// admins, who see every region, get 404 there.
const INSIDE: [&str; 2] = ["35.09", "35.09.20"];
const OUTSIDE: [&str; 2] = ["35.10", "35.78"];

/// One route of the matrix: the route as registered, the request (`{r}` stands for the
/// region), and the status per caller (anonymous, viewer, evaluator, steward, admin) for a
/// region inside the Jember scope and for one outside it.
pub(crate) struct Row {
    method: &'static str,
    route: &'static str,
    path: &'static str,
    inside: [u16; 5],
    outside: [u16; 5],
}

pub(crate) const fn row(
    method: &'static str,
    route: &'static str,
    path: &'static str,
    inside: [u16; 5],
    outside: [u16; 5],
) -> Row {
    Row {
        method,
        route,
        path,
        inside,
        outside,
    }
}

/// Public mode off. Anonymous callers get 401 wherever a role is needed; a viewer and a
/// steward of Jember get 403 outside it; an upload needs a steward or an admin (the steward's
/// rows for other regions are quarantined, so the request itself succeeds).
const MATRIX: &[Row] = &[
    //                                                                   anon viewer eval steward admin
    row(
        "GET",
        "/",
        "/?region={r}&period=2025",
        [401, 200, 200, 200, 200],
        [401, 403, 404, 403, 404],
    ),
    row(
        "GET",
        "/dimensi/{dimension}",
        "/dimensi/economy?region={r}&period=2025",
        [401, 200, 200, 200, 200],
        [401, 403, 404, 403, 404],
    ),
    row(
        "GET",
        "/dimensi/{dimension}/kegiatan.csv",
        "/dimensi/economy/kegiatan.csv?region={r}&period=2025",
        [401, 200, 200, 200, 200],
        [401, 403, 404, 403, 404],
    ),
    row(
        "GET",
        "/bandingkan",
        "/bandingkan?region={r}&period=2025",
        [401, 200, 200, 200, 200],
        [401, 403, 404, 403, 404],
    ),
    row(
        "GET",
        "/metode",
        "/metode?region={r}",
        [401, 200, 200, 200, 200],
        [401, 403, 200, 403, 200],
    ),
    row(
        "GET",
        "/unggah",
        "/unggah?region={r}",
        [401, 200, 200, 200, 200],
        [401, 200, 200, 200, 200],
    ),
    row(
        "POST",
        "/unggah",
        "/unggah?region={r}",
        [401, 403, 403, 200, 200],
        [401, 403, 403, 200, 200],
    ),
    row("GET", "/healthz", "/healthz?region={r}", [200; 5], [200; 5]),
    row(
        "POST",
        "/api/v1/jobs/run",
        "/api/v1/jobs/run?job=rescore&region={r}",
        [401, 403, 403, 403, 200],
        [401, 403, 403, 403, 200],
    ),
    row(
        "GET",
        "/reports/{region}/{file}",
        "/reports/{r}/2025.csv",
        [401, 403, 200, 403, 200],
        // A kab/kota without data has no scores, so no report (not a report of zeros).
        [401, 403, 404, 403, 404],
    ),
    row(
        "GET",
        "/reports/cohort/{file}",
        "/reports/cohort/2025.csv?province=35&region={r}",
        [401, 403, 200, 403, 200],
        [401, 403, 200, 403, 200],
    ),
    row(
        "GET",
        "/api/v1/activities",
        "/api/v1/activities?region={r}&limit=5",
        [401, 200, 200, 200, 200],
        [401, 403, 200, 403, 200],
    ),
    row(
        "GET",
        "/api/v1/scores/peers",
        "/api/v1/scores/peers?peer_group={r}&period=2025",
        [401, 200, 200, 200, 200],
        // Banyuwangi's and Surabaya's kecamatan have no scores.
        [401, 403, 404, 403, 404],
    ),
    row(
        "GET",
        "/api/v1/ingest/runs",
        "/api/v1/ingest/runs?region={r}",
        [401, 403, 200, 403, 200],
        [401, 403, 200, 403, 200],
    ),
    row(
        "GET",
        "/login",
        "/login?next=/%3Fregion%3D{r}",
        [200; 5],
        [200; 5],
    ),
    row(
        "GET",
        "/api/v1/me",
        "/api/v1/me?region={r}",
        [200; 5],
        [200; 5],
    ),
    row(
        "GET",
        "/api/v1/scores",
        "/api/v1/scores?region={r}&period=2025",
        [401, 200, 200, 200, 200],
        [401, 403, 404, 403, 404],
    ),
    row(
        "GET",
        "/api/v1/explain",
        "/api/v1/explain?region={r}&period=2025",
        [401, 200, 200, 200, 200],
        [401, 403, 404, 403, 404],
    ),
    row(
        "GET",
        "/api/v1/sensitivity",
        "/api/v1/sensitivity?region={r}&period=2025&replications=10",
        [401, 200, 200, 200, 200],
        [401, 403, 404, 403, 404],
    ),
    row(
        "GET",
        "/charts/{file}",
        "/charts/radar.svg?region={r}&period=2025",
        [401, 200, 200, 200, 200],
        [401, 403, 404, 403, 404],
    ),
    row(
        "GET",
        "/charts/{file}",
        "/charts/timeline.svg?region={r}",
        [401, 200, 200, 200, 200],
        [401, 403, 404, 403, 404],
    ),
    row(
        "POST",
        "/api/v1/ingest",
        "/api/v1/ingest?dry_run=true&region={r}",
        [401, 403, 403, 200, 200],
        [401, 403, 403, 200, 200],
    ),
    row("GET", "/readyz", "/readyz?region={r}", [200; 5], [200; 5]),
    row(
        "GET",
        "/metrics",
        "/metrics?region={r}",
        [401, 403, 403, 403, 200],
        [401, 403, 403, 403, 200],
    ),
    row(
        "GET",
        "/api/openapi.json",
        "/api/openapi.json?region={r}",
        [200; 5],
        [200; 5],
    ),
    row(
        "GET",
        "/api/v1/regions",
        "/api/v1/regions?parent={r}",
        [401, 200, 200, 200, 200],
        [401, 403, 200, 403, 200],
    ),
    row(
        "GET",
        "/api/v1/regions/{code}",
        "/api/v1/regions/{r}",
        [401, 200, 200, 200, 200],
        [401, 403, 200, 403, 200],
    ),
    row(
        "GET",
        "/api/v1/periods",
        "/api/v1/periods?region={r}",
        [401, 200, 200, 200, 200],
        [401, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/frameworks",
        "/api/v1/frameworks?region={r}",
        [401, 200, 200, 200, 200],
        [401, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/frameworks/{id}",
        "/api/v1/frameworks/seven_dimensions?region={r}",
        [401, 200, 200, 200, 200],
        [401, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/indicators",
        "/api/v1/indicators?region={r}",
        [401, 200, 200, 200, 200],
        [401, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/indicators/{id}",
        "/api/v1/indicators/umkm_go_online?region={r}&period=2025",
        [401, 200, 200, 200, 200],
        [401, 403, 404, 403, 404],
    ),
];

/// The body a matrix request sends: an activity upload (as a dry run) to the upload routes and
/// evidence routes, and to the evaluation routes a body of the right shape that their handler
/// refuses or answers without changing a form, so each caller reaches the handler's own checks.
fn with_body(req: reqwest::RequestBuilder, path: &str) -> reqwest::RequestBuilder {
    let route = path.split('?').next().unwrap_or(path);
    let region = path.split("region=").nth(1).unwrap_or("35.09");
    let json = |v: serde_json::Value| req.try_clone().unwrap().json(&v);
    if route.ends_with("/evidence") || route.ends_with("/bukti") {
        return req.multipart(upload_form(region));
    }
    if route.starts_with("/evaluasi") {
        return req.form(&[("action", "save"), ("version", "0")]);
    }
    if route.starts_with("/api/v1/masterplan") {
        return json(serde_json::json!({
            "programme": "Satu Data", "pillar": "bukan-pilar", "planned_year": 2025,
            "opd": "Diskominfo", "status": "planned"
        }));
    }
    if route == "/api/v1/rounds" {
        return json(serde_json::json!({ "year": 2025, "deadline": "bukan-tanggal" }));
    }
    if route.starts_with("/api/v1/rounds/") && route.contains("/forms/") {
        if route.rsplit('/').nth(1) == Some("forms") {
            return json(serde_json::json!({ "version": 0, "answers": [] }));
        }
        return json(serde_json::json!({ "version": 0 }));
    }
    if route.starts_with("/api/v1/rounds/") {
        return json(serde_json::json!({}));
    }
    req.multipart(upload_form(region))
}

/// One activity row for region `r`, as a steward would upload it.
fn upload_form(r: &str) -> reqwest::multipart::Form {
    let csv = format!(
        "id_kegiatan;tanggal;kode_wilayah;program;jumlah\nACC-1;01/03/2025;{};wifi_publik;4\n",
        if r.split('.').count() == 2 {
            format!("{r}.01")
        } else {
            r.to_string()
        }
    );
    // A dry run, also through the upload page: the matrix must not change the store the other
    // tests read.
    reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("kegiatan.csv"),
        )
        .text("dry_run", "1")
}

impl TestApp {
    async fn call(&self, method: &str, path: &str, caller: Option<&str>) -> reqwest::Response {
        let url = format!("{}{path}", self.address);
        let mut req = match method {
            "GET" => self.client.get(url),
            other => with_body(self.client.request(other.parse().unwrap(), url), path),
        };
        if let Some(name) = caller {
            req = req.bearer_auth(token(name));
        }
        req.send().await.expect("request failed")
    }
}

async fn check(app: &TestApp, rows: &[Row], callers: &[Option<&str>]) -> Vec<String> {
    check_in(app, rows, callers, &INSIDE, &OUTSIDE).await
}

/// [`check`] with other regions inside and outside the Jember scope.
pub(crate) async fn check_in(
    app: &TestApp,
    rows: &[Row],
    callers: &[Option<&str>],
    inside: &[&str],
    outside: &[&str],
) -> Vec<String> {
    let mut failures = Vec::new();
    for row in rows {
        for (regions, expected) in [(inside, &row.inside), (outside, &row.outside)] {
            for region in regions {
                let path = row.path.replace("{r}", region);
                for (i, caller) in callers.iter().enumerate() {
                    let resp = app.call(row.method, &path, *caller).await;
                    let status = resp.status().as_u16();
                    if status != expected[i] {
                        let body = resp.text().await.unwrap_or_default();
                        failures.push(format!(
                            "{} {path} as {}: {status}, expected {} ({})",
                            row.method,
                            caller.unwrap_or("anonymous"),
                            expected[i],
                            body.chars().take(160).collect::<String>()
                        ));
                    }
                }
            }
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_gives_each_role_the_expected_status_inside_and_outside_its_scope() {
    let app = spawn_app_with(access_settings(None)).await;
    let failures = check(&app, MATRIX, &CALLERS).await;
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test]
async fn every_route_of_the_server_has_a_row_in_the_matrix() {
    for r in routes::table() {
        let covered = MATRIX
            .iter()
            .chain(crate::access_evaluation::MATRIX)
            .any(|row| row.method == r.method.as_str() && row.route == r.path)
            // Login and logout take forms and have tests of their own (below).
            || matches!((r.method.as_str(), r.path), ("POST", "/login" | "/logout"));
        assert!(
            covered,
            "{} {} has no row in the access matrix",
            r.method, r.path
        );
    }
}

/// The GET routes that read no region's data. Every other GET route decides its regions in
/// the access extractor: the matrix above gets 200s from each of them, which a route that
/// skipped the extractor cannot give (it answers 500, see the unit tests of the access module).
const NO_REGION_GETS: [&str; 13] = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/login",
    "/api/v1/me",
    "/api/openapi.json",
    "/api/v1/periods",
    "/api/v1/frameworks",
    "/api/v1/frameworks/{id}",
    "/api/v1/indicators",
    "/unggah",
    // The list of evaluation rounds: year, title, deadline and cohort, no region's form.
    "/api/v1/rounds",
    "/evaluasi",
];

#[tokio::test]
async fn every_get_route_that_reads_regions_goes_through_the_access_extractor() {
    for r in routes::table().into_iter().filter(|r| r.method == "GET") {
        let declared_open = NO_REGION_GETS.contains(&r.path);
        assert_eq!(
            r.reads == Reads::NoRegion,
            declared_open,
            "GET {}: declared {:?}; a route that reads no region is listed here on purpose",
            r.path,
            r.reads
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn public_mode_lets_anonymous_callers_view_within_its_scope_only() {
    // Public for every region: outside Jember there is simply nothing scored.
    let everything = spawn_app_with(access_settings(Some("all"))).await;
    let rows = [
        row("GET", "/", "/?region={r}", [200; 5], [404; 5]),
        row(
            "GET",
            "/api/v1/scores",
            "/api/v1/scores?region={r}",
            [200; 5],
            [404; 5],
        ),
        row(
            "GET",
            "/charts/{file}",
            "/charts/bars.svg?region={r}",
            [200; 5],
            [404; 5],
        ),
        row(
            "POST",
            "/api/v1/ingest",
            "/api/v1/ingest?dry_run=true&region={r}",
            [401; 5],
            [401; 5],
        ),
    ];
    let failures = check(&everything, &rows, &[None]).await;
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));

    // Public for Jember only: elsewhere a sign-in might help, so 401.
    let jember = spawn_app_with(access_settings(Some("35.09"))).await;
    let rows = [
        row("GET", "/", "/?region={r}", [200; 5], [401; 5]),
        row(
            "GET",
            "/api/v1/scores",
            "/api/v1/scores?region={r}",
            [200; 5],
            [401; 5],
        ),
        row(
            "GET",
            "/charts/{file}",
            "/charts/trend.svg?region={r}",
            [200; 5],
            [401; 5],
        ),
    ];
    let failures = check(&jember, &rows, &[None]).await;
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn wider_maps_need_the_province_or_everything_in_scope() {
    let app = spawn_app_with(access_settings(None)).await;
    let cases = [
        ("bappeda-jember", "provinsi", 403),
        ("bappeda-jatim", "provinsi", 200),
        ("bappeda-jatim", "indonesia", 403),
        ("kominfo", "indonesia", 200),
    ];
    for (caller, map, expected) in cases {
        let path = format!("/charts/map.svg?region=35.09&period=2025&map={map}");
        let status = app.call("GET", &path, Some(caller)).await.status();
        assert_eq!(status.as_u16(), expected, "{caller} {map}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scoped_viewer_opens_on_its_own_region_and_sees_only_it_in_the_selector() {
    let app = spawn_app_with(access_settings(None)).await;
    let resp = app.call("GET", "/", Some("bappeda-jember")).await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Kabupaten Jember"));
    assert!(html.contains("bappeda-jember (viewer)"), "who is signed in");
    // Rejected rows and sources of every region's uploads are not for a scoped viewer.
    assert!(!html.contains("SHA-256"));
    let admin = app
        .call("GET", "/", Some("admin"))
        .await
        .text()
        .await
        .unwrap();
    assert!(admin.contains("SHA-256"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_bearer_token_is_refused_even_in_public_mode() {
    let app = spawn_app_with(access_settings(Some("all"))).await;
    for bad in [
        "Bearer kc_000000000000_0000",
        "Bearer nonsense",
        "Basic YWRtaW46YWRtaW4=",
    ] {
        let resp = app
            .client
            .get(format!("{}/api/v1/scores", app.address))
            .header("Authorization", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{bad}");
        assert_eq!(
            resp.headers()["www-authenticate"],
            "Bearer realm=\"kotacerdas\""
        );
    }
    // A valid token with one character changed.
    let good = token("admin");
    let forged = format!(
        "{}{}",
        &good[..good.len() - 1],
        if good.ends_with('0') { '1' } else { '0' }
    );
    let resp = app
        .client
        .get(format!("{}/api/v1/me", app.address))
        .bearer_auth(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn me_tells_who_the_caller_is() {
    let app = spawn_app_with(access_settings(None)).await;
    let me: serde_json::Value = app
        .call("GET", "/api/v1/me", Some("diskominfo-jember"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"], "diskominfo-jember");
    assert_eq!(me["role"], "steward");
    assert_eq!(me["scope"], "35.09");
    assert_eq!(me["capabilities"], serde_json::json!(["view", "ingest"]));
    assert_eq!(me["via"], "token");
    let anonymous: serde_json::Value = app
        .call("GET", "/api/v1/me", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(anonymous["user"], serde_json::Value::Null);
    assert_eq!(anonymous["capabilities"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stewards_rows_for_other_regions_are_quarantined_with_the_reason() {
    let app = spawn_app_with(access_settings(None)).await;
    let csv = "id_kegiatan;tanggal;kode_wilayah;program;jumlah\n\
               S-1;01/03/2025;35.09.20;wifi_publik;4\n\
               S-2;01/03/2025;35.10.01;wifi_publik;4\n\
               S-3;01/03/2025;35.09;wifi_publik;1\n";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("campur.csv"),
    );
    let resp = app
        .client
        .post(format!("{}/api/v1/ingest?dry_run=true", app.address))
        .bearer_auth(token("diskominfo-jember"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let report: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(report["files"][0]["accepted"], 2, "{report}");
    let rejection = &report["rejections"][0];
    assert_eq!(rejection["row"], 3);
    assert_eq!(rejection["column"], "region_code");
    let reason = rejection["reason_en"].as_str().unwrap();
    assert!(
        reason.contains("outside") && reason.contains("35.09"),
        "{reason}"
    );
}

fn session_from(resp: &reqwest::Response) -> Option<String> {
    let set = resp.headers().get("set-cookie")?.to_str().ok()?;
    let pair = set.split(';').next()?;
    let (name, value) = pair.split_once('=')?;
    (name == "kotacerdas_session" && !value.is_empty()).then(|| value.to_string())
}

impl TestApp {
    async fn login(
        &self,
        name: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self.client.post(format!("{}/login", self.address)).form(&[
            ("name", name),
            ("password", password),
            ("next", "/?region=35.09.20"),
            ("lang", "id"),
        ]);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_login_page_has_labelled_fields_in_indonesian_and_english() {
    let app = spawn_app_with(access_settings(None)).await;
    let html = app.get("/login").await.text().await.unwrap();
    assert!(html.contains("<html lang=\"id\""));
    assert!(
        html.contains("<label for=\"name\">Nama pengguna</label>"),
        "{html}"
    );
    assert!(html.contains("<label for=\"password\">Kata sandi</label>"));
    assert!(html.contains("id=\"password\" type=\"password\""));
    let html = app.get("/login?lang=en").await.text().await.unwrap();
    assert!(html.contains("<label for=\"name\">User name</label>"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_signs_in_sees_its_region_and_signs_out() {
    let app = spawn_app_with(access_settings(None)).await;
    // Anonymous: the dashboard asks for a sign-in that comes back here.
    let resp = app.get("/?region=35.09.20").await;
    assert_eq!(resp.status(), 401);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("Silakan masuk")
            && html.contains("/login?lang=id&amp;next=/%3Fregion%3D35.09.20"),
        "{html}"
    );

    let wrong = app.login("bappeda-jember", "salah", &[]).await;
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Nama pengguna atau kata sandi salah")
    );
    let unknown = app.login("siapa", PASSWORD, &[]).await;
    assert_eq!(unknown.status(), 401);

    let resp = app.login("bappeda-jember", PASSWORD, &[]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/?region=35.09.20");
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=28800"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    let session = session_from(&resp).unwrap();
    let cookie = format!("kotacerdas_session={session}");

    let get = |path: &str| {
        app.client
            .get(format!("{}{path}", app.address))
            .header("Cookie", &cookie)
            .send()
    };
    assert_eq!(get("/?region=35.09.20").await.unwrap().status(), 200);
    assert_eq!(
        get("/api/v1/scores?region=35.10").await.unwrap().status(),
        403
    );
    let me: serde_json::Value = get("/api/v1/me").await.unwrap().json().await.unwrap();
    assert_eq!(
        (me["user"].as_str(), me["via"].as_str()),
        (Some("bappeda-jember"), Some("session"))
    );

    // Logging out from another site is refused; from this one it ends the session.
    let foreign = app
        .client
        .post(format!("{}/logout", app.address))
        .header("Cookie", &cookie)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let host = app.address.trim_start_matches("http://").to_string();
    let out = app
        .client
        .post(format!("{}/logout", app.address))
        .header("Cookie", &cookie)
        .header("Origin", format!("http://{host}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(get("/?region=35.09.20").await.unwrap().status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn cookies_are_secure_behind_a_tls_proxy_and_logins_from_other_sites_are_refused() {
    let app = spawn_app_with(access_settings(None)).await;
    let resp = app
        .login("admin", PASSWORD, &[("X-Forwarded-Proto", "https")])
        .await;
    assert_eq!(resp.status(), 303);
    assert!(
        resp.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );

    let resp = app
        .login("admin", PASSWORD, &[("Origin", "https://evil.example")])
        .await;
    assert_eq!(resp.status(), 403);
    assert!(session_from(&resp).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cross_site_upload_riding_on_a_session_cookie_is_refused() {
    let app = spawn_app_with(access_settings(None)).await;
    let session = session_from(&app.login("diskominfo-jember", PASSWORD, &[]).await).unwrap();
    let post = |origin: Option<&str>| {
        let mut req = app
            .client
            .post(format!("{}/api/v1/ingest?dry_run=true", app.address))
            .header("Cookie", format!("kotacerdas_session={session}"))
            .multipart(upload_form("35.09.20"));
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        req.send()
    };
    assert_eq!(
        post(Some("https://evil.example")).await.unwrap().status(),
        403
    );
    assert_eq!(post(None).await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_login_only_redirects_within_the_site() {
    let app = spawn_app_with(access_settings(None)).await;
    for next in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
    ] {
        let resp = app
            .client
            .post(format!("{}/login", app.address))
            .form(&[("name", "admin"), ("password", PASSWORD), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303);
        assert_eq!(resp.headers()["location"], "/", "{next}");
    }
}
