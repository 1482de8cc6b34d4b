//! How stored texts and pages are compressed, outside any SQL: zstd, a
//! later version's page against the first version's page as a prefix
//! dictionary and a later text against the first text, so a version costs
//! little more than what changed; decompression is bounded.

/// zstd level for stored pages: fast, and about 6–10× on HTML alone.
pub(super) const PAGE_ZSTD_LEVEL: i32 = 3;

/// zstd level for texts compressed against the first version's text.
pub(super) const TEXT_ZSTD_LEVEL: i32 = 3;

/// Compresses a later version's text against the first version's text as a
/// zstd prefix: an edited article costs about its edit. `None` when that
/// would not be smaller.
pub(super) fn compress_text(text: &str, base: &str) -> Option<Vec<u8>> {
    if text.is_empty() || base.is_empty() {
        return None;
    }
    compress_with_prefix(text.as_bytes(), base.as_bytes(), TEXT_ZSTD_LEVEL)
        .ok()
        .filter(|z| z.len() < text.len())
}

/// Undoes [`compress_text`].
pub(super) fn decompress_text(blob: &[u8], base: &str) -> Result<String, String> {
    let bytes = decompress_page(blob, Some(base.as_bytes())).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Compresses a page for version `number`: on its own for the first
/// version, else against the first version's page (`base`, decompressed)
/// as a zstd prefix. Returns the blob and the base used.
pub(super) fn compress_page(
    raw: &[u8],
    base: Option<(u32, Vec<u8>)>,
) -> std::io::Result<(Vec<u8>, Option<u32>)> {
    match base {
        Some((n, prefix)) if !prefix.is_empty() => Ok((
            compress_with_prefix(raw, &prefix, PAGE_ZSTD_LEVEL)?,
            Some(n),
        )),
        _ => Ok((zstd::bulk::compress(raw, PAGE_ZSTD_LEVEL)?, None)),
    }
}

pub(super) fn zstd_error(code: usize) -> std::io::Error {
    std::io::Error::other(zstd::zstd_safe::get_error_name(code))
}

/// zstd with `prefix` as history the data may refer to: a delta. Unlike a
/// dictionary, a prefix needs no digested copy built for each use.
pub(super) fn compress_with_prefix(
    data: &[u8],
    prefix: &[u8],
    level: i32,
) -> std::io::Result<Vec<u8>> {
    use zstd::zstd_safe::{CCtx, CParameter};
    let mut cctx = CCtx::create();
    cctx.set_parameter(CParameter::CompressionLevel(level))
        .map_err(zstd_error)?;
    cctx.ref_prefix(prefix).map_err(zstd_error)?;
    let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(data.len()));
    cctx.compress2(&mut out, data).map_err(zstd_error)?;
    Ok(out)
}

/// Largest page or text decompressed (a stored frame claiming more is
/// corrupt: pages are capped far below this when fetched).
pub(super) const MAX_DECOMPRESSED: u64 = 256 * 1024 * 1024;

/// Undoes [`compress_page`] and [`compress_with_prefix`].
pub(super) fn decompress_page(blob: &[u8], prefix: Option<&[u8]>) -> std::io::Result<Vec<u8>> {
    use zstd::zstd_safe::DCtx;
    let Some(prefix) = prefix else {
        return zstd::decode_all(blob);
    };
    let size = zstd::zstd_safe::get_frame_content_size(blob)
        .ok()
        .flatten()
        .filter(|n| *n <= MAX_DECOMPRESSED)
        .ok_or_else(|| std::io::Error::other("the stored frame does not say its size"))?;
    let mut dctx = DCtx::create();
    dctx.ref_prefix(prefix).map_err(zstd_error)?;
    let mut out = Vec::with_capacity(size as usize);
    dctx.decompress(&mut out, blob).map_err(zstd_error)?;
    Ok(out)
}
