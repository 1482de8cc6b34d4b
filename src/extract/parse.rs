//! Before parsing: markup that would only cost time or depth is trimmed
//! (scripts, styles and templates emptied, nesting beyond what a page
//! needs flattened) without touching the text a reader sees.

/// Deepest element nesting passed to the HTML parser. The HTML5 tree
/// builder checks element scopes by walking its stack of open elements, so
/// parsing cost grows with the square of the depth; real pages stay far below
/// this (browsers flatten beyond 512).
pub(super) const MAX_PARSE_DEPTH: usize = 1024;

/// Makes a page cheaper to parse without changing what can be extracted:
/// drops comments and the content of `<style>`, inline `<svg>` and of
/// `<script>` other than JSON-LD (often half of a news page, and read by the tokenizer a character
/// at a time), and removes the tags (not the text) of elements nested deeper
/// than [`MAX_PARSE_DEPTH`], so a hostile page of a million nested `<div>`s
/// cannot stall a worker thread. A page with none of these is returned
/// untouched.
///
/// Depth is estimated with a light scan: void elements and elements whose
/// end tag is optional (`p`, `li`, cells…) do not count, comments and the
/// content of `script`/`style` are skipped.
pub(super) fn trim_for_parsing(html: &str) -> std::borrow::Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut dropped = 0usize;
    // Spans to drop, and whether a space stands in for them.
    let mut cut: Vec<(usize, usize, bool)> = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
        let start = i + off;
        let rest = &bytes[start..];
        if rest.starts_with(b"<!--") {
            i = memchr::memmem::find(&bytes[start + 4..], b"-->")
                .map_or(bytes.len(), |e| start + 4 + e + 3);
            // Comments never hold article text.
            cut.push((start, i, false));
            continue;
        }
        let end =
            memchr::memchr(b'>', &bytes[start + 1..]).map_or(bytes.len(), |e| start + 1 + e + 1);
        let closing = rest.get(1) == Some(&b'/');
        let name_start = start + 1 + usize::from(closing);
        let raw_name = &bytes[name_start..end.max(name_start)];
        let name_len = raw_name
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 {
            i = start + 1;
            continue;
        }
        // Tag names that matter here are short; longer ones are custom
        // elements, which nest like any other.
        let mut buf = [0u8; 12];
        let name: &[u8] = if name_len <= buf.len() {
            for (d, s) in buf.iter_mut().zip(&raw_name[..name_len]) {
                *d = s.to_ascii_lowercase();
            }
            &buf[..name_len]
        } else {
            b"custom-element"
        };
        let self_closing = bytes[..end].ends_with(b"/>");
        if closing {
            if counts_for_depth(name) {
                if dropped > 0 {
                    dropped -= 1;
                    cut.push((start, end, true));
                } else {
                    depth = depth.saturating_sub(1);
                }
            }
        } else if matches!(name, b"script" | b"style" | b"textarea" | b"title" | b"xmp") {
            i = find_end_tag(bytes, end, name).unwrap_or(bytes.len());
            // Scripts and style sheets are often half the page and the
            // tokenizer reads them a character at a time; only JSON-LD
            // (metadata) is ever read from them.
            let open_tag = &bytes[start..end];
            let json_ld =
                memchr::memmem::find(&open_tag.to_ascii_lowercase(), b"ld+json").is_some();
            if (name == b"style" || (name == b"script" && !json_ld)) && i > end {
                cut.push((end, i, false));
            }
            continue;
        } else if name == b"svg" && !self_closing {
            // Inline icons and charts: paths, never article text.
            i = find_end_tag(bytes, end, name).unwrap_or(bytes.len());
            if i > end {
                cut.push((end, i, false));
            }
            continue;
        } else if counts_for_depth(name) && !self_closing {
            if depth >= MAX_PARSE_DEPTH {
                dropped += 1;
                cut.push((start, end, true));
            } else {
                depth += 1;
            }
        }
        i = end;
    }
    if cut.is_empty() {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    for (a, b, space) in cut {
        if a < last || !html.is_char_boundary(a) || !html.is_char_boundary(b) {
            continue;
        }
        out.push_str(&html[last..a]);
        // Keep a word boundary where a block tag stood.
        if space {
            out.push(' ');
        }
        last = b;
    }
    out.push_str(&html[last..]);
    std::borrow::Cow::Owned(out)
}

/// Where the end tag `</name` (any case) starts, at or after `from`.
pub(super) fn find_end_tag(hay: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut at = from;
    while let Some(off) = memchr::memmem::find(hay.get(at..)?, b"</") {
        let pos = at + off;
        let candidate = hay.get(pos + 2..pos + 2 + name.len())?;
        if candidate.eq_ignore_ascii_case(name) {
            return Some(pos);
        }
        at = pos + 2;
    }
    None
}

/// Whether an element, once opened, stays open until its end tag. A link
/// does not count either: an `<a>` opened inside another closes it, so
/// links never pile up, and their tags are never trimmed — the links of a
/// deep section page stay links.
pub(super) fn counts_for_depth(name: &[u8]) -> bool {
    !matches!(
        name,
        b"a" | b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"p"
            | b"li"
            | b"dt"
            | b"dd"
            | b"option"
            | b"optgroup"
            | b"tr"
            | b"td"
            | b"th"
            | b"thead"
            | b"tbody"
            | b"tfoot"
            | b"rb"
            | b"rt"
            | b"rp"
            | b"html"
            | b"head"
            | b"body"
    )
}

/// Tags whose content is never text a reader sees.
pub(super) fn is_code_tag(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "head"
            | "title"
            | "button"
            | "select"
            | "input"
            | "textarea"
            | "iframe"
            | "object"
            | "embed"
            | "svg"
            | "canvas"
            | "video"
            | "audio"
    )
}
