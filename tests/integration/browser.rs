//! A real browser on the real server: headless Chromium loads the dashboard, follows the link
//! to a kecamatan, checks that every chart image actually loaded (`naturalWidth > 0`), and takes
//! a screenshot whose PNG is decoded and checked.
//!
//! Chromium is driven over the DevTools protocol with a few lines of JSON over a WebSocket
//! (tokio-tungstenite) rather than a CDP crate: four commands are needed, and the protocol
//! crates generate thousands of types. Without Chromium the test fails when `CI` is set
//! (`.ci/run` installs it) and is skipped with a notice otherwise. Set `DASHBOARD_SCREENSHOT`
//! to a path to keep the screenshot.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{decode_png, spawn_app};

/// Generous bound on any one browser step, so a wedged browser fails the test instead of
/// hanging it; not a speed assertion.
const STEP: Duration = Duration::from_secs(90);
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 1000;
/// A phone's CSS width.
const PHONE_WIDTH: u32 = 390;

pub(crate) fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Kills the browser when the test ends, however it ends.
pub(crate) struct Browser(Child);

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A DevTools protocol session on one page target.
pub(crate) struct Cdp {
    ws: Ws,
    next_id: u64,
    session: Option<String>,
    pub(crate) events: VecDeque<Value>,
}

impl Cdp {
    async fn read(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(STEP, self.ws.next())
                .await
                .expect("the browser went silent")
                .expect("the DevTools connection closed")
                .expect("DevTools read failed");
            if let Message::Text(text) = msg {
                return serde_json::from_str(text.as_str()).expect("DevTools sent JSON");
            }
        }
    }

    pub(crate) async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .await
            .expect("DevTools write failed");
        loop {
            let v = self.read().await;
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none(), "{method} failed: {v}");
                return v["result"].clone();
            }
            if v.get("method").is_some() {
                self.events.push_back(v);
            }
        }
    }

    pub(crate) async fn wait_for(&mut self, event: &str) {
        if let Some(i) = self.events.iter().position(|e| e["method"] == event) {
            self.events.drain(..=i);
            return;
        }
        loop {
            let v = self.read().await;
            if v["method"] == event {
                return;
            }
        }
    }

    /// Evaluate `expression` in the page (awaiting a promise) and return its value.
    pub(crate) async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }
}

pub(crate) async fn launch(chromium: &PathBuf, profile: &std::path::Path) -> (Browser, Cdp) {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--remote-debugging-port=0",
            &format!("--window-size={WIDTH},{HEIGHT}"),
            &format!("--user-data-dir={}", profile.display()),
            "about:blank",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    let stderr = child.stderr.take().unwrap();
    let browser = Browser(child);
    // Chromium prints the browser's WebSocket address once it listens; a thread reads its
    // stderr (and keeps draining it, so the browser never blocks on a full pipe).
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("DevTools listening on ")
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    let url = tokio::time::timeout(STEP, rx)
        .await
        .expect("Chromium did not open DevTools")
        .expect("Chromium exited without opening DevTools");
    let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("cannot connect to DevTools");
    let mut cdp = Cdp {
        ws,
        next_id: 0,
        session: None,
        events: VecDeque::new(),
    };
    let target = cdp
        .call("Target.createTarget", json!({ "url": "about:blank" }))
        .await;
    let session = cdp
        .call(
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        )
        .await;
    cdp.session = Some(session["sessionId"].as_str().unwrap().to_string());
    cdp.call("Page.enable", json!({})).await;
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await;
    (browser, cdp)
}

/// Every image scrolled into view (lazy ones load then) and waited for; `[src, naturalWidth]`.
const IMAGES_LOADED: &str = r#"
(async () => {
  const imgs = [...document.images];
  for (const img of imgs) {
    img.scrollIntoView();
    if (!img.complete) {
      await new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); });
    }
  }
  window.scrollTo(0, 0);
  return imgs.map(i => [i.getAttribute('src'), i.naturalWidth]);
})()
"#;

/// `[page width, viewport width, the outermost elements reaching past the screen]`.
const WIDTHS: &str = r#"
(() => {
  const screen = 390;
  const out = [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > screen + 0.5)
    .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= screen + 0.5)
    .filter(e => !e.parentElement || getComputedStyle(e.parentElement).overflowX === 'visible')
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right));
  return [document.documentElement.scrollWidth, window.innerWidth, out.join(', ')];
})()
"#;

