//! A local credential endpoint in the container-credentials format the SDKs and the AWS CLI
//! read (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`), for
//! long-running processes and containers: each request is answered from the same cache, lock
//! and refresh planner as `credential-process`, so credentials refresh themselves.
//!
//! Loopback only; a random token per run, compared in constant time. Each connection is read on
//! a thread of its own, under one deadline for the whole request; connections still being read
//! are bounded, the one reading longest closed to admit a new one (`slots`), so local users
//! without the token cannot lock out those with it. Every credential lookup runs on the thread
//! that owns the context, one at a time. With nothing to do it sleeps in a blocking wait: no
//! CPU while idle, even once the session expired.

mod http;
mod slots;

pub use http::{MAX_REQUEST, ParseError, RequestHead, is_loopback_host, parse_request};

use crate::cache::Session;
use crate::error::Error;
use crate::secret::Secret;
use http::{credentials, problem, respond};
use slots::{Pending, PendingSlot, Queued};
use std::io::Read;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// Connections whose request is still being read; one more closes the oldest of them.
pub const MAX_PENDING: usize = 128;
/// Requests with the token waiting for credentials; more are refused with 503 at once.
pub const MAX_CONNECTIONS: usize = 32;
/// How long a client has to send its whole request, head and body, from its connection.
const REQUEST_DEADLINE: Duration = Duration::from_secs(5);

/// A request that passed the token check, waiting for credentials.
pub struct Request {
    reply: mpsc::Sender<Result<Session, Error>>,
}

impl Request {
    /// Answers it.
    pub fn answer(self, result: Result<Session, Error>) {
        let _ = self.reply.send(result);
    }
}

/// The endpoint: a loopback listener and its token.
pub struct Endpoint {
    listener: TcpListener,
    token: Secret,
    deadline: Duration,
    pending: usize,
}

impl Endpoint {
    /// Binds 127.0.0.1 (`port` 0: any free port) with a fresh random token.
    pub fn bind(port: u16) -> Result<Endpoint, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).map_err(|e| {
            Error::Config(format!(
                "cannot listen on 127.0.0.1:{port} ({}): choose another --port",
                e.kind()
            ))
        })?;
        Ok(Endpoint {
            listener,
            token: random_token()?,
            deadline: REQUEST_DEADLINE,
            pending: MAX_PENDING,
        })
    }

    /// `http://127.0.0.1:PORT/`, for `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub fn url(&self) -> String {
        let port = self.listener.local_addr().map_or(0, |a| a.port());
        format!("http://127.0.0.1:{port}/")
    }

    /// The token, for `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// Starts accepting: checked requests arrive on the returned channel. The accept thread
    /// refuses no connection before its request is read: it only hands it to a reader.
    pub fn start(self) -> Result<mpsc::Receiver<Request>, Error> {
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared {
            token: self.token,
            deadline: self.deadline,
            queued: Queued::new(MAX_CONNECTIONS),
            tx,
        });
        let pending = Pending::new(self.pending);
        let listener = self.listener;
        std::thread::Builder::new()
            .name("accept".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let Some(slot) = pending.admit(&stream) else {
                        continue;
                    };
                    let shared = shared.clone();
                    // A thread that cannot start drops the stream and the slot with it.
                    let _ = std::thread::Builder::new().spawn(move || serve(stream, slot, &shared));
                }
            })
            .map_err(|e| Error::Config(format!("cannot start the endpoint's thread: {e}")))?;
        Ok(rx)
    }
}

/// What every connection's reader shares.
struct Shared {
    token: Secret,
    deadline: Duration,
    queued: Arc<Queued>,
    tx: mpsc::Sender<Request>,
}

fn random_token() -> Result<Secret, Error> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::Config(format!("cannot read /dev/urandom for a token: {e}")))?;
    Ok(Secret::new(
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    ))
}

/// Compares in time independent of where the bytes differ.
pub fn same_token(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = given.len() ^ expected.len();
    for (i, e) in expected.iter().enumerate() {
        diff |= usize::from(given.get(i).copied().unwrap_or(0) ^ e);
    }
    diff == 0
}

/// Why no request was read.
enum Unread {
    /// The client closed, or the connection was closed to admit a newer one.
    Closed,
    /// The deadline passed first.
    TimedOut,
    /// Over the size bound or malformed.
    Bad(ParseError),
}

