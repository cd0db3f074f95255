//! Builds the two image forms Istio's Wasm image fetcher accepts, as exact bytes.
//!
//! The bytes are deterministic (fixed tar metadata, gzip without timestamp, sorted JSON keys):
//! the same module always gives the same manifest digest, so the digest in a layout built
//! offline equals the one a registry reports after the push.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::Write;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const WASM_CONFIG: &str = "application/vnd.module.wasm.config.v1+json";
pub const WASM_CONTENT: &str = "application/vnd.module.wasm.content.layer.v1+wasm";
pub const VARIANT_ANNOTATION: &str = "module.wasm.image/variant";
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";
/// The file name Istio looks for inside the compat layer.
pub const COMPAT_FILE: &str = "plugin.wasm";
const WASM_MAGIC: &[u8] = b"\0asm";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Custom media types: a runtime-config layer plus the raw module layer.
    Wasm,
    /// One ordinary tar+gzip layer holding plugin.wasm, as `docker build` would make it.
    Compat,
}

impl Variant {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "wasm" => Ok(Variant::Wasm),
            "compat" => Ok(Variant::Compat),
            other => Err(format!(
                "unknown variant {other:?} (expected wasm or compat)"
            )),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub media_type: String,
    pub digest: String,
    pub bytes: Vec<u8>,
}

impl Blob {
    pub fn new(media_type: &str, bytes: Vec<u8>) -> Self {
        Blob {
            media_type: media_type.to_string(),
            digest: sha256_digest(&bytes),
            bytes,
        }
    }

    fn descriptor(&self, title: Option<&str>) -> Value {
        let mut d =
            json!({"mediaType": self.media_type, "digest": self.digest, "size": self.bytes.len()});
        if let Some(t) = title {
            d["annotations"] = json!({ TITLE_ANNOTATION: t });
        }
        d
    }
}

/// A manifest and every blob it references (config first, then layers, without repeats).
#[derive(Clone, Debug)]
pub struct Image {
    pub manifest: Vec<u8>,
    pub digest: String,
    pub blobs: Vec<Blob>,
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    let sum = Sha256::digest(bytes);
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in sum.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

pub fn check_module(module: &[u8]) -> Result<(), String> {
    if module.starts_with(WASM_MAGIC) {
        Ok(())
    } else {
        Err("input is not a WebAssembly module (it does not start with \\0asm)".to_string())
    }
}

pub fn build(module: &[u8], variant: Variant) -> Result<Image, String> {
    check_module(module)?;
    match variant {
        Variant::Wasm => Ok(build_wasm(module)),
        Variant::Compat => build_compat(module),
    }
}

/// Istio's fetcher wants exactly two layers here and picks the module by media type, so the
/// runtime config is both the manifest config and the first layer (as in the Wasm image spec).
fn build_wasm(module: &[u8]) -> Image {
    let config = Blob::new(WASM_CONFIG, runtime_config(module));
    let content = Blob::new(WASM_CONTENT, module.to_vec());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(None),
        "layers": [config.descriptor(Some("runtime-config.json")), content.descriptor(Some(COMPAT_FILE))],
    });
    finish(manifest, vec![config, content])
}

fn build_compat(module: &[u8]) -> Result<Image, String> {
    let tar = tar_with_plugin(module).map_err(|e| format!("cannot build the layer tar: {e}"))?;
    let diff_id = sha256_digest(&tar);
    let layer = Blob::new(
        OCI_LAYER_TAR_GZIP,
        gzip(&tar).map_err(|e| format!("cannot gzip the layer: {e}"))?,
    );
    let config = json!({
        "architecture": "wasm",
        "os": "wasip1",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    });
    let config = Blob::new(
        OCI_IMAGE_CONFIG,
        serde_json::to_vec(&config).expect("static JSON"),
    );
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(None),
        "layers": [layer.descriptor(None)],
        "annotations": { VARIANT_ANNOTATION: "compat" },
    });
    Ok(finish(manifest, vec![config, layer]))
}

