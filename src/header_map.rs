//! The proxy-wasm ABI's serialised header map: a little-endian `u32` count, then a
//! (name length, value length) pair of `u32`s per header, then each name and value followed
//! by a NUL. Read here without trusting the host: a malformed map is `None`, never a panic
//! (the SDK's own reader indexes and unwraps, and a panic in the VM kills the plugin).

use crate::headers::{Headers, HeadersBuilder, NameFilter};

/// The headers of a serialised map, names as text (lossily: Envoy allows only tokens) and
/// values as bytes. `None` when the map is cut short or its lengths overrun it.
pub fn parse(bytes: &[u8]) -> Option<Headers> {
    parse_into(bytes, None, HeadersBuilder::default())
}

/// As `parse`, into buffers of an earlier request (`recycle`), and `only` the headers named
/// there when it names some.
pub fn parse_into(
    bytes: &[u8],
    only: Option<&NameFilter>,
    mut map: HeadersBuilder,
) -> Option<Headers> {
    if bytes.is_empty() {
        return Some(map.finish());
    }
    let count = usize::try_from(read_u32(bytes, 0)?).ok()?;
    let mut data = count.checked_mul(8)?.checked_add(4)?;
    if data > bytes.len() {
        return None;
    }
    // Bounded by the check above: at most one entry per 8 bytes of input. With a filter the
    // few headers kept grow the buffers instead: large cookies must not size them.
    if only.is_none() {
        map.reserve(count, bytes.len().saturating_sub(data));
    }
    for n in 0..count {
        let lengths = 4 + n * 8;
        let name_len = usize::try_from(read_u32(bytes, lengths)?).ok()?;
        let value_len = usize::try_from(read_u32(bytes, lengths + 4)?).ok()?;
        let (name, next) = field(bytes, data, name_len)?;
        let (value, next) = field(bytes, next, value_len)?;
        data = next;
        if only.is_none_or(|names| names.wants(name)) {
            map.push(name, value);
        }
    }
    Some(map.finish())
}

/// Serialises headers for the host (a local response's headers).
pub fn serialize(map: &[(&str, &str)]) -> Vec<u8> {
    let size = map.iter().fold(4, |n, (k, v)| n + k.len() + v.len() + 10);
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&len_u32(map.len()).to_le_bytes());
    for (name, value) in map {
        out.extend_from_slice(&len_u32(name.len()).to_le_bytes());
        out.extend_from_slice(&len_u32(value.len()).to_le_bytes());
    }
    for (name, value) in map {
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
    out
}

/// Lengths the filter writes are its own short header names and values.
fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(word.try_into().ok()?))
}

/// `len` bytes at `at`, and where the next field starts (past the NUL).
fn field(bytes: &[u8], at: usize, len: usize) -> Option<(&[u8], usize)> {
    let end = at.checked_add(len)?;
    let value = bytes.get(at..end)?;
    Some((value, end.checked_add(1)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_round_trips() {
        let map = [
            (":path", "/a?b"),
            ("x-y", ""),
            ("authorization", "Bearer t"),
        ];
        let parsed = parse(&serialize(&map)).unwrap();
        let got: Vec<(&str, &[u8])> = parsed.iter().collect();
        let want: Vec<(&str, &[u8])> = map.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn an_empty_buffer_is_an_empty_map() {
        assert_eq!(parse(&[]), Some(Headers::default()));
        assert_eq!(parse(&serialize(&[])).map(|h| h.len()), Some(0));
    }

    #[test]
    fn values_keep_bytes_that_are_not_utf8() {
        let mut bytes = serialize(&[("x-raw", "ab")]);
        let at = bytes.len() - 3;
        bytes[at] = 0xff;
        let parsed = parse(&bytes).unwrap();
        assert_eq!(parsed.iter().next(), Some(("x-raw", &[0xff, b'b'][..])));
    }

    #[test]
    fn a_malformed_map_is_refused_without_a_panic() {
        let good = serialize(&[("name", "value"), ("other", "x")]);
        // Every truncation but the last NUL (which the reader does not need).
        for cut in 1..good.len() - 1 {
            assert_eq!(parse(&good[..cut]), None, "cut at {cut}");
        }
        // A count or lengths that overrun the buffer, up to u32::MAX.
        for count in [3u32, 1 << 29, u32::MAX] {
            let mut bad = good.clone();
            bad[..4].copy_from_slice(&count.to_le_bytes());
            assert_eq!(parse(&bad), None);
        }
        let mut bad = good.clone();
        bad[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(parse(&bad), None);
    }
}
