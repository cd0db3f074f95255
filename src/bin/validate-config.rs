//! `validate-config FILE|-`: checks a plugin configuration exactly as the filter's
//! `on_configure` does, so charts and CI can refuse a bad config before deploying it.

use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: validate-config FILE   (use - for standard input)");
        return ExitCode::from(2);
    };
    let mut bytes = Vec::new();
    let read = if path == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(path).map(|b| bytes = b)
    };
    if let Err(e) = read {
        eprintln!("cannot read {path}: {e}");
        return ExitCode::from(2);
    }
    match jwt_authn_wasm::config::parse(&bytes) {
        Ok(cfg) => {
            println!(
                "valid config: {} provider(s), {} rule(s)",
                cfg.providers.len(),
                cfg.rules.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("invalid config: {e}");
            ExitCode::FAILURE
        }
    }
}
