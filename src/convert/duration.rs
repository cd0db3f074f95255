//! Go duration strings (`5s`, `1.5s`, `500ms`, `1m30s`): what Kubernetes' `duration()` and so
//! the RequestAuthentication CRD accept for `timeout`.

const UNITS_NS: [(&str, u128); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Whole milliseconds, rounded up so that a sub-millisecond timeout never becomes zero.
pub fn to_millis(text: &str) -> Result<u64, String> {
    let nanos = to_nanos(text)?;
    let millis = nanos.div_ceil(1_000_000);
    u64::try_from(millis).map_err(|_| format!("{text:?} is too long"))
}

fn to_nanos(text: &str) -> Result<u128, String> {
    let bad = || format!("{text:?} is not a duration like \"5s\", \"500ms\" or \"1m30s\"");
    if text.is_empty() {
        return Err(bad());
    }
    let mut rest = text;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (number, tail) = rest.split_at(digits);
        let (unit, scale) = UNITS_NS
            .iter()
            // Longest unit first among those that match: "ms" before "m".
            .filter(|(u, _)| tail.starts_with(u))
            .max_by_key(|(u, _)| u.len())
            .ok_or_else(bad)?;
        total = total
            .checked_add(scaled(number, *scale).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        rest = tail.get(unit.len()..).ok_or_else(bad)?;
    }
    Ok(total)
}

/// `number` (digits, at most one '.') times `scale`, fractions below a nanosecond dropped.
fn scaled(number: &str, scale: u128) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut value = whole.checked_mul(scale)?;
    let mut place = scale;
    for digit in fraction.bytes() {
        place /= 10;
        value = value.checked_add(u128::from(digit - b'0').checked_mul(place)?)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::to_millis;

    #[test]
    fn go_durations_become_milliseconds() {
        for (text, ms) in [
            ("5s", 5000),
            ("1.5s", 1500),
            ("500ms", 500),
            ("1m30s", 90_000),
            ("1h", 3_600_000),
            ("250us", 1),
            ("1ns", 1),
            (".5s", 500),
            ("2s500ms", 2500),
        ] {
            assert_eq!(to_millis(text), Ok(ms), "{text}");
        }
    }

    #[test]
    fn other_text_is_refused() {
        for text in [
            "",
            "5",
            "s",
            "5x",
            "-5s",
            "5 s",
            "1..5s",
            "5sec",
            "99999999999999999999999999999999999999h",
        ] {
            assert!(to_millis(text).is_err(), "{text}");
        }
    }
}
