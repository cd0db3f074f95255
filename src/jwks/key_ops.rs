//! `key_ops` (RFC 7517 §4.3): the operations a key is meant for. A key published for
//! anything but `verify` (say, only `encrypt`) is not one to check signatures with.

use serde_json::Value;

/// `Ok(false)`: the JWK lists its operations and `verify` is not one of them.
pub(super) fn allows_verify(key_ops: Option<&Value>) -> Result<bool, String> {
    let Some(ops) = key_ops else {
        return Ok(true);
    };
    let Some(ops) = ops.as_array() else {
        return Err("\"key_ops\" is not an array".into());
    };
    let mut verify = false;
    for op in ops {
        match op.as_str() {
            Some(name) => verify |= name == "verify",
            None => return Err("\"key_ops\" holds a value that is not a string".into()),
        }
    }
    Ok(verify)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_keys_for_verify_are_used() {
        assert_eq!(allows_verify(None), Ok(true));
        assert_eq!(allows_verify(Some(&json!(["verify"]))), Ok(true));
        assert_eq!(allows_verify(Some(&json!(["sign", "verify"]))), Ok(true));
        assert_eq!(allows_verify(Some(&json!(["encrypt"]))), Ok(false));
        assert_eq!(allows_verify(Some(&json!([]))), Ok(false));
        assert!(allows_verify(Some(&json!("verify"))).is_err());
        assert!(allows_verify(Some(&json!([1]))).is_err());
    }
}
