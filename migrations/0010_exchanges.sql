-- The HTTP exchange behind each check that got an answer, kept from now on
-- so that captures can be exported as WARC records (`redline export`): the
-- URL that answered (after redirects), the request line and headers sent,
-- the status line and headers as received (CRLF-separated, without the
-- blank line that ends them), the SHA-256 of the body as received (NULL for
-- a 304), and the server's IP address. Checks recorded before this have
-- none: their versions are exported as `resource` records.
ALTER TABLE checks ADD COLUMN url TEXT;
ALTER TABLE checks ADD COLUMN request_head TEXT;
ALTER TABLE checks ADD COLUMN response_head TEXT;
ALTER TABLE checks ADD COLUMN payload_sha256 BLOB;
ALTER TABLE checks ADD COLUMN ip TEXT;
