//! Points WasmPlugin manifests at a pushed image: rewrites `spec.url` and `spec.sha256` of each
//! WasmPlugin document, leaving every other line (comments included) as written.

use oci_client::Reference;

/// `digest` may be `sha256:<hex>` or bare hex; returns the bare 64 hex digits.
fn sha256_hex(digest: &str) -> Result<&str, String> {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!(
            "{digest:?} is not a sha256 digest (64 lowercase hex digits)"
        ));
    }
    Ok(hex)
}

/// `oci://<registry>/<repository>@sha256:<hex>`, whatever tag `image_ref` had. Istio pulls such
/// a URL by the manifest digest (pkg/wasm: the reference is parsed with its digest, which also
/// serves as the checksum), so moving the tag later cannot change what the WasmPlugin runs.
pub fn pinned_url(image_ref: &str, digest: &str) -> Result<String, String> {
    let hex = sha256_hex(digest)?;
    let bare = image_ref.trim_start_matches("oci://");
    let r: Reference = bare
        .parse()
        .map_err(|e| format!("invalid image reference {bare:?}: {e}"))?;
    let pinned = Reference::with_digest(
        r.registry().to_string(),
        r.repository().to_string(),
        format!("sha256:{hex}"),
    );
    Ok(format!("oci://{}", pinned.whole()))
}

/// spec.url becomes [`pinned_url`]; spec.sha256 the bare hex, quoted because YAML reads an
/// all-digit (or `123e45...`) value as a number.
pub fn render(text: &str, image_ref: &str, digest: &str) -> Result<String, String> {
    let hex = sha256_hex(digest)?;
    let url = pinned_url(image_ref, digest)?;
    let mut out = Vec::new();
    let mut plugins = 0;
    for doc in split_documents(text) {
        if !doc.iter().any(|l| l.trim_end() == "kind: WasmPlugin") {
            out.extend(doc.iter().map(|l| l.to_string()));
            continue;
        }
        plugins += 1;
        let (mut urls, mut shas) = (0, 0);
        for line in doc {
            out.push(if let Some(indent) = spec_key(line, "url") {
                urls += 1;
                format!("{indent}url: {url}")
            } else if let Some(indent) = spec_key(line, "sha256") {
                shas += 1;
                format!("{indent}sha256: \"{hex}\"")
            } else {
                line.to_string()
            });
        }
        if urls != 1 || shas != 1 {
            return Err(format!(
                "WasmPlugin #{plugins} needs exactly one spec.url and one spec.sha256 line"
            ));
        }
    }
    if plugins == 0 {
        return Err("no WasmPlugin document found".to_string());
    }
    let mut rendered = out.join("\n");
    if text.ends_with('\n') {
        rendered.push('\n');
    }
    Ok(rendered)
}

fn split_documents(text: &str) -> Vec<Vec<&str>> {
    let mut docs = Vec::new();
    let mut current = Vec::new();
    for line in text.lines() {
        if line.starts_with("---") && !current.is_empty() {
            docs.push(std::mem::take(&mut current));
        }
        current.push(line);
    }
    docs.push(current);
    docs
}

/// Keys of `spec` sit two spaces in; deeper keys (pluginConfig) never match.
fn spec_key<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix("  ")?;
    if rest.starts_with(' ') {
        return None;
    }
    rest.strip_prefix(key)?.strip_prefix(':')?;
    Some("  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "apiVersion: v1\nkind: ServiceEntry\nspec:\n  url: keep\n---\n# c\nkind: WasmPlugin\nspec:\n  url: oci://old:1\n  sha256: 0000000000000000000000000000000000000000000000000000000000000000\n  pluginConfig:\n    url: nested\n";

    #[test]
    fn rewrites_only_wasmplugin_spec_lines() {
        let hex = "ab".repeat(32);
        let out = render(DOC, "reg:5000/f:1", &format!("sha256:{hex}")).unwrap();
        assert!(out.contains("  url: keep\n"));
        assert!(out.contains(&format!("  url: oci://reg:5000/f@sha256:{hex}\n")));
        assert!(out.contains(&format!("  sha256: \"{hex}\"\n")));
        assert!(out.contains("    url: nested\n"));
        assert!(out.contains("# c\n"));
    }

    #[test]
    fn pinned_url_drops_the_tag_and_keeps_registry_port_and_path() {
        let hex = "0a".repeat(32);
        for (image, want) in [
            ("localhost:5000/a/b/f:0.1.0", "localhost:5000/a/b/f"),
            ("oci://ghcr.io/acme/f:latest", "ghcr.io/acme/f"),
            ("ghcr.io/acme/f", "ghcr.io/acme/f"),
            (
                &format!("ghcr.io/acme/f@sha256:{}", "1b".repeat(32)),
                "ghcr.io/acme/f",
            ),
        ] {
            assert_eq!(
                pinned_url(image, &hex).unwrap(),
                format!("oci://{want}@sha256:{hex}")
            );
        }
        assert!(pinned_url("UPPER/Case:1", &hex)
            .unwrap_err()
            .contains("invalid image reference"));
    }

    #[test]
    fn refuses_bad_digest_and_missing_plugin() {
        assert!(render(DOC, "r/f:1", "sha256:xyz")
            .unwrap_err()
            .contains("not a sha256 digest"));
        assert!(render("kind: Service\n", "r/f:1", &"a".repeat(64))
            .unwrap_err()
            .contains("no WasmPlugin"));
    }
}