/// Reads one request (head and body) by the deadline, checks method and token, then waits for
/// credentials in a queued slot, having given its pending slot back.
fn serve(stream: TcpStream, slot: PendingSlot, shared: &Shared) {
    let deadline = Instant::now() + shared.deadline;
    let _ = stream.set_write_timeout(Some(shared.deadline));
    let head = match read_request(&stream, deadline) {
        Ok(head) => head,
        Err(Unread::Closed) => return,
        Err(Unread::TimedOut) => {
            let why = format!(
                "the request did not arrive whole within {}s",
                shared.deadline.as_secs_f64()
            );
            let _ = respond(&stream, 408, &problem("timeout", &why));
            return;
        }
        Err(Unread::Bad(e)) => {
            let why = format!("{e}: send one GET with the Authorization header");
            let _ = respond(&stream, 400, &problem("bad-request", &why));
            linger(&stream);
            return;
        }
    };
    if head.method != "GET" {
        let _ = respond(&stream, 405, &problem("method", "only GET is served"));
        return;
    }
    let Some(host) = head.host.as_deref() else {
        let why = "no Host header: send the Host the URL names (HTTP/1.1 requires it)";
        let _ = respond(&stream, 400, &problem("bad-request", why));
        return;
    };
    if !is_loopback_host(host) {
        let why = "the Host header names no loopback address: use the URL as given (http://127.0.0.1:PORT/)";
        let _ = respond(&stream, 403, &problem("host", why));
        return;
    }
    let auth = head.authorization.as_ref().map_or("", |a| a.expose());
    if !same_token(auth.as_bytes(), shared.token.expose().as_bytes()) {
        let _ = respond(
            &stream,
            403,
            &problem("forbidden", "missing or wrong authorization token"),
        );
        return;
    }
    drop(slot);
    let Some(_queued) = shared.queued.take() else {
        let _ = respond(&stream, 503, &problem("busy", "too many requests: retry"));
        return;
    };
    let (reply, answer) = mpsc::channel();
    if shared.tx.send(Request { reply }).is_err() {
        return;
    }
    let _ = match answer.recv() {
        Ok(Ok(s)) => respond(&stream, 200, &credentials(&s)),
        Ok(Err(e)) => respond(&stream, 500, &problem("mfa-session", &e.to_string())),
        Err(_) => Ok(()),
    };
}

