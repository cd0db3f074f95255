//! Requirement trees (`provider_name`, `requires_any`, `requires_all`, `allow_missing`,
//! `allow_missing_or_failed`, `provider_and_audiences`) combined the way Envoy's jwt_authn
//! combines them.

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

/// `check(provider, audiences)`: the provider's result, with `Some` audiences in place of its own.
pub type Check<'r, 'c> = dyn FnMut(ProviderId, Option<&'r [String]>) -> ProviderResult + 'c;

pub fn evaluate<'r>(
    requirement: &'r Requirement,
    provider_count: usize,
    check: &mut Check<'r, '_>,
) -> Verdict {
    match requirement {
        Requirement::Provider(id) => provider(*id, check(*id, None)),
        Requirement::ProviderAudiences(id, audiences) => provider(*id, check(*id, Some(audiences))),
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
                .map(|id| provider(id, check(id, None)))
                .collect();
            // As Envoy: a token no provider claims (unknown issuer) is a token that failed,
            // not a missing one, wherever among the providers it was found.
            let unknown = verdicts
                .iter()
                .find(|v| matches!(v, Verdict::Deny(AuthError::UnknownIssuer, _)))
                .copied();
            let verdict = any(verdicts.into_iter());
            match (requirement, verdict) {
                (_, Verdict::Pending) => Verdict::Pending,
                (Requirement::AllowMissing, Verdict::Deny(AuthError::Missing, _)) => {
                    unknown.unwrap_or(Verdict::Allow)
                }
                (Requirement::AllowMissing, Verdict::Deny(e, id)) => Verdict::Deny(e, id),
                _ => Verdict::Allow,
            }
        }
    }
}

fn provider(id: ProviderId, result: ProviderResult) -> Verdict {
    match result {
        ProviderResult::Verified => Verdict::Allow,
        ProviderResult::Failed(e) => Verdict::Deny(e, id),
        ProviderResult::Pending => Verdict::Pending,
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
        evaluate(req, results.len(), &mut |id, _| results[id])
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
        // Envoy 1.40 answers 401 `Jwt issuer is not configured` here, whichever provider's
        // location held the token.
        assert_eq!(
            run(&R::AllowMissing, &[Failed(UnknownIssuer), Failed(Missing)]),
            Verdict::Deny(UnknownIssuer, 0)
        );
        assert_eq!(
            run(&R::AllowMissing, &[Failed(Missing), Failed(UnknownIssuer)]),
            Verdict::Deny(UnknownIssuer, 1)
        );
        assert_eq!(
            run(&R::AllowMissingOrFailed, &[Failed(UnknownIssuer)]),
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

    #[test]
    fn provider_and_audiences_asks_with_its_own_audiences() {
        let req = R::Any(vec![
            R::ProviderAudiences(0, vec!["a".into()]),
            R::Provider(1),
        ]);
        let mut asked = Vec::new();
        let verdict = evaluate(&req, 2, &mut |id, audiences| {
            asked.push((id, audiences.map(|a| a.to_vec())));
            Failed(AudienceNotAllowed)
        });
        assert_eq!(verdict, Verdict::Deny(AudienceNotAllowed, 1));
        assert_eq!(asked, [(0, Some(vec!["a".to_string()])), (1, None)]);
    }
}
