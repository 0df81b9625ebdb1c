//! `kotacerdas bench --login-flood URL`: a flood of failed logins against a running server,
//! while a signed-in user keeps asking for charts.
//!
//! The client signs in as the given user, then sends `logins` `POST /login` with unknown names
//! and wrong passwords, `concurrency` at a time, while a few chart clients ask for a radar PNG
//! with a new `target` on every request (each one rendered, none from the cache) with the
//! user's session. It reports the login answers by status with their latency, the chart
//! requests made during the flood with theirs, and, given the server's process id, the
//! server's resident memory before, at its peak during, and two seconds after the flood (read
//! from `/proc`, so Linux only). It measures and prints; it asserts nothing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

/// The `--login-flood` flags of `kotacerdas bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct FloodArgs {
    /// Flood the login of the server at URL instead, while USER asks for charts (its password
    /// is one line of standard input); see bench/login_flood.sh
    #[arg(long, value_name = "URL", requires = "user", conflicts_with_all = ["scoring", "auth", "reports"])]
    pub login_flood: Option<String>,
    /// With --login-flood: the signed-in user whose chart requests are timed
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// With --login-flood: logins sent in all
    #[arg(long, default_value_t = 800)]
    pub logins: usize,
    /// With --login-flood: logins in flight at once
    #[arg(long, default_value_t = 400)]
    pub concurrency: usize,
    /// With --login-flood: the server's process id, to report its resident memory
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
}

impl FloodArgs {
    /// Whether `--login-flood` was given.
    pub fn is_set(&self) -> bool {
        self.login_flood.is_some()
    }
}

/// `kotacerdas bench --login-flood URL …`: read the user's password from standard input, run
/// the flood and print the report.
pub fn run(args: FloodArgs) -> anyhow::Result<std::process::ExitCode> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("failed to read the password from standard input")?;
    let options = FloodOptions {
        base: args
            .login_flood
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string(),
        logins: args.logins,
        concurrency: args.concurrency,
        chart_clients: 4,
        user: args.user.unwrap_or_default(),
        password: password.trim_end_matches(['\r', '\n']).to_string(),
        server_pid: args.server_pid,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    print!("{}", runtime.block_on(flood(options))?);
    Ok(std::process::ExitCode::SUCCESS)
}

/// What to send, and where.
#[derive(Debug, Clone)]
pub struct FloodOptions {
    /// The server, e.g. `http://127.0.0.1:18080`.
    pub base: String,
    /// Logins sent in all.
    pub logins: usize,
    /// Logins in flight at once.
    pub concurrency: usize,
    /// Chart clients running during the flood, one request in flight each.
    pub chart_clients: usize,
    /// The signed-in user of the chart requests.
    pub user: String,
    /// That user's password.
    pub password: String,
    /// The server's process id, to read its resident memory.
    pub server_pid: Option<u32>,
}

/// Latencies of one kind of request, by status.
#[derive(Debug, Default)]
struct Sample {
    statuses: BTreeMap<String, usize>,
    millis: Vec<f64>,
}

impl Sample {
    fn add(&mut self, status: String, elapsed: Duration) {
        *self.statuses.entry(status).or_default() += 1;
        self.millis.push(elapsed.as_secs_f64() * 1e3);
    }

    fn quantile(&self, q: f64) -> f64 {
        let mut v = self.millis.clone();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n => v[((q * n as f64).ceil() as usize).clamp(1, n) - 1],
        }
    }

    fn statuses(&self) -> String {
        self.statuses
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {} | {:.1} | {:.1} | {:.1} |\n",
            self.millis.len(),
            self.statuses(),
            self.quantile(0.5),
            self.quantile(0.99),
            self.quantile(1.0)
        )
    }
}

