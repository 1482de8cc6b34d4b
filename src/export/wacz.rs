//! WACZ 1.2.0: a ZIP that ReplayWeb.page and pywb open as a web archive.
//! `archive/data.warc.gz` stored without recompression (so the index's
//! offsets reach records by HTTP range requests; the other files are
//! deflated), `indexes/index.cdx`
//! (CDXJ, sorted), `pages/pages.jsonl` (one line per version, with its text
//! for full-text search), `datapackage.json` (every file's path, size and
//! SHA-256) and `datapackage-digest.json` (the SHA-256 of the manifest).
//!
//! The parts are written beside the output first and the ZIP is renamed
//! into place only when whole: a failed export leaves no half file under
//! the name asked for.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::archive::{ExportError, Info, WarcWriter};
use super::cdxj::SortedLines;
use super::{Selection, Tally};
use crate::model::Target;
use crate::store::History;

/// The WARC's name inside the package.
const WARC_NAME: &str = "data.warc.gz";

/// Writes the WACZ of the selection to `path`.
pub async fn write(
    store: &dyn History,
    targets: &[Target],
    sel: &Selection,
    info: &Info,
    path: &Path,
) -> Result<Tally, ExportError> {
    let parts = Parts::new(path)?;
    let result = write_parts(store, targets, sel, info, path, &parts).await;
    parts.remove();
    result
}

async fn write_parts(
    store: &dyn History,
    targets: &[Target],
    sel: &Selection,
    info: &Info,
    path: &Path,
    parts: &Parts,
) -> Result<Tally, ExportError> {
    let warc_path = parts.dir.join(WARC_NAME);
    let pages_path = parts.dir.join("pages.jsonl");
    let mut pages = BufWriter::new(File::create(&pages_path)?);
    pages.write_all(
        br#"{"format":"json-pages-1.0","id":"pages","title":"Versions","hasText":true}"#,
    )?;
    pages.write_all(b"\n")?;
    let info = Info {
        filename: WARC_NAME.to_string(),
        ..info.clone()
    };
    let mut warc = WarcWriter::start(BufWriter::new(File::create(&warc_path)?), &info)?;
    // Index lines are sorted in runs of 16 MB at most.
    warc.index = Some(SortedLines::new(parts.dir.clone(), 16 << 20));
    warc.pages = Some(Box::new(pages));
    for target in targets {
        warc.target(store, target, sel).await?;
    }
    let (out, index, tally) = warc.finish()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    let index_path = parts.dir.join("index.cdx");
    {
        let mut out = BufWriter::new(File::create(&index_path)?);
        if let Some(index) = index {
            index.finish(&mut out)?;
        }
        out.flush()?;
    }
    let partial = parts.partial.clone();
    let zip_file = File::create(&partial)?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(zip_file));
    let resources = [
        add_file(&mut zip, "archive/data.warc.gz", &warc_path)?,
        add_file(&mut zip, "indexes/index.cdx", &index_path)?,
        add_file(&mut zip, "pages/pages.jsonl", &pages_path)?,
    ];
    let package = serde_json::json!({
        // WACZ 1.2.0 names the profile `wacz`, but the reference validator
        // (py-wacz, through frictionless) reads an unknown profile as a
        // file to load and refuses the package; the 1.1.1 profile and
        // version are what every reader and validator accepts.
        "profile": "data-package",
        "wacz_version": "1.1.1",
        "title": "Redline export",
        "description": format!(
            "Every stored version of {} articles watched by Redline, with the pages as fetched.",
            tally.articles
        ),
        "created": info.created.rfc3339(),
        "software": format!("Redline {}", env!("CARGO_PKG_VERSION")),
        "resources": resources
            .iter()
            .map(|r| serde_json::json!({
                "name": r.name, "path": r.path, "hash": r.hash, "bytes": r.bytes,
            }))
            .collect::<Vec<_>>(),
    });
    let package = serde_json::to_vec_pretty(&package)?;
    let manifest = add_bytes(&mut zip, "datapackage.json", &package)?;
    let digest = serde_json::to_vec_pretty(&serde_json::json!({
        "path": "datapackage.json",
        "hash": manifest.hash,
    }))?;
    add_bytes(&mut zip, "datapackage-digest.json", &digest)?;
    let file = zip
        .finish()
        .map_err(zip_err)?
        .into_inner()
        .map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&partial, path)?;
    Ok(tally)
}

/// One file of the package as `datapackage.json` lists it.
struct Resource {
    name: String,
    path: String,
    hash: String,
    bytes: u64,
}

/// The WARC is stored as it is (its gzip members are what the index's
/// offsets address); the text files are deflated, as the spec allows.
fn options(name: &str, len: u64) -> zip::write::SimpleFileOptions {
    let method = if name.starts_with("archive/") {
        zip::CompressionMethod::Stored
    } else {
        zip::CompressionMethod::Deflated
    };
    zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .large_file(len >= u64::from(u32::MAX))
}

fn zip_err(e: zip::result::ZipError) -> std::io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => std::io::Error::other(other.to_string()),
    }
}

/// Copies the file at `from` into the ZIP as `name`, hashing it on the way.
fn add_file<W: Write + std::io::Seek>(
    zip: &mut zip::ZipWriter<W>,
    name: &str,
    from: &Path,
) -> std::io::Result<Resource> {
    let len = std::fs::metadata(from)?.len();
    zip.start_file(name, options(name, len)).map_err(zip_err)?;
    let mut file = File::open(from)?;
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    let mut buf = vec![0_u8; 1 << 16];
    let mut bytes = 0_u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha2::Digest::update(&mut hasher, &buf[..n]);
        zip.write_all(&buf[..n])?;
        bytes += n as u64;
    }
    Ok(resource(name, hasher, bytes))
}

/// Adds `data` to the ZIP as `name`.
fn add_bytes<W: Write + std::io::Seek>(
    zip: &mut zip::ZipWriter<W>,
    name: &str,
    data: &[u8],
) -> std::io::Result<Resource> {
    zip.start_file(name, options(name, data.len() as u64))
        .map_err(zip_err)?;
    zip.write_all(data)?;
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    sha2::Digest::update(&mut hasher, data);
    Ok(resource(name, hasher, data.len() as u64))
}

fn resource(path: &str, hasher: sha2::Sha256, bytes: u64) -> Resource {
    let digest = sha2::Digest::finalize(hasher);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Resource {
        name: path.rsplit('/').next().unwrap_or(path).to_string(),
        path: path.to_string(),
        hash: format!("sha256:{hex}"),
        bytes,
    }
}

/// The scratch directory and partial file beside the output.
struct Parts {
    dir: PathBuf,
    partial: PathBuf,
}

impl Parts {
    fn new(path: &Path) -> std::io::Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export.wacz".into());
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        let beside = |suffix: &str| {
            let file = format!(".{name}.{}{suffix}", std::process::id());
            parent.map_or_else(|| PathBuf::from(&file), |p| p.join(&file))
        };
        let parts = Self {
            dir: beside(".parts"),
            partial: beside(".partial"),
        };
        // Not `create_dir_all`: a folder that does not exist is the
        // user's mistake to hear about, not one to make.
        std::fs::create_dir(&parts.dir)?;
        Ok(parts)
    }

    /// Removes the scratch files (the partial file only if it was not
    /// renamed into place).
    fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_file(&self.partial);
    }
}
