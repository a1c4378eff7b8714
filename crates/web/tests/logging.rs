//! Request logs: one line per request with method, path, status, latency and user, and never a
//! password, a token, a query string or an uploaded value.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{PASSWORD, platform};
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

// One thread: the subscriber set for the test sees every request the router answers.
#[tokio::test(flavor = "current_thread")]
async fn requests_are_logged_without_secrets_or_values() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let p = platform().await;
    let (status, issued) = p
        .json(
            "POST",
            "/api/v1/tokens",
            &common::Auth::None,
            Some(json!({"username": "water", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{issued}");
    let token = issued["token"].as_str().expect("token").to_string();
    let auth = common::Auth::Bearer(token.clone());
    let secret_value = "987654.321";
    let (status, _, body) = p
        .send(
            "POST",
            &format!(
                "/api/v1/catalog/{}/versions?name=secret-name.csv",
                p.entry_id
            ),
            &auth,
            Some(("text/csv", format!("usage_m3\n{secret_value}\n"))),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    let (status, _) = p
        .json(
            "GET",
            "/api/v1/catalog?q=秘密搜索词",
            &common::Auth::None,
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 200);

    let log = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    let lines: Vec<&str> = log.lines().collect();
    assert!(
        lines.iter().any(|l| l.contains("method=POST")
            && l.contains("path=/api/v1/tokens")
            && l.contains("status=201")
            && l.contains("latency=")),
        "{log}"
    );
    assert!(
        lines.iter().any(|l| l.contains("path=/api/v1/catalog/")
            && l.contains("user=water")
            && l.contains("status=201")),
        "the upload's line names its user: {log}"
    );
    for secret in [
        PASSWORD,
        token.as_str(),
        secret_value,
        "secret-name",
        "秘密搜索词",
    ] {
        assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
    }
}
