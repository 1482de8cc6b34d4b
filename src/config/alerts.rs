//! Validation of the `[[alert]]` sections: log and webhook sinks, their
//! filters, endpoints, secrets and retry settings.

use std::time::Duration;

use toml::Spanned;

use super::raw::RawAlert;
use super::validate::Ctx;
use super::*;
use crate::alert::{AlertFilter, AlertSpec, PayloadFormat, Secret, WebhookSpec};
use crate::detect::ChangeClass;
use crate::model::TargetUrl;

/// Every `[[alert]]`.
pub(super) fn alerts(
    cx: &Ctx<'_>,
    raw: &[RawAlert],
    config: &mut Config,
) -> Result<(), ConfigError> {
    if !raw.is_empty() {
        config.alerts.clear();
        for a in raw {
            let mut filter = AlertFilter::default();
            if let Some(classes) = &a.classes {
                filter.classes.clear();
                for c in classes {
                    let class = ChangeClass::parse(c.get_ref()).ok_or_else(|| {
                        cx.err(
                            Some(c.span()),
                            format!(
                                "unknown change class `{}`: the classes are cosmetic, minor, substantive, headline, revert and removed",
                                c.get_ref()
                            ),
                        )
                    })?;
                    filter.classes.push(class);
                }
            }
            if let Some(n) = a.min_words {
                filter.min_words = n;
            }
            for t in a.targets.iter().flatten() {
                filter.targets.push(
                    TargetUrl::parse(t.get_ref())
                        .map_err(|e| cx.err(Some(t.span()), format!("`targets`: {e}")))?,
                );
            }
            for t in a.sources.iter().flatten() {
                filter.sources.push(
                    TargetUrl::parse(t.get_ref())
                        .map_err(|e| cx.err(Some(t.span()), format!("`sources`: {e}")))?,
                );
            }
            filter.tags = a
                .tags
                .iter()
                .flatten()
                .map(|t| t.get_ref().trim().to_string())
                .collect();
            let webhook_only = [
                ("url", a.url.as_ref().map(|v| v.span())),
                ("secret", a.secret.as_ref().map(|v| v.span())),
                ("headers", a.headers.as_ref().map(|v| v.span())),
                ("timeout", a.timeout.as_ref().map(|v| v.span())),
                ("format", a.format.as_ref().map(|v| v.span())),
                ("name", a.name.as_ref().map(|v| v.span())),
                ("retry_min", a.retry_min.as_ref().map(|v| v.span())),
                ("retry_max", a.retry_max.as_ref().map(|v| v.span())),
                ("max_age", a.max_age.as_ref().map(|v| v.span())),
            ];
            match a.kind.get_ref().as_str() {
                "log" => {
                    if let Some((key, Some(span))) = webhook_only.iter().find(|(_, s)| s.is_some())
                    {
                        return Err(cx.err(
                            Some(span.clone()),
                            format!("`{key}` belongs to webhook alerts, not \"log\""),
                        ));
                    }
                    config.alerts.push(AlertSpec::Log(filter))
                }
                "webhook" => {
                    let spec = webhook_spec(cx, a, filter)?;
                    if config
                        .alerts
                        .iter()
                        .any(|x| matches!(x, AlertSpec::Webhook(w) if w.name == spec.name))
                    {
                        return Err(cx.err(
                            Some(a.kind.span()),
                            format!(
                                "two webhook alerts are named `{}`: give one a `name`",
                                spec.name
                            ),
                        ));
                    }
                    config.alerts.push(AlertSpec::Webhook(Box::new(spec)))
                }
                other => {
                    return Err(cx.err(
                        Some(a.kind.span()),
                        format!(
                            "unknown alert kind `{other}`: the kinds are \"log\" and \"webhook\""
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Validates one webhook `[[alert]]`.
fn webhook_spec(
    cx: &Ctx<'_>,
    a: &RawAlert,
    filter: AlertFilter,
) -> Result<WebhookSpec, ConfigError> {
    use base64::Engine as _;
    let Some(raw_url) = &a.url else {
        return Err(cx.err(Some(a.kind.span()), "a webhook alert needs a `url`".into()));
    };
    let url = url::Url::parse(raw_url.get_ref())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            cx.err(
                Some(raw_url.span()),
                format!("`url`: `{}` is not an http or https URL", raw_url.get_ref()),
            )
        })?;
    let Some(raw_secret) = &a.secret else {
        return Err(cx.err(
            Some(a.kind.span()),
            "a webhook alert needs a `secret` (\"env:NAME\", \"file:PATH\" or \"whsec_…\")".into(),
        ));
    };
    let secret = Secret::resolve(raw_secret.get_ref())
        .map_err(|m| cx.err(Some(raw_secret.span()), format!("`secret`: {m}")))?;
    let key = secret
        .expose()
        .strip_prefix("whsec_")
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            cx.err(
                Some(raw_secret.span()),
                "`secret` must be `whsec_` followed by base64 (the value is not shown)".into(),
            )
        })?;
    let mut headers = Vec::new();
    for (name, value) in a.headers.iter().flat_map(|h| h.get_ref().iter()) {
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(cx.err(
                Some(value.span()),
                format!("`headers`: `{name}` is not a valid header name"),
            ));
        }
        let v = Secret::resolve(value.get_ref())
            .map_err(|m| cx.err(Some(value.span()), format!("`headers.{name}`: {m}")))?;
        if reqwest::header::HeaderValue::from_str(v.expose()).is_err() {
            return Err(cx.err(
                Some(value.span()),
                format!("`headers.{name}` is not a valid header value"),
            ));
        }
        headers.push((name.clone(), v));
    }
    let format = match a.format.as_ref().map(|f| f.get_ref().as_str()) {
        None | Some("json") => PayloadFormat::Json,
        Some("slack") => PayloadFormat::Slack,
        Some("discord") => PayloadFormat::Discord,
        Some(other) => {
            return Err(cx.err(
                a.format.as_ref().map(|f| f.span()),
                format!(
                    "unknown format `{other}`: the formats are \"json\", \"slack\" and \"discord\""
                ),
            ));
        }
    };
    let opt_duration = |v: &Option<Spanned<String>>,
                        key: &str,
                        default: Duration|
     -> Result<Duration, ConfigError> {
        match v {
            None => Ok(default),
            Some(v) => {
                let d = cx.duration(v, key)?;
                if d.is_zero() {
                    return Err(cx.err(Some(v.span()), format!("`{key}` must be more than zero")));
                }
                Ok(d)
            }
        }
    };
    let name = a
        .name
        .as_ref()
        .map(|n| n.get_ref().trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| url.to_string());
    let retry_min = opt_duration(&a.retry_min, "retry_min", DEFAULT_RETRY_MIN)?;
    let retry_max = opt_duration(&a.retry_max, "retry_max", DEFAULT_RETRY_MAX)?.max(retry_min);
    Ok(WebhookSpec {
        name,
        url,
        key,
        headers,
        timeout: opt_duration(&a.timeout, "timeout", DEFAULT_WEBHOOK_TIMEOUT)?,
        format,
        filter,
        retry_min,
        retry_max,
        max_age: opt_duration(&a.max_age, "max_age", DEFAULT_MAX_AGE)?,
    })
}
