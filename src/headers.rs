//! A request's headers as the host lists them, pseudo-headers included, held in three
//! allocations whatever their number. Two `String`s per header cost two allocations and two
//! frees per header on every request: in Envoy that was most of a cache hit's work in the
//! module.

/// Names are text (invalid UTF-8 replaced: Envoy allows only tokens); values are bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    names: String,
    values: Vec<u8>,
    /// Per header, where its name ends in `names` and its value in `values`.
    ends: Vec<(usize, usize)>,
    /// `:method`, `:path`, `:scheme`, `:authority`: the last of each, by index in `ends`
    /// (`ABSENT` when there is none). Small: a request is moved several times per decision.
    pseudo: [u32; 4],
}

const ABSENT: u32 = u32::MAX;

/// The pseudo-headers a request is judged by, in the order `Headers::pseudo` gives them.
pub const PSEUDO: [&str; 4] = [":method", ":path", ":scheme", ":authority"];

/// Headers as they are read from the host, names still bytes: they are checked as text once,
/// all together, by `finish` (a check per name costs more than copying names this short).
#[derive(Debug)]
pub struct HeadersBuilder {
    names: Vec<u8>,
    values: Vec<u8>,
    ends: Vec<(usize, usize)>,
    pseudo: [u32; 4],
}

impl Default for Headers {
    fn default() -> Headers {
        HeadersBuilder::default().finish()
    }
}

impl Default for HeadersBuilder {
    fn default() -> HeadersBuilder {
        HeadersBuilder::with_capacity(0, 0)
    }
}

impl HeadersBuilder {
    /// Room for `count` headers of `bytes` bytes of names and values in all.
    pub fn with_capacity(count: usize, bytes: usize) -> HeadersBuilder {
        HeadersBuilder {
            names: Vec::with_capacity(bytes.min(count.saturating_mul(32))),
            values: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(count),
            pseudo: [ABSENT; 4],
        }
    }

    /// The buffers of headers no longer needed, emptied, so that the next request is read
    /// without allocating: a host glue keeps one per thread.
    pub fn reuse(headers: Headers) -> HeadersBuilder {
        let mut names = headers.names.into_bytes();
        let (mut values, mut ends) = (headers.values, headers.ends);
        names.clear();
        values.clear();
        ends.clear();
        HeadersBuilder {
            names,
            values,
            ends,
            pseudo: [ABSENT; 4],
        }
    }

    /// Bytes its buffers hold on the heap.
    pub fn capacity(&self) -> usize {
        let entry = std::mem::size_of::<(usize, usize)>();
        (self.names.capacity() + self.values.capacity())
            .saturating_add(self.ends.capacity().saturating_mul(entry))
    }

    /// Room for `count` more headers of `bytes` bytes of names and values in all.
    pub fn reserve(&mut self, count: usize, bytes: usize) {
        self.names.reserve(bytes.min(count.saturating_mul(32)));
        self.values.reserve(bytes);
        self.ends.reserve(count);
    }

    pub fn push(&mut self, name: &[u8], value: &[u8]) {
        // Noted as they go by, so that the request is not searched for them again.
        if name.first() == Some(&b':') {
            let slot = match name {
                b":method" => self.pseudo.get_mut(0),
                b":path" => self.pseudo.get_mut(1),
                b":scheme" => self.pseudo.get_mut(2),
                b":authority" => self.pseudo.get_mut(3),
                _ => None,
            };
            // Past u32::MAX headers (never, with any host's limits) it is not noted.
            if let (Some(slot), Ok(at)) = (slot, u32::try_from(self.ends.len())) {
                *slot = at;
            }
        }
        self.names.extend_from_slice(name);
        self.values.extend_from_slice(value);
        self.ends.push((self.names.len(), self.values.len()));
    }

    pub fn finish(self) -> Headers {
        let HeadersBuilder {
            names,
            values,
            ends,
            pseudo,
        } = self;
        // Text as a whole is not enough: a character split across two names would be.
        let names = match String::from_utf8(names) {
            Ok(text) if ends.iter().all(|&(end, _)| text.is_char_boundary(end)) => {
                return Headers {
                    names: text,
                    values,
                    ends,
                    pseudo,
                };
            }
            Ok(text) => text.into_bytes(),
            Err(e) => e.into_bytes(),
        };
        // Some name is not text: each is replaced on its own, so that the others keep their
        // exact spelling.
        let mut lossy = String::with_capacity(names.len());
        let mut lossy_ends = Vec::with_capacity(ends.len());
        let mut start = 0;
        for &(name_end, value_end) in &ends {
            let name = names.get(start..name_end).unwrap_or_default();
            lossy.push_str(&String::from_utf8_lossy(name));
            lossy_ends.push((lossy.len(), value_end));
            start = name_end;
        }
        Headers {
            names: lossy,
            values,
            ends: lossy_ends,
            pseudo,
        }
    }
}

impl Headers {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The value of a pseudo-header (`PSEUDO[i]`), the last one the host listed.
    pub fn pseudo(&self, i: usize) -> Option<&[u8]> {
        let at = usize::try_from(*self.pseudo.get(i)?).ok()?;
        let start = match at.checked_sub(1) {
            Some(before) => self.ends.get(before)?.1,
            None => 0,
        };
        self.values.get(start..self.ends.get(at)?.1)
    }

