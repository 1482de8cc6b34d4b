//! Pages in legacy charsets are stored as the right UTF-8 text.

use crate::harness::{PageServer, Route, Workspace};

fn page(title: &str, paragraphs: &[&str], meta: &str) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body>\
         <nav><a href=\"/\">Home</a></nav><article><h1>{title}</h1>{body}</article></body></html>"
    )
}

#[test]
fn windows_1252_page_declared_in_the_header() {
    let title = "Café owners’ “last stand” — a report";
    let paras = [
        "The owners of the café said the rent rose by 40 per cent — “impossible” for a small business.",
        "Señor Álvarez, who has run it since 1994, said: “We will fight.” Prices are listed in € and £.",
    ];
    let html = page(title, &paras, "");
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&html);
    assert!(!unmappable);
    let server = PageServer::start();
    server.route(
        "/cafe",
        Route::html(bytes.into_owned()).content_type("text/html; charset=windows-1252"),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/cafe");
    assert_eq!(ws.check_one(&url)["status"], "new");
    let shown = &ws.json_lines(&["show", &url, "--json"])[0];
    assert_eq!(shown["title"], title);
    assert_eq!(shown["text"], paras.join("\n\n"));
}

#[test]
fn shift_jis_page_declared_in_a_meta_tag() {
    let title = "国連報告書、中国の「人道に対する罪」の可能性を指摘";
    let paras = [
        "国連人権高等弁務官事務所は、新疆ウイグル自治区に関する報告書を公表した。",
        "中国政府は報告書を「偽情報とうそに基づく」と強く反発している。",
    ];
    let html = page(title, &paras, "<meta charset=\"Shift_JIS\">");
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&html);
    assert!(!unmappable);
    let server = PageServer::start();
    // No charset in the header: the meta declaration must be found.
    server.route(
        "/jp",
        Route::html(bytes.into_owned()).content_type("text/html"),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/jp");
    assert_eq!(ws.check_one(&url)["status"], "new");
    let shown = &ws.json_lines(&["show", &url, "--json"])[0];
    assert_eq!(shown["title"], title);
    assert_eq!(shown["text"], paras.join("\n\n"));
}

#[test]
fn gb18030_page_without_any_declaration_is_detected() {
    let title = "联合国报告称中国可能犯下危害人类罪";
    let paras = [
        "联合国人权事务高级专员办事处发布了关于新疆维吾尔自治区的报告，报告认为有关做法可能构成国际罪行。",
        "中国政府强烈反对该报告，称其基于虚假信息和谎言，并呼吁国际社会不要采信。",
    ];
    let html = page(title, &paras, "");
    let (bytes, _, _) = encoding_rs::GB18030.encode(&html);
    let server = PageServer::start();
    server.route(
        "/cn",
        Route::html(bytes.into_owned()).content_type("text/html"),
    );
    let ws = Workspace::new();
    ws.write_config("");
    let url = server.url("/cn");
    assert_eq!(ws.check_one(&url)["status"], "new");
    let shown = &ws.json_lines(&["show", &url, "--json"])[0];
    assert_eq!(shown["title"], title);
    assert_eq!(shown["text"], paras.join("\n\n"));
}
