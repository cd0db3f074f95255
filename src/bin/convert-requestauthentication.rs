//! `convert-requestauthentication [OPTIONS] FILE...`: Istio RequestAuthentication objects in,
//! the WasmPlugin (and ServiceEntry/DestinationRule for JWKS hosts outside the mesh) that does
//! the same with this filter out, or with `--config-only` the plugin configuration alone.
//! Notes on what does not carry over go to stderr.

use jwt_authn_wasm::convert::{self, Conversion, Document, Image, Options};
use std::io::Read;
use std::process::ExitCode;

const USAGE: &str =
    "usage: convert-requestauthentication --image oci://REGISTRY/IMAGE:TAG [--sha256 HEX]
                                     [--require-token] [--gateway] [--root-namespace NS] FILE...
       convert-requestauthentication --config-only [--require-token] FILE...
FILE may be - for standard input. Prints a YAML stream (WasmPlugin, ServiceEntry,
DestinationRule), or with --config-only the plugin configuration as JSON.";

struct Args {
    files: Vec<String>,
    options: Options,
    image: Option<String>,
    sha256: Option<String>,
    config_only: bool,
}

fn main() -> ExitCode {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(mut raw: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        files: Vec::new(),
        options: Options::default(),
        image: None,
        sha256: None,
        config_only: false,
    };
    while let Some(arg) = raw.next() {
        let mut value = |flag: &str| raw.next().ok_or(format!("{flag} needs a value"));
        match arg.as_str() {
            "--image" => args.image = Some(value("--image")?),
            "--sha256" => args.sha256 = Some(value("--sha256")?),
            "--root-namespace" => args.options.root_namespace = value("--root-namespace")?,
            "--require-token" => args.options.require_token = true,
            "--gateway" => args.options.gateway = true,
            "--config-only" => args.config_only = true,
            "-" => args.files.push(arg),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            _ => args.files.push(arg),
        }
    }
    if args.files.is_empty() {
        return Err("no input file".into());
    }
    if args.config_only {
        if args.image.is_some() || args.sha256.is_some() {
            return Err(
                "--config-only prints no WasmPlugin: --image and --sha256 do not apply".into(),
            );
        }
        return Ok(args);
    }
    // No placeholder image: a WasmPlugin that cannot pull its module would fail closed and
    // refuse every request of the selected workloads.
    let image = args.image.as_deref().ok_or(
        "--image is required: the module's URL, e.g. oci://ghcr.io/acme/jwt-authn-wasm:0.1.0 (or use --config-only)",
    )?;
    if !["oci://", "https://", "http://", "file://"]
        .iter()
        .any(|scheme| image.starts_with(scheme) && image.len() > scheme.len())
    {
        return Err(format!(
            "--image {image:?} must be an oci://, https:// or file:// URL"
        ));
    }
    if let Some(sha) = &args.sha256 {
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("--sha256 takes the 64 hex digits of the image's digest".into());
        }
    }
    Ok(args)
}

fn run(args: &Args) -> Result<(), String> {
    let mut documents = Vec::new();
    for path in &args.files {
        documents.extend(read_documents(path)?);
    }
    if documents.is_empty() {
        return Err("the input holds no YAML document".into());
    }
    let conversion = convert::convert(&documents, &args.options).map_err(|e| e.to_string())?;
    let output = if args.config_only {
        config_only(&conversion)?
    } else {
        let image = Image {
            url: args.image.clone().unwrap_or_default(),
            sha256: args.sha256.clone(),
        };
        yaml_stream(&conversion, &image)?
    };
    for note in conversion.notes.iter() {
        eprintln!("note: {note}");
    }
    print!("{output}");
    Ok(())
}

fn read_documents(path: &str) -> Result<Vec<Document>, String> {
    let mut text = String::new();
    let (read, name) = if path == "-" {
        (
            std::io::stdin().read_to_string(&mut text).map(|_| ()),
            "<stdin>",
        )
    } else {
        (std::fs::read_to_string(path).map(|t| text = t), path)
    };
    read.map_err(|e| format!("cannot read {name}: {e}"))?;
    let values: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(&text).map_err(|e| format!("{name}: invalid YAML: {e}"))?;
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(i, value)| Document {
            origin: format!("{name} document {}", i + 1),
            value,
        })
        .collect())
}

fn config_only(conversion: &Conversion) -> Result<String, String> {
    match conversion.plugins.as_slice() {
        [one] => serde_json::to_string_pretty(&one.config)
            .map(|json| json + "\n")
            .map_err(|e| e.to_string()),
        many => Err(format!(
            "--config-only needs one target, but the input yields {} WasmPlugins ({}); convert \
             them one at a time",
            many.len(),
            many.iter()
                .map(|p| p.sources.join(" + "))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

fn yaml_stream(conversion: &Conversion, image: &Image) -> Result<String, String> {
    let options = serde_saphyr::ser_options! {
        // Long URLs and inline JWKS stay on one line instead of YAML's folded blocks.
        prefer_block_scalars: false,
    };
    let mut out = String::new();
    let sources = conversion.plugins.iter().map(|p| p.sources.join(", "));
    out.push_str(&format!(
        "# Converted from RequestAuthentication {} by convert-requestauthentication.\n",
        sources.collect::<Vec<_>>().join("; ")
    ));
    for (i, object) in convert::manifests(conversion, image).iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let yaml = serde_saphyr::to_string_with_options(object, options.clone())
            .map_err(|e| format!("cannot write YAML: {e}"))?;
        out.push_str(&yaml);
    }
    Ok(out)
}
