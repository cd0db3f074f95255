//! oci-push: packages the filter module as an OCI image Istio's WasmPlugin can pull,
//! pushes it, writes air-gapped image layouts, and reads images back for checks.

mod image;
mod layout;
mod registry;
mod render;

use clap::{Arg, ArgAction, ArgMatches, Command};
use image::{Image, Variant};
use oci_client::secrets::RegistryAuth;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

const PASSWORD_ENV: &str = "OCI_PUSH_PASSWORD";
const TOKEN_ENV: &str = "OCI_PUSH_TOKEN";

fn cli() -> Command {
    let wasm = Arg::new("wasm")
        .long("wasm")
        .value_name("FILE")
        .help("the filter module (.wasm)");
    let variant = Arg::new("variant")
        .long("variant")
        .value_parser(["wasm", "compat"])
        .default_value("wasm")
        .help(
            "image form: Wasm media types (wasm) or one tar+gzip layer with plugin.wasm (compat)",
        );
    let image_ref = Arg::new("image")
        .long("image")
        .value_name("REF")
        .required(true)
        .help("registry/repository:tag");
    let remote = [
        Arg::new("username")
            .long("username")
            .value_name("USER")
            .help(format!(
                "basic auth user; password from --password-stdin or ${PASSWORD_ENV}"
            )),
        Arg::new("password-stdin")
            .long("password-stdin")
            .action(ArgAction::SetTrue)
            .requires("username")
            .help("read the password from stdin"),
        Arg::new("token-stdin")
            .long("token-stdin")
            .action(ArgAction::SetTrue)
            .conflicts_with_all(["username", "password-stdin"])
            .help(format!(
                "read a bearer token from stdin (or set ${TOKEN_ENV})"
            )),
        Arg::new("plain-http")
            .long("plain-http")
            .action(ArgAction::SetTrue)
            .help("use HTTP for this registry (always so for loopback registries)"),
        Arg::new("timeout")
            .long("timeout")
            .value_name("SECONDS")
            .default_value("60")
            .value_parser(clap::value_parser!(u64).range(1..))
            .help("give up after this long"),
    ];
    Command::new("oci-push")
        .about("Build, push and inspect the filter's OCI image for Istio WasmPlugin")
        .subcommand_required(true)
        .subcommand(
            Command::new("build")
                .about("write an OCI image layout (air-gapped transfer); prints the manifest digest")
                .arg(wasm.clone().required(true))
                .arg(variant.clone())
                .arg(Arg::new("out").long("out").value_name("DIR").required(true))
                .arg(Arg::new("tag").long("tag").value_name("TAG").help("ref name in the layout (default: the variant)")),
        )
        .subcommand(
            Command::new("push")
                .about("push the module (or a layout) to a registry; prints the manifest digest for WasmPlugin sha256")
                .arg(wasm.required_unless_present("layout").conflicts_with("layout"))
                .arg(variant)
                .arg(Arg::new("layout").long("layout").value_name("DIR").help("push an image from a layout written by build"))
                .arg(Arg::new("layout-tag").long("layout-tag").value_name("TAG").requires("layout")
                        .help("the image of the layout to push, by ref name (needed when it holds several)"))
                .arg(image_ref.clone())
                .arg(Arg::new("digest-file").long("digest-file").value_name("FILE").help("also write the digest here"))
                .args(remote.clone()),
        )
        .subcommand(
            Command::new("pull")
                .about("fetch an image as Istio would; prints a JSON report and can save the module")
                .arg(image_ref.clone())
                .arg(Arg::new("out").long("out").value_name("FILE").help("write the module here"))
                .args(remote),
        )
        .subcommand(
            Command::new("pin")
                .about("print the digest-pinned WasmPlugin url of an image: oci://REPOSITORY@sha256:HEX")
                .arg(image_ref.clone())
                .arg(Arg::new("digest").long("digest").value_name("DIGEST").required(true)),
        )
        .subcommand(
            Command::new("render")
                .about("print WasmPlugin manifests with spec.url and spec.sha256 set to a pushed image")
                .arg(image_ref)
                .arg(Arg::new("digest").long("digest").value_name("DIGEST").required(true))
                .arg(Arg::new("file").value_name("FILE").required(true)),
        )
}

fn read_stdin_line(what: &str) -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the {what} from stdin: {e}"))?;
    let value = line.trim_end_matches(['\r', '\n']).to_string();
    if value.is_empty() {
        return Err(format!("empty {what} on stdin"));
    }
    Ok(value)
}

