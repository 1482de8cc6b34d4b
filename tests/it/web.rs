//! The web front in process: every route through the Router with
//! `tower::ServiceExt::oneshot` (no socket), over a database the real
//! binary filled with the tour's edits, plus an article whose text holds
//! markup. Feeds are parsed back with feed-rs; the OpenAPI document is held
//! to the live routes.

use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use redline::web::Web;
use tower::ServiceExt;

use crate::harness::{Route, Workspace, article, article_site};

/// Text an attacker could put in an article: markup and template syntax.
pub const HOSTILE: &str = "<script>alert(\"x\")</script> {{ 7*7 }} {% if %}";
/// The tour's new headline (without "crimes against humanity").
pub const NEW_TITLE: &str =
    "Xinjiang report: UN says China committed ‘serious human rights violations’";

/// Three versions of the tour article: the headline edit (2), then a
/// sentence cut and a hostile sentence added (3). Returns the server (keep
/// it alive), the workspace and the URL.
pub fn seeded() -> (crate::harness::PageServer, Workspace, String) {
    let (server, ws, url) = article_site();
    ws.check_one(&url);
    let old = article::title();
    server.route(
        "/article",
        Route::dynamic(move |n| article::render(n, |p| p.replace(old, NEW_TITLE)).into_bytes()),
    );
    assert_eq!(ws.check_one(&url)["status"], "changed");
    let sentence = article::paragraphs()
        .into_iter()
        .find(|p| p.contains("crimes against humanity"))
        .unwrap();
    let cut = sentence.replace(", in particular crimes against humanity", "");
    let escaped = HOSTILE
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let edited = format!("{cut} Officials added: {escaped}");
    server.route(
        "/article",
        Route::dynamic(move |n| {
            article::render(n, |p| p.replace(old, NEW_TITLE).replace(sentence, &edited))
                .into_bytes()
        }),
    );
    assert_eq!(ws.check_one(&url)["status"], "changed");
    // A source, for the sources page (never polled here).
    ws.ok(&["add", "--feed", &server.url("/feed.xml")]);
    (server, ws, url)
}

