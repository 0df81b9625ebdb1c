//! Headless Chromium fills and submits a self-assessment form as a region's steward would:
//! signs in, answers every item in the page's own controls, clicks "Kirim formulir", and the
//! form is submitted (checked through the API). Driven like `browser.rs`; without Chromium the
//! test is skipped with a notice, unless `CI` is set.

use serde_json::{Value, json};

use crate::browser::{find_chromium, launch};
use crate::helpers::{PASSWORD, TestDb};

/// Every answer control of the form: a maturity level 4, "yes", or 50.
const FILL: &str = r#"
(() => {
  let n = 0;
  for (const el of document.querySelectorAll('[name^="v_"]')) {
    if (el.tagName === 'SELECT') {
      const wanted = [...el.options].find(o => o.value === '4' || o.value === 'yes');
      el.value = wanted.value;
    } else {
      el.value = '50';
    }
    n += 1;
  }
  document.querySelector('button[value="submit"]').click();
  return n;
})()
"#;

#[tokio::test(flavor = "multi_thread")]
async fn chromium_fills_and_submits_a_self_assessment_form() {
    let Some(chromium) = find_chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium is not installed (apt-get install chromium, or set CHROMIUM)"
        );
        eprintln!("evaluation browser test skipped: no Chromium on PATH");
        return;
    };
    let db = TestDb::all("browser").await.into_iter().next().unwrap();
    let (app, cleanup) = db.spawn().await;
    let admin = app.as_user("admin");
    let deadline = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let resp = admin
        .client
        .post(format!("{}/api/v1/rounds", app.address))
        .json(&json!({ "year": 2025, "cohort": ["35.09"], "deadline": deadline }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let id = resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let profile = tempfile::tempdir().unwrap();
    let (_browser, mut cdp) = launch(&chromium, profile.path()).await;
    // Sign in as the Jember steward; the login sends the browser on to the form.
    let next = format!("/evaluasi/{id}/35.09");
    cdp.events.clear();
    cdp.call(
        "Page.navigate",
        json!({ "url": format!("{}/login?next={next}", app.address) }),
    )
    .await;
    cdp.wait_for("Page.loadEventFired").await;
    cdp.events.clear();
    cdp.eval(&format!(
        "document.querySelector('#name').value = 'diskominfo-jember'; \
         document.querySelector('#password').value = '{PASSWORD}'; \
         document.querySelector('form').submit(); true"
    ))
    .await;
    cdp.wait_for("Page.loadEventFired").await;
    let location = cdp.eval("location.pathname").await;
    assert_eq!(location.as_str().unwrap(), next);

    // Answer every item in the page and submit.
    cdp.events.clear();
    let filled = cdp.eval(FILL).await;
    assert_eq!(filled.as_u64(), Some(36), "answer controls on the page");
    cdp.wait_for("Page.loadEventFired").await;
    let message = cdp
        .eval("document.querySelector('[role=status]').textContent")
        .await;
    assert!(message.as_str().unwrap().contains("terkirim"), "{message}");

    // The server has the form submitted with every answer.
    let steward = app.as_user("diskominfo-jember");
    let (status, form) = steward
        .get_json(&format!("/api/v1/rounds/{id}/forms/35.09"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(form["status"], "submitted", "{form}");
    assert!(
        form["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["value"].is_string())
    );
    cleanup.finish().await;
}