#[tokio::test(flavor = "multi_thread")]
async fn chromium_follows_a_kecamatan_link_sees_every_chart_and_takes_a_screenshot() {
    let Some(chromium) = find_chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium is not installed (apt-get install chromium, or set CHROMIUM)"
        );
        eprintln!("browser test skipped: no Chromium on PATH (set CHROMIUM or install chromium)");
        return;
    };
    let app = spawn_app().await;
    let profile = tempfile::tempdir().unwrap();
    let (_browser, mut cdp) = launch(&chromium, profile.path()).await;

    // The dashboard.
    cdp.events.clear();
    cdp.call(
        "Page.navigate",
        json!({ "url": format!("{}/", app.address) }),
    )
    .await;
    cdp.wait_for("Page.loadEventFired").await;
    let heading = cdp.eval("document.querySelector('h1').textContent").await;
    assert!(
        heading.as_str().unwrap().contains("Kabupaten Jember"),
        "{heading}"
    );

    // Follow the ranking table's link to a kecamatan, as a person would: a click.
    let link = cdp
        .eval(
            "(() => { const a = document.querySelector('tbody th a[href^=\"/?region=35.09.\"]'); \
             a.click(); return a.getAttribute('href'); })()",
        )
        .await;
    let link = link
        .as_str()
        .expect("a kecamatan link in the ranking")
        .to_string();
    cdp.wait_for("Page.loadEventFired").await;
    let location = cdp.eval("location.pathname + location.search").await;
    assert_eq!(location.as_str().unwrap(), link.replace("&amp;", "&"));
    let heading = cdp.eval("document.querySelector('h1').textContent").await;
    assert!(
        heading.as_str().unwrap().starts_with("Kecamatan "),
        "{heading}"
    );

    // Every chart image loaded: the radar, the map and the trend.
    let images = cdp.eval(IMAGES_LOADED).await;
    let images = images.as_array().unwrap();
    assert!(images.len() >= 3, "{images:?}");
    for kind in ["radar", "map", "trend"] {
        assert!(
            images.iter().any(|i| i[0]
                .as_str()
                .unwrap()
                .starts_with(&format!("/charts/{kind}.png"))),
            "no {kind} chart on the page: {images:?}"
        );
    }
    for img in images {
        assert!(img[1].as_u64().unwrap() > 0, "chart did not load: {img}");
    }

    // The screenshot: a real PNG of the viewport, not a blank page.
    let shot = cdp
        .call("Page.captureScreenshot", json!({ "format": "png" }))
        .await;
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h, pixels) = decode_png(&png);
    assert_eq!((w, h), (WIDTH, HEIGHT));
    let header_blue = pixels.iter().filter(|p| **p == [0x0b, 0x39, 0x54]).count();
    assert!(
        header_blue > 10_000,
        "the page header is not in the screenshot"
    );
    let distinct: std::collections::HashSet<_> = pixels.iter().collect();
    assert!(distinct.len() > 50, "the screenshot is nearly blank");
    if let Some(path) = std::env::var_os("DASHBOARD_SCREENSHOT") {
        std::fs::write(&path, &png).unwrap();
    }

    // On a phone (390 px wide) no page is wider than the screen: wide tables scroll inside
    // their own box instead of pushing columns off screen.
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": PHONE_WIDTH, "height": 844, "deviceScaleFactor": 1, "mobile": true }),
    )
    .await;
    for page in [
        "/?region=35.09&period=2025",
        "/?region=35.09.20&period=2025",
        "/dimensi/economy?region=35.09.20&period=2025",
        "/bandingkan?region=35.09&period=2025",
        "/metode",
    ] {
        cdp.events.clear();
        cdp.call(
            "Page.navigate",
            json!({ "url": format!("{}{page}", app.address) }),
        )
        .await;
        cdp.wait_for("Page.loadEventFired").await;
        // A phone widens its layout viewport to fit content that overflows, so both widths
        // are compared with the screen's; the elements sticking out are named on failure.
        let widths = cdp.eval(WIDTHS).await;
        let (page_width, viewport) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
        let screen = u64::from(PHONE_WIDTH);
        assert!(
            page_width <= screen && viewport <= screen,
            "{page} is {page_width} px wide (viewport {viewport}) on a {screen} px screen; \
             sticking out: {}",
            widths[2]
        );
        let shot = cdp
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        let (w, _, _) = decode_png(&png);
        assert_eq!(w, PHONE_WIDTH, "{page}");
        if let Some(dir) = std::env::var_os("PHONE_SCREENSHOTS") {
            let name = page.replace(['/', '?', '&', '='], "_");
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), &png).unwrap();
        }
    }
}
