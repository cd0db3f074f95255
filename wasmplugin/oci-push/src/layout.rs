//! OCI image-layout folders (oci-layout, index.json, blobs/sha256/...): the form an image
//! takes for air-gapped transfer; skopeo, crane, oras and this tool's `push --layout` read it.

use crate::image::{sha256_digest, Blob, Image, OCI_MANIFEST};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn blob_path(dir: &Path, digest: &str) -> Result<PathBuf, String> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("unsupported digest {digest:?}"))?;
    Ok(dir.join("blobs").join("sha256").join(hex))
}

fn write_blob(dir: &Path, digest: &str, bytes: &[u8]) -> Result<(), String> {
    let path = blob_path(dir, digest)?;
    fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes `image` under `tag`; an existing layout keeps its other tags, the same tag is replaced.
pub fn write(dir: &Path, image: &Image, tag: &str) -> Result<(), String> {
    let io = |e: std::io::Error| format!("cannot write layout {}: {e}", dir.display());
    fs::create_dir_all(dir.join("blobs").join("sha256")).map_err(io)?;
    fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).map_err(io)?;
    for blob in &image.blobs {
        write_blob(dir, &blob.digest, &blob.bytes)?;
    }
    write_blob(dir, &image.digest, &image.manifest)?;

    let mut manifests: Vec<Value> = read_index(dir)
        .map(|idx| idx["manifests"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default();
    manifests.retain(|m| m["annotations"][REF_NAME] != tag);
    manifests.push(json!({
        "mediaType": OCI_MANIFEST,
        "digest": image.digest,
        "size": image.manifest.len(),
        "annotations": { REF_NAME: tag },
    }));
    let index = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests});
    fs::write(
        dir.join("index.json"),
        serde_json::to_vec_pretty(&index).expect("index JSON"),
    )
    .map_err(io)
}

fn read_index(dir: &Path) -> Result<Value, String> {
    let path = dir.join("index.json");
    let text = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_slice(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

fn read_blob(dir: &Path, digest: &str) -> Result<Vec<u8>, String> {
    let path = blob_path(dir, digest)?;
    let bytes = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if sha256_digest(&bytes) != digest {
        return Err(format!(
            "{} does not match its digest: the layout is damaged",
            path.display()
        ));
    }
    Ok(bytes)
}

/// Reads the image tagged `tag`, or the only image when `tag` is None, verifying every digest.
pub fn read(dir: &Path, tag: Option<&str>) -> Result<Image, String> {
    let index = read_index(dir)?;
    let entries = index["manifests"].as_array().cloned().unwrap_or_default();
    let entry = match tag {
        Some(t) => entries.iter().find(|m| m["annotations"][REF_NAME] == t),
        None if entries.len() == 1 => entries.first(),
        None => {
            return Err(format!(
                "{} holds {} images: name one with --layout-tag",
                dir.display(),
                entries.len()
            ))
        }
    }
    .ok_or_else(|| {
        format!(
            "no image tagged {:?} in {}",
            tag.unwrap_or(""),
            dir.display()
        )
    })?;
    let digest = entry["digest"]
        .as_str()
        .ok_or("index entry without digest")?
        .to_string();
    let manifest = read_blob(dir, &digest)?;
    let parsed: Value = serde_json::from_slice(&manifest)
        .map_err(|e| format!("manifest {digest} is not JSON: {e}"))?;
    let mut blobs: Vec<Blob> = Vec::new();
    let layers = parsed["layers"].as_array().cloned().unwrap_or_default();
    for d in std::iter::once(&parsed["config"]).chain(layers.iter()) {
        let (Some(mt), Some(dg)) = (d["mediaType"].as_str(), d["digest"].as_str()) else {
            return Err(format!(
                "manifest {digest} has a descriptor without mediaType or digest"
            ));
        };
        if !blobs.iter().any(|b| b.digest == dg) {
            blobs.push(Blob {
                media_type: mt.to_string(),
                digest: dg.to_string(),
                bytes: read_blob(dir, dg)?,
            });
        }
    }
    Ok(Image {
        manifest,
        digest,
        blobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{build, Variant};

    #[test]
    fn round_trip_keeps_digest_and_other_tags() {
        let dir = std::env::temp_dir().join(format!("oci-push-layout-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let module = b"\0asm\x01\0\0\0";
        let wasm = build(module, Variant::Wasm).unwrap();
        let compat = build(module, Variant::Compat).unwrap();
        write(&dir, &wasm, "wasm").unwrap();
        write(&dir, &compat, "compat").unwrap();
        write(&dir, &compat, "compat").unwrap();
        assert!(read(&dir, None).unwrap_err().contains("holds 2 images"));
        let back = read(&dir, Some("wasm")).unwrap();
        assert_eq!((back.digest, back.manifest), (wasm.digest, wasm.manifest));
        assert_eq!(read(&dir, Some("compat")).unwrap().blobs, compat.blobs);

        let layer = &compat.blobs[1].digest;
        fs::write(blob_path(&dir, layer).unwrap(), b"tampered").unwrap();
        assert!(read(&dir, Some("compat")).unwrap_err().contains("damaged"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
