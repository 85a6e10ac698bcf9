//! The little HTTP the endpoint speaks: the request head parsed by a pure function over bytes
//! (`parse_request`, fuzzed), and the answers (`respond`, JSON bodies).

use crate::cache::Session;
use crate::env::rfc3339;
use crate::secret::Secret;
use std::io::Write;
use std::net::TcpStream;

/// Longest request accepted (headers and body).
pub const MAX_REQUEST: usize = 8 * 1024;

/// What the endpoint needs of a request head.
#[derive(Debug, PartialEq, Eq)]
pub struct RequestHead {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The `Host` header, if any.
    pub host: Option<String>,
    /// The `Authorization` header, if any (redacted in `Debug`).
    pub authorization: Option<Secret>,
    /// The `Content-Length` header, 0 without one.
    pub content_length: usize,
}

/// Why a request head is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Over `MAX_REQUEST`.
    #[error("the request is over 8 KiB")]
    TooLarge,
    /// Not UTF-8.
    #[error("the request head is not text")]
    NotText,
    /// Not `METHOD TARGET HTTP/1.x`.
    #[error("the request line is not `METHOD TARGET HTTP/1.x`")]
    RequestLine,
    /// A header line without a name and a colon, or folded.
    #[error("a header line is malformed")]
    HeaderLine,
    /// `Host`, `Authorization` or `Content-Length` given twice.
    #[error("the {0} header is given twice")]
    Duplicate(&'static str),
    /// A `Content-Length` that is not a number.
    #[error("the Content-Length header is not a number")]
    ContentLength,
    /// `Transfer-Encoding`: no body of unknown length is read.
    #[error("Transfer-Encoding is not accepted")]
    TransferEncoding,
}

/// Parses a request head: the request line and the headers, up to the blank line (anything
/// after it is ignored). Pure: no I/O, no panic on any input.
pub fn parse_request(head: &[u8]) -> Result<RequestHead, ParseError> {
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(head.len());
    if end > MAX_REQUEST {
        return Err(ParseError::TooLarge);
    }
    let text = std::str::from_utf8(&head[..end]).map_err(|_| ParseError::NotText)?;
    let mut lines = text.split("\r\n");
    let method = request_method(lines.next().unwrap_or(""))?;
    let mut req = RequestHead {
        method,
        host: None,
        authorization: None,
        content_length: 0,
    };
    let mut length = None;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(ParseError::HeaderLine)?;
        if name.is_empty() || !name.bytes().all(is_token) || value.contains(['\r', '\n']) {
            return Err(ParseError::HeaderLine);
        }
        let value = value.trim_matches([' ', '\t']);
        if name.eq_ignore_ascii_case("host") {
            set_once(&mut req.host, value.to_owned(), "Host")?;
        } else if name.eq_ignore_ascii_case("authorization") {
            set_once(&mut req.authorization, Secret::new(value), "Authorization")?;
        } else if name.eq_ignore_ascii_case("content-length") {
            let n = value.parse().map_err(|_| ParseError::ContentLength)?;
            set_once(&mut length, n, "Content-Length")?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(ParseError::TransferEncoding);
        }
    }
    req.content_length = length.unwrap_or(0);
    Ok(req)
}

/// The method of `METHOD TARGET HTTP/1.x`.
fn request_method(line: &str) -> Result<String, ParseError> {
    let parts: Vec<&str> = line.split(' ').collect();
    match parts[..] {
        [method, target, version]
            if !method.is_empty()
                && method.bytes().all(is_token)
                && !target.is_empty()
                && !target.contains(['\r', '\n'])
                && version.starts_with("HTTP/1.") =>
        {
            Ok(method.to_owned())
        }
        _ => Err(ParseError::RequestLine),
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), ParseError> {
    if slot.replace(value).is_some() {
        return Err(ParseError::Duplicate(name));
    }
    Ok(())
}

/// Whether a `Host` header names this machine's loopback: `localhost`, an address of
/// 127.0.0.0/8 or `[::1]`, each with an optional port. Any other name could be a DNS name
/// rebound to 127.0.0.1 by a web page the user's browser runs.
pub fn is_loopback_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && !port.contains(']') => (name, Some(port)),
        _ => (host, None),
    };
    if port.is_some_and(|p| p.is_empty() || p.len() > 5 || p.parse::<u16>().is_err()) {
        return false;
    }
    if let Some(v6) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        return v6
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|a| a.is_loopback());
    }
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback())
}

