# The filter and its OCI image built in a container: for machines without `make setup` (which needs
# Debian, root and apt), e.g. macOS or a Linux laptop without root. Only Docker is needed.
#   docker build -f wasmplugin/build.Dockerfile -t jwt-authn-wasm-build:local .
# The result holds the image layouts `make image` writes (/image/wasm, /image/compat) with their
# manifest digests (/image/wasm.digest, ...), and oci-push as its entrypoint to push them:
#   docker run --rm --network host jwt-authn-wasm-build:local push --layout /image/wasm --image HOST/jwt-authn-wasm:TAG
# or, as chart/README.md does for kind, from inside the cluster after `kind load docker-image`.
# The same toolchain as tests/tools/setup.sh on Debian 12 (bookworm): its Rust, clang/lld 14 for
# ring's C parts (.cargo/config.toml), binaryen for wasm-metadce and wasm-opt.
FROM docker.io/library/rust:1.95.0-bookworm AS build
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends clang-14 lld-14 llvm-14 binaryen \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add wasm32-wasip1
WORKDIR /src
COPY . .
# make's own recipe for the module and the layouts; -o setup takes `setup` (tests/tools/setup.sh,
# which also installs the tests' tools) as done: the lines above are its build part.
RUN make -o setup image

FROM docker.io/library/debian:bookworm-slim
COPY --from=build /src/target/debug/oci-push /usr/local/bin/oci-push
COPY --from=build /src/build/image /image
ENTRYPOINT ["oci-push"]
