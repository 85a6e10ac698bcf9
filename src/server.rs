//! A local credential endpoint in the container-credentials format the SDKs and the AWS CLI
//! read (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`), for
//! long-running processes and containers: each request is answered from the same cache, lock
//! and refresh planner as `credential-process`, so credentials refresh themselves.
//!
//! Loopback only; a random token per run, compared in constant time; requests bounded in size
//! and time, connections bounded in number. Connections are read on threads of their own, but
//! every credential lookup runs on the thread that owns the context, one at a time. With
//! nothing to do it sleeps in a blocking wait: no CPU while idle, even once the session expired.

use crate::cache::Session;
use crate::env::rfc3339;
use crate::error::Error;
use crate::secret::Secret;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

/// Longest request accepted (headers included).
pub const MAX_REQUEST: usize = 8 * 1024;
/// Connections served at once; more are refused with 503 at once.
pub const MAX_CONNECTIONS: usize = 32;
/// How long a client has to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

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

    /// Starts accepting: checked requests arrive on the returned channel.
    pub fn start(self) -> Result<mpsc::Receiver<Request>, Error> {
        let (tx, rx) = mpsc::channel();
        let active = Arc::new(AtomicUsize::new(0));
        std::thread::Builder::new()
            .name("accept".into())
            .spawn(move || {
                for stream in self.listener.incoming().flatten() {
                    if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                        active.fetch_sub(1, Ordering::SeqCst);
                        let _ = respond(
                            &stream,
                            503,
                            &problem("busy", "too many connections: retry"),
                        );
                        continue;
                    }
                    let (tx, token, done) = (tx.clone(), self.token.clone(), active.clone());
                    let spawned = std::thread::Builder::new().spawn(move || {
                        serve(stream, &token, &tx);
                        done.fetch_sub(1, Ordering::SeqCst);
                    });
                    if spawned.is_err() {
                        active.fetch_sub(1, Ordering::SeqCst);
                    }
                }
            })
            .map_err(|e| Error::Config(format!("cannot start the endpoint's thread: {e}")))?;
        Ok(rx)
    }
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

/// Reads one request (bounded), checks method and token, asks for credentials, answers.
fn serve(stream: TcpStream, token: &Secret, tx: &mpsc::Sender<Request>) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let Some(head) = read_head(&stream) else {
        let _ = respond(
            &stream,
            400,
            &problem("bad-request", "the request is malformed or over 8 KiB"),
        );
        linger(&stream);
        return;
    };
    let mut lines = head.split("\r\n");
    let method = lines.next().unwrap_or("").split(' ').next().unwrap_or("");
    if method != "GET" {
        let _ = respond(&stream, 405, &problem("method", "only GET is served"));
        return;
    }
    let auth = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim().as_bytes().to_vec())
        .unwrap_or_default();
    if !same_token(&auth, token.expose().as_bytes()) {
        let _ = respond(
            &stream,
            403,
            &problem("forbidden", "missing or wrong authorization token"),
        );
        return;
    }
    let (reply, answer) = mpsc::channel();
    if tx.send(Request { reply }).is_err() {
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

/// The request head, up to the blank line, if it comes whole within the bounds.
fn read_head(mut stream: &TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 || buf.len() + n > MAX_REQUEST {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(buf).ok()
}

fn credentials(s: &Session) -> Secret {
    let doc = serde_json::json!({
        "AccessKeyId": s.access_key_id,
        "SecretAccessKey": s.secret_access_key.expose(),
        "Token": s.session_token.expose(),
        "Expiration": rfc3339(s.expiration),
    });
    Secret::new(doc.to_string())
}

fn problem(code: &str, message: &str) -> Secret {
    Secret::new(serde_json::json!({"code": code, "message": message}).to_string())
}

fn respond(mut stream: &TcpStream, status: u16, body: &Secret) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    let body = body.expose();
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        write!(s, "GET / HTTP/1.1\r\nHost: x\r\n{auth}\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status = out[9..12].parse().unwrap();
        (
            status,
            out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned(),
        )
    }

    #[test]
    fn only_the_token_gets_credentials_and_oversized_requests_are_refused() {
        let ep = Endpoint::bind(0).unwrap();
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