/// After refusing a request not read to its end: stop writing and read (a bounded amount, for
/// a bounded time) what the client still sends, so closing does not reset the connection under
/// the answer before the client has read it.
fn linger(mut stream: &TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut sink = [0u8; 4096];
    let mut left: usize = 64 * 1024;
    while left > 0 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

/// Reads the head, up to the blank line, then the body its Content-Length announces, all by
/// `deadline` (each read may wait only for the time left) and within `MAX_REQUEST`.
fn read_request(mut stream: &TcpStream, deadline: Instant) -> Result<RequestHead, Unread> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let mut read = |buf: &mut Vec<u8>| -> Result<(), Unread> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(Unread::TimedOut);
        }
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Err(Unread::Closed),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => 0,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Unread::TimedOut);
            }
            Err(_) => return Err(Unread::Closed),
        };
        if buf.len() + n > MAX_REQUEST {
            return Err(Unread::Bad(ParseError::TooLarge));
        }
        buf.extend_from_slice(&chunk[..n]);
        Ok(())
    };
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        read(&mut buf)?;
    };
    let head = parse_request(&buf[..end]).map_err(Unread::Bad)?;
    if end + head.content_length > MAX_REQUEST {
        return Err(Unread::Bad(ParseError::TooLarge));
    }
    while buf.len() < end + head.content_length {
        read(&mut buf)?;
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// An endpoint with these bounds whose every request gets a fixed session: (url, token).
    fn serving(deadline: Duration, pending: usize) -> (String, String) {
        let mut ep = Endpoint::bind(0).unwrap();
        (ep.deadline, ep.pending) = (deadline, pending);
        let (url, token) = (ep.url(), ep.token().expose().to_owned());
        let rx = ep.start().unwrap();
        std::thread::spawn(move || {
            for req in rx {
                req.answer(Ok(Session {
                    access_key_id: "ASIATEST".into(),
                    secret_access_key: Secret::new("sek"),
                    session_token: Secret::new("tok"),
                    expiration: "2030-01-01T00:00:00Z".parse().unwrap(),
                    account_id: None,
                }));
            }
        });
        (url, token)
    }

    fn connect(url: &str) -> TcpStream {
        TcpStream::connect(url.trim_start_matches("http://").trim_end_matches('/')).unwrap()
    }

    #[test]
    fn one_deadline_covers_the_whole_request_however_slowly_it_trickles() {
        let (url, _) = serving(Duration::from_millis(600), MAX_PENDING);
        let mut s = connect(&url);
        let started = Instant::now();
        s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let mut got = Vec::new();
        // One byte every 100 ms: each read comes well within any per-read timeout.
        for b in b"GET / HTTP/1.1\r\nX-Slow: "
            .iter()
            .chain([b'a'; 100].iter())
        {
            if s.write_all(&[*b]).is_err() || s.read_to_end(&mut got).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let took = started.elapsed();
        assert!(took < Duration::from_secs(2), "held for {took:?}");
        let got = String::from_utf8_lossy(&got);
        assert!(got.starts_with("HTTP/1.1 408 "), "{got}");
    }

    #[test]
    fn connections_sending_nothing_cannot_lock_out_the_token() {
        let (url, token) = serving(Duration::from_secs(30), 8);
        let idle: Vec<TcpStream> = (0..MAX_CONNECTIONS + 8).map(|_| connect(&url)).collect();
        std::thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        let (status, body) = get(&url, Some(&token));
        assert_eq!(status, 200, "{body}");
        assert!(started.elapsed() < Duration::from_secs(2));
        // The oldest idle connection was closed to make room.
        let mut first = &idle[0];
        first
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        assert_eq!(
            first.read(&mut [0u8; 16]).unwrap(),
            0,
            "closed by the endpoint"
        );
    }

    #[test]
    fn the_token_compare_needs_every_byte_and_the_length() {
        assert!(same_token(b"abc", b"abc"));
        assert!(!same_token(b"abd", b"abc"));
        assert!(!same_token(b"ab", b"abc"));
        assert!(!same_token(b"abcd", b"abc"));
        assert!(!same_token(b"", b"abc"));
    }

    fn get(url: &str, auth: Option<&str>) -> (u16, String) {
        let addr = url.trim_start_matches("http://").trim_end_matches('/');
        let mut s = TcpStream::connect(addr).unwrap();
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        write!(s, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status = out[9..12].parse().unwrap();
        (
            status,
            out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned(),
        )
    }

    /// Sends `request` as is: (status, body).
    fn raw(url: &str, request: &str) -> (u16, String) {
        let mut s = connect(url);
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        (head[9..12].parse().unwrap(), body.to_owned())
    }

    #[test]
    fn a_request_naming_another_host_or_none_is_refused_even_with_the_token() {
        let (url, token) = serving(REQUEST_DEADLINE, MAX_PENDING);
        let ask = |host: &str| {
            raw(
                &url,
                &format!("GET / HTTP/1.1\r\n{host}Authorization: {token}\r\n\r\n"),
            )
        };
        for ok in [
            "Host: localhost:1\r\n",
            "Host: [::1]\r\n",
            "Host: 127.0.0.1\r\n",
        ] {
            assert_eq!(ask(ok).0, 200, "{ok}");
        }
        let (status, body) = ask("Host: rebound.example:80\r\n");
        assert_eq!(status, 403);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["code"], "host", "{body}");
        let (status, body) = ask("");
        assert_eq!(status, 400);
        assert!(body.contains("no Host header"), "{body}");
    }

    #[test]
    fn only_the_token_gets_credentials_and_oversized_requests_are_refused() {
        let (url, token) = serving(REQUEST_DEADLINE, MAX_PENDING);
        let (status, body) = get(&url, Some(&token));
        assert_eq!(status, 200);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["Token"], "tok");
        assert_eq!(v["Expiration"], "2030-01-01T00:00:00Z");
        assert_eq!(get(&url, None).0, 403);
        assert_eq!(get(&url, Some("wrong")).0, 403);
        let big = "x".repeat(MAX_REQUEST);
        assert_eq!(get(&url, Some(&big)).0, 400);
    }
}
