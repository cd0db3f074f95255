//! Token helpers.

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
