//! A webhook receiver for the alert tests: records every POST, answers as
//! the test says, and can be taken down and brought back on its port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One POST a [`Receiver`] got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    /// The status it was answered with.
    pub status: u16,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// Answers for a [`Receiver`]: the status for the n-th POST (from 1), and how
/// long to wait before answering.
pub type Answer = Arc<dyn Fn(u64) -> (u16, Duration) + Send + Sync>;

struct ReceiverState {
    received: Mutex<Vec<Received>>,
    answer: Mutex<Answer>,
    count: AtomicU64,
    stop: AtomicBool,
}

/// A webhook receiver on 127.0.0.1 that records every POST. It can be taken
/// down (connections refused) and brought back on the same port.
pub struct Receiver {
    addr: SocketAddr,
    state: Arc<ReceiverState>,
    running: Option<thread::JoinHandle<()>>,
}

impl Receiver {
    pub fn start(answer: impl Fn(u64) -> (u16, Duration) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(ReceiverState {
            received: Mutex::new(Vec::new()),
            answer: Mutex::new(Arc::new(answer)),
            count: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let mut r = Self {
            addr,
            state,
            running: None,
        };
        r.serve(listener);
        r
    }

    fn serve(&mut self, listener: TcpListener) {
        let state = Arc::clone(&self.state);
        state.stop.store(false, Ordering::SeqCst);
        self.running = Some(thread::spawn(move || {
            for stream in listener.incoming() {
                if state.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&state);
                thread::spawn(move || receive(stream, &state));
            }
        }));
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Changes the answers from now on.
    pub fn answer(&self, answer: impl Fn(u64) -> (u16, Duration) + Send + Sync + 'static) {
        *self.state.answer.lock().unwrap() = Arc::new(answer);
    }

    /// Stops listening: connections are refused until [`Receiver::up`].
    pub fn down(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.running.take() {
            let _ = t.join();
        }
    }

    /// Listens again on the same port.
    pub fn up(&mut self) {
        let listener = TcpListener::bind(self.addr).expect("rebind the receiver's port");
        self.serve(listener);
    }

    /// Every POST received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// POSTs that were answered 2xx.
    pub fn delivered(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect()
    }

    /// POSTs whose handling has started (answered or not).
    pub fn started(&self) -> u64 {
        self.state.count.load(Ordering::SeqCst)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn receive(mut stream: TcpStream, state: &ReceiverState) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = reqwest::header::HeaderMap::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {
                if let Some((k, v)) = line.trim_end().split_once(':') {
                    let (k, v) = (k.trim(), v.trim());
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.parse().unwrap_or(0);
                    }
                    if let (Ok(name), Ok(value)) = (
                        reqwest::header::HeaderName::from_bytes(k.as_bytes()),
                        reqwest::header::HeaderValue::from_str(v),
                    ) {
                        headers.append(name, value);
                    }
                }
            }
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let n = state.count.fetch_add(1, Ordering::SeqCst) + 1;
    let answer = Arc::clone(&state.answer.lock().unwrap());
    let (status, delay) = answer(n);
    thread::sleep(delay);
    let response =
        format!("HTTP/1.1 {status} Status\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    if stream.write_all(response.as_bytes()).is_ok() {
        state.received.lock().unwrap().push(Received {
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            status,
        });
    }
}
