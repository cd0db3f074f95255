//! Where tokens are: the headers, query parameters and cookies a provider names.

use crate::config::Provider;
pub use crate::headers::Headers;
use std::borrow::Cow;
use std::sync::Arc;

/// The parts of a request the filter reads. Header names are lower case (HTTP/2 and
/// Envoy's header map guarantee it).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// As the host lists them, pseudo-headers included.
    pub headers: Headers,
    /// `:method`, `:path`, `:scheme` and `:authority` as text (invalid UTF-8 replaced), one
    /// after another, and where each ends: one allocation for the four.
    pseudo: String,
    pseudo_ends: [usize; 4],
    /// SHA-256 of the client certificate the connection presented, lower-case hex (Envoy's
    /// `connection.sha256_peer_certificate_digest`); read only when a provider binds tokens.
    pub client_cert_sha256: Option<String>,
}

impl Request {
    /// The request whose headers these are. A repeated pseudo-header counts once, its last
    /// value (Envoy never sends two).
    pub fn new(headers: Headers) -> Request {
        Request::with_buffer(headers, String::new())
    }

    /// As `new`, with the text of the pseudo-headers written into `buffer` (emptied first): a
    /// buffer taken back from an earlier request (`into_buffers`) saves an allocation.
    pub fn with_buffer(headers: Headers, buffer: String) -> Request {
        let last: [Option<&[u8]>; 4] = std::array::from_fn(|i| headers.pseudo(i));
        // The four values are checked as text together: one check, not four.
        let mut bytes = buffer.into_bytes();
        bytes.clear();
        bytes.reserve(last.iter().flatten().map(|v| v.len()).sum());
        let mut pseudo_ends = [0; 4];
        for (end, value) in pseudo_ends.iter_mut().zip(last) {
            bytes.extend_from_slice(value.unwrap_or_default());
            *end = bytes.len();
        }
        let pseudo = match String::from_utf8(bytes) {
            // A character split across two values would pass as a whole.
            Ok(text) if pseudo_ends.iter().all(|&e| text.is_char_boundary(e)) => text,
            Ok(text) => each_lossy(&text.into_bytes(), &mut pseudo_ends),
            Err(e) => each_lossy(&e.into_bytes(), &mut pseudo_ends),
        };
        Request {
            pseudo,
            pseudo_ends,
            headers,
            client_cert_sha256: None,
        }
    }

    /// The request's buffers, for the next request (`with_buffer`, `HeadersBuilder::reuse`).
    pub fn into_buffers(self) -> (Headers, String) {
        (self.headers, self.pseudo)
    }

    /// A request from its headers as the host lists them, pseudo-headers included.
    pub fn from_pairs<N: AsRef<[u8]>, V: AsRef<[u8]>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Request {
        Request::new(pairs.into_iter().collect())
    }

    fn pseudo(&self, i: usize) -> &str {
        let start = match i.checked_sub(1) {
            Some(before) => self.pseudo_ends.get(before).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.pseudo_ends.get(i).copied().unwrap_or(start);
        self.pseudo.get(start..end).unwrap_or("")
    }

    pub fn method(&self) -> &str {
        self.pseudo(0)
    }

    pub fn path(&self) -> &str {
        self.pseudo(1)
    }

    pub fn scheme(&self) -> &str {
        self.pseudo(2)
    }

    pub fn host(&self) -> &str {
        self.pseudo(3)
    }

    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// Every value of the header joined with commas, as Envoy reads a repeated header.
    pub fn joined_header(&self, name: &str) -> Option<String> {
        let mut values = self.header_values(name);
        let mut joined = String::new();
        push_text(&mut joined, values.next()?);
        for value in values {
            joined.push(',');
            push_text(&mut joined, value);
        }
        Some(joined)
    }

    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    fn query(&self) -> &str {
        self.path().split_once('?').map_or("", |(_, q)| q)
    }
}

/// The values that end at `ends` in `bytes`, each made text on its own (invalid UTF-8
/// replaced), one after another; `ends` then says where each ends in the text.
fn each_lossy(bytes: &[u8], ends: &mut [usize; 4]) -> String {
    let mut text = String::with_capacity(bytes.len());
    let mut start = 0;
    for end in ends.iter_mut() {
        push_text(&mut text, bytes.get(start..*end).unwrap_or_default());
        start = *end;
        *end = text.len();
    }
    text
}

/// Appends a header value as text, invalid UTF-8 replaced. Valid text (every token) is checked
/// word by word by `from_utf8`; `from_utf8_lossy` walks it byte by byte, a fifth of a cached
/// request's decision in V8.
fn push_text(out: &mut String, value: &[u8]) {
    match std::str::from_utf8(value) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(value)),
    }
}