/// `VmRSS` and `VmHWM` of process `pid`, in MiB.
fn resident_mib(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

async fn sign_in(client: &reqwest::Client, o: &FloodOptions) -> anyhow::Result<String> {
    let resp = client
        .post(format!("{}/login", o.base))
        .form(&[("name", o.user.as_str()), ("password", o.password.as_str())])
        .send()
        .await
        .with_context(|| format!("failed to reach {}", o.base))?;
    let cookie = resp
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    cookie.with_context(|| {
        format!(
            "signing in as {:?} failed with status {}",
            o.user,
            resp.status()
        )
    })
}

fn status_of(result: &reqwest::Result<reqwest::Response>) -> String {
    match result {
        Ok(r) => r.status().as_u16().to_string(),
        Err(e) if e.is_timeout() => "timeout".into(),
        Err(_) => "error".into(),
    }
}

/// Run the flood and return the report as Markdown.
pub async fn flood(o: FloodOptions) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(o.concurrency + o.chart_clients)
        .build()?;
    let cookie = sign_in(&client, &o).await?;
    let before = o.server_pid.and_then(resident_mib);

    let flooding = Arc::new(AtomicBool::new(true));
    let peak = o.server_pid.map(|pid| watch_peak(pid, flooding.clone()));
    let mut charts = Vec::new();
    for c in 0..o.chart_clients {
        let (client, cookie, flooding) = (client.clone(), cookie.clone(), flooding.clone());
        let base = o.base.clone();
        charts.push(tokio::spawn(async move {
            let mut sample = Sample::default();
            let mut n = 0u64;
            while flooding.load(Ordering::SeqCst) {
                n += 1;
                // A new target each time: a cache miss, so the chart is rendered.
                let url =
                    format!("{base}/charts/radar.png?region=35.09&period=2025&target={c}.{n:06}");
                let started = Instant::now();
                let result = client
                    .get(&url)
                    .header(reqwest::header::COOKIE, &cookie)
                    .send()
                    .await;
                let mut status = status_of(&result);
                if let Ok(r) = result
                    && r.bytes().await.is_err()
                {
                    status = "error".into();
                }
                sample.add(status, started.elapsed());
            }
            sample
        }));
    }

    let started = Instant::now();
    let slots = Arc::new(tokio::sync::Semaphore::new(o.concurrency.max(1)));
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..o.logins {
        let (client, slots, base) = (client.clone(), slots.clone(), o.base.clone());
        logins.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let t = Instant::now();
            let result = client
                .post(format!("{base}/login"))
                .form(&[
                    ("name", format!("tamu-{i}")),
                    ("password", format!("bukan-kata-sandi-{i}")),
                ])
                .send()
                .await;
            let status = status_of(&result);
            if let Ok(r) = result {
                let _ = r.bytes().await;
            }
            (status, t.elapsed())
        });
    }
    let mut login_sample = Sample::default();
    while let Some(done) = logins.join_next().await {
        let (status, elapsed) = done?;
        login_sample.add(status, elapsed);
    }
    let flood_time = started.elapsed();
    flooding.store(false, Ordering::SeqCst);
    let mut chart_sample = Sample::default();
    for c in charts {
        let s = c.await?;
        for (status, n) in s.statuses {
            *chart_sample.statuses.entry(status).or_default() += n;
        }
        chart_sample.millis.extend(s.millis);
    }
    let peak = match peak {
        Some(p) => Some(p.await?),
        None => None,
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = o.server_pid.and_then(resident_mib);

    let mut out = format!(
        "{} logins, {} at once, {} chart clients; flood took {:.1} s\n\n\
         | requests | n | statuses | p50 ms | p99 ms | max ms |\n|---|---:|---|---:|---:|---:|\n",
        o.logins,
        o.concurrency,
        o.chart_clients,
        flood_time.as_secs_f64()
    );
    out.push_str(&login_sample.row("POST /login (unknown names)"));
    out.push_str(&chart_sample.row("signed-in chart (radar PNG, rendered)"));
    if let (Some((rss0, _)), Some(peak), Some((rss1, hwm))) = (before, peak, after) {
        out.push_str(&format!(
            "\nserver resident memory: {rss0:.0} MiB before, {:.0} MiB peak (VmHWM {hwm:.0} \
             MiB), {rss1:.0} MiB two seconds after\n",
            peak.max(rss1)
        ));
    }
    Ok(out)
}

/// Sample the server's resident memory every 10 ms while `flooding` holds; its highest value.
fn watch_peak(pid: u32, flooding: Arc<AtomicBool>) -> tokio::task::JoinHandle<f64> {
    tokio::spawn(async move {
        let mut peak = 0.0f64;
        while flooding.load(Ordering::SeqCst) {
            if let Some((rss, _)) = resident_mib(pid) {
                peak = peak.max(rss);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        peak
    })
}