fn auth(m: &ArgMatches) -> Result<RegistryAuth, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if m.get_flag("token-stdin") {
        return Ok(RegistryAuth::Bearer(read_stdin_line("token")?));
    }
    if let Some(user) = m.get_one::<String>("username") {
        let password = if m.get_flag("password-stdin") {
            read_stdin_line("password")?
        } else {
            env(PASSWORD_ENV).ok_or(format!(
                "--username needs --password-stdin or ${PASSWORD_ENV}"
            ))?
        };
        return Ok(RegistryAuth::Basic(user.clone(), password));
    }
    Ok(env(TOKEN_ENV).map_or(RegistryAuth::Anonymous, RegistryAuth::Bearer))
}

fn read_module(m: &ArgMatches) -> Result<Vec<u8>, String> {
    let path = m.get_one::<String>("wasm").expect("required");
    std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))
}

fn variant(m: &ArgMatches) -> Result<Variant, String> {
    Variant::parse(m.get_one::<String>("variant").expect("defaulted"))
}

/// One current-thread runtime with an overall deadline, so a silent registry cannot hang us.
fn run_remote<T>(
    m: &ArgMatches,
    f: impl AsyncFnOnce(registry::Target) -> Result<T, String>,
) -> Result<T, String> {
    let seconds = *m.get_one::<u64>("timeout").expect("defaulted");
    let timeout = Duration::from_secs(seconds);
    let image = m.get_one::<String>("image").expect("required");
    let target = registry::Target::new(image, auth(m)?, m.get_flag("plain-http"), timeout)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async {
        tokio::time::timeout(timeout, f(target))
            .await
            .unwrap_or_else(|_| Err(format!("gave up on {image} after {seconds} s (--timeout)")))
    })
}

fn cmd_build(m: &ArgMatches) -> Result<(), String> {
    let v = variant(m)?;
    let img = image::build(&read_module(m)?, v)?;
    let tag = m
        .get_one::<String>("tag")
        .cloned()
        .unwrap_or_else(|| m.get_one::<String>("variant").unwrap().clone());
    let out = m.get_one::<String>("out").expect("required");
    layout::write(Path::new(out), &img, &tag)?;
    eprintln!("wrote {out} ({tag}, {} bytes manifest)", img.manifest.len());
    println!("{}", img.digest);
    Ok(())
}

fn cmd_push(m: &ArgMatches) -> Result<(), String> {
    let img: Image = match m.get_one::<String>("layout") {
        Some(dir) => layout::read(
            Path::new(dir),
            m.get_one::<String>("layout-tag").map(String::as_str),
        )?,
        None => image::build(&read_module(m)?, variant(m)?)?,
    };
    let digest = run_remote(m, async |t| t.push(&img).await)?;
    if let Some(file) = m.get_one::<String>("digest-file") {
        std::fs::write(file, format!("{digest}\n"))
            .map_err(|e| format!("cannot write {file}: {e}"))?;
    }
    eprintln!("pushed {}@{digest}", m.get_one::<String>("image").unwrap());
    println!("{digest}");
    Ok(())
}

fn cmd_pull(m: &ArgMatches) -> Result<(), String> {
    let (report, module) = run_remote(m, async |t| t.pull().await)?;
    image::check_module(&module).map_err(|e| format!("pulled layer: {e}"))?;
    if let Some(out) = m.get_one::<String>("out") {
        std::fs::write(out, &module).map_err(|e| format!("cannot write {out}: {e}"))?;
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("report JSON")
    );
    Ok(())
}

fn cmd_render(m: &ArgMatches) -> Result<(), String> {
    let file = m.get_one::<String>("file").expect("required");
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let image = m.get_one::<String>("image").expect("required");
    print!(
        "{}",
        render::render(
            &text,
            image,
            m.get_one::<String>("digest").expect("required")
        )?
    );
    Ok(())
}

fn cmd_pin(m: &ArgMatches) -> Result<(), String> {
    let image = m.get_one::<String>("image").expect("required");
    let digest = m.get_one::<String>("digest").expect("required");
    println!("{}", render::pinned_url(image, digest)?);
    Ok(())
}

fn main() -> ExitCode {
    // reqwest is built without a default crypto provider; ring keeps the build free of cmake.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let m = cli().get_matches();
    let result = match m.subcommand() {
        Some(("build", s)) => cmd_build(s),
        Some(("push", s)) => cmd_push(s),
        Some(("pull", s)) => cmd_pull(s),
        Some(("pin", s)) => cmd_pin(s),
        Some(("render", s)) => cmd_render(s),
        _ => unreachable!("subcommand_required"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oci-push: error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_is_consistent() {
        super::cli().debug_assert();
    }
}
