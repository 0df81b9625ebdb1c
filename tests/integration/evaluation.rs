//! A whole evaluation round through HTTP on the real server, on SQLite and on PostgreSQL: open,
//! fill with evidence, submit, verify with one changed value, return and resubmit, finalise,
//! results and recap; and each bad input and access rule of the issue.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb};

fn deadline(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(7) + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn send(app: &TestApp, method: &str, path: &str, body: Value) -> (u16, Value) {
    let url = format!("{}{path}", app.address);
    let req = match method {
        "PUT" => app.client.put(url),
        "PATCH" => app.client.patch(url),
        _ => app.client.post(url),
    };
    let resp = req.json(&body).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Every item answered: level 4, yes, a number at half the target, 60 %.
fn answers(form: &Value) -> Vec<Value> {
    form["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let a = &i["answer"];
            let value = match a["type"].as_str().unwrap() {
                "maturity" => json!(4),
                "yes_no" => json!("ya"),
                "number" => {
                    json!((a["min"].as_f64().unwrap() + a["target"].as_f64().unwrap()) / 2.0)
                }
                _ => json!("60"),
            };
            json!({ "item": i["id"], "value": value })
        })
        .collect()
}

async fn open_round(admin: &TestApp) -> i64 {
    let (status, round) = send(
        admin,
        "POST",
        "/api/v1/rounds",
        json!({ "year": 2025, "cohort": ["35.09", "35.10"], "deadline": deadline(30),
                "assignments": { "35.09": "kominfo" } }),
    )
    .await;
    assert_eq!(status, 201, "{round}");
    round["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_round_runs_through_http_on_every_database() {
    for db in TestDb::all("whole_round").await {
        let label = db.label;
        let (app, cleanup) = db.spawn().await;
        let (admin, steward, kominfo, viewer) = (
            app.as_user("admin"),
            app.as_user("diskominfo-jember"),
            app.as_user("kominfo"),
            app.as_user("bappeda-jember"),
        );
        let id = open_round(&admin).await;
        let form_url = format!("/api/v1/rounds/{id}/forms/35.09");

        // Fill: a draft of every answer, evidence as a file and a link, submit.
        let (status, form) = steward.get_json(&form_url).await;
        assert_eq!(
            (status, form["version"].as_i64()),
            (200, Some(1)),
            "{label}: {form}"
        );
        assert_eq!(form["items"].as_array().unwrap().len(), 36);
        let (status, saved) = send(
            &steward,
            "PUT",
            &form_url,
            json!({ "version": 1, "answers": answers(&form) }),
        )
        .await;
        assert_eq!(
            (status, saved["version"].as_i64()),
            (200, Some(2)),
            "{label}: {saved}"
        );
        let pdf = b"%PDF-1.4\n% Perkada masterplan smart city\n".to_vec();
        let part = reqwest::multipart::Part::bytes(pdf.clone()).file_name("perkada masterplan.pdf");
        let upload = reqwest::multipart::Form::new()
            .text("item", "GOV-03")
            .part("file", part);
        let resp = steward
            .client
            .post(format!("{}{form_url}/evidence", app.address))
            .multipart(upload)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 201, "{label}");
        let evidence: Value = resp.json().await.unwrap();
        let link = reqwest::multipart::Form::new()
            .text("item", "ECO-02")
            .text("url", "https://jemberkab.go.id/umkm");
        let resp = steward
            .client
            .post(format!("{}{form_url}/evidence", app.address))
            .multipart(link)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 201, "{label}");
        let (status, v) = send(
            &steward,
            "POST",
            &format!("{form_url}/submit"),
            json!({ "version": 2 }),
        )
        .await;
        assert_eq!(
            (status, v["version"].as_i64()),
            (200, Some(3)),
            "{label}: {v}"
        );

        // Verify with one changed value, return once, resubmit with a correction.
        let (status, v) = send(
            &kominfo,
            "POST",
            &format!("{form_url}/verify"),
            json!({ "version": 3,
            "decisions": [{ "item": "GOV-01", "value": 2, "note": "Layanan belum terpadu" }] }),
        )
        .await;
        assert_eq!(
            (status, v["version"].as_i64()),
            (200, Some(4)),
            "{label}: {v}"
        );
        let (status, v) = send(
            &kominfo,
            "POST",
            &format!("{form_url}/return"),
            json!({ "version": 4, "note": "Periksa GOV-03" }),
        )
        .await;
        assert_eq!(
            (status, v["version"].as_i64()),
            (200, Some(5)),
            "{label}: {v}"
        );
        let (status, v) = send(
            &steward,
            "PUT",
            &form_url,
            json!({ "version": 5, "answers": [{ "item": "GOV-03", "value": "tidak" }] }),
        )
        .await;
        assert_eq!(status, 200, "{label}: {v}");
        let (status, v) = send(
            &steward,
            "POST",
            &format!("{form_url}/submit"),
            json!({ "version": 6 }),
        )
        .await;
        assert_eq!(
            (status, v["version"].as_i64()),
            (200, Some(7)),
            "{label}: {v}"
        );
        let (status, v) = send(
            &kominfo,
            "POST",
            &format!("{form_url}/return"),
            json!({ "version": 7, "note": "lagi" }),
        )
        .await;
        assert_eq!(status, 409, "{label}: returned only once: {v}");

        // Finalise: refused while GOV-03 (changed since) is unverified, then accepted.
        let (status, v) = send(
            &kominfo,
            "POST",
            &format!("{form_url}/finalise"),
            json!({ "version": 7 }),
        )
        .await;
        assert_eq!(status, 422, "{label}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("GOV-03"),
            "{v}"
        );
        let (_, v) = send(
            &kominfo,
            "POST",
            &format!("{form_url}/verify"),
            json!({ "version": 7, "accept_rest": true }),
        )
        .await;
        let (status, v) = send(
            &kominfo,
            "POST",
            &format!("{form_url}/finalise"),
            json!({ "version": v["version"] }),
        )
        .await;
        assert_eq!(status, 200, "{label}: {v}");

        // Results: verified below self-assessed, ranked; the region sees its own.
        let (status, results) = kominfo
            .get_json(&format!("/api/v1/rounds/{id}/results"))
            .await;
        assert_eq!(
            (status, results["pending"].as_u64()),
            (200, Some(1)),
            "{label}: {results}"
        );
        let jember = &results["regions"][0];
        assert_eq!(jember["region"], "35.09");
        assert_eq!(jember["name"], "Kabupaten Jember");
        assert_eq!(jember["rank"]["national"], 1);
        let (verified, own) = (
            jember["verified"]["index"].as_f64().unwrap(),
            jember["self_assessed"]["index"].as_f64().unwrap(),
        );
        assert!(verified < own, "{verified} < {own}");
        let (status, mine) = steward
            .get_json(&format!("/api/v1/rounds/{id}/results/35.09"))
            .await;
        assert_eq!(
            (status, mine["verified"]["index"].as_f64()),
            (200, Some(verified))
        );

        // The audit trail: who, when, old and new, for anyone who may see the region.
        let (status, trail) = viewer.get_json(&format!("{form_url}/audit")).await;
        assert_eq!(status, 200);
        let trail = trail.as_array().unwrap();
        assert!(
            trail
                .iter()
                .any(|e| e["actor"] == "kominfo" && e["item"] == "GOV-01" && e["new_value"] == "2"),
            "{trail:?}"
        );
        assert!(trail.iter().any(|e| e["actor"] == "diskominfo-jember"
            && e["item"] == "GOV-03"
            && e["old_value"] == "yes"
            && e["new_value"] == "no"));
        assert!(
            trail
                .iter()
                .all(|e| e["at"].as_str().unwrap().ends_with('Z'))
        );

        // Evidence comes back as an attachment, byte for byte, never to be sniffed.
        let resp = viewer
            .get(&format!(
                "{form_url}/evidence/{}",
                evidence["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(resp.status().as_u16(), 200);
        assert!(
            resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
        assert_eq!(resp.bytes().await.unwrap().to_vec(), pdf);

        // Downloads: the recap as xlsx, CSV and PDF; the region's report.
        let xlsx = kominfo
            .get(&format!("/api/v1/rounds/{id}/recap/xlsx"))
            .await;
        assert_eq!(xlsx.status().as_u16(), 200);
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
        let csv = kominfo
            .get(&format!("/api/v1/rounds/{id}/recap/csv"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            csv.lines().nth(1).unwrap().contains("Kabupaten Jember"),
            "{csv}"
        );
        for url in [
            format!("/api/v1/rounds/{id}/recap/pdf"),
            format!("/api/v1/rounds/{id}/results/35.09/report/pdf?lang=en"),
        ] {
            let resp = kominfo.get(&url).await;
            assert_eq!(resp.status().as_u16(), 200, "{url}");
            assert!(resp.bytes().await.unwrap().starts_with(b"%PDF-"), "{url}");
        }
        let items = steward
            .get(&format!(
                "/api/v1/rounds/{id}/results/35.09/report/csv?table=evidence"
            ))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            items.contains(evidence["sha256"].as_str().unwrap()),
            "{items}"
        );
        cleanup.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_and_access_get_clear_messages_and_lose_nothing() {
    for db in TestDb::all("bad_input").await {
        let label = db.label;
        let (app, cleanup) = db.spawn().await;
        let (admin, steward, kominfo, viewer) = (
            app.as_user("admin"),
            app.as_user("diskominfo-jember"),
            app.as_user("kominfo"),
            app.as_user("bappeda-jember"),
        );
        let id = open_round(&admin).await;
        let form_url = format!("/api/v1/rounds/{id}/forms/35.09");
        let (_, form) = steward.get_json(&form_url).await;
        let all = answers(&form);
        let (status, _) = send(
            &steward,
            "PUT",
            &form_url,
            json!({ "version": 1, "answers": &all[..5] }),
        )
        .await;
        assert_eq!(status, 200);

        // Only an admin opens a round; another region's form, or a viewer, is refused.
        let (status, _) = send(
            &steward,
            "POST",
            "/api/v1/rounds",
            json!({ "year": 2025, "deadline": deadline(9) }),
        )
        .await;
        assert_eq!(status, 403, "{label}");
        let (status, v) = send(
            &steward,
            "PUT",
            &format!("/api/v1/rounds/{id}/forms/35.10"),
            json!({ "version": 1, "answers": [] }),
        )
        .await;
        assert_eq!(status, 403, "{label}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("35.10"));
        let (status, _) = send(
            &viewer,
            "PUT",
            &form_url,
            json!({ "version": 2, "answers": [] }),
        )
        .await;
        assert_eq!(status, 403);

        // Unknown item, out of range: 422 in the caller's language; nothing saved is lost.
        let (status, v) = send(
            &steward,
            "PUT",
            &form_url,
            json!({ "version": 2, "answers": [{ "item": "XYZ-99", "value": 1 }] }),
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("tidak ada dalam instrumen"),
            "{v}"
        );
        let resp = steward
            .client
            .put(format!("{}{form_url}", app.address))
            .header("accept-language", "en-GB,en;q=0.9")
            .json(&json!({ "version": 2, "answers": [{ "item": "GOV-01", "value": 7 }] }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 422);
        let v: Value = resp.json().await.unwrap();
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("a maturity level from 1 to 5"),
            "{v}"
        );
        let (_, now) = steward.get_json(&form_url).await;
        assert_eq!(now["version"], 2);
        assert_eq!(now["items"][0]["value"], "4");

        // Two people on one form: the second save from the same version is a conflict.
        let (status, _) = send(
            &steward,
            "PUT",
            &form_url,
            json!({ "version": 2, "answers": [{ "item": "GOV-01", "value": 3 }] }),
        )
        .await;
        assert_eq!(status, 200);
        let (status, v) = send(
            &admin,
            "PUT",
            &form_url,
            json!({ "version": 2, "answers": [{ "item": "GOV-01", "value": 5 }] }),
        )
        .await;
        assert_eq!(status, 409, "{label}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("diskominfo-jember"),
            "{v}"
        );
        let (_, now) = steward.get_json(&form_url).await;
        assert_eq!(now["items"][0]["value"], "3");

        // Evidence over the limit, or of a type that is not allowed.
        let big =
            reqwest::multipart::Part::bytes(vec![b'%'; 1024 * 1024 + 10]).file_name("besar.pdf");
        let resp = steward
            .client
            .post(format!("{}{form_url}/evidence", app.address))
            .multipart(
                reqwest::multipart::Form::new()
                    .text("item", "GOV-01")
                    .part("file", big),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 413);
        let v: Value = resp.json().await.unwrap();
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("besar.pdf"),
            "{v}"
        );
        let exe = reqwest::multipart::Part::bytes(b"MZ\x90\x00".to_vec()).file_name("setup.exe");
        let resp = steward
            .client
            .post(format!("{}{form_url}/evidence", app.address))
            .multipart(
                reqwest::multipart::Form::new()
                    .text("item", "GOV-01")
                    .part("file", exe),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 415);

        // Verification: only the assigned evaluator, only a submitted form.
        let (status, _) = send(
            &kominfo,
            "POST",
            &format!("{form_url}/verify"),
            json!({ "version": 3, "accept_rest": true }),
        )
        .await;
        assert_eq!(status, 409, "{label}: not submitted yet");
        let (status, _) = send(
            &steward,
            "POST",
            &format!("{form_url}/verify"),
            json!({ "version": 3, "accept_rest": true }),
        )
        .await;
        assert_eq!(status, 403);
        let (status, v) = send(
            &kominfo,
            "POST",
            &format!("/api/v1/rounds/{id}/forms/35.10/verify"),
            json!({ "version": 1, "accept_rest": true }),
        )
        .await;
        assert_eq!(status, 403, "{label}: not assigned: {v}");

        // A submitted form is locked for the region.
        let (status, _) = send(
            &steward,
            "PUT",
            &form_url,
            json!({ "version": 3, "answers": all }),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = send(
            &steward,
            "POST",
            &format!("{form_url}/submit"),
            json!({ "version": 4 }),
        )
        .await;
        assert_eq!(status, 200);
        let (status, v) = send(
            &steward,
            "PUT",
            &form_url,
            json!({ "version": 5, "answers": [{ "item": "GOV-01", "value": 1 }] }),
        )
        .await;
        assert_eq!(status, 409, "{v}");

        // After the deadline the region cannot edit; what it saved is kept.
        let (status, _) = send(
            &admin,
            "PATCH",
            &format!("/api/v1/rounds/{id}"),
            json!({ "deadline": deadline(-1) }),
        )
        .await;
        assert_eq!(status, 200);
        let other = format!("/api/v1/rounds/{id}/forms/35.10");
        let (status, v) = send(
            &admin,
            "PUT",
            &other,
            json!({ "version": 1, "answers": [{ "item": "GOV-01", "value": 2 }] }),
        )
        .await;
        assert_eq!(status, 409, "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Batas waktu"),
            "{v}"
        );

        // Anonymous callers see nothing of a form.
        let resp = app.get(&form_url).await;
        assert_eq!(resp.status().as_u16(), 401);
        cleanup.finish().await;
    }
}
