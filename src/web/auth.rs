//! The token guard. With `[web] token` set, every request except the
//! login form, `robots.txt` and the stylesheet must carry the token, as
//! `Authorization: Bearer TOKEN` (scripts, feed readers) or as the session
//! cookie `/login` sets (browsers). The cookie holds an HMAC of the token,
//! never the token. Comparisons take the same time whatever the input.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::Web;

/// The session cookie's name.
const COOKIE: &str = "redline_session";
/// How long a browser session lasts.
const SESSION_SECONDS: u64 = 30 * 24 * 3600;

pub(super) fn routes() -> Router<Web> {
    Router::new().route("/login", get(login_form).post(login))
}

/// Equality that looks at every byte of both inputs whatever they hold.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u8 | ((a.len() ^ b.len()) >> 8) as u8;
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xff);
        diff |= x ^ y;
    }
    diff == 0
}

/// The session cookie's value for `token`.
pub fn session_value(token: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(token.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(b"redline web session v1");
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `headers` carry `token`, as a bearer token or a session cookie.
pub fn authorised(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix("Bearer "))
        .any(|given| constant_time_eq(given.trim().as_bytes(), token.as_bytes()));
    if bearer {
        return true;
    }
    let want = session_value(token);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == COOKIE && constant_time_eq(value.as_bytes(), want.as_bytes()))
}

/// The guard in front of every page, feed and API route.
pub(super) async fn guard(State(web): State<Web>, request: Request, next: Next) -> Response {
    let Some(token) = &web.inner.token else {
        return next.run(request).await;
    };
    if authorised(request.headers(), token.expose()) {
        return next.run(request).await;
    }
    // Scripts, feed readers and the API get a plain 401; a browser asking
    // for a page gets the login form.
    let plain = request.uri().path().starts_with("/api/")
        || request.uri().path().ends_with(".atom")
        || !request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    if plain {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"redline\"")],
            "a token is required: send `Authorization: Bearer TOKEN`\n",
        )
            .into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"redline\"")],
            LoginPage {
                failed: false,
                needed: true,
            },
        )
            .into_response()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    failed: bool,
    needed: bool,
}

async fn login_form(State(web): State<Web>) -> LoginPage {
    LoginPage {
        failed: false,
        needed: web.inner.token.is_some(),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let Some(token) = &web.inner.token else {
        return Redirect::to("/").into_response();
    };
    if !constant_time_eq(form.token.trim().as_bytes(), token.expose().as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            LoginPage {
                failed: true,
                needed: true,
            },
        )
            .into_response();
    }
    // Behind a proxy that speaks HTTPS, the cookie is never sent in clear.
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let cookie = format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{}",
        session_value(token.expose()),
        if secure { "; Secure" } else { "" }
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn equality_needs_every_byte_and_the_same_length() {
        assert!(constant_time_eq(b"secret-token", b"secret-token"));
        assert!(!constant_time_eq(b"secret-token", b"secret-tokeN"));
        assert!(!constant_time_eq(b"secret-token", b"secret-token-longer"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
        // Lengths that differ by a multiple of 256 still differ.
        assert!(!constant_time_eq(&[0; 256], b""));
    }

    #[test]
    fn a_bearer_token_or_the_session_cookie_passes_and_nothing_else() {
        let token = "0123456789abcdef0123";
        let mut h = HeaderMap::new();
        assert!(!authorised(&h, token));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer wrong"),
        );
        assert!(!authorised(&h, token));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        assert!(authorised(&h, token));
        let mut c = HeaderMap::new();
        c.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {COOKIE}={}", session_value(token))).unwrap(),
        );
        assert!(authorised(&c, token));
        let mut raw = HeaderMap::new();
        raw.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{COOKIE}={token}")).unwrap(),
        );
        assert!(
            !authorised(&raw, token),
            "the cookie is an HMAC, not the token"
        );
    }
}
