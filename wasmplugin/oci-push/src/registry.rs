//! Registry side: push an [`Image`] with oci-client, pull one back and tell what Istio would see.

use crate::image::{
    sha256_digest, Image, COMPAT_FILE, OCI_LAYER_TAR_GZIP, OCI_MANIFEST, WASM_CONTENT,
};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use serde_json::{json, Value};
use std::io::Read;

// What `docker build` + `docker push` (classic builder) produce; Istio accepts it as compat.
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
use std::time::Duration;

pub struct Target {
    pub reference: Reference,
    pub auth: RegistryAuth,
    client: Client,
}

/// Loopback registries are spoken to in plain HTTP; anything else only when asked.
fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => registry.split(':').next().unwrap_or(""),
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

impl Target {
    pub fn new(
        image_ref: &str,
        auth: RegistryAuth,
        plain_http: bool,
        timeout: Duration,
    ) -> Result<Self, String> {
        let reference: Reference = image_ref
            .parse()
            .map_err(|e| format!("invalid image reference {image_ref:?}: {e}"))?;
        let registry = reference.resolve_registry().to_string();
        let protocol = if plain_http || is_loopback(&registry) {
            ClientProtocol::HttpsExcept(vec![registry])
        } else {
            ClientProtocol::Https
        };
        let config = ClientConfig {
            protocol,
            connect_timeout: Some(timeout.min(Duration::from_secs(10))),
            read_timeout: Some(timeout),
            platform_resolver: None,
            ..Default::default()
        };
        Ok(Target {
            reference,
            auth,
            client: Client::new(config),
        })
    }

    fn explain(&self, err: OciDistributionError) -> String {
        let registry = self.reference.resolve_registry();
        let denied = match &err {
            OciDistributionError::UnauthorizedError { .. }
            | OciDistributionError::AuthenticationFailure(_) => true,
            OciDistributionError::ServerError { code, .. } => *code == 401 || *code == 403,
            OciDistributionError::RequestError(e) => {
                e.status().is_some_and(|s| s == 401 || s == 403)
            }
            OciDistributionError::RegistryError { envelope, .. } => envelope
                .errors
                .iter()
                .any(|e| matches!(e.code, OciErrorCode::Unauthorized | OciErrorCode::Denied)),
            _ => false,
        };
        if denied {
            let how = match self.auth {
                RegistryAuth::Anonymous => {
                    "no credentials were given (use --username with a password, or a token)"
                }
                RegistryAuth::Basic(..) => "the user name or password is wrong",
                RegistryAuth::Bearer(_) => {
                    "the bearer token is wrong, expired or lacks this repository's scope"
                }
            };
            return format!(
                "registry {registry} refused access to {}: {how} ({err})",
                self.reference.repository()
            );
        }
        if let OciDistributionError::RequestError(e) = &err {
            if e.is_timeout() {
                return format!("registry {registry} did not answer in time: {e}");
            }
            if e.is_connect() {
                return format!("cannot connect to registry {registry}: {e}");
            }
        }
        format!("registry {registry}: {err}")
    }

    /// Pushes blobs then the manifest bytes exactly as built, and checks that the registry
    /// files them under the digest computed locally. Returns that digest.
    pub async fn push(&self, image: &Image) -> Result<String, String> {
        let r = &self.reference;
        self.client
            .auth(r, &self.auth, RegistryOperation::Push)
            .await
            .map_err(|e| self.explain(e))?;
        for blob in &image.blobs {
            let exists = self
                .client
                .blob_exists(r, &blob.digest)
                .await
                .map_err(|e| self.explain(e))?;
            if !exists {
                self.client
                    .push_blob(r, blob.bytes.clone(), &blob.digest)
                    .await
                    .map_err(|e| self.explain(e))?;
            }
        }
        let content_type = OCI_MANIFEST.parse().expect("static header value");
        self.client
            .push_manifest_raw(r, image.manifest.clone(), content_type)
            .await
            .map_err(|e| self.explain(e))?;
        let stored = self
            .client
            .fetch_manifest_digest(r, &self.auth)
            .await
            .map_err(|e| self.explain(e))?;
        if stored != image.digest {
            return Err(format!(
                "registry reports digest {stored} for {r}, but the pushed manifest is {}",
                image.digest
            ));
        }
        Ok(image.digest.clone())
    }

    /// Pulls the manifest and the layers Istio would read; returns a JSON report and the module.
    pub async fn pull(&self) -> Result<(Value, Vec<u8>), String> {
        let r = &self.reference;
        let (raw, digest) = self
            .client
            .pull_manifest_raw(r, &self.auth, &[OCI_MANIFEST, DOCKER_MANIFEST])
            .await
            .map_err(|e| self.explain(e))?;
        if sha256_digest(&raw) != digest {
            return Err(format!(
                "manifest of {r} does not match its digest {digest}"
            ));
        }
        let manifest: Value = serde_json::from_slice(&raw)
            .map_err(|e| format!("manifest of {r} is not JSON: {e}"))?;
        let layers = manifest["layers"].as_array().cloned().unwrap_or_default();
        let (variant, descriptor) = select_module_layer(&manifest, &layers)?;
        let digest_of = |d: &Value| d["digest"].as_str().unwrap_or_default().to_string();
        let mut blob = Vec::new();
        self.client
            .pull_blob(r, digest_of(descriptor).as_str(), &mut blob)
            .await
            .map_err(|e| self.explain(e))?;
        let module = match variant {
            "compat" | "docker" => plugin_from_tar_gzip(&blob)?,
            _ => blob,
        };
        let report = json!({
            "reference": r.whole(),
            "digest": digest,
            "variant": variant,
            "manifest_media_type": manifest["mediaType"],
            "config_media_type": manifest["config"]["mediaType"],
            "layer_media_types": layers.iter().map(|l| l["mediaType"].clone()).collect::<Vec<_>>(),
            "annotations": manifest.get("annotations").cloned().unwrap_or(json!({})),
            "module_sha256": sha256_digest(&module),
            "module_size": module.len(),
        });
        Ok((report, module))
    }
}

