//! The web UI in a real browser: headless Chromium (Debian `chromium`) loads the page through a
//! path-stripping reverse proxy, as the training tutorial sets it up (spec §7, §9.2), and deletes
//! a group with the Delete Group button, then the rest with Delete All.
//! The browser and the proxy are the harness's (`pushgw_tests::browser`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pushgw_core::gateway::GatewayOptions;
use pushgw_tests::browser::{Browser, serve_path_stripping_proxy};
use pushgw_tests::{InProcessGateway, http, wait_until};
use serde_json::json;

/// The path the reverse proxy serves the gateway under (the tutorial's `/<ip>/pushgateway/`).
const PROXY_PATH: &str = "/10.0.0.5/pushgateway";

/// The Delete Group button of the `job="web_ui"` group (`d2ViX3Vp` is `web_ui` in base64url).
const WEB_UI_BUTTON: &str = "button.delete-group[data-key^=\"job=d2ViX3Vp/\"]";

/// How long any single browser step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

#[test]
fn delete_group_and_delete_all_in_headless_chromium_behind_a_path_stripping_proxy() {
    let proxy = TcpListener::bind("127.0.0.1:0").expect("binding the proxy's port");
    let proxy_port = proxy.local_addr().expect("a bound address").port();
    let gateway = InProcessGateway::start(GatewayOptions {
        external_url: format!("http://127.0.0.1:{proxy_port}{PROXY_PATH}/"),
        route_prefix: "/".into(),
        enable_admin_api: true,
        ..Default::default()
    });
    let upstream = gateway.base_url().trim_start_matches("http://").to_owned();
    serve_path_stripping_proxy(proxy, &upstream, PROXY_PATH);

    for (path, body) in [
        (
            "/metrics/job/web_ui/instance/browser",
            "# HELP web_ui_clicks How often the button was clicked.\n# TYPE web_ui_clicks counter\nweb_ui_clicks{button=\"delete\"} 42\n# TYPE web_ui_latency summary\nweb_ui_latency{quantile=\"0.5\"} 0.012\nweb_ui_latency{quantile=\"0.9\"} 0.05\nweb_ui_latency_sum 3.2\nweb_ui_latency_count 120\n",
        ),
        ("/metrics/job/backup/zone/%3Ceu%3E", "backup_bytes 1.5e9\n"),
    ] {
        let pushed = http::put(&gateway.url(path), body.as_bytes()).expect("pushing a group");
        assert_eq!(pushed.status, 200, "{path}: {}", pushed.text());
    }

    let mut browser = Browser::start();
    let page = browser.open_page();
    browser.call(Some(&page), "Page.enable", json!({}));
    browser.call(
        Some(&page),
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1100, "height": 760, "deviceScaleFactor": 1, "mobile": false}),
    );
    browser.call(
        Some(&page),
        "Page.navigate",
        json!({"url": format!("http://127.0.0.1:{proxy_port}{PROXY_PATH}/")}),
    );
    browser.wait_event(&page, "Page.loadEventFired");

    // The stylesheet came through the proxy under the external URL's path.
    assert_eq!(
        browser.evaluate(
            &page,
            "getComputedStyle(document.querySelector('nav')).position"
        ),
        json!("fixed")
    );
    assert_eq!(
        browser.evaluate(&page, "document.title"),
        json!("Prometheus Pushgateway")
    );
    assert_eq!(
        browser.evaluate(&page, "document.querySelectorAll('details.group').length"),
        json!(2)
    );

    // Open the web_ui group and its families for the screenshot.
    browser.evaluate(
        &page,
        &format!(
            "const group = document.querySelector('{WEB_UI_BUTTON}').closest('details.group'); \
             group.open = true; for (const d of group.querySelectorAll('details')) d.open = true"
        ),
    );
    let screenshot = browser.call(
        Some(&page),
        "Page.captureScreenshot",
        json!({"format": "png"}),
    );
    let png = STANDARD
        .decode(screenshot["data"].as_str().unwrap_or_default())
        .expect("a base64 screenshot");
    let path = screenshot_path();
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));

    // Click Delete Group of the web_ui group, accept the dialog. The click runs after the
    // evaluation returns: the dialog blocks the script until it is answered.
    browser.evaluate(
        &page,
        &format!("setTimeout(() => document.querySelector('{WEB_UI_BUTTON}').click(), 0)"),
    );
    let dialog = browser.wait_event(&page, "Page.javascriptDialogOpening");
    assert_eq!(
        dialog["message"],
        json!(
            "Do you really want to delete all metrics of group {job=\"web_ui\", instance=\"browser\"}?"
        )
    );
    browser.call(
        Some(&page),
        "Page.handleJavaScriptDialog",
        json!({"accept": true}),
    );
    wait_until(STEP_TIMEOUT, "the group's card to disappear", || {
        let left = browser.evaluate(&page, "document.querySelectorAll('details.group').length");
        Ok::<_, String>(left == json!(1))
    });
    assert_eq!(
        browser.evaluate(
            &page,
            "document.getElementById('del-all-counter').textContent"
        ),
        json!("1")
    );

    let metrics = http::get(&gateway.url("/metrics"))
        .expect("scraping the gateway")
        .text();
    assert!(!metrics.contains("job=\"web_ui\""), "{metrics}");
    assert!(
        metrics.contains("backup_bytes{instance=\"\",job=\"backup\",zone=\"<eu>\"} 1.5e+09"),
        "{metrics}"
    );

    // Delete All wipes the rest through the admin API.
    browser.evaluate(
        &page,
        "setTimeout(() => document.getElementById('del-all').click(), 0)",
    );
    let dialog = browser.wait_event(&page, "Page.javascriptDialogOpening");
    assert_eq!(
        dialog["message"],
        json!("Do you really want to delete all metrics from all metric groups?")
    );
    browser.call(
        Some(&page),
        "Page.handleJavaScriptDialog",
        json!({"accept": true}),
    );
    wait_until(STEP_TIMEOUT, "the Delete All button to be disabled", || {
        let disabled = browser.evaluate(&page, "document.getElementById('del-all').disabled");
        Ok::<_, String>(disabled == json!(true))
    });
    assert_eq!(
        browser.evaluate(&page, "document.querySelectorAll('details.group').length"),
        json!(0)
    );
    let metrics = http::get(&gateway.url("/metrics"))
        .expect("scraping the gateway")
        .text();
    assert!(!metrics.contains("job=\"backup\""), "{metrics}");
    browser.close();
}

/// `target/web-ui.png` of the workspace.
fn screenshot_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&target).expect("creating the target directory");
    target.join("web-ui.png")
}
