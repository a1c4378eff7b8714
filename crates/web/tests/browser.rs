//! The portal in a real browser: Debian's headless Chromium, driven through chromedriver, signs
//! in, creates a catalog entry, uploads a CSV, and finds both in the catalog and the statistics;
//! and a visitor, not signed in, searches the open data, opens a dataset, previews it and
//! downloads its CSV and Parquet files, whose bytes are the release's.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromedriver() -> Option<String> {
    let found = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .filter(|_| std::path::Path::new(CHROMIUM).exists());
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "chromium and chromedriver are missing under CI (.ci/run installs them)"
        );
        eprintln!("skipped: Debian's chromium and chromium-driver are not installed");
    }
    found.map(String::from)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Kills chromedriver when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn browser(driver_port: u16, profile: &std::path::Path) -> Client {
    browser_with(driver_port, profile, None).await
}

/// A browser that saves downloads into `downloads`, without asking.
async fn browser_with(
    driver_port: u16,
    profile: &std::path::Path,
    downloads: Option<&std::path::Path>,
) -> Client {
    let mut prefs = json!({"intl.accept_languages": "zh-CN,zh"});
    if let Some(d) = downloads {
        prefs["download.default_directory"] = json!(d.display().to_string());
        prefs["download.prompt_for_download"] = json!(false);
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                     format!("--user-data-dir={}", profile.display())],
            // A browser set to Chinese, as the portal's visitors' are: the pages follow it.
            "prefs": prefs
        }),
    );
    let started = Instant::now();
    loop {
        let attempt = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await;
        match attempt {
            Ok(c) => return c,
            Err(e) if started.elapsed() < Duration::from_secs(30) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("chromedriver did not start a session: {e}"),
        }
    }
}

