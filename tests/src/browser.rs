//! A small WebDriver client for the browser tests: spawns Debian's `chromedriver` on a free
//! port and drives a headless Chromium over the W3C protocol with reqwest (no extra crate).
//! When Chromium or its driver is missing the tests are skipped with a note, unless
//! `RELAIS_REQUIRE_BROWSER_TEST=1` (set by `.ci/run`), where a missing browser is a failure.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
/// The W3C key of an element reference in WebDriver answers.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver element reference.
#[derive(Debug, Clone)]
pub struct ElementId(pub String);

pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
    driver: Option<Child>,
    _profile: TempDir,
}

/// A directory removed on drop (Chromium's fresh profile).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn find_driver() -> Option<PathBuf> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].into_iter().map(PathBuf::from).find(|p| p.exists())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts headless Chromium with a window of `width`×`height` CSS pixels; `None` (the test is
/// skipped) when Chromium or chromedriver is not installed and the browser is not required.
pub async fn start_browser(width: u32, height: u32) -> Option<Browser> {
    let required = std::env::var("RELAIS_REQUIRE_BROWSER_TEST").is_ok_and(|v| v == "1");
    let driver = find_driver();
    if driver.is_none() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(!required, "RELAIS_REQUIRE_BROWSER_TEST=1 but {CHROMIUM} or chromedriver is missing");
        eprintln!("SKIPPED: browser test needs {CHROMIUM} and chromedriver (apt-get install chromium chromium-driver)");
        return None;
    }
    let port = free_port();
    let child = Command::new(driver.unwrap())
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn chromedriver");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    // Wait for the driver to listen (polling a process we started, not the app's clock).
    let started = Instant::now();
    loop {
        let ready = http.get(format!("{base}/status")).send().await.ok().filter(|r| r.status().is_success());
        if ready.is_some() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start on port {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = std::env::temp_dir().join(format!("relais-chromium-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&profile).unwrap();
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--window-size={width},{height}"), format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": CHROMIUM, "args": args}
    }}});
    let mut browser = Browser { http, session: String::new(), driver: Some(child), _profile: TempDir(profile) };
    let v = browser.send(reqwest::Method::POST, &format!("{base}/session"), Some(caps)).await;
    let id = v["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {v}"));
    browser.session = format!("{base}/session/{id}");
    browser.set_window_size(width, height).await;
    Some(browser)
}

