//! Requirement trees (`provider_name`, `requires_any`, `requires_all`, `allow_missing`,
//! `allow_missing_or_failed`) combined the way Envoy's jwt_authn combines them.

use crate::config::{ProviderId, Requirement};
use crate::error::AuthError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderResult {
    Verified,
    Failed(AuthError),
    /// The provider's keys are being fetched; ask again when they arrive.
    Pending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny(AuthError, ProviderId),
    Pending,
}

pub fn evaluate(
    requirement: &Requirement,
    provider_count: usize,
    check: &mut dyn FnMut(ProviderId) -> ProviderResult,
) -> Verdict {
    match requirement {
        Requirement::Provider(id) => match check(*id) {
            ProviderResult::Verified => Verdict::Allow,
            ProviderResult::Failed(e) => Verdict::Deny(e, *id),
            ProviderResult::Pending => Verdict::Pending,
        },
        Requirement::Any(children) => {
            any(children.iter().map(|c| evaluate(c, provider_count, check)))
        }
        Requirement::All(children) => {
            let mut pending = false;
            for child in children {
                match evaluate(child, provider_count, check) {
                    Verdict::Deny(e, id) => return Verdict::Deny(e, id),
                    Verdict::Pending => pending = true,
                    Verdict::Allow => {}
                }
            }
            if pending {
                Verdict::Pending
            } else {
                Verdict::Allow
            }
        }
        Requirement::AllowMissing | Requirement::AllowMissingOrFailed => {
            // Every provider gets its say (not only the first that verifies), so each one
            // whose token is valid forwards its claims.
            let verdicts: Vec<Verdict> = (0..provider_count)
                .map(|id| evaluate(&Requirement::Provider(id), provider_count, check))
                .collect();
            let verdict = any(verdicts.into_iter());
            match (requirement, verdict) {
                (_, Verdict::Pending) => Verdict::Pending,
                (Requirement::AllowMissing, Verdict::Deny(e, id)) if !e.is_absent() => {
                    Verdict::Deny(e, id)
                }
                _ => Verdict::Allow,
            }
        }
    }
}

/// Allowed when one child allows. Otherwise a real failure outranks "missing", and among
/// failures the last one wins, as in Envoy.
fn any(children: impl Iterator<Item = Verdict>) -> Verdict {
    let mut pending = false;
    let mut first_absent: Option<Verdict> = None;
    let mut last_failure: Option<Verdict> = None;
    for verdict in children {
        match verdict {
            Verdict::Allow => return Verdict::Allow,
            Verdict::Pending => pending = true,
            Verdict::Deny(e, _) if e.is_absent() => {
                first_absent.get_or_insert(verdict);
            }
            Verdict::Deny(..) => last_failure = Some(verdict),
        }
    }
    if pending {
        return Verdict::Pending;
    }
    last_failure
        .or(first_absent)
        .unwrap_or(Verdict::Deny(AuthError::Missing, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use AuthError::*;
    use ProviderResult::*;
    use Requirement as R;

    fn run(req: &Requirement, results: &[ProviderResult]) -> Verdict {
        evaluate(req, results.len(), &mut |id| results[id])
    }

    #[test]
    fn any_prefers_real_failures_over_missing() {
        let req = R::Any(vec![R::Provider(0), R::Provider(1)]);
        assert_eq!(run(&req, &[Failed(Missing), Verified]), Verdict::Allow);
        assert_eq!(
            run(&req, &[Failed(Expired), Failed(UnknownIssuer)]),
            Verdict::Deny(Expired, 0)
        );
        assert_eq!(
            run(&req, &[Failed(Missing), Failed(UnknownIssuer)]),
            Verdict::Deny(Missing, 0)
        );
        assert_eq!(run(&req, &[Failed(Expired), Pending]), Verdict::Pending);
    }

    #[test]
    fn all_needs_every_child() {
        let req = R::All(vec![R::Provider(0), R::Provider(1)]);
        assert_eq!(run(&req, &[Verified, Verified]), Verdict::Allow);
        assert_eq!(
            run(&req, &[Verified, Failed(Missing)]),
            Verdict::Deny(Missing, 1)
        );
        assert_eq!(run(&req, &[Pending, Verified]), Verdict::Pending);
    }

    #[test]
    fn allow_missing_rejects_only_bad_tokens() {
        assert_eq!(
            run(&R::AllowMissing, &[Failed(Missing), Failed(Missing)]),
            Verdict::Allow
        );
        assert_eq!(
            run(&R::AllowMissing, &[Failed(UnknownIssuer), Failed(Missing)]),
            Verdict::Allow
        );
        assert_eq!(
            run(
                &R::AllowMissing,
                &[Failed(VerificationFailed), Failed(Missing)]
            ),
            Verdict::Deny(VerificationFailed, 0)
        );
        assert_eq!(
            run(&R::AllowMissingOrFailed, &[Failed(VerificationFailed)]),
            Verdict::Allow
        );
        let nested = R::Any(vec![R::Provider(0), R::AllowMissing]);
        assert_eq!(run(&nested, &[Failed(Missing)]), Verdict::Allow);
        assert_eq!(run(&nested, &[Failed(Expired)]), Verdict::Deny(Expired, 0));
    }
}
