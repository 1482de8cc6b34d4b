//! A server that answers with whatever bytes a test writes: malformed,
//! endless, slow or bomb-like responses that a well-behaved server (the
//! harness's `PageServer`) never sends. Each connection runs the test's
//! handler with the request path; the connection closes when it returns.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

/// Writes a response for one request path.
pub type Handler = Arc<dyn Fn(&str, &mut TcpStream) + Send + Sync>;

/// A raw-bytes HTTP server on 127.0.0.1 (port 0).
pub struct RawServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl RawServer {
    /// Starts serving every connection with `handler`.
    pub fn start(handler: impl Fn(&str, &mut TcpStream) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Handler = Arc::new(handler);
        accept_each(listener, Arc::clone(&stop), move |mut stream| {
            let Some(path) = read_request(&stream) else {
                return;
            };
            handler(&path, &mut stream);
            let _ = stream.flush();
        });
        Self { addr, stop }
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Serves every connection `listener` accepts on a thread of its own
/// (reads time out after 10 s), until `stop` is set and a connection
/// wakes the loop.
pub fn accept_each(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    each: impl Fn(TcpStream) + Send + Sync + 'static,
) {
    let each = Arc::new(each);
    thread::spawn(move || {
        for stream in listener.incoming() {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let each = Arc::clone(&each);
            thread::spawn(move || each(stream));
        }
    });
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads a request head from `stream` (plain or TLS); returns its path.
pub fn read_request(stream: impl std::io::Read) -> Option<String> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    request_line.split_whitespace().nth(1).map(str::to_string)
}

/// Writes bytes, ignoring a client that went away.
pub fn send(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    stream.write_all(bytes).is_ok()
}
