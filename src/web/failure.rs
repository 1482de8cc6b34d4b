//! What a request can fail with, as a page for people and as JSON for the
//! read API. A store error is logged in full and shown as a short message:
//! the details stay in the log.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

/// Why a request was not answered with what it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 404: the thing named is not there.
    NotFound(String),
    /// 400: the request is malformed; the message says which part.
    BadRequest(String),
    /// 500: the store or the diff failed.
    Internal(String),
}

impl Failure {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(&self) -> &str {
        match self {
            Self::NotFound(m) | Self::BadRequest(m) | Self::Internal(m) => m,
        }
    }

    /// The failure as the read API answers it: `{"error": "..."}`.
    pub fn json(self) -> Response {
        (
            self.status(),
            Json(serde_json::json!({ "error": self.message() })),
        )
            .into_response()
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "a web request could not read the store");
        Self::Internal("the record could not be read; the daemon's log says why".into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let title = match self {
            Self::NotFound(_) => "Not found",
            Self::BadRequest(_) => "Bad request",
            Self::Internal(_) => "Something went wrong",
        };
        let page = ErrorPage {
            title,
            message: self.message(),
        };
        match page.render() {
            Ok(html) => (
                self.status(),
                [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Err(_) => (self.status(), self.message().to_string()).into_response(),
        }
    }
}

/// The read API's wrapper: the same failures, as JSON.
#[derive(Debug)]
pub struct ApiFailure(pub Failure);

impl From<Failure> for ApiFailure {
    fn from(f: Failure) -> Self {
        Self(f)
    }
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        self.0.json()
    }
}
