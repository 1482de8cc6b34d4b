//! HTTPS from a local server: an authority made for the test (rcgen)
//! signs the server's certificate, and the `redline` under test is told to
//! trust it through `SSL_CERT_FILE`, which the system trust store reader
//! honours; a self-signed stranger's certificate is trusted by no one.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::raw::{accept_each, read_request};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority of the test's own.
pub struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A server's certificate chain and key.
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl Authority {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { issuer }
    }

    /// Writes the authority's certificate as PEM, for `SSL_CERT_FILE`.
    pub fn write_pem(&self, path: &Path) {
        std::fs::write(path, self.issuer.pem()).unwrap();
    }

    /// A certificate for `127.0.0.1` and `localhost`, signed by this authority.
    pub fn identity(&self) -> Identity {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Identity {
            chain: vec![cert.der().clone(), self.issuer.der().clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }
}

/// A certificate for `127.0.0.1` that signs itself: no authority vouches
/// for it.
pub fn self_signed() -> Identity {
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    Identity {
        chain: vec![cert.der().clone()],
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// An HTTPS server on 127.0.0.1 (port 0): for each request path, the
/// handler returns the whole response (head and body), and the
/// connection closes.
pub struct TlsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl TlsServer {
    pub fn start(
        identity: Identity,
        handler: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static,
    ) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(identity.chain, PrivateKeyDer::Pkcs8(identity.key))
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        accept_each(listener, Arc::clone(&stop), move |tcp| {
            let conn = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            // A client that refuses the certificate ends here.
            let Some(path) = read_request(&mut tls) else {
                return;
            };
            let _ = tls.write_all(&handler(&path));
            tls.conn.send_close_notify();
            let _ = tls.flush();
        });
        Self { addr, stop }
    }

    /// The https URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// A whole `200 OK` HTML response.
pub fn ok_html(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A whole `301` response to `location`.
pub fn moved(location: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}