    /// In the host's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        let mut start = (0, 0);
        self.ends.iter().map(move |&(name_end, value_end)| {
            // The ends were recorded between names, on character boundaries of `names`.
            let name = self.names.get(start.0..name_end).unwrap_or("");
            let value = self.values.get(start.1..value_end).unwrap_or(&[]);
            start = (name_end, value_end);
            (name, value)
        })
    }
}

/// The header names a host glue copies out of the host (`config::headers_read`), told apart
/// from the rest by length first: most of a request's headers differ in length from every
/// name wanted, and are passed over with one test instead of one comparison per name.
#[derive(Debug, Clone)]
pub struct NameFilter {
    names: Vec<String>,
    /// Bit `len % 64` set for each wanted name's length.
    lengths: u64,
}

impl NameFilter {
    /// Names as the host spells them (lower case).
    pub fn new(names: Vec<String>) -> NameFilter {
        let lengths = (names.iter()).fold(0u64, |bits, n| bits | 1u64 << (n.len() % 64));
        NameFilter { names, lengths }
    }

    #[inline]
    pub fn wants(&self, name: &[u8]) -> bool {
        self.lengths & (1u64 << (name.len() % 64)) != 0
            && self.names.iter().any(|n| n.as_bytes() == name)
    }
}

impl<N: AsRef<[u8]>, V: AsRef<[u8]>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(pairs: I) -> Headers {
        let pairs = pairs.into_iter();
        let count = pairs.size_hint().0;
        let mut headers = HeadersBuilder::with_capacity(count, count.saturating_mul(32));
        for (name, value) in pairs {
            headers.push(name.as_ref(), value.as_ref());
        }
        headers.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_filter_wants_exactly_its_names() {
        let only = NameFilter::new(vec!["authorization".into(), ":path".into(), "x-a".into()]);
        for (name, wanted) in [
            (&b"authorization"[..], true),
            (b":path", true),
            (b"x-a", true),
            // Same length as a wanted name, other bytes; and a length 64 apart from one.
            (b"x-b", false),
            (b"Authorization", false),
            (&[b'a'; 67][..], false),
            (b"", false),
        ] {
            assert_eq!(
                only.wants(name),
                wanted,
                "{:?}",
                String::from_utf8_lossy(name)
            );
        }
    }

    #[test]
    fn each_pseudo_header_is_found_where_pseudo_lists_it() {
        let headers: Headers = PSEUDO.iter().rev().map(|n| (*n, *n)).collect();
        for (i, name) in PSEUDO.iter().enumerate() {
            assert_eq!(headers.pseudo(i), Some(name.as_bytes()));
        }
    }

    /// Headers as the host lists them, and as they read back: in order, values as bytes, a
    /// name that is not text replaced on its own and its neighbours kept exactly.
    #[test]
    fn headers_read_back_in_order() {
        type Pairs<'a> = &'a [(&'a [u8], &'a [u8])];
        type Read<'a> = &'a [(&'a str, &'a [u8])];
        let cases: [(Pairs, Read); 2] = [
            (
                &[
                    (b":path", b"/a"),
                    (b"x-empty", b""),
                    (b"x-raw", b"\xff\x00b"),
                    (b"x-raw", b"2"),
                ],
                &[
                    (":path", b"/a"),
                    ("x-empty", b""),
                    ("x-raw", b"\xff\x00b"),
                    ("x-raw", b"2"),
                ],
            ),
            (
                // The last two are text only when joined.
                &[
                    (b"x-a", b"1"),
                    (b"x-\xffb", b"v"),
                    (b"\xe2\x82", b""),
                    (b"x-c", b"w"),
                    (b"x-d\xe2", b""),
                    (b"\x82\xac", b""),
                ],
                &[
                    ("x-a", b"1"),
                    ("x-\u{fffd}b", b"v"),
                    ("\u{fffd}", b""),
                    ("x-c", b"w"),
                    ("x-d\u{fffd}", b""),
                    ("\u{fffd}\u{fffd}", b""),
                ],
            ),
        ];
        for (pairs, read) in cases {
            let headers: Headers = pairs.iter().copied().collect();
            assert_eq!(headers.iter().collect::<Vec<_>>(), read);
            assert_eq!(headers.len(), read.len());
        }
    }

    #[test]
    fn reused_buffers_hold_the_next_headers_only() {
        let first: Headers = [("x-a", "1"), ("x-b", "2")].into_iter().collect();
        let mut next = HeadersBuilder::reuse(first);
        next.reserve(1, 8);
        next.push(b"x-c", b"3");
        let next = next.finish();
        assert_eq!(next.iter().collect::<Vec<_>>(), vec![("x-c", &b"3"[..])]);
    }

    #[test]
    fn no_headers() {
        let headers = HeadersBuilder::with_capacity(0, 0).finish();
        assert!(headers.is_empty());
        assert_eq!(headers.iter().count(), 0);
        assert_eq!(headers, Headers::default());
    }
}