/// Mirrors Istio's image fetcher: a Docker manifest must end in a Docker tar.gzip layer; an OCI
/// manifest is tried as compat (last layer tar+gzip; Istio does not insist on the annotation,
/// so neither do we) and then as the Wasm variant (exactly two layers, module by media type).
fn select_module_layer<'a>(
    manifest: &Value,
    layers: &'a [Value],
) -> Result<(&'static str, &'a Value), String> {
    let last_is = |media_type: &str| layers.last().filter(|l| l["mediaType"] == media_type);
    if manifest["mediaType"] == DOCKER_MANIFEST {
        return last_is(DOCKER_LAYER)
            .map(|l| ("docker", l))
            .ok_or_else(|| format!("Docker image whose last layer is not {DOCKER_LAYER}"));
    }
    if let Some(last) = last_is(OCI_LAYER_TAR_GZIP) {
        return Ok(("compat", last));
    }
    if layers.len() != 2 {
        return Err(format!(
            "not a Wasm image: the Wasm variant needs exactly 2 layers, found {}",
            layers.len()
        ));
    }
    let module = layers
        .iter()
        .find(|l| l["mediaType"] == WASM_CONTENT)
        .ok_or_else(|| format!("not a Wasm image: no layer of type {WASM_CONTENT}"))?;
    Ok(("wasm", module))
}

fn plugin_from_tar_gzip(blob: &[u8]) -> Result<Vec<u8>, String> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(blob));
    let entries = archive
        .entries()
        .map_err(|e| format!("compat layer is not tar+gzip: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("compat layer is not tar+gzip: {e}"))?;
        let path = entry.path().map_err(|e| format!("bad tar entry: {e}"))?;
        if path.file_name().and_then(|n| n.to_str()) == Some(COMPAT_FILE) {
            let mut body = Vec::new();
            entry
                .read_to_end(&mut body)
                .map_err(|e| format!("cannot read {COMPAT_FILE}: {e}"))?;
            return Ok(body);
        }
    }
    Err(format!("{COMPAT_FILE} not found in the compat layer"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{build, Variant};

    #[test]
    fn loopback_hosts_use_plain_http() {
        for r in [
            "localhost:5000",
            "127.0.0.1:41234",
            "[::1]:5000",
            "localhost",
        ] {
            assert!(is_loopback(r), "{r}");
        }
        for r in ["ghcr.io", "registry.local:5000", "10.0.0.1:5000"] {
            assert!(!is_loopback(r), "{r}");
        }
    }

    #[test]
    fn selects_module_layer_whatever_the_layer_order() {
        let module = b"\0asm\x01\0\0\0";
        let img = build(module, Variant::Wasm).unwrap();
        let mut manifest: Value = serde_json::from_slice(&img.manifest).unwrap();
        manifest["layers"].as_array_mut().unwrap().reverse();
        let layers = manifest["layers"].as_array().unwrap().clone();
        let (variant, d) = select_module_layer(&manifest, &layers).unwrap();
        assert_eq!(
            (variant, d["mediaType"].as_str()),
            ("wasm", Some(WASM_CONTENT))
        );

        let img = build(module, Variant::Compat).unwrap();
        assert_eq!(plugin_from_tar_gzip(&img.blobs[1].bytes).unwrap(), module);
    }

    #[test]
    fn refuses_what_istio_refuses() {
        // A lone module layer (config only in the manifest's config) fails Istio's layer count.
        let lone = json!({"layers": [{"mediaType": WASM_CONTENT}]});
        let err = select_module_layer(&lone, lone["layers"].as_array().unwrap()).unwrap_err();
        assert!(err.contains("exactly 2 layers"), "{err}");
        let docker =
            json!({"mediaType": DOCKER_MANIFEST, "layers": [{"mediaType": OCI_LAYER_TAR_GZIP}]});
        let err = select_module_layer(&docker, docker["layers"].as_array().unwrap()).unwrap_err();
        assert!(err.contains("Docker image"), "{err}");
        let docker = json!({"mediaType": DOCKER_MANIFEST, "layers": [{"mediaType": DOCKER_LAYER}]});
        let found = select_module_layer(&docker, docker["layers"].as_array().unwrap());
        assert_eq!(found.unwrap().0, "docker");
        assert!(plugin_from_tar_gzip(b"not gzip").is_err());
    }
}