impl Browser {
    async fn send(&self, method: reqwest::Method, url: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method.clone(), url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("WebDriver {method} {url}: {e}"));
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "WebDriver {method} {url}: {status} {v}");
        v["value"].clone()
    }

    /// Sends a session command; the answer's `value`, or the WebDriver error.
    async fn try_cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.session));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| json!({"error": e.to_string()}))?;
        let ok = resp.status().is_success();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if ok { Ok(v["value"].clone()) } else { Err(v["value"].clone()) }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.try_cmd(method.clone(), path, body).await.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    pub async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    async fn try_find(&self, css: &str) -> Option<ElementId> {
        let v =
            self.try_cmd(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        v.ok().and_then(|v| v[ELEMENT_KEY].as_str().map(|s| ElementId(s.to_owned())))
    }

    /// The first element matching `css`; panics when there is none.
    pub async fn find(&self, css: &str) -> ElementId {
        match self.try_find(css).await {
            Some(e) => e,
            None => panic!("no element matches {css:?} in:\n{}", self.body_text().await),
        }
    }

    /// Polls the page until the script `js` returns true (DOM polling, not the app's clock);
    /// panics naming `what`, with the page's text, after `timeout`. A script that throws (an
    /// element the app is re-rendering is briefly missing) counts as "not yet", not as a failure.
    pub async fn wait_until(&self, js: &str, what: &str, timeout: Duration) {
        let guarded = format!("try {{ {js} }} catch (e) {{ return false }}");
        let started = Instant::now();
        while self.execute(&guarded, json!([])).await != Value::Bool(true) {
            if started.elapsed() > timeout {
                panic!("timed out waiting until {what}; page:\n{}", self.body_text().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls the page until an element matches `css` and is displayed (DOM polling, not the
    /// app's clock); panics with the page's text after `timeout`.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> ElementId {
        let started = Instant::now();
        loop {
            if let Some(e) = self.try_find(css).await {
                let shown = self.try_cmd(reqwest::Method::GET, &format!("/element/{}/displayed", e.0), None).await;
                if shown.is_ok_and(|v| v == Value::Bool(true)) {
                    return e;
                }
            }
            if started.elapsed() > timeout {
                panic!("timed out waiting for {css:?}; page:\n{}", self.body_text().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        let e = self.wait_for(css, Duration::from_secs(10)).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{}/click", e.0), Some(json!({}))).await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.wait_for(css, Duration::from_secs(10)).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{}/value", e.0), Some(json!({"text": text}))).await;
    }

    /// Presses the Tab key, as a keyboard user moves to the next control (focus rings show).
    pub async fn press_tab(&self) {
        let tab = "\u{E004}";
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": tab}, {"type": "keyUp", "value": tab}
        ]}]});
        self.cmd(reqwest::Method::POST, "/actions", Some(actions)).await;
    }

    /// The rendered text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{}/text", e.0), None).await.as_str().unwrap_or("").to_owned()
    }

    async fn body_text(&self) -> String {
        self.execute("return document.body ? document.body.innerText : ''", json!([]))
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub async fn title(&self) -> String {
        self.cmd(reqwest::Method::GET, "/title", None).await.as_str().unwrap_or("").to_owned()
    }

    /// Runs `js` as a function body in the page (`arguments[i]` are `args`); a returned
    /// promise is awaited by the driver.
    pub async fn execute(&self, js: &str, args: Value) -> Value {
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": js, "args": args}))).await
    }

    /// Sets the viewport to `width`×`height` CSS pixels (e.g. from phone to desktop width for a
    /// screenshot). Headless Chromium will not make a window narrower than 500 px, so the
    /// viewport is set through DevTools' device metrics (a phone below 800 px).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": width.max(500), "height": height}))).await;
        let metrics = json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800
        }});
        self.cmd(reqwest::Method::POST, "/goog/cdp/execute", Some(metrics)).await;
    }

    /// Makes the page see another browser (`navigator.userAgent` and `navigator.platform`), e.g.
    /// Safari on an iPhone, through DevTools; set before the page loads.
    pub async fn set_user_agent(&self, user_agent: &str, platform: &str) {
        let ua =
            json!({"cmd": "Emulation.setUserAgentOverride", "params": {"userAgent": user_agent, "platform": platform}});
        self.cmd(reqwest::Method::POST, "/goog/cdp/execute", Some(ua)).await;
    }

    /// Cuts the browser off the network (or restores it), through chromedriver's network
    /// emulation; the page sees `navigator.onLine` change and its fetches fail.
    pub async fn set_offline(&self, offline: bool) {
        let conditions = json!({"network_conditions": {
            "offline": offline, "latency": 0, "download_throughput": -1, "upload_throughput": -1
        }});
        self.cmd(reqwest::Method::POST, "/chromium/network_conditions", Some(conditions)).await;
        // Chromium forwards the same emulation to DevTools; say it to every target through CDP
        // too so a fetch from the service worker is cut as well.
        let cdp = json!({"cmd": "Network.emulateNetworkConditions", "params": {
            "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1
        }});
        let _ = self.try_cmd(reqwest::Method::POST, "/goog/cdp/execute", Some(cdp)).await;
    }

    /// Saves a PNG of the viewport to `target/screenshots/{name}.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or("")).expect("base64 PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Desktop (1280×800) then phone (390×844) screenshots of the current page, saved as
    /// `{name}-1280x800.png` and `{name}-390x844.png`; the window is back at desktop size after.
    pub async fn desktop_and_phone_shots(&self, name: &str) {
        self.screenshot(&format!("{name}-1280x800")).await;
        self.set_window_size(390, 844).await;
        self.screenshot(&format!("{name}-390x844")).await;
        self.set_window_size(1280, 800).await;
    }

    /// Fills and submits the staff login form at `{base}/staff/login`.
    pub async fn staff_sign_in(&self, base: &str, email: &str, password: &str, timeout: Duration) {
        self.goto(&format!("{base}/staff/login")).await;
        self.wait_for("#email", timeout).await;
        self.type_into("#email", email).await;
        self.type_into("#password", password).await;
        self.click("form[action='/staff/login'] button[type=submit]").await;
    }

    /// Ends the session and stops chromedriver (also done on drop).
    pub async fn close(mut self) {
        if !self.session.is_empty() {
            let _ = self.http.delete(&self.session).send().await;
            self.session.clear();
        }
        self.kill_driver();
    }

    fn kill_driver(&mut self) {
        if let Some(mut child) = self.driver.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            // Ending the session makes chromedriver close Chromium; Drop cannot await, so do it
            // on a thread of its own (a failed test still leaves no browser behind).
            let session = std::mem::take(&mut self.session);
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    let _ = reqwest::Client::new().delete(&session).timeout(Duration::from_secs(10)).send().await;
                });
            })
            .join();
        }
        self.kill_driver();
    }
}

/// `$CARGO_TARGET_DIR/screenshots`, or the workspace's `target/screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target"));
    target.join("screenshots")
}
