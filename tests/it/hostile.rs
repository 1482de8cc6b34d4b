//! Hostile servers: each misbehaviour is one error check naming the page
//! and what went wrong, nothing is stored of it, and the checks beside it
//! go on. The limits are the workspace's (`timeout = "2s"`,
//! `max_body_bytes = 1000000`) and the default `max_redirects = 5`.

use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use crate::harness::{
    PageServer, Route, Workspace, article, free_port, http_get, metric, wait_for,
};
use crate::raw::{RawServer, send};
use crate::tls::{self, Authority, TlsServer};

const HTML_HEAD: &str =
    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\n";

/// `n` zero bytes compressed with gzip (about 1 KB per MB).
fn gzip_of_zeros(n: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let block = vec![0u8; 1 << 20];
    for _ in 0..n >> 20 {
        enc.write_all(&block).unwrap();
    }
    enc.finish().unwrap()
}

/// `n` zero bytes compressed with brotli.
fn brotli_of_zeros(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = brotli::CompressorWriter::new(&mut out, 1 << 16, 5, 22);
        let block = vec![0u8; 1 << 20];
        for _ in 0..n >> 20 {
            enc.write_all(&block).unwrap();
        }
    }
    out
}

fn hostile_server() -> RawServer {
    let gzip = gzip_of_zeros(16 << 20);
    let brotli = brotli_of_zeros(16 << 20);
    assert!(
        gzip.len() < 100_000 && brotli.len() < 100_000,
        "bombs are small"
    );
    let page = article::render(1, |p| p);
    RawServer::start(move |path, s: &mut TcpStream| match path {
        "/gzip-bomb" | "/brotli-bomb" => {
            let (coding, body) = if path == "/gzip-bomb" {
                ("gzip", &gzip)
            } else {
                ("br", &brotli)
            };
            let head = format!(
                "{HTML_HEAD}Content-Encoding: {coding}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = send(s, head.as_bytes()) && send(s, body);
        }
        "/endless-chunks" => {
            send(
                s,
                format!("{HTML_HEAD}Transfer-Encoding: chunked\r\n\r\n").as_bytes(),
            );
            let chunk = format!("1000\r\n{}\r\n", &"<p>again</p>".repeat(342)[..4096]);
            while send(s, chunk.as_bytes()) {}
        }
        "/slow-headers" => {
            send(s, b"HTTP/1.1 200 OK\r\n");
            for _ in 0..60 {
                if !send(s, b"X") {
                    break;
                }
                thread::sleep(Duration::from_millis(500));
            }
        }
        "/many-headers" => {
            let mut head = String::from(HTML_HEAD);
            for i in 0..10_000 {
                head.push_str(&format!("X-Filler-{i}: {i}\r\n"));
            }
            head.push_str(&format!("Content-Length: {}\r\n\r\n", page.len()));
            let _ = send(s, head.as_bytes()) && send(s, page.as_bytes());
        }
        "/length-too-long" => {
            let head = format!("{HTML_HEAD}Content-Length: {}\r\n\r\n", page.len() + 5_000);
            let _ = send(s, head.as_bytes()) && send(s, page.as_bytes());
            // Then the connection closes: the body ends early.
        }
        "/length-too-short" => {
            // The length ends just before the article's last paragraph;
            // the whole page follows it.
            let head = format!(
                "{HTML_HEAD}Content-Length: {}\r\n\r\n",
                last_paragraph_at(&page)
            );
            let _ = send(s, head.as_bytes()) && send(s, page.as_bytes());
        }
        "/http10-no-length" => {
            let head = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n";
            let _ = send(s, head.as_bytes()) && send(s, page.as_bytes());
        }
        "/closed-mid-body" => {
            let head = format!("{HTML_HEAD}Transfer-Encoding: chunked\r\n\r\n");
            let _ = send(s, head.as_bytes()) && send(s, format!("{:x}\r\n", page.len()).as_bytes());
            send(s, &page.as_bytes()[..page.len() / 2]);
        }
        _ => {
            send(
                s,
                b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            );
        }
    })
}

#[test]
fn hostile_responses_are_clear_errors_and_good_pages_still_check() {
    let raw = hostile_server();
    let pages = PageServer::start();
    pages.route(
        "/good",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = |p: &str| raw.url(p);
    // (path, words the error must contain)
    let cases = [
        ("/gzip-bomb", "sent more than 1000000 bytes"),
        ("/brotli-bomb", "sent more than 1000000 bytes"),
        ("/endless-chunks", "sent more than 1000000 bytes"),
        ("/slow-headers", "did not answer within 2s"),
        ("/many-headers", "did not send a readable HTTP response: "),
        ("/length-too-long", "reading the page from"),
        ("/closed-mid-body", "reading the page from"),
    ];
    let mut urls: Vec<String> = cases.iter().map(|(p, _)| url(p)).collect();
    urls.push(pages.url("/good"));
    let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let results = ws.check(&refs);
    for (path, words) in cases {
        let r = &results[&url(path)];
        assert_eq!(r["status"], "error", "{path}: {r}");
        let error = r["error"].as_str().unwrap();
        assert!(error.contains(words), "{path}: {error}");
        assert!(error.contains(&url(path)), "{path} names the page: {error}");
        // Nothing of it was stored.
        let out = ws.run(&["show", &url(path)]);
        assert_eq!(out.status.code(), Some(1), "{path}: no version");
    }
    assert_eq!(results[&pages.url("/good")]["status"], "new");

    // The daemon meets the same servers again and again and carries on.
    let targets: String = urls
        .iter()
        .map(|u| format!("[[target]]\nurl = \"{u}\"\ninterval = \"1s\"\n"))
        .collect();
    ws.write_config(&targets);
    let daemon = ws.start_daemon();
    wait_for("each target checked again", Duration::from_secs(30), || {
        pages.hits("/good") >= 3
    });
    let listed = ws.json_lines(&["list", "--json"]);
    for (path, words) in cases {
        let t = listed.iter().find(|t| t["url"] == url(path)).unwrap();
        assert_eq!(t["versions"], 0, "{path}");
        assert!(
            t["last_error"].as_str().unwrap().contains(words),
            "{path}: {t}"
        );
    }
    ws.stop_daemon(daemon);
}

#[test]
fn servers_that_end_bodies_unusually_but_correctly_are_read() {
    let raw = hostile_server();
    let ws = Workspace::new();
    ws.write_config("");
    let (old, short) = (raw.url("/http10-no-length"), raw.url("/length-too-short"));
    let results = ws.check(&[&old, &short]);
    // HTTP/1.0 without a length: the body is whatever came before the
    // close, and it is the whole page.
    assert_eq!(results[&old]["status"], "new", "{}", results[&old]);
    let text = ws.json_lines(&["show", &old, "--json"])[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    for p in article::paragraphs() {
        assert!(text.contains(p), "{p}");
    }
    // A length shorter than what was sent: the page is what the length
    // says (the article without its last paragraph); the bytes after it
    // are not part of the response.
    assert_eq!(results[&short]["status"], "new", "{}", results[&short]);
    let shown = ws.json_lines(&["show", &short, "--json"])[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let paragraphs = article::paragraphs();
    let (last, before) = paragraphs.split_last().unwrap();
    assert!(before.iter().all(|p| shown.contains(p)), "{shown}");
    assert!(!shown.contains(last), "read past the length: {shown}");
}

/// Where the article's last paragraph starts in the page.
fn last_paragraph_at(page: &str) -> usize {
    let last = *article::paragraphs().last().unwrap();
    page.find(&last[..40])
        .expect("the last paragraph is on the page")
}

#[test]
fn redirects_are_followed_to_a_limit_and_only_to_the_web() {
    let pages = PageServer::start();
    let to = |path: &str| Route::status(301).header("Location", path);
    pages.route("/loop-a", to("/loop-b"));
    pages.route("/loop-b", to("/loop-a"));
    for i in 0..6 {
        pages.route(&format!("/chain-{i}"), to(&format!("/chain-{}", i + 1)));
    }
    pages.route(
        "/chain-6",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    pages.route("/to-file", to("file:///etc/passwd"));
    pages.route("/to-ftp", to("ftp://127.0.0.1/article.html"));
    // A page that moved to another folder: its relative canonical link
    // resolves against where it came from after the redirect.
    pages.route("/old/story", to("/new/story"));
    pages.route(
        "/new/story",
        Route::html(article::render(1, |p| {
            p.replace(
                "https://www.example-news.com/2022/09/01/china/xinjiang-un-report-crimes-against-humanity/index.html",
                "story-final",
            )
        })),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let cases = [
        ("/loop-a", "redirected more than 5 times"),
        ("/chain-0", "redirected more than 5 times"),
        (
            "/to-file",
            "redirected to file:///etc/passwd, which is not an http",
        ),
        (
            "/to-ftp",
            "redirected to ftp://127.0.0.1/article.html, which is not",
        ),
    ];
    let mut urls: Vec<String> = cases.iter().map(|(p, _)| pages.url(p)).collect();
    urls.push(pages.url("/chain-1"));
    urls.push(pages.url("/old/story"));
    let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let results = ws.check(&refs);
    for (path, words) in cases {
        let r = &results[&pages.url(path)];
        assert_eq!(r["status"], "error", "{path}: {r}");
        assert!(r["error"].as_str().unwrap().contains(words), "{path}: {r}");
    }
    assert_eq!(
        pages.hits("/chain-6"),
        1,
        "reached from chain-1 only: the limit stopped chain-0"
    );
    assert_eq!(
        results[&pages.url("/chain-1")]["status"],
        "new",
        "five redirects are within the limit"
    );
    let moved = pages.url("/old/story");
    assert_eq!(results[&moved]["status"], "new", "{}", results[&moved]);
    let shown = &ws.json_lines(&["show", &moved, "--json"])[0];
    assert_eq!(shown["canonical"], pages.url("/new/story-final"));
    assert_eq!(shown["final_url"], pages.url("/new/story"));
    let chained = &ws.json_lines(&["show", &pages.url("/chain-1"), "--json"])[0];
    assert_eq!(chained["final_url"], pages.url("/chain-6"));
}

/// `check --json` with the test authority trusted.
fn check_trusting(
    ws: &Workspace,
    authority: &Authority,
    urls: &[&str],
) -> std::collections::HashMap<String, serde_json::Value> {
    let pem = ws.path().join("authority.pem");
    authority.write_pem(&pem);
    let mut args = vec!["check", "--json"];
    args.extend_from_slice(urls);
    let out = ws.cmd(&args).env("SSL_CERT_FILE", &pem).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| (v["url"].as_str().unwrap().to_string(), v))
        .collect()
}

#[test]
fn https_is_read_from_trusted_servers_and_never_given_up_for_http() {
    let plain = PageServer::start();
    plain.route(
        "/plain",
        Route::dynamic(|n| article::render(n, |p| p).into_bytes()),
    );
    let authority = Authority::new("Redline test authority");
    let to_plain = plain.url("/plain");
    let page = article::render(1, |p| p);
    let server = TlsServer::start(authority.identity(), move |path| match path {
        "/article" => tls::ok_html(&page),
        "/moved" => tls::moved("/article"),
        "/downgrade" => tls::moved(&to_plain),
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    });
    let stranger = TlsServer::start(tls::self_signed(), |_| tls::ok_html("<p>never read</p>"));
    let ws = Workspace::new();
    ws.write_config("");
    let (article, moved, downgrade, untrusted) = (
        server.url("/article"),
        server.url("/moved"),
        server.url("/downgrade"),
        stranger.url("/article"),
    );
    let results = check_trusting(&ws, &authority, &[&article, &moved, &downgrade, &untrusted]);
    assert_eq!(results[&article]["status"], "new", "{}", results[&article]);
    assert_eq!(results[&moved]["status"], "new", "{}", results[&moved]);
    let shown = &ws.json_lines(&["show", &moved, "--json"])[0];
    assert_eq!(
        shown["final_url"], article,
        "read from where the redirect led"
    );

    let r = &results[&downgrade];
    assert_eq!(r["status"], "error", "{r}");
    let error = r["error"].as_str().unwrap();
    assert!(
        error.contains(&format!("redirected to {}", plain.url("/plain")))
            && error.contains("would leave https for plain http"),
        "{error}"
    );
    assert_eq!(
        plain.hits("/plain"),
        0,
        "the plain http page is never asked for"
    );

    let r = &results[&untrusted];
    assert_eq!(r["status"], "error", "{r}");
    let error = r["error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!(
            "cannot connect to {untrusted}: TLS handshake failed: "
        )) && error.contains("not signed by an authority this machine trusts"),
        "{error}"
    );
    assert_eq!(ws.run(&["show", &untrusted]).status.code(), Some(1));
}

#[test]
fn a_feed_cannot_steer_discovery_into_the_private_network() {
    let server = PageServer::start();
    let port = server
        .url("/")
        .split(':')
        .nth(2)
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let page = || Route::dynamic(|n| article::render(n, |p| p).into_bytes());
    server.route("/news/literal", page());
    server.route("/news/named", page());
    server.route("/mine", page());
    // One link by address, one by a name that resolves to loopback.
    let links = [
        server.url("/news/literal"),
        format!("http://localhost:{port}/news/named"),
    ];
    let items: String = links
        .iter()
        .map(|u| format!("<item><title>Item</title><link>{u}</link></item>"))
        .collect();
    server.route(
        "/feed.xml",
        Route::html(format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>F</title>{items}</channel></rss>"))
            .content_type("application/rss+xml"),
    );
    let ws = Workspace::new();
    let source = format!(
        "[[source]]\nurl = \"{}\"\nkind = \"feed\"\nhosts = [\"*\"]\n\n[[target]]\nurl = \"{}\"\n",
        server.url("/feed.xml"),
        server.url("/mine")
    );
    ws.write_config(&source);
    ws.ok(&["sources", "--poll"]);
    // The daemon refuses them too, and counts the refusals.
    let port = free_port();
    ws.write_config(&format!(
        "[metrics]\nlisten = \"127.0.0.1:{port}\"\n\n{source}"
    ));
    let daemon = ws.start_daemon();
    wait_for("two refusals counted", Duration::from_secs(30), || {
        http_get(port, "/metrics")
            .is_some_and(|m| metric(&m, "redline_private_refused_total") == Some(2))
    });
    let log = ws.stop_daemon(daemon);
    assert!(log.contains("private or local address"), "logged: {log}");
    ws.write_config(&source);
    let results = ws.check(&[]);
    // The source and the target a person added are on 127.0.0.1 too, and
    // are fetched (the daemon stored the page first); the articles the
    // feed listed are refused, unasked.
    assert_eq!(results[&server.url("/mine")]["status"], "unchanged");
    assert_eq!(server.hits("/mine"), 2);
    for url in &links {
        let r = &results[url];
        assert_eq!(r["status"], "error", "{url}: {r}");
        let error = r["error"].as_str().unwrap();
        assert!(error.contains("private or local address"), "{error}");
        assert!(error.contains("[discovery] allow_private"), "{error}");
    }
    assert_eq!(server.hits("/news/literal"), 0);
    assert_eq!(server.hits("/news/named"), 0);
    let listed = ws.json_lines(&["list", "--json"]);
    let refused = listed
        .iter()
        .filter(|t| {
            t["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("private"))
        })
        .count();
    assert_eq!(refused, 2, "recorded on the targets: {listed:?}");
    // The operator can allow it.
    ws.write_config(&format!("[discovery]\nallow_private = true\n\n{source}"));
    let results = ws.check(&[]);
    for url in &links {
        assert_eq!(results[url]["status"], "new", "{url}: {}", results[url]);
    }
}
