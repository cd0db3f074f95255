//! When to try again after a failed JWKS fetch: 1 s doubling to 5 min, with jitter so
//! that many Envoys restarted together do not hit the identity provider in step.

pub const FIRST_RETRY_MS: u64 = 1_000;
pub const MAX_RETRY_MS: u64 = 300_000;
/// While requests are held for keys, a failed fetch is retried this long after the previous
/// attempt started (at once if that attempt took longer): the outage ends for them within
/// half a second, and a provider that is down still sees at most two fetches a second from
/// a process.
pub const HELD_RETRY_MS: u64 = 500;

/// `failures` counts consecutive failures (1 after the first); `jitter` is in [0, 1) and
/// takes up to a quarter off the delay.
pub fn retry_delay_ms(failures: u32, jitter: f64) -> u64 {
    let exp = failures.saturating_sub(1).min(20);
    let base = FIRST_RETRY_MS.saturating_mul(1u64 << exp).min(MAX_RETRY_MS);
    let jitter = jitter.clamp(0.0, 1.0);
    base - (base as f64 * 0.25 * jitter) as u64
}

/// Refresh well before the cache duration ends, so keys never lapse while a fetch runs.
pub fn refresh_after_ms(cache_duration_ms: u64) -> u64 {
    (cache_duration_ms / 10 * 9).max(1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_five_minutes() {
        let delays: Vec<u64> = (1..=12).map(|f| retry_delay_ms(f, 0.0)).collect();
        assert_eq!(&delays[..4], &[1_000, 2_000, 4_000, 8_000]);
        assert_eq!(delays[11], 300_000);
        assert!(retry_delay_ms(1, 0.99) >= 750 && retry_delay_ms(1, 0.99) < 1_000);
        assert_eq!(retry_delay_ms(u32::MAX, 0.0), 300_000);
    }

    #[test]
    fn refreshes_before_expiry() {
        assert_eq!(refresh_after_ms(600_000), 540_000);
        assert_eq!(refresh_after_ms(500), 1_000);
    }
}