/// A character of an HTTP token (method, header name).
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The container-credentials document of a session.
pub fn credentials(s: &Session) -> Secret {
    let doc = serde_json::json!({
        "AccessKeyId": s.access_key_id,
        "SecretAccessKey": s.secret_access_key.expose(),
        "Token": s.session_token.expose(),
        "Expiration": rfc3339(s.expiration),
    });
    Secret::new(doc.to_string())
}

/// A JSON problem: `{"code": .., "message": ..}`.
pub fn problem(code: &str, message: &str) -> Secret {
    Secret::new(serde_json::json!({"code": code, "message": message}).to_string())
}

/// Writes a whole answer, then the connection is to be closed.
pub fn respond(mut stream: &TcpStream, status: u16, body: &Secret) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
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
    fn a_request_head_gives_its_method_host_token_and_length() {
        let req = parse_request(
            b"GET / HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nAUTHORIZATION:  tok en \r\nX: y\r\n\r\nbody",
        )
        .unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(req.host.as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(req.authorization.as_ref().unwrap().expose(), "tok en");
        assert_eq!(req.content_length, 0);
        assert!(
            !format!("{req:?}").contains("tok en"),
            "the token is redacted"
        );
        let bare = parse_request(b"POST /x HTTP/1.0\r\nContent-Length: 12").unwrap();
        assert_eq!(
            (bare.method.as_str(), bare.host, bare.content_length),
            ("POST", None, 12)
        );
    }

    #[test]
    fn only_loopback_hosts_are_served() {
        for good in [
            "localhost",
            "LocalHost:8080",
            "127.0.0.1",
            "127.0.0.1:49152",
            "127.1.2.3:1",
            "[::1]",
            "[::1]:65535",
        ] {
            assert!(is_loopback_host(good), "{good}");
        }
        for bad in [
            "",
            "x",
            "evil.example",
            "localhost.evil.example",
            "localhost.",
            "127.0.0.1.nip.io",
            "127.0.0.1:",
            "127.0.0.1:65536",
            "127.0.0.1:80:80",
            "127.0.0.01",
            "10.0.0.1",
            "0.0.0.0",
            "[::2]",
            "::1",
            "[::1",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }

    #[test]
    fn malformed_or_ambiguous_heads_are_refused() {
        use ParseError::*;
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_REQUEST));
        let cases: &[(&[u8], ParseError)] = &[
            (b"", RequestLine),
            (b"GET /\r\n\r\n", RequestLine),
            (b"GET  / HTTP/1.1\r\n\r\n", RequestLine),
            (b"GET / HTTP/2\r\n\r\n", RequestLine),
            (b"G\xffT / HTTP/1.1\r\n\r\n", NotText),
            (b"GET / HTTP/1.1\r\nno colon\r\n\r\n", HeaderLine),
            (b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", HeaderLine),
            (b"GET / HTTP/1.1\r\nBad Name: a\r\n\r\n", HeaderLine),
            (b"GET / HTTP/1.1\r\nA: b\nHost: c\r\n\r\n", HeaderLine),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n",
                Duplicate("Host"),
            ),
            (
                b"GET / HTTP/1.1\r\nAuthorization: a\r\nauthorization: a\r\n\r\n",
                Duplicate("Authorization"),
            ),
            (
                b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                ContentLength,
            ),
            (
                b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                TransferEncoding,
            ),
            (big.as_bytes(), TooLarge),
        ];
        for (head, want) in cases {
            assert_eq!(
                parse_request(head).as_ref(),
                Err(want),
                "{}",
                String::from_utf8_lossy(&head[..head.len().min(60)])
            );
        }
    }
}