fn finish(manifest: Value, blobs: Vec<Blob>) -> Image {
    let manifest = serde_json::to_vec(&manifest).expect("manifest JSON");
    Image {
        digest: sha256_digest(&manifest),
        manifest,
        blobs,
    }
}

/// The Wasm image spec's runtime config; the ABI versions are the module's own
/// `proxy_abi_version_*` exports, so the metadata cannot drift from the module.
fn runtime_config(module: &[u8]) -> Vec<u8> {
    let config = json!({
        "type": "envoy_proxy",
        "abiVersions": abi_versions(module),
        "config": {"root_ids": []},
    });
    serde_json::to_vec(&config).expect("static JSON")
}

fn abi_versions(module: &[u8]) -> Vec<String> {
    const PREFIX: &[u8] = b"proxy_abi_version_";
    let mut found: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(pos) = find(&module[i..], PREFIX) {
        let start = i + pos;
        let end = module[start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .map_or(module.len(), |n| start + n);
        let name = String::from_utf8_lossy(&module[start..end]).into_owned();
        if name.len() > PREFIX.len() && !found.contains(&name) {
            found.push(name);
        }
        i = end.max(start + 1);
    }
    found.sort();
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn tar_with_plugin(module: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut header = tar::Header::new_ustar();
    header.set_path(COMPAT_FILE)?;
    header.set_size(module.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, module)?;
    builder.into_inner()
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    // GzBuilder writes mtime 0 and no file name unless told otherwise: reproducible output.
    let mut enc = flate2::GzBuilder::new().write(Vec::new(), flate2::Compression::best());
    enc.write_all(data)?;
    enc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    const MODULE: &[u8] = b"\0asm\x01\0\0\0 proxy_abi_version_0_2_1 tail";

    fn manifest(img: &Image) -> Value {
        serde_json::from_slice(&img.manifest).unwrap()
    }

    #[test]
    fn refuses_non_wasm_input() {
        assert!(build(b"ELF...", Variant::Wasm)
            .unwrap_err()
            .contains("not a WebAssembly module"));
    }

    #[test]
    fn wasm_variant_has_two_layers_and_the_raw_module() {
        let img = build(MODULE, Variant::Wasm).unwrap();
        let m = manifest(&img);
        assert_eq!(m["config"]["mediaType"], WASM_CONFIG);
        let layers = m["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 2);
        let content = layers
            .iter()
            .find(|l| l["mediaType"] == WASM_CONTENT)
            .unwrap();
        let blob = img
            .blobs
            .iter()
            .find(|b| b.digest == content["digest"])
            .unwrap();
        assert_eq!(blob.bytes, MODULE);
        let config: Value = serde_json::from_slice(&img.blobs[0].bytes).unwrap();
        assert_eq!(config["abiVersions"], json!(["proxy_abi_version_0_2_1"]));
        assert_eq!(img.digest, sha256_digest(&img.manifest));
    }

    #[test]
    fn compat_variant_tar_holds_plugin_wasm() {
        let img = build(MODULE, Variant::Compat).unwrap();
        let m = manifest(&img);
        assert_eq!(m["annotations"][VARIANT_ANNOTATION], "compat");
        assert_eq!(m["layers"].as_array().unwrap().len(), 1);
        assert_eq!(m["layers"][0]["mediaType"], OCI_LAYER_TAR_GZIP);
        let layer = &img.blobs[1];
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&layer.bytes[..]));
        let mut entries = archive.entries().unwrap();
        let mut entry = entries.next().unwrap().unwrap();
        assert_eq!(entry.path().unwrap().to_str(), Some(COMPAT_FILE));
        let mut body = Vec::new();
        entry.read_to_end(&mut body).unwrap();
        assert_eq!(body, MODULE);
        assert!(entries.next().is_none());
    }

    #[test]
    fn same_module_gives_same_digest() {
        for v in [Variant::Wasm, Variant::Compat] {
            assert_eq!(
                build(MODULE, v).unwrap().digest,
                build(MODULE, v).unwrap().digest
            );
        }
        assert_ne!(
            build(MODULE, Variant::Wasm).unwrap().digest,
            build(MODULE, Variant::Compat).unwrap().digest
        );
    }
}
