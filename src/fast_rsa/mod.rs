//! Placeholder: RSA public-key verification tuned for 32-bit wasm (see the performance issue).