/// The configured name a token was found under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location<'a> {
    /// The configured name itself, so that a decision removing the header shares it.
    Header(&'a Arc<str>),
    Param(&'a str),
    Cookie(&'a str),
}

/// A token and where it was; borrowed from the request wherever it can be (a single header
/// value, a cookie), since this runs on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted<'a> {
    pub token: Cow<'a, str>,
    pub location: Location<'a>,
}

/// The tokens one provider's locations held; a request seldom carries more than two.
pub type Found<'a> = smallvec::SmallVec<[Extracted<'a>; 2]>;

/// The tokens in the provider's locations: for each header, parameter and cookie it names,
/// in configured order, the first token there. Envoy extracts the same way, and requires
/// all of them to verify.
pub fn extract_all<'a>(provider: &'a Provider, req: &'a Request) -> Found<'a> {
    let mut found = Found::new();
    for loc in &provider.from_headers {
        if let Some(token) = header_token(req, &loc.name, &loc.value_prefix) {
            found.push(Extracted {
                token,
                location: Location::Header(&loc.name),
            });
        }
    }
    for name in &provider.from_params {
        if let Some(token) = query_param(req.query(), name) {
            found.push(Extracted {
                token: Cow::Owned(token),
                location: Location::Param(name),
            });
        }
    }
    for name in &provider.from_cookies {
        if let Some(token) = cookie(req, name) {
            found.push(Extracted {
                token: Cow::Borrowed(token),
                location: Location::Cookie(name),
            });
        }
    }
    found
}

/// As Envoy 1.40's `jwt_authn` (checked by the differential test): every value of the header
/// joined with commas; without a prefix that whole value is the token; with one, the prefix
/// (case-sensitive) may stand anywhere in it and the token is everything after it, as it is.
fn header_token<'a>(req: &'a Request, name: &'a str, prefix: &str) -> Option<Cow<'a, str>> {
    let mut values = req.header_values(name);
    let first = values.next()?;
    // One value of valid text (the usual request) is borrowed as it is.
    let joined = match (values.next(), std::str::from_utf8(first)) {
        (None, Ok(text)) => Cow::Borrowed(text),
        _ => Cow::Owned(req.joined_header(name)?),
    };
    if prefix.is_empty() {
        return Some(joined);
    }
    // The usual `Bearer …` is found without a substring search.
    let at = if joined.starts_with(prefix) {
        0
    } else {
        joined.find(prefix)?
    };
    let start = at.checked_add(prefix.len())?;
    match joined {
        Cow::Borrowed(text) => text.get(start..).map(Cow::Borrowed),
        Cow::Owned(text) => text.get(start..).map(|t| Cow::Owned(t.to_string())),
    }
}

/// As Envoy: the first parameter of that name (after percent-decoding names and values) is the
/// token, even when it is empty (`?access_token=` or `?access_token` then fails as malformed).
fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(k, _)| percent_decode(k) == name)
        .map(|(_, v)| percent_decode(v).into_owned())
}

/// `%XX` to the byte it names; anything else (a `+`, a `%` not followed by two hex digits) is
/// kept as it is, as Envoy's query parser does.
/// Borrowed when there is nothing to decode, so that reading a query allocates nothing.
fn percent_decode(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            if let Some(byte) = bytes.get(i + 1..i + 3).and_then(hex_byte) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Two hex digits (`from_str_radix` alone would also take a sign).
fn hex_byte(pair: &[u8]) -> Option<u8> {
    if !pair.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()
}

/// As Envoy's cookie parser: pairs split at `;`, leading spaces (only spaces) dropped, the first
/// cookie of that name wins even when empty, and one pair of surrounding double quotes is removed.
fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.header_values("cookie")
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim_start_matches(' ').split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| {
            v.strip_prefix('"')
                .and_then(|inner| inner.strip_suffix('"'))
                .unwrap_or(v)
        })
}

