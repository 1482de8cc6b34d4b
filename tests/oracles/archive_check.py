"""Checks a Redline export with the web-archiving world's own tools.

Used by tests/it/export.rs; every check here is an independent
implementation, not Redline's code:

- warcio (Webrecorder) reads, digest-checks and indexes the WARC;
- the bodies of the response records are byte-identical to what the test
  server sent (their SHA-256 are given by the test);
- py-wacz validates the WACZ (manifest, hashes, layout);
- the WACZ's CDXJ lines equal what cdxj-indexer writes for the same WARC
  (for the records a replay serves: response, resource, and revisits of an
  identical payload; a 304 revisit has no page of its own);
- pywb replays the WACZ's WARC through its index: each captured URL at each
  capture time returns the body captured then.

- each capture's WARC-Date lies in the interval the test saw it happen in,
  and its request record carries every header the test server received;
- (table mode) the CSV, read by Python's csv module, holds the same rows
  as the JSON Lines.

Usage: archive_check.py WARC WACZ EXPECT_JSON
       archive_check.py table CSV JSONL
       archive_check.py older WARC EXPECT_JSON
EXPECT_JSON: {"records": {type: count}, "versions": N, "captures": [{"url",
              "kind" (response, revisit, or not-modified for a 304),
              "sha256" (of the body sent, or confirmed by a 304),
              "after_ms", "before_ms", "request_headers"}]} in capture order
Prints one line per check; exits 1 on the first failure.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

from warcio.archiveiterator import ArchiveIterator

BIN = os.path.dirname(sys.executable)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ok(msg):
    print("ok: " + msg)


def tool(name, *args):
    run = subprocess.run([os.path.join(BIN, name), *args], capture_output=True, text=True)
    return run.returncode, run.stdout + run.stderr


def iso_ms(date):
    import datetime

    d = datetime.datetime.strptime(date[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    frac = date[19:].rstrip("Z").lstrip(".")
    return int(d.timestamp() * 1000) + (int((frac + "000")[:3]) if frac else 0)


def records(path):
    out = []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            body = rec.content_stream().read()
            out.append((it.get_record_offset(), rec, body))
    return out


def table(csv_path, jsonl_path):
    import csv

    rows = [json.loads(l) for l in open(jsonl_path, encoding="utf-8") if l.strip()]
    with open(csv_path, newline="", encoding="utf-8") as fh:
        read = list(csv.DictReader(fh))
    if len(read) != len(rows):
        fail("%d CSV rows for %d JSON lines" % (len(read), len(rows)))
    for c, j in zip(read, rows):
        if list(c.keys()) != list(j.keys()):
            fail("CSV columns %s, JSON keys %s" % (list(c.keys()), list(j.keys())))
        for k, v in j.items():
            want = ";".join(v) if isinstance(v, list) else "" if v is None else str(v)
            if c[k] != want:
                fail("CSV %s = %r, JSON %r" % (k, c[k], v))
    ok("the CSV holds the JSON Lines' %d rows, quoting and all" % len(rows))


def older(warc_path, expect_path):
    """A WARC from a database that kept no exchanges: resource records."""
    expect = json.load(open(expect_path))
    rc, out = tool("warcio", "check", "-v", warc_path)
    if rc != 0:
        fail("warcio check refused the WARC:\n" + out)
    counts = {}
    bodies = []
    for _, rec, body in records(warc_path):
        counts[rec.rec_type] = counts.get(rec.rec_type, 0) + 1
        if rec.rec_type == "resource":
            bodies.append(hashlib.sha256(body).hexdigest())
    if counts != expect["records"]:
        fail("records %s, expected %s" % (counts, expect["records"]))
    if bodies != expect["sha256"]:
        fail("the resource records do not hold the pages as sent")
    ok("warcio accepts the WARC; %d resource records hold the pages as sent" % len(bodies))


def main():
    if sys.argv[1] == "table":
        return table(sys.argv[2], sys.argv[3])
    if sys.argv[1] == "older":
        return older(sys.argv[2], sys.argv[3])
    warc_path, wacz_path, expect_path = sys.argv[1:4]
    expect = json.load(open(expect_path))

    rc, out = tool("warcio", "check", "-v", warc_path)
    if rc != 0:
        fail("warcio check refused the WARC:\n" + out)
    ok("warcio check accepts the WARC")

    rc, out = tool("warcio", "index", "-f", "warc-type,warc-target-uri,offset", warc_path)
    if rc != 0:
        fail("warcio index failed:\n" + out)
    counts = {}
    for line in out.splitlines():
        t = json.loads(line)["warc-type"]
        counts[t] = counts.get(t, 0) + 1
    if counts != expect["records"]:
        fail("warcio index found %s, expected %s" % (counts, expect["records"]))
    ok("warcio index finds every record: %s" % counts)

    recs = records(warc_path)
    by_id = {r.rec_headers.get_header("WARC-Record-ID"): r for _, r, _ in recs}
    captured = [(r, b) for _, r, b in recs if r.rec_type in ("response", "revisit")]
    caps = expect["captures"]
    kinds = ["revisit" if c["kind"] == "not-modified" else c["kind"] for c in caps]
    if [r.rec_type for r, _ in captured] != kinds:
        fail("records %s for captures %s" % ([r.rec_type for r, _ in captured], kinds))
    requests = {r.rec_headers.get_header("WARC-Concurrent-To"): r for _, r, _ in recs if r.rec_type == "request"}
    for (rec, body), cap in zip(captured, caps):
        date = rec.rec_headers.get_header("WARC-Date")
        ms = iso_ms(date)
        if not cap["after_ms"] <= ms <= cap["before_ms"]:
            fail("WARC-Date %s is outside the capture's interval" % date)
        cap["ts"] = date[:19].replace("-", "").replace("T", "").replace(":", "")
        if rec.rec_type == "response":
            if hashlib.sha256(body).hexdigest() != cap["sha256"]:
                fail("the response at %s is not the bytes the server sent" % date)
            if rec.http_headers.get_statuscode() != "200":
                fail("response status %s" % rec.http_headers.get_statuscode())
        if cap["kind"] == "not-modified":
            prof = rec.rec_headers.get_header("WARC-Profile") or ""
            orig = by_id.get(rec.rec_headers.get_header("WARC-Refers-To"))
            if not prof.endswith("server-not-modified") or orig is None:
                fail("the 304 at %s is not a server-not-modified revisit of a response" % date)
            if rec.http_headers.get_statuscode() != "304":
                fail("the 304 revisit says status %s" % rec.http_headers.get_statuscode())
            orig_body = dict((r.rec_headers.get_header("WARC-Record-ID"), b) for r, b in captured)[
                orig.rec_headers.get_header("WARC-Record-ID")
            ]
            if hashlib.sha256(orig_body).hexdigest() != cap["sha256"]:
                fail("the 304 at %s confirms a page other than the one last served" % date)
        req = requests.get(rec.rec_headers.get_header("WARC-Record-ID"))
        if req is None:
            fail("no request record for the capture at %s" % date)
        for name, value in cap["request_headers"].items():
            if req.http_headers.get_header(name) != value:
                fail("the request record says %s: %r, the server got %r" % (name, req.http_headers.get_header(name), value))
    ok("%d captures: dated when they happened, bodies as sent, requests as received" % len(caps))
    for _, rec, _ in recs:
        if rec.rec_type == "revisit":
            prof = rec.rec_headers.get_header("WARC-Profile")
            ref = rec.rec_headers.get_header("WARC-Refers-To")
            if ref not in by_id or by_id[ref].rec_type != "response":
                fail("a revisit refers to %s, not a response in the file" % ref)
            if prof.endswith("identical-payload-digest"):
                want = by_id[ref].rec_headers.get_header("WARC-Payload-Digest")
                if rec.rec_headers.get_header("WARC-Payload-Digest") != want:
                    fail("a revisit's digest differs from its original's")
        if rec.rec_type in ("conversion", "metadata"):
            ref = rec.rec_headers.get_header("WARC-Refers-To")
            if ref is not None and ref not in by_id:
                fail("a %s record refers to a record not in the file" % rec.rec_type)
    ok("revisits, conversions and metadata refer to records in the file")

    rc, out = tool("wacz", "validate", "-f", wacz_path)
    if rc != 0 or "Validation succeeded" not in out:
        fail("wacz validate refused the WACZ:\n" + out)
    ok("wacz validate accepts the WACZ")

    tmp = tempfile.mkdtemp()
    with zipfile.ZipFile(wacz_path) as z:
        info = z.getinfo("archive/data.warc.gz")
        if info.compress_type != zipfile.ZIP_STORED:
            fail("the WARC is recompressed in the ZIP")
        z.extractall(tmp)
    data = os.path.join(tmp, "archive", "data.warc.gz")
    # What a replay serves: responses, resources and identical-payload
    # revisits (a 304 revisit has no page of its own).
    replayed = {
        off
        for off, r, _ in records(data)
        if r.rec_type in ("response", "resource")
        or (r.rec_type == "revisit" and r.rec_headers.get_header("WARC-Profile").endswith("identical-payload-digest"))
    }
    rc, out = tool("cdxj-indexer", data)
    if rc != 0:
        fail("cdxj-indexer failed:\n" + out)
    theirs = sorted(l for l in out.splitlines() if l and int(json.loads(l.split(" ", 2)[2])["offset"]) in replayed)
    ours = sorted(l for l in open(os.path.join(tmp, "indexes", "index.cdx")).read().splitlines() if l)
    if theirs != ours:
        fail("index.cdx differs from cdxj-indexer:\nours:\n%s\ntheirs:\n%s" % ("\n".join(ours), "\n".join(theirs)))
    ok("index.cdx equals cdxj-indexer's lines for the %d replayable records" % len(ours))

    pages = [json.loads(l) for l in open(os.path.join(tmp, "pages", "pages.jsonl"))]
    if pages[0].get("format") != "json-pages-1.0" or len(pages) - 1 != expect["versions"]:
        fail("pages.jsonl: header %s, %d pages for %d versions" % (pages[0], len(pages) - 1, expect["versions"]))
    if not all(p.get("url") and p.get("ts") and p.get("text") for p in pages[1:]):
        fail("a page line lacks url, ts or text")
    ok("pages.jsonl has a line with text per version")

    replay(tmp, expect["captures"])


def replay(tmp, captures):
    from pywb.apps.frontendapp import FrontEndApp
    from werkzeug.test import Client

    cfg = os.path.join(tmp, "config.yaml")
    with open(cfg, "w") as fh:
        fh.write(
            "collections:\n  redline:\n    index_paths: %s\n    archive_paths: %s/\n"
            % (os.path.join(tmp, "indexes", "index.cdx"), os.path.join(tmp, "archive"))
        )
    os.chdir(tmp)
    client = Client(FrontEndApp(config_file=cfg))
    # A 304 has no page of its own: it is not in the index, and a replay at
    # its time shows whichever capture is nearest; it is checked above as
    # a record instead.
    captures = [c for c in captures if c["kind"] != "not-modified"]
    for cap in captures:
        resp = client.get("/redline/%sid_/%s" % (cap["ts"], cap["url"]))
        body = resp.get_data()
        if resp.status_code != 200:
            fail("pywb answered %s for %s at %s" % (resp.status_code, cap["url"], cap["ts"]))
        got = hashlib.sha256(body).hexdigest()
        if got != cap["sha256"]:
            which = [c["ts"] for c in captures if c["sha256"] == got]
            fail(
                "pywb replayed other bytes for %s at %s (%s): %s, %d bytes, status %s"
                % (cap["url"], cap["ts"], cap["kind"], "those of " + ", ".join(which) if which else "bytes never sent", len(body), resp.status_code)
            )
    ok("pywb replays each of %d captures with the bytes captured then" % len(captures))


if __name__ == "__main__":
    main()
