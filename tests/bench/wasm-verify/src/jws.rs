//! Token helpers shared by the native (criterion) and wasm verify benches.

use jwt_simple::prelude::*;

pub fn claims() -> JWTClaims<NoCustomClaims> {
    Claims::create(Duration::from_hours(1)).with_subject("bench")
}

/// The JWS signing input (`header.payload`) and the decoded signature.
pub fn split(token: &str) -> (String, Vec<u8>) {
    let dot = token.rfind('.').expect("JWS has a signature part");
    let sig = Base64UrlSafeNoPadding::decode_to_vec(&token[dot + 1..], None).expect("base64url");
    (token[..dot].to_string(), sig)
}

/// An ES512 token and its P-521 key (x and y, base64url), made with Python's
/// `cryptography` and PyJWT: jwt-simple has no ES512 signer.
pub const ES512_TOKEN: &str = concat!(
    "eyJhbGciOiJFUzUxMiIsInR5cCI6IkpXVCJ9.",
    "eyJzdWIiOiJiZW5jaCIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjo0MTAyNDQ0ODAwfQ.",
    "AX3ccF2Nu-y0mvlpVVUT471zrhcmwXLIcMf0cCSwG7sYpGyCkM8x_BHG8GMGEpsAwXI-8ErCrdKH01u_9oxX8Nja",
    "AP8EmuIyw0oIrp6wUi8QdGcRxdrBjYSjOWI5pJROQkSoJy1ja58BrM2gVFAYsT6QlaqAcx3WoA66H_KKcruCHqW3",
);

/// The P-521 public key that verifies [`ES512_TOKEN`], as big-endian x and y (66 bytes).
pub fn es512_key() -> (Vec<u8>, Vec<u8>) {
    let decode = |s: &str| Base64UrlSafeNoPadding::decode_to_vec(s, None).expect("base64url");
    (
        decode("AVN9tvPGfojT8mbjZ1FYbW33EYEfxHCyDp4mFeBH4h97GsRszIlaH-L_W5hMRCQo9i4C_5TsAwSi4HPKNo8VFCDx"),
        decode("ACiU8mQIpNNH8Ke2e5e0bgNEXnjRu26P-pPeJMVvDFs4Z1D_ZBpZ9w5851zFhn-OmdAYNYFjhOp3L8Q9KpQ7-frb"),
    )
}
