//! The fetcher's pure parts: validators, Retry-After, content types,
//! errors.

use super::*;

#[test]
fn retry_after_reads_seconds_and_dates() {
    assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
        Some(Duration::ZERO),
        "a date in the past means now"
    );
    let later = time::OffsetDateTime::now_utc() + time::Duration::hours(2);
    let text = later
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap();
    let wait = parse_retry_after(&text).unwrap();
    assert!(wait > Duration::from_secs(7000) && wait <= Duration::from_secs(7200));
    assert_eq!(parse_retry_after("soon"), None);
}

#[test]
fn last_modified_is_strong_only_a_minute_before_the_response() {
    let now = time::OffsetDateTime::parse(
        "Sun, 29 Nov 2026 08:00:00 +0000",
        &time::format_description::well_known::Rfc2822,
    )
    .unwrap();
    let date = Some("Sun, 29 Nov 2026 08:00:00 GMT");
    // Written in the same second it was served: weak.
    assert!(!strong_last_modified(
        "Sun, 29 Nov 2026 08:00:00 GMT",
        date,
        now
    ));
    assert!(!strong_last_modified(
        "Sun, 29 Nov 2026 07:59:01 GMT",
        date,
        now
    ));
    // A minute or more before: strong.
    assert!(strong_last_modified(
        "Sun, 29 Nov 2026 07:59:00 GMT",
        date,
        now
    ));
    assert!(strong_last_modified(
        "Tue, 01 Mar 2022 10:00:00 GMT",
        date,
        now
    ));
    // No Date header: judged against the time of the fetch.
    assert!(!strong_last_modified(
        "Sun, 29 Nov 2026 07:59:30 GMT",
        None,
        now
    ));
    assert!(strong_last_modified(
        "Sun, 29 Nov 2026 07:58:30 GMT",
        None,
        now
    ));
    // A Date the server got wrong does not make a fresh value strong.
    assert!(strong_last_modified(
        "Sun, 29 Nov 2026 07:58:30 GMT",
        Some("garbage"),
        now
    ));
    // Unreadable values are never used.
    assert!(!strong_last_modified("yesterday", date, now));
}

#[test]
fn html_like_content_types() {
    assert!(is_html_like("text/html; charset=utf-8"));
    assert!(is_html_like("TEXT/HTML"));
    assert!(is_html_like("application/xhtml+xml"));
    assert!(!is_html_like("application/pdf"));
    assert!(!is_html_like("image/png"));
}

#[test]
fn http_status_is_kept_only_when_the_server_sent_one() {
    let e = FetchError::Status {
        url: "u".into(),
        status: 404,
        retry_after: None,
    };
    assert_eq!(e.http_status(), Some(404));
    let e = FetchError::Connect {
        url: "u".into(),
        reason: "refused".into(),
    };
    assert_eq!(e.http_status(), None);
}
