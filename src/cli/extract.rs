//! `redline extract`: run the extractor on files or URLs and print what it
//! finds, storing nothing — for trying selectors and measuring extraction.

use std::io::Write;

use anyhow::{Context as _, anyhow};
use serde_json::json;

use super::{Context, json_line, runtime};
use crate::decode::decode;
use crate::extract::{Article, BodySelector, extract};
use crate::fetch::Fetcher;
use crate::model::TargetUrl;

pub(super) fn run(
    ctx: &Context,
    inputs: &[String],
    selector: Option<&BodySelector>,
    json: bool,
) -> anyhow::Result<()> {
    let mut failed = 0usize;
    let mut out = std::io::stdout().lock();
    let mut fetcher: Option<(tokio::runtime::Runtime, Fetcher)> = None;
    for input in inputs {
        let result = (|| -> anyhow::Result<Article> {
            let (bytes, content_type, base) = if input.starts_with("http://")
                || input.starts_with("https://")
            {
                let url = TargetUrl::parse(input)?;
                if fetcher.is_none() {
                    fetcher = Some((runtime()?, Fetcher::new(&ctx.config.fetch)?));
                }
                let (rt, f) = fetcher.as_ref().expect("just set");
                let page = rt.block_on(f.fetch(&url))?;
                (page.body, page.content_type, Some(page.final_url))
            } else {
                let bytes = std::fs::read(input).with_context(|| format!("cannot read {input}"))?;
                (
                    maybe_gunzip(bytes).with_context(|| format!("cannot decompress {input}"))?,
                    None,
                    None,
                )
            };
            let decoded = decode(&bytes, content_type.as_deref(), base.as_deref());
            Ok(extract(&decoded.text, selector, base.as_deref())?)
        })();
        match result {
            Ok(a) => {
                if json {
                    json_line(
                        &mut out,
                        &json!({
                            "source": input,
                            "title": a.title,
                            "text": a.text,
                            "byline": a.byline,
                            "published": a.published,
                        }),
                    )?;
                } else {
                    writeln!(out, "==> {input} <==\n{}\n", a.title)?;
                    if let Some(b) = &a.byline {
                        writeln!(out, "by: {b}")?;
                    }
                    if let Some(p) = &a.published {
                        writeln!(out, "published: {p}")?;
                    }
                    writeln!(out, "\n{}\n", a.text)?;
                }
            }
            Err(e) => {
                failed += 1;
                if json {
                    json_line(
                        &mut out,
                        &json!({ "source": input, "error": format!("{e:#}") }),
                    )?;
                } else {
                    writeln!(out, "==> {input} <==\nerror: {e:#}\n")?;
                }
            }
        }
    }
    if failed > 0 {
        return Err(anyhow!(
            "{failed} of {} inputs gave no article",
            inputs.len()
        ));
    }
    Ok(())
}

/// Pages saved gzipped (as in the extraction benchmark) are read as HTML.
fn maybe_gunzip(bytes: Vec<u8>) -> std::io::Result<Vec<u8>> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        // The gzip trailer's last four bytes give the size modulo 2^32
        // (RFC 1952 ISIZE): a hint for one allocation, capped so a forged
        // trailer cannot ask for much.
        let hint = bytes
            .last_chunk::<4>()
            .map_or(0, |b| u32::from_le_bytes(*b) as usize)
            .min(64 << 20);
        let mut out = Vec::with_capacity(hint + 1);
        std::io::Read::read_to_end(
            &mut flate2::read::MultiGzDecoder::new(bytes.as_slice()),
            &mut out,
        )?;
        Ok(out)
    } else {
        Ok(bytes)
    }
}