/// The request path without the named query parameter, for `forward: false`.
pub fn path_without_param(path: &str, name: &str) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return path.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| percent_decode(pair.split_once('=').map_or(*pair, |(k, _)| k)) != name)
        .collect();
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;
    use crate::headers::HeadersBuilder;

    fn provider(json: &str) -> Provider {
        let cfg = format!(
            r#"{{"providers":{{"p":{{"issuer":"i","local_jwks":{{"inline_string":"{{\"keys\":[{{\"kty\":\"oct\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"}}]}}"}}{json}}}}}}}"#
        );
        config::parse(cfg.as_bytes()).unwrap().providers.remove(0)
    }

    fn req(path: &str, headers: &[(&str, &str)]) -> Request {
        let pseudo = [
            (":method", "GET"),
            (":scheme", "http"),
            (":path", path),
            (":authority", "h"),
        ];
        Request::from_pairs(pseudo.iter().chain(headers).copied())
    }

    #[test]
    fn a_request_is_read_from_its_pseudo_headers() {
        let req = Request::from_pairs([
            (":method", "POST"),
            (":path", "/a?b"),
            (":authority", "api.example"),
            ("authorization", "Bearer x"),
        ]);
        assert_eq!((req.method(), req.path()), ("POST", "/a?b"));
        assert_eq!((req.host(), req.scheme()), ("api.example", ""));
        assert_eq!(req.header("authorization"), Some(&b"Bearer x"[..]));
        assert_eq!(req.query(), "b");
        // Listed twice (Envoy never does), the last one counts; in reused buffers too.
        let twice = [(":path", "/first"), ("x-a", "1"), (":path", "/last")];
        assert_eq!(Request::from_pairs(twice).path(), "/last");
        let mut again = HeadersBuilder::reuse(Request::from_pairs(twice).into_buffers().0);
        again.push(b"x-b", b"2");
        again.push(b"x-c", b"3");
        again.push(b"x-d", b"4");
        assert_eq!(Request::new(again.finish()).path(), "");
        let mut fresh = HeadersBuilder::default();
        fresh.push(b"x-a", b"1");
        assert_eq!(Request::new(fresh.finish()).method(), "");
    }

    #[test]
    fn a_pseudo_header_that_is_not_utf8_is_read_lossily() {
        let req = Request::from_pairs([(&b":path"[..], &b"/a\xff"[..]), (b":method", b"GET")]);
        assert_eq!((req.path(), req.method()), ("/a\u{fffd}", "GET"));
        assert_eq!(Request::default().path(), "");
        // "é" split between the method and the path is text only taken together: each value
        // is read on its own, as the host would show it.
        let split =
            Request::from_pairs([(&b":method"[..], &b"GET\xc3"[..]), (b":path", b"\xa9/x")]);
        assert_eq!(
            (split.method(), split.path()),
            ("GET\u{fffd}", "\u{fffd}/x")
        );
    }

    fn extract<'a>(p: &'a Provider, r: &'a Request) -> Option<Extracted<'a>> {
        extract_all(p, r).into_iter().next()
    }

    #[test]
    fn every_location_gives_its_token() {
        let p = provider(
            r#","from_headers":[{"name":"x-a"},{"name":"x-b"}],"from_params":["t"],"from_cookies":["c"]"#,
        );
        let r = req(
            "/?t=p.p.p",
            &[
                ("x-b", "b.b.b"),
                ("x-a", "a.a.a"),
                ("x-a", "a2.a.a"),
                ("cookie", "c=k.k.k"),
            ],
        );
        let got: Vec<_> = extract_all(&p, &r)
            .into_iter()
            .map(|e| e.token.into_owned())
            .collect();
        // Without a prefix, a repeated header is one token of all its values, as in Envoy.
        assert_eq!(got, ["a.a.a,a2.a.a", "b.b.b", "p.p.p", "k.k.k"]);
    }

    #[test]
    fn default_locations_are_bearer_header_then_access_token() {
        let p = provider("");
        // Envoy matches the prefix exactly; so do we, for the same answer on the same request.
        assert!(extract(&p, &req("/", &[("authorization", "bearer a.b.c")])).is_none());
        let r = req("/", &[("authorization", "Bearer a.b.c")]);
        let got = extract(&p, &r).unwrap();
        assert_eq!(got.token, "a.b.c");
        assert_eq!(got.location, Location::Header(&Arc::from("authorization")));
        let r = req("/x?y=1&access_token=t.t.t", &[]);
        let got = extract(&p, &r).unwrap();
        assert_eq!(
            (got.token.as_ref(), got.location),
            ("t.t.t", Location::Param("access_token"))
        );
        assert!(extract(&p, &req("/", &[("authorization", "Basic abc")])).is_none());
    }

    #[test]
    fn the_prefix_may_stand_anywhere_and_the_rest_is_the_token() {
        let p = provider("");
        let token = |value: &str| {
            extract(&p, &req("/", &[("authorization", value)])).map(|e| e.token.into_owned())
        };
        assert_eq!(token("Basic x, Bearer a.b.c"), Some("a.b.c".into()));
        assert_eq!(token("xBearer a.b.c"), Some("a.b.c".into()));
        // Nothing is trimmed or cut: such tokens then fail to parse, as in Envoy.
        assert_eq!(
            token("Bearer a.b.c trailing"),
            Some("a.b.c trailing".into())
        );
        assert_eq!(token("Bearer \"a.b.c\""), Some("\"a.b.c\"".into()));
        assert_eq!(token("BEARER a.b.c"), None);
        // Repeated headers are joined with commas before the prefix is looked for.
        let two = req(
            "/",
            &[
                ("authorization", "Basic x"),
                ("authorization", "Bearer a.b.c"),
            ],
        );
        assert_eq!(extract(&p, &two).unwrap().token, "a.b.c");
    }

    #[test]
    fn configured_locations_replace_the_defaults() {
        let p = provider(r#","from_headers":[{"name":"X-Jwt"}],"from_cookies":["session"]"#);
        assert!(extract(
            &p,
            &req("/?access_token=a", &[("authorization", "Bearer a")])
        )
        .is_none());
        assert_eq!(
            extract(&p, &req("/", &[("x-jwt", "tok")])).unwrap().token,
            "tok"
        );
        let r = req("/", &[("cookie", "a=b; session=\"c.d.e\"")]);
        let got = extract(&p, &r).unwrap();
        assert_eq!(
            (got.token.as_ref(), got.location),
            ("c.d.e", Location::Cookie("session"))
        );
    }

    #[test]
    fn parameters_are_percent_decoded_and_the_first_one_counts() {
        let p = provider(r#","from_params":["tok"]"#);
        let token = |path: &str| extract(&p, &req(path, &[])).map(|e| e.token.into_owned());
        assert_eq!(token("/?tok=a%2Eb%2ec"), Some("a.b.c".into()));
        assert_eq!(token("/?t%6Fk=a.b.c"), Some("a.b.c".into()));
        assert_eq!(token("/?tok=a.b.c&tok=x"), Some("a.b.c".into()));
        // An empty first value is the token (then malformed), not a reason to look further.
        assert_eq!(token("/?tok=&tok=a.b.c"), Some("".into()));
        assert_eq!(token("/?tok&tok=a.b.c"), Some("".into()));
        assert_eq!(token("/?tok=a+b%zz%4"), Some("a+b%zz%4".into()));
        assert_eq!(token("/?tok=%+1"), Some("%+1".into()));
        assert_eq!(token("/?TOK=a.b.c"), None);
        assert_eq!(token("/?a=1&&b"), None);
    }

    #[test]
    fn cookies_are_read_as_envoy_reads_them() {
        let p = provider(r#","from_cookies":["jwt"]"#);
        let token = |cookies: &[&str]| {
            extract(
                &p,
                &req(
                    "/",
                    &cookies.iter().map(|c| ("cookie", *c)).collect::<Vec<_>>(),
                ),
            )
            .map(|e| e.token.into_owned())
        };
        assert_eq!(token(&["a=b", "jwt=a.b.c"]), Some("a.b.c".into()));
        assert_eq!(token(&["a=b;jwt=a.b.c"]), Some("a.b.c".into()));
        assert_eq!(token(&["jwt=; jwt=a.b.c"]), Some("".into()));
        assert_eq!(token(&["jwt=\"a.b.c"]), Some("\"a.b.c".into()));
        assert_eq!(token(&["jwt=\"a.b.c\""]), Some("a.b.c".into()));
        // Only spaces are dropped before a name.
        assert_eq!(token(&["a=b;\tjwt=a.b.c"]), None);
        assert_eq!(token(&["jwt ; jwt=a.b.c"]), Some("a.b.c".into()));
    }

    #[test]
    fn removes_only_the_token_parameter() {
        assert_eq!(
            path_without_param("/a?access_token=x&b=1", "access_token"),
            "/a?b=1"
        );
        assert_eq!(
            path_without_param("/a?access_token=x", "access_token"),
            "/a"
        );
        assert_eq!(path_without_param("/a", "access_token"), "/a");
        assert_eq!(
            path_without_param("/a?b=1&access%5Ftoken=x", "access_token"),
            "/a?b=1"
        );
    }
}
