//! The readings of a request path an upstream may act on. Envoy normalises a path only when
//! the listener asks it to (`normalize_path`, `merge_slashes`,
//! `path_with_escaped_slashes_action`); without that, `/public/../admin` reaches the rules
//! as it was sent while the upstream serves `/admin`. Rules are therefore matched on every
//! reading, and a request whose readings would need different requirements is refused.

/// How one upstream may read a path.
#[derive(Clone, Copy)]
struct Reading {
    /// `%2F`, `%5C` and `\` are path separators.
    decode_slashes: bool,
    /// Runs of `/` are one separator.
    merge_slashes: bool,
    /// `;params` end a segment (Tomcat, Jetty and Spring drop them: `/..;/` is `/../`).
    drop_params: bool,
}

const READINGS: [Reading; 5] = [
    Reading {
        decode_slashes: false,
        merge_slashes: false,
        drop_params: false,
    },
    Reading {
        decode_slashes: false,
        merge_slashes: true,
        drop_params: false,
    },
    Reading {
        decode_slashes: true,
        merge_slashes: false,
        drop_params: false,
    },
    Reading {
        decode_slashes: true,
        merge_slashes: true,
        drop_params: false,
    },
    Reading {
        decode_slashes: true,
        merge_slashes: true,
        drop_params: true,
    },
];

/// Each distinct normalised reading of the path other than the path as sent; none for a path
/// with nothing to normalise (the usual case, and always so behind a normalising host), so
/// that such a request costs no allocation here.
pub fn other_readings(path: &str) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    if !needs_normalising(path) {
        return all;
    }
    for reading in READINGS {
        let normal = normalise(path, reading);
        if normal != path && !all.contains(&normal) {
            all.push(normal);
        }
    }
    all
}

/// Cheap test for anything a reading could change: escapes, backslashes, empty segments,
/// dot segments and segment parameters.
fn needs_normalising(path: &str) -> bool {
    path.contains(['%', '\\', ';']) || path.contains("//") || path.contains("/.")
}

fn normalise(path: &str, reading: Reading) -> String {
    let decoded = decode(path, reading.decode_slashes);
    let mut segments: Vec<&str> = Vec::new();
    let mut parts = decoded.split('/').peekable();
    // The part before the first `/` (empty for any origin-form path) is kept as it is.
    let head = parts.next().unwrap_or("");
    let mut trailing_slash = false;
    while let Some(part) = parts.next() {
        let last = parts.peek().is_none();
        let segment = if reading.drop_params {
            part.split(';').next().unwrap_or(part)
        } else {
            part
        };
        match segment {
            "." => trailing_slash = last,
            ".." => {
                segments.pop();
                trailing_slash = last;
            }
            "" if reading.merge_slashes && !last => {}
            _ => {
                segments.push(segment);
                trailing_slash = false;
            }
        }
    }
    let mut out = String::with_capacity(decoded.len());
    out.push_str(head);
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if trailing_slash || (segments.is_empty() && head.is_empty()) {
        out.push('/');
    }
    out
}

/// Decodes what RFC 3986 says means the same decoded (unreserved characters, so `%2e` is a
/// dot) and, for readings that take them as separators, `%2F`, `%5C` and `\` as `/`. Other
/// escapes stay as they were sent.
fn decode(path: &str, decode_slashes: bool) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let byte = bytes.get(i + 1..i + 3).and_then(hex_byte);
            match byte {
                Some(c) if c.is_ascii_alphanumeric() || b"-._~".contains(&c) => {
                    out.push(c);
                    i += 3;
                    continue;
                }
                Some(b'/' | b'\\') if decode_slashes => {
                    out.push(b'/');
                    i += 3;
                    continue;
                }
                _ => {}
            }
        }
        out.push(if b == b'\\' && decode_slashes {
            b'/'
        } else {
            b
        });
        i += 1;
    }
    // Only ASCII bytes were decoded, so valid UTF-8 in stays valid UTF-8 out.
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    match pair {
        [hi, lo] => Some((digit(*hi)? * 16 + digit(*lo)?) as u8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(path: &str, reading: &str) -> bool {
        other_readings(path).iter().any(|r| r == reading)
    }

    #[test]
    fn a_plain_path_has_one_reading() {
        assert!(other_readings("/api/v1/users").is_empty());
        assert!(other_readings("/").is_empty());
        assert!(other_readings("/.well-known/x").is_empty());
    }

    #[test]
    fn dot_segments_are_resolved_also_when_escaped() {
        for path in [
            "/public/../admin",
            "/public/%2e%2e/admin",
            "/public/%2E./admin",
            "/public/./../admin",
            "/public%2F..%2Fadmin",
            "/public%5c..%5cadmin",
            "/public\\..\\admin",
            "/public/..;/admin",
            "/%61dmin",
        ] {
            assert!(has(path, "/admin"), "{path}: {:?}", other_readings(path));
        }
    }

    #[test]
    fn slashes_are_merged_and_dots_cannot_climb_above_the_root() {
        assert!(has("//admin", "/admin"));
        assert!(has("/a//b/", "/a/b/"));
        assert!(has("/../../admin", "/admin"));
        assert!(has("/a/b/..", "/a/"));
        assert!(has("/a/.", "/a/"));
        assert!(has("/..", "/"));
    }

    #[test]
    fn escapes_that_are_not_unreserved_or_slashes_are_kept() {
        assert!(other_readings("/a%20b/%3F/%zz").is_empty());
        // A multi-byte character stays whole.
        assert!(has("/caf%C3%A9/../x", "/x"));
    }
}