/// The web front over `db`, with `token` required when given.
pub fn web(db: &Path, token: Option<&str>) -> Web {
    let store = redline::store::open_reports(db).expect("the database opens for reading");
    Web::new(
        store,
        redline::config::Config::builtin().scheduler(),
        Some(db.to_path_buf()),
        token.map(|t| redline::alert::Secret::resolve(t).unwrap()),
    )
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn call(web: &Web, request: Request<Body>) -> Answer {
    let response = web.clone().router().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn get(web: &Web, path: &str) -> Answer {
    call(web, Request::get(path).body(Body::empty()).unwrap()).await
}

pub fn target_id(ws: &Workspace, url: &str) -> i64 {
    let conn = rusqlite::Connection::open(ws.db()).unwrap();
    conn.query_row("SELECT id FROM targets WHERE url = ?1", [url], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_answers_and_article_text_stays_text() {
    let (_server, ws, url) = tokio::task::spawn_blocking(seeded).await.unwrap();
    let web = web(&ws.db(), None);
    let id = target_id(&ws, &url);
    let ok_html = [
        "/".to_string(),
        "/?class=headline&since=30d".into(),
        format!("/?q={}", "xinjiang"),
        "/articles".into(),
        "/articles?sort=url&state=active&q=article".into(),
        format!("/articles/{id}"),
        format!("/articles/{id}/versions/1"),
        format!("/articles/{id}/versions/3"),
        format!("/articles/{id}/diff/1..2"),
        format!("/articles/{id}/diff/previous..latest"),
        format!("/articles/{id}/diff/first..latest?view=split&context=all"),
        format!("/articles/{id}/diff/2..3?context=3"),
        "/sources".into(),
        "/status".into(),
        "/search".into(),
        "/search?q=crimes+against+humanity&mode=removed".into(),
        "/login".into(),
        "/articles/lookup".into(),
    ];
    for path in &ok_html {
        let a = get(&web, path).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
        assert!(
            a.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert_eq!(
            a.headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .split(';')
                .next(),
            Some("default-src 'self'"),
            "{path}"
        );
        assert_eq!(a.headers["x-content-type-options"], "nosniff");
        assert_eq!(a.headers["referrer-policy"], "no-referrer");
        assert!(
            a.headers["x-robots-tag"]
                .to_str()
                .unwrap()
                .contains("noindex")
        );
        assert!(
            !a.body.contains("<script>alert"),
            "{path}: article text became markup"
        );
    }
    // The hostile sentence shows as text wherever the body is shown.
    for path in [
        format!("/articles/{id}/versions/3"),
        format!("/articles/{id}/diff/2..3"),
        format!("/articles/{id}/diff/2..3?view=split"),
    ] {
        let a = get(&web, &path).await;
        let at = a.body.find("Officials added").unwrap_or(0);
        assert!(
            unescape(&a.body).contains(HOSTILE) && !a.body.contains("<script>alert"),
            "{path} shows the markup as text: {}",
            &a.body[at..(at + 300).min(a.body.len())]
        );
        assert!(
            a.body.contains("{{ 7*7 }}"),
            "{path}: template syntax kept as text"
        );
    }
    // The headline diff is marked; the phrase is what left.
    let d = get(&web, &format!("/articles/{id}/diff/1..2")).await;
    assert!(d.body.contains("headline-changed"));
    assert!(d.body.contains("<del>"), "{}", d.body);
    let removed = get(&web, "/search?q=crimes+against+humanity&mode=removed").await;
    assert!(removed.body.contains(NEW_TITLE) || removed.body.contains("removed from the headline"));

    // Renditions are the CLI's formats.
    let json = get(&web, &format!("/articles/{id}/diff/1..2.json")).await;
    assert_eq!(json.status, StatusCode::OK);
    let v = json.json();
    assert_eq!((v["from"].as_u64(), v["to"].as_u64()), (Some(1), Some(2)));
    assert_eq!(v["title_to"], NEW_TITLE);
    let cli = ws.ok(&["diff", &url, "--from", "1", "--to", "2", "--format", "json"]);
    let cli: serde_json::Value = serde_json::from_str(&cli).unwrap();
    assert_eq!(v, cli, "the .json rendition is `diff --format json`");
    let patch = get(&web, &format!("/articles/{id}/diff/2..3.patch")).await;
    assert!(
        patch.body.contains("\n-") && patch.body.contains("\n+"),
        "{}",
        patch.body
    );
    let txt = get(&web, &format!("/articles/{id}/diff/2..3.txt")).await;
    assert!(
        txt.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(
        !txt.body.contains('\x1b'),
        "no colour codes in the text rendition"
    );
    let html = get(&web, &format!("/articles/{id}/diff/2..3.html")).await;
    assert!(html.body.starts_with("<!DOCTYPE html>") && !html.body.contains("<script>alert"));

    // Errors name the thing at fault.
    for (path, status) in [
        ("/articles/999999".to_string(), StatusCode::NOT_FOUND),
        (format!("/articles/{id}/versions/9"), StatusCode::NOT_FOUND),
        (format!("/articles/{id}/diff/1..9"), StatusCode::NOT_FOUND),
        (format!("/articles/{id}/diff/2..2"), StatusCode::NOT_FOUND),
        (format!("/articles/{id}/diff/1-2"), StatusCode::BAD_REQUEST),
        (
            format!("/articles/{id}/diff/1..2?view=table"),
            StatusCode::BAD_REQUEST,
        ),
        ("/?class=huge".to_string(), StatusCode::BAD_REQUEST),
        ("/?after=junk".to_string(), StatusCode::BAD_REQUEST),
        ("/no/such/page".to_string(), StatusCode::NOT_FOUND),
        ("/api/v1/articles/999999".to_string(), StatusCode::NOT_FOUND),
        ("/api/v1/search".to_string(), StatusCode::BAD_REQUEST),
    ] {
        let a = get(&web, &path).await;
        assert_eq!(a.status, status, "{path}: {}", a.body);
    }
    let bad = get(&web, "/?class=huge").await;
    assert!(bad.body.contains("huge"), "the message names the value");
    let api_bad = get(&web, "/api/v1/changes?limit=0").await;
    assert_eq!(api_bad.status, StatusCode::BAD_REQUEST);
    assert!(api_bad.json()["error"].as_str().unwrap().contains("limit"));

    // Lookup: the URL identity rules of discovery.
    let tracked = format!("{url}?utm_source=newsletter");
    let a = get(
        &web,
        &format!("/articles/lookup?url={}", urlencode(&tracked)),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        a.headers[header::LOCATION],
        format!("/articles/{id}").as_str()
    );
    let a = get(
        &web,
        "/articles/lookup?url=https%3A%2F%2Fnot.tracked.example%2Fx",
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.body.contains("not tracked"));

    // The compare form of the history page.
    let a = get(&web, &format!("/articles/{id}/compare?from=3&to=1")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.headers[header::LOCATION],
        format!("/articles/{id}/diff/1..3").as_str()
    );
    let a = get(&web, &format!("/articles/{id}/compare?from=2&to=2")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    // Plain resources.
    let robots = get(&web, "/robots.txt").await;
    assert_eq!(robots.body, "User-agent: *\nDisallow: /\n");
    let css = get(&web, "/assets/style.css").await;
    assert!(
        css.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(
        css.body.contains("line-through"),
        "deletions are struck through"
    );
}

/// HTML text with its character references resolved (the few an escaper
/// writes), to compare with the text that went in.
fn unescape(html: &str) -> String {
    html.replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_every_page_feed_and_api_route() {
    let (_server, ws, _url) = tokio::task::spawn_blocking(seeded).await.unwrap();
    let token = "test-token-0123456789abcdef";
    let web = web(&ws.db(), Some(token));
    for path in [
        "/",
        "/feed.atom",
        "/api/v1/changes",
        "/api/openapi.json",
        "/status",
    ] {
        assert_eq!(
            get(&web, path).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        let wrong = call(
            &web,
            Request::get(path)
                .header(header::AUTHORIZATION, "Bearer test-token-0123456789abcdeF")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{path}");
        let right = call(
            &web,
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(right.status, StatusCode::OK, "{path}");
    }
    // What a browser sees: the login form; the right token sets a session.
    let page = call(
        &web,
        Request::get("/")
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("action=\"/login\""));
    let login = |t: &str| {
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={t}")))
            .unwrap()
    };
    assert_eq!(
        call(&web, login("nope")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let ok = call(&web, login(token)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let cookie = ok.headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(
        !cookie.contains(token),
        "the cookie does not carry the token"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP on loopback");
    let behind_tls = call(
        &web,
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-forwarded-proto", "https")
            .body(Body::from(format!("token={token}")))
            .unwrap(),
    )
    .await;
    assert!(
        behind_tls.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure"),
        "behind an HTTPS proxy the cookie is Secure"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let with_cookie = call(
        &web,
        Request::get("/")
            .header(header::COOKIE, session)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(with_cookie.status, StatusCode::OK);
    // The login form, robots.txt and the stylesheet need no token.
    for path in ["/login", "/robots.txt", "/assets/style.css"] {
        assert_eq!(get(&web, path).await.status, StatusCode::OK, "{path}");
    }
    // Loopback needs no token.
    let open = self::web(&ws.db(), None);
    assert_eq!(get(&open, "/").await.status, StatusCode::OK);
}

#[test]
fn serving_off_loopback_without_a_token_is_refused() {
    let ws = Workspace::new();
    ws.write_config("");
    ws.ok(&["add", "https://news.example/a"]);
    let out = ws.run(&["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0.0.0.0:0") && err.contains("token"), "{err}");
    // The same in the config, for `run` and `serve` alike.
    ws.write_config("[web]\nlisten = \"0.0.0.0:8080\"\n");
    for cmd in [&["run"][..], &["serve"][..]] {
        let out = ws.run(cmd);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("token") && err.contains("loopback"), "{err}");
    }
    // A token written in the file is refused too; it must come from
    // the environment or a file.
    ws.write_config("[web]\nlisten = \"0.0.0.0:8080\"\ntoken = \"hunter2hunter2hunter2\"\n");
    let out = ws.run(&["serve"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"));
}

/// A GET over a real socket, the connection closed after the answer.
fn socket_get(port: u16, path: &str, headers: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n"
    )
    .ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// A child process killed when the test ends, passed or not, so a failed
/// assertion leaves no daemon behind.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn run_and_serve_answer_on_their_address_and_stop_on_sigterm() {
    use crate::harness::{free_port, sigterm, wait_exit, wait_for};
    use std::time::Duration;
    let (server, ws, url) = seeded();
    // `redline run` with [web] listen: the pages beside the checker.
    let port = free_port();
    ws.write_config(&format!(
        "[web]\nlisten = \"127.0.0.1:{port}\"\n\n[[target]]\nurl = \"{url}\"\ninterval = \"1s\"\n"
    ));
    let mut daemon = Reaped(ws.cmd(&["run"]).spawn().unwrap());
    let mut page = String::new();
    wait_for("the web pages of `run`", Duration::from_secs(15), || {
        page = socket_get(port, "/", "").unwrap_or_default();
        page.starts_with("HTTP/1.1 200")
    });
    assert!(
        page.contains(NEW_TITLE),
        "the recent changes list the tour's edit"
    );
    let status = socket_get(port, "/api/v1/status", "").unwrap();
    let body = status.split("\r\n\r\n").nth(1).unwrap();
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["targets"]["active"], 1);
    // The checker keeps checking while the pages are served.
    let hits = server.hits("/article");
    wait_for("a check by the daemon", Duration::from_secs(15), || {
        server.hits("/article") > hits
    });
    sigterm(daemon.0.id());
    assert!(wait_exit(&mut daemon.0, Duration::from_secs(20)).success());
    assert!(socket_get(port, "/", "").is_none(), "the listener closed");

    // `redline serve` on the same database, read-only.
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut serve = Reaped(ws.cmd(&["serve", "--listen", &listen]).spawn().unwrap());
    let mut feed = String::new();
    wait_for("`serve`", Duration::from_secs(15), || {
        feed = socket_get(port, "/feed.atom", "Accept-Encoding: gzip\r\n").unwrap_or_default();
        feed.starts_with("HTTP/1.1 200")
    });
    assert!(feed.to_ascii_lowercase().contains("content-encoding: gzip"));
    let before = std::fs::metadata(ws.db()).unwrap().modified().unwrap();
    let _ = socket_get(port, "/status", "");
    sigterm(serve.0.id());
    assert!(wait_exit(&mut serve.0, Duration::from_secs(20)).success());
    assert_eq!(
        std::fs::metadata(ws.db()).unwrap().modified().unwrap(),
        before,
        "serve wrote nothing"
    );
}

#[test]
fn a_silent_or_slow_client_is_cut_off_at_the_header_deadline() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let (_server, ws, _url) = seeded();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = tokio_util::sync::CancellationToken::new();
    let deadline = Duration::from_secs(1);
    let served = rt.spawn(redline::web::serve_with(
        web(&ws.db(), None).router(),
        listener,
        stop.clone(),
        deadline,
    ));
    let closed_within = |send: &[u8]| {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(send).unwrap();
        let start = Instant::now();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        (start.elapsed(), String::from_utf8_lossy(&out).into_owned())
    };
    // Silent: connects and sends nothing.
    let (took, _) = closed_within(b"");
    assert!(
        took < Duration::from_secs(5),
        "a silent client held on for {took:?}"
    );
    // Slow: half a request head, then nothing.
    let (took, _) = closed_within(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    assert!(
        took < Duration::from_secs(5),
        "a slow client held on for {took:?}"
    );
    // Idle after an answer on a kept-alive connection.
    let (took, answer) = closed_within(b"GET /robots.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        took < Duration::from_secs(5),
        "an idle connection held on for {took:?}"
    );
    stop.cancel();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), served)
            .await
            .expect("the server stops")
            .unwrap()
    });
}
