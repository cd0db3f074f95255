//! Where tokens are: the headers, query parameters and cookies a provider names.

use crate::config::Provider;

/// The parts of a request the filter reads. Header names are lower case (HTTP/2 and
/// Envoy's header map guarantee it).
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub scheme: String,
    pub path: String,
    pub host: String,
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Every value of the header joined with commas, as Envoy reads a repeated header.
    pub fn joined_header(&self, name: &str) -> Option<String> {
        let mut values = self.header_values(name);
        let mut joined = String::from_utf8_lossy(values.next()?).into_owned();
        for value in values {
            joined.push(',');
            joined.push_str(&String::from_utf8_lossy(value));
        }
        Some(joined)
    }

    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    fn query(&self) -> &str {
        self.path.split_once('?').map_or("", |(_, q)| q)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Header(String),
    Param(String),
    Cookie(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub token: String,
    pub location: Location,
}

/// The tokens in the provider's locations: for each header, parameter and cookie it names,
/// in configured order, the first token there. Envoy extracts the same way, and requires
/// all of them to verify.
pub fn extract_all(provider: &Provider, req: &Request) -> Vec<Extracted> {
    let mut found = Vec::new();
    for loc in &provider.from_headers {
        if let Some(token) = header_token(req, &loc.name, &loc.value_prefix) {
            found.push(Extracted {
                token,
                location: Location::Header(loc.name.clone()),
            });
        }
    }
    for name in &provider.from_params {
        if let Some(token) = query_param(req.query(), name) {
            found.push(Extracted {
                token: token.to_string(),
                location: Location::Param(name.clone()),
            });
        }
    }
    for name in &provider.from_cookies {
        if let Some(token) = cookie(req, name) {
            found.push(Extracted {
                token: token.to_string(),
                location: Location::Cookie(name.clone()),
            });
        }
    }
    found
}

/// As Envoy 1.40's `jwt_authn` (checked by the differential test): every value of the header
/// joined with commas; without a prefix that whole value is the token; with one, the prefix
/// (case-sensitive) may stand anywhere in it and the token is everything after it, as it is.
fn header_token(req: &Request, name: &str, prefix: &str) -> Option<String> {
    let joined = req.joined_header(name)?;
    if prefix.is_empty() {
        return Some(joined);
    }
    let start = joined.find(prefix)? + prefix.len();
    joined.get(start..).map(str::to_string)
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v)
}

fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.header_values("cookie")
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.trim_matches('"'))
}

/// The request path without the named query parameter, for `forward: false`.
pub fn path_without_param(path: &str, name: &str) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return path.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| pair.split_once('=').map_or(*pair, |(k, _)| k) != name)
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

    fn provider(json: &str) -> Provider {
        let cfg = format!(
            r#"{{"providers":{{"p":{{"issuer":"i","local_jwks":{{"inline_string":"{{\"keys\":[{{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}}]}}"}}{json}}}}}}}"#
        );
        config::parse(cfg.as_bytes()).unwrap().providers.remove(0)
    }

    fn req(path: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: "GET".into(),
            scheme: "http".into(),
            path: path.into(),
            host: "h".into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
                .collect(),
        }
    }

    fn extract(p: &Provider, r: &Request) -> Option<Extracted> {
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
        let got: Vec<_> = extract_all(&p, &r).into_iter().map(|e| e.token).collect();
        // Without a prefix, a repeated header is one token of all its values, as in Envoy.
        assert_eq!(got, ["a.a.a,a2.a.a", "b.b.b", "p.p.p", "k.k.k"]);
    }

    #[test]
    fn default_locations_are_bearer_header_then_access_token() {
        let p = provider("");
        // Envoy matches the prefix exactly; so do we, for the same answer on the same request.
        assert!(extract(&p, &req("/", &[("authorization", "bearer a.b.c")])).is_none());
        let got = extract(&p, &req("/", &[("authorization", "Bearer a.b.c")])).unwrap();
        assert_eq!(got.token, "a.b.c");
        assert_eq!(got.location, Location::Header("authorization".into()));
        let got = extract(&p, &req("/x?y=1&access_token=t.t.t", &[])).unwrap();
        assert_eq!(
            (got.token.as_str(), got.location),
            ("t.t.t", Location::Param("access_token".into()))
        );
        assert!(extract(&p, &req("/", &[("authorization", "Basic abc")])).is_none());
    }

    #[test]
    fn the_prefix_may_stand_anywhere_and_the_rest_is_the_token() {
        let p = provider("");
        let token =
            |value: &str| extract(&p, &req("/", &[("authorization", value)])).map(|e| e.token);
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
        let got = extract(&p, &req("/", &[("cookie", "a=b; session=\"c.d.e\"")])).unwrap();
        assert_eq!(
            (got.token.as_str(), got.location),
            ("c.d.e", Location::Cookie("session".into()))
        );
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
    }
}