async fn fill(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// Chooses the option with `value` in the select `css`.
async fn choose(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{css} = {value}: {e}"));
}

/// Fills data item row `n` of the entry form.
async fn item_row(c: &Client, n: usize, name: &str, label: &str, data_type: &str) {
    fill(c, &format!("input[name='item-{n}-name']"), name).await;
    fill(c, &format!("input[name='item-{n}-label']"), label).await;
    choose(c, &format!("select[name='item-{n}-type']"), data_type).await;
}

/// Clicks and waits until the page it was on is gone: WebDriver's click may return before the
/// navigation it starts, and reading the next page too early finds the old one's elements.
async fn click_and_wait(c: &Client, element: fantoccini::elements::Element) {
    let old = c
        .find(Locator::Css("html"))
        .await
        .expect("the page has a root");
    element.click().await.expect("click");
    let deadline = Instant::now() + Duration::from_secs(20);
    while old.tag_name().await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "the click did not load a new page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn submit(c: &Client, form: &str) {
    let button = c
        .find(Locator::Css(&format!("{form} button[type=submit]")))
        .await
        .expect("submit button");
    click_and_wait(c, button).await;
}

async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_signs_in_creates_an_entry_uploads_a_csv_and_finds_it() {
    let Some(driver_bin) = chromedriver() else {
        return;
    };
    let p = common::platform().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = p.app.clone();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let driver_port = free_port();
    let _driver = Driver(
        Command::new(&driver_bin)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let profile = tempfile::tempdir().expect("profile dir");
    let c = browser(driver_port, profile.path()).await;

    // Sign in.
    c.goto(&format!("{base}/login")).await.expect("login page");
    fill(&c, "#username", "water").await;
    fill(&c, "#password", common::PASSWORD).await;
    submit(&c, "form[action='/login']").await;
    let header = text(&c, "header .who").await;
    assert!(header.contains("water"), "signed in: {header}");

    // Create an entry.
    c.goto(&format!("{base}/catalog/new")).await.expect("form");
    fill(&c, "#title", "二次供水水箱水质检测").await;
    fill(&c, "#description", "各小区二次供水水箱的月度水质检测结果").await;
    // Three rows to start with; a fourth on "add a row", with what was typed kept.
    item_row(&c, 0, "tank", "水箱编号", "text").await;
    item_row(&c, 1, "turbidity", "浊度", "decimal").await;
    item_row(&c, 2, "chlorine", "余氯", "decimal").await;
    let more = c.find(Locator::Css("#more")).await.expect("add a row");
    click_and_wait(&c, more).await;
    assert_eq!(
        c.find_all(Locator::Css("tr.item"))
            .await
            .expect("rows")
            .len(),
        4
    );
    item_row(&c, 3, "ph", "pH 值", "decimal").await;
    c.find(Locator::Css("input[name='item-1-required']"))
        .await
        .expect("required box")
        .click()
        .await
        .expect("tick");
    submit(&c, "form[action='/catalog/new']").await;
    let title = text(&c, "h1").await;
    assert_eq!(title, "二次供水水箱水质检测");
    let items = text(&c, "#items").await;
    assert!(
        ["水箱编号", "浊度", "余氯", "pH 值", "数值", "✓"]
            .iter()
            .all(|w| items.contains(w)),
        "{items}"
    );
    let entry_url = c.current_url().await.expect("url").to_string();

    // Upload a CSV to it; one row fails its check.
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("tanks.csv");
    std::fs::write(
        &csv,
        "tank,turbidity,chlorine,ph\nT-001,0.31,0.5,7.1\nT-002,0.28,0.4,7.3\nT-003,cloudy,0.6,7.0\n",
    )
    .expect("csv");
    fill(&c, "#file", &csv.display().to_string()).await;
    submit(&c, "form[enctype='multipart/form-data']").await;
    // By default the rejected row refuses the whole file, and the page says why.
    let page = text(&c, "main").await;
    assert!(page.contains("1 of its 3 rows were rejected"), "{page}");
    // Keeping the rows that pass is the uploader's choice.
    fill(&c, "#file", &csv.display().to_string()).await;
    fill(&c, "#max_rejected", "1").await;
    submit(&c, "form[enctype='multipart/form-data']").await;
    assert_eq!(c.current_url().await.expect("url").to_string(), entry_url);
    let versions = text(&c, "#versions").await;
    assert!(
        versions.contains("tanks.csv") && versions.contains("3 / 1"),
        "{versions}"
    );

    // Find it in the catalog and in the statistics.
    c.goto(&format!("{base}/catalog?q=水箱"))
        .await
        .expect("search");
    assert!(text(&c, "#total").await.contains("共 1 条"));
    let link = c
        .find(Locator::LinkText("二次供水水箱水质检测"))
        .await
        .expect("the entry is listed");
    click_and_wait(&c, link).await;
    assert_eq!(c.current_url().await.expect("url").to_string(), entry_url);
    c.goto(&base).await.expect("home");
    let stats = text(&c, "#stats").await;
    assert!(
        stats.contains("2\n目录条目")
            || stats.contains("2 目录条目")
            || stats.contains("2目录条目"),
        "{stats}"
    );
    assert!(
        stats.contains("2\n归集记录")
            || stats.contains("2 归集记录")
            || stats.contains("2归集记录"),
        "{stats}"
    );

    // The switch turns the pages to English and back, on the same page.
    let switch = c
        .find(Locator::Css("#lang"))
        .await
        .expect("language switch");
    click_and_wait(&c, switch).await;
    assert_eq!(
        c.current_url().await.expect("url").to_string(),
        format!("{base}/")
    );
    assert!(text(&c, "#stats").await.contains("Catalog entries"));
    c.goto(&format!("{base}/catalog")).await.expect("catalog");
    assert!(
        text(&c, "h1").await.contains("Public data catalog"),
        "remembered"
    );
    let switch = c
        .find(Locator::Css("#lang"))
        .await
        .expect("language switch");
    click_and_wait(&c, switch).await;
    assert_eq!(text(&c, "h1").await, "公共数据目录");

    // At a desktop's width and a phone's, no page scrolls sideways; the screenshots are kept
    // beside the test build for a person to look at.
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    for width in [1280u32, 390] {
        c.set_window_size(width, 900).await.expect("window size");
        for (name, url) in [
            ("home", base.clone()),
            ("catalog", format!("{base}/catalog")),
            ("entry", entry_url.clone()),
            ("new-entry", format!("{base}/catalog/new")),
        ] {
            c.goto(&url).await.expect("page");
            let fits = c
                .execute(
                    "return [document.documentElement.scrollWidth, window.innerWidth];",
                    vec![],
                )
                .await
                .expect("measure");
            let (scroll, inner) = (fits[0].as_u64(), fits[1].as_u64());
            assert!(
                scroll.is_some() && scroll <= inner,
                "{name} at {width} px scrolls sideways: {fits}"
            );
            let png = c.screenshot().await.expect("screenshot");
            std::fs::write(shots.join(format!("{name}-{width}.png")), png).expect("write");
        }
    }
    c.close().await.expect("close the browser");
}

/// Waits for a finished download named `name` in `dir` (Chromium writes `.crdownload` first).
async fn downloaded(dir: &std::path::Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(bytes) = std::fs::read(&path) {
            return bytes;
        }
        assert!(
            Instant::now() < deadline,
            "{name} was not downloaded into {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_finds_previews_and_downloads_open_data() {
    let Some(driver_bin) = chromedriver() else {
        return;
    };
    let mut p = common::platform().await;
    p.start_workers(1);
    // The water company publishes its usage figures.
    let (status, _, body) = p
        .send(
            "POST",
            &format!("/api/v1/catalog/{}/versions?name=usage.csv", p.entry_id),
            &p.auth("water"),
            Some(("text/csv", "usage_m3\n12.5\n8\n30.25\n".to_string())),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    let (status, job) = p
        .json(
            "POST",
            &format!("/api/v1/catalog/{}/releases", p.entry_id),
            &p.auth("water"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status.as_u16(), 202, "{job}");
    let release = loop {
        let list = p.store.releases(&p.entry_id).await.expect("releases");
        if let Some(r) = list.into_iter().next() {
            break r;
        }
        let j = p
            .store
            .job(job["id"].as_str().expect("id"))
            .await
            .expect("job");
        assert!(!j.state.is_final() || j.error.is_none(), "{:?}", j.error);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = p.app.clone();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let driver_port = free_port();
    let _driver = Driver(
        Command::new(&driver_bin)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let profile = tempfile::tempdir().expect("profile dir");
    let downloads = tempfile::tempdir().expect("download dir");
    let c = browser_with(driver_port, profile.path(), Some(downloads.path())).await;

    // Search from the portal, then open the dataset.
    c.goto(&format!("{base}/open")).await.expect("portal");
    fill(&c, "#search input[name=q]", "用水").await;
    submit(&c, "#search").await;
    assert!(text(&c, "#total").await.contains('1'));
    let link = c
        .find(Locator::LinkText("居民用水量"))
        .await
        .expect("the dataset is listed");
    click_and_wait(&c, link).await;
    let preview = text(&c, "#preview").await;
    assert!(
        preview.contains("usage_m3") && preview.contains("30.25"),
        "{preview}"
    );

    // Download the CSV and the Parquet file: the bytes are the release's.
    for format in ["CSV", "Parquet"] {
        c.find(Locator::Css(&format!(
            "#downloads a[data-format='{format}']"
        )))
        .await
        .expect("download link")
        .click()
        .await
        .expect("click");
    }
    let name = |f: &str| format!("{}-r1-data.{f}", p.entry_id);
    let csv = downloaded(downloads.path(), &name("csv")).await;
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "the CSV has a byte-order mark"
    );
    assert_eq!(
        String::from_utf8_lossy(&csv[3..]),
        "usage_m3\r\n12.5\r\n8.0\r\n30.25\r\n"
    );
    let parquet = downloaded(downloads.path(), &name("parquet")).await;
    use sha2::Digest;
    assert_eq!(
        data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(&parquet)),
        release.output_sha256
    );
    c.close().await.expect("close the browser");
}
