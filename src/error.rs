//! Why a request was not authenticated, with the words Envoy's `jwt_authn` uses, so that
//! clients and runbooks written against Envoy keep working.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthError {
    Missing,
    TooLarge,
    BadFormat,
    HeaderBadBase64,
    HeaderBadJson,
    HeaderBadAlg,
    AlgNotImplemented,
    HeaderBadKid,
    CritNotSupported,
    PayloadBadBase64,
    PayloadBadJson,
    IssNotString,
    SubNotString,
    AudNotString,
    ExpNotInteger,
    NbfNotInteger,
    IatNotInteger,
    ExpOutOfRange,
    NbfOutOfRange,
    IatOutOfRange,
    SignatureBadBase64,
    UnknownIssuer,
    NotYetValid,
    Expired,
    ExpirationRequired,
    LifetimeTooLong,
    AudienceNotAllowed,
    SubjectNotAllowed,
    TenantNotAllowed,
    NoMatchingKey,
    VerificationFailed,
    JwksFetchFailed,
    /// The provider's `algorithms` do not list the token's `alg` (RFC 8725 §3.1).
    AlgNotAllowed,
    /// The provider's `token_types` do not list the token's `typ` (RFC 9068 §2.1).
    TypNotAllowed,
    /// The rule's `scopes` are not all granted (RFC 6750 §3.1 `insufficient_scope`).
    InsufficientScope,
    /// The rule's `claims` are not met.
    ClaimNotAllowed,
    /// The token's `cnf` binding does not match the client (RFC 8705 §3), or it has none and
    /// one is required.
    SenderNotBound,
    /// A DPoP-bound token without a valid proof for this request (RFC 9449 §7.1).
    InvalidDpopProof,
}

impl AuthError {
    /// The HTTP status Envoy answers with: only an audience mismatch is a 403.
    pub fn status_code(self) -> u32 {
        match self {
            AuthError::AudienceNotAllowed
            | AuthError::InsufficientScope
            | AuthError::ClaimNotAllowed => 403,
            _ => 401,
        }
    }
}

/// Each counter reason is written once: in a row of this table, which both `reason()` (the
/// variants of the row) and `REASONS` (the label of every row, in order) are made from.
macro_rules! reasons {
    ($($label:literal => $($variant:ident)|+,)+) => {
        impl AuthError {
            /// Short, stable label for metrics and logs.
            pub fn reason(self) -> &'static str {
                use AuthError::*;
                match self {
                    $($($variant)|+ => $label,)+
                }
            }

            /// Every reason label, so metrics can be defined up front.
            pub const REASONS: &'static [&'static str] = &[$($label),+];
        }
    };
}

reasons! {
    "missing" => Missing,
    "too_large" => TooLarge,
    "malformed" => BadFormat | HeaderBadBase64 | HeaderBadJson | HeaderBadAlg | AlgNotImplemented
        | HeaderBadKid | CritNotSupported | PayloadBadBase64 | PayloadBadJson | IssNotString
        | SubNotString | AudNotString | ExpNotInteger | NbfNotInteger | IatNotInteger
        | ExpOutOfRange | NbfOutOfRange | IatOutOfRange | SignatureBadBase64,
    "issuer" => UnknownIssuer,
    "not_yet_valid" => NotYetValid,
    "expired" => Expired | ExpirationRequired,
    "lifetime" => LifetimeTooLong,
    "audience" => AudienceNotAllowed,
    "subject" => SubjectNotAllowed,
    "tenant" => TenantNotAllowed,
    "no_key" => NoMatchingKey,
    "bad_signature" => VerificationFailed,
    "jwks_fetch_failed" => JwksFetchFailed,
    "algorithm" => AlgNotAllowed,
    "token_type" => TypNotAllowed,
    "scope" => InsufficientScope,
    "claim" => ClaimNotAllowed,
    "sender" => SenderNotBound,
    "dpop" => InvalidDpopProof,
}

impl AuthError {
    /// A missing token and a token for another issuer both mean "this provider has nothing
    /// to say", which `requires_any` must not prefer over a real failure.
    pub fn is_absent(self) -> bool {
        matches!(self, AuthError::Missing | AuthError::UnknownIssuer)
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AuthError::*;
        let text = match self {
            Missing => "Jwt is missing",
            TooLarge => "Jwt is too large",
            BadFormat => {
                "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"
            }
            HeaderBadBase64 => "Jwt header is an invalid Base64url encoded",
            HeaderBadJson => "Jwt header is an invalid JSON",
            HeaderBadAlg => "Jwt header [alg] field is required and must be a string",
            AlgNotImplemented => "Jwt header [alg] is not supported",
            HeaderBadKid => "Jwt header [kid] field is not a string",
            CritNotSupported => "Jwt header [crit] names an extension that is not supported",
            PayloadBadBase64 => "Jwt payload is an invalid Base64url encoded",
            PayloadBadJson => "Jwt payload is an invalid JSON",
            IssNotString => "Jwt payload [iss] field is not a string",
            SubNotString => "Jwt payload [sub] field is not a string",
            AudNotString => "Jwt payload [aud] field is not a string or string list",
            ExpNotInteger => "Jwt payload [exp] field is not an integer",
            NbfNotInteger => "Jwt payload [nbf] field is not an integer",
            IatNotInteger => "Jwt payload [iat] field is not an integer",
            ExpOutOfRange => "Jwt payload [exp] field is not a positive 64 bit integer",
            NbfOutOfRange => "Jwt payload [nbf] field is not a positive 64 bit integer",
            IatOutOfRange => "Jwt payload [iat] field is not a positive 64 bit integer",
            SignatureBadBase64 => "Jwt signature is an invalid Base64url encoded",
            UnknownIssuer => "Jwt issuer is not configured",
            NotYetValid => "Jwt not yet valid",
            Expired => "Jwt is expired",
            ExpirationRequired => "Jwt doesn't have [exp] claim but it is required",
            LifetimeTooLong => "Jwt lifetime is longer than allowed",
            AudienceNotAllowed => "Audiences in Jwt are not allowed",
            SubjectNotAllowed => "Jwt verification fails",
            TenantNotAllowed => "Jwt tenant is not allowed",
            NoMatchingKey => "Jwks doesn't have key to match kid or alg from Jwt",
            VerificationFailed => "Jwt verification fails",
            JwksFetchFailed => "Jwks remote fetch is failed",
            AlgNotAllowed => "Jwt header [alg] is not allowed",
            TypNotAllowed => "Jwt header [typ] is not allowed",
            InsufficientScope => "Jwt does not grant the required scopes",
            ClaimNotAllowed => "Jwt claims do not satisfy the rule",
            SenderNotBound => "Jwt is not bound to this client",
            InvalidDpopProof => "DPoP proof is invalid",
        };
        f.write_str(text)
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::AuthError;

    #[test]
    fn each_reason_is_one_counter() {
        // Two rows with one label would define the same counter twice.
        let mut labels = AuthError::REASONS.to_vec();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), AuthError::REASONS.len());
        assert!(AuthError::REASONS.contains(&AuthError::IatOutOfRange.reason()));
        assert_eq!(AuthError::InvalidDpopProof.reason(), "dpop");
    }
}
