//! Webhook delivery: Standard Webhooks signatures and one HTTP attempt.
//!
//! Each attempt sends the stored body with `webhook-id` (the same on every
//! attempt), `webhook-timestamp` (the attempt's Unix time) and
//! `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`
//! under the sink's secret).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::alert::WebhookSpec;

/// The signature header value for one attempt.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// 2xx: received.
    Delivered,
    /// 410: the receiver wants no more; the sink is switched off.
    Gone,
    /// Anything else: try again later.
    Retry(String),
}

/// Builds the HTTP client for a sink.
pub fn client(spec: &WebhookSpec) -> Result<reqwest::Client, reqwest::Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!(
            "Redline/",
            env!("CARGO_PKG_VERSION"),
            " (webhooks)"
        ))
        .timeout(spec.timeout)
        .connect_timeout(spec.timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
}

/// Sends one delivery once.
pub async fn attempt(
    client: &reqwest::Client,
    spec: &WebhookSpec,
    id: &str,
    body: &str,
) -> Attempt {
    let timestamp = crate::model::Timestamp::now().millis() / 1000;
    let mut request = client
        .post(spec.url.clone())
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", sign(&spec.key, id, timestamp, body));
    for (name, value) in &spec.headers {
        request = request.header(name.as_str(), value.expose());
    }
    let send = request.body(body.to_string()).send();
    // The client's timeout covers the body too; this bounds everything else.
    match tokio::time::timeout(spec.timeout + std::time::Duration::from_secs(1), send).await {
        Err(_) => Attempt::Retry(format!("no answer within {}s", spec.timeout.as_secs_f64())),
        Ok(Err(e)) if e.is_timeout() => {
            Attempt::Retry(format!("no answer within {}s", spec.timeout.as_secs_f64()))
        }
        Ok(Err(e)) => Attempt::Retry(format!("cannot reach the receiver: {}", root_cause(&e))),
        Ok(Ok(response)) => {
            let status = response.status();
            if status.is_success() {
                Attempt::Delivered
            } else if status.as_u16() == 410 {
                Attempt::Gone
            } else {
                Attempt::Retry(format!("the receiver answered HTTP {}", status.as_u16()))
            }
        }
    }
}

fn root_cause(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(s) = source.source() {
        source = s;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example from the Standard Webhooks specification.
        let key = base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap();
        let sig = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
