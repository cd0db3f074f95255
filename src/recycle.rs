//! The buffers of the last request a thread decided, kept for the next one, so that reading a
//! request allocates nothing in either build (one wasm VM per thread; one engine worker per
//! Envoy worker thread in the dynamic module).

use crate::extractor::Request;
use crate::headers::HeadersBuilder;
use std::cell::RefCell;

/// Buffers larger than this are let go rather than kept: one large request must not hold
/// its memory for good.
const KEEP_MAX_BYTES: usize = 64 * 1024;

thread_local! {
    static SPARE: RefCell<Option<(HeadersBuilder, String)>> = const { RefCell::new(None) };
}

/// Buffers to read the next request into: the last request's, or new ones.
pub fn take() -> (HeadersBuilder, String) {
    let spare = SPARE.with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.take()));
    spare.unwrap_or_default()
}

/// The request is decided and done with: its buffers serve the next one.
pub fn give_back(req: Request) {
    let (headers, pseudo) = req.into_buffers();
    let headers = HeadersBuilder::reuse(headers);
    if headers.capacity().saturating_add(pseudo.capacity()) <= KEEP_MAX_BYTES {
        SPARE.with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                *s = Some((headers, pseudo));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_request_reuses_the_last_ones_buffers() {
        let req = Request::from_pairs([(":path", "/first"), ("x-a", "1")]);
        give_back(req);
        let (mut headers, pseudo) = take();
        assert!(headers.capacity() > 0 && pseudo.capacity() > 0);
        headers.push(b":path", b"/next");
        let next = Request::with_buffer(headers.finish(), pseudo);
        assert_eq!(next.path(), "/next");
        assert_eq!(next.headers.len(), 1);
        // Taken: the next reader starts afresh until this one is given back.
        assert_eq!(take().0.capacity(), 0);
    }

    #[test]
    fn a_large_request_is_not_kept() {
        let big = "x".repeat(KEEP_MAX_BYTES + 1);
        give_back(Request::from_pairs([("x-big", big.as_str())]));
        assert_eq!(take().0.capacity(), 0);
    }
}
