//! Headers the filter writes, in every spelling a client could forge them in. CGI, WSGI,
//! Rack and PHP read `x_sub` and `x-sub` as the same variable (`HTTP_X_SUB`), so removing
//! only the spelling the filter writes would let `x_sub: admin` through as a claim.

use crate::extractor::Request;

/// The same header to an upstream that maps `-` and `_` alike.
fn same_variable(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes().zip(b.bytes()).all(|(x, y)| {
            let fold = |c: u8| if c == b'_' { b'-' } else { c };
            fold(x) == fold(y)
        })
}

fn is_written(written: &[String], name: &str) -> bool {
    written.iter().any(|w| same_variable(w, name))
}

/// Every written header, and every other spelling of one the request carries.
pub(super) fn headers_to_remove(written: &[String], req: &Request) -> Vec<String> {
    let mut names = written.to_vec();
    if written.is_empty() {
        return names;
    }
    for (name, _) in req.headers.iter() {
        if !names.iter().any(|n| n == name) && is_written(written, name) {
            names.push(name.to_string());
        }
    }
    names
}

/// The request carries a header the filter writes, in any spelling.
pub(super) fn any_forged(written: &[String], req: &Request) -> bool {
    !written.is_empty()
        && req
            .headers
            .iter()
            .any(|(name, _)| is_written(written, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(names: &[&str]) -> Request {
        Request::from_pairs(names.iter().map(|n| (n, "v")))
    }

    #[test]
    fn underscore_spellings_of_written_headers_are_removed_too() {
        let written = vec!["x-groups".to_string(), "x-sub".to_string()];
        let r = req(&["x_sub", "x-sub", "x_groups", "x-other", "x_other", "xsub"]);
        assert_eq!(
            headers_to_remove(&written, &r),
            ["x-groups", "x-sub", "x_sub", "x_groups"]
        );
        assert!(any_forged(&written, &req(&["x_groups"])));
        assert!(!any_forged(&written, &req(&["x_other", "x-subs"])));
        // A written name spelled with `_` covers its `-` spelling as well.
        assert_eq!(
            headers_to_remove(&["x_user_id".to_string()], &req(&["x-user_id"])),
            ["x_user_id", "x-user_id"]
        );
        assert!(headers_to_remove(&[], &r).is_empty());
    }
}
