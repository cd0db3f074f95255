"""wasmplugin/build.Dockerfile, the walk-through's way to build and push the module with only Docker.

No Docker engine here: the Dockerfile is checked against what it mirrors (tests/tools/setup.sh's
toolchain, the Makefile's recipe, the layout paths), and the walk-through's in-cluster push runs
for real, with the same oci-push and the layout the image's `make image` writes, against a real
registry on loopback."""
import fnmatch
import hashlib
import re
import shlex
import subprocess

from oci.registry import Registry
from support.paths import REPO

DOCKERFILE = REPO / "wasmplugin" / "build.Dockerfile"
IGNORE = REPO / "wasmplugin" / "build.Dockerfile.dockerignore"
WALKTHROUGH = (REPO / "chart" / "README.md").read_text()


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


def test_images_are_pinned_and_one_debian_release():
    froms = [args for word, args in instructions() if word == "FROM"]
    assert len(froms) == 2, froms
    build, final = froms
    m = re.fullmatch(r"docker\.io/library/rust:(\d+\.\d+\.\d+)-(\w+) AS build", build)
    assert m, build
    # oci-push is linked against the build stage's glibc: the final stage is the same Debian.
    assert final == f"docker.io/library/debian:{m.group(2)}-slim"
    # The Debian this project's toolchain comes from (setup.sh installs clang-14, binaryen 108: bookworm).
    assert m.group(2) == "bookworm"


def test_build_stage_installs_the_toolchain_setup_installs():
    run = " ".join(args for word, args in instructions() if word == "RUN")
    setup = (REPO / "tests" / "tools" / "setup.sh").read_text()
    config = (REPO / ".cargo" / "config.toml").read_text()
    # The C compiler and archiver ring's build uses for wasm32, and binaryen for wasm-metadce/wasm-opt.
    cc = re.search(r'CC_wasm32_wasip1 = "(clang-\d+)"', config).group(1)
    ar = re.search(r'AR_wasm32_wasip1 = "llvm-ar-(\d+)"', config).group(1)
    for package in (cc, f"lld-{cc.split('-')[1]}", f"llvm-{ar}", "binaryen"):
        assert f":{package}" in setup, package
        assert re.search(rf"apt-get install [^&]*\b{re.escape(package)}\b", run), package
    target = re.search(r"^WASM_TARGET := (\S+)", (REPO / "Makefile").read_text(), re.M).group(1)
    assert f"rustup target add {target}" in run


def test_build_runs_makes_recipe_without_setup():
    runs = [args for word, args in instructions() if word == "RUN"]
    assert runs[-1] == "make -o setup image"
    dry = subprocess.run(["make", "-n", "-o", "setup", "image"], cwd=REPO, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert "setup.sh" not in dry and "apt-get" not in dry
    assert "cargo build --release --target wasm32-wasip1 --lib -p jwt-authn-wasm" in dry
    assert "cargo build -p oci-push" in dry
    assert "oci-push build --wasm build/jwt_authn_wasm.wasm --variant wasm --out build/image/wasm" in dry
    # What the final stage takes is what that recipe writes, under WORKDIR.
    workdir = next(args for word, args in instructions() if word == "WORKDIR")
    copies = [args for word, args in instructions() if word == "COPY" and args.startswith("--from=build")]
    assert copies == [f"--from=build {workdir}/target/debug/oci-push /usr/local/bin/oci-push",
                      f"--from=build {workdir}/build/image /image"]
    assert ("ENTRYPOINT", '["oci-push"]') in instructions()


def _ignored(path: str, patterns: list[str]) -> bool:
    parts = path.split("/")
    for p in patterns:
        if p.startswith("**/"):
            if p[3:] in parts:
                return True
        elif path == p or path.startswith(p + "/") or fnmatch.fnmatch(path, p):
            return True
    return False


def test_context_keeps_the_sources_and_drops_local_builds():
    patterns = [line.strip() for line in IGNORE.read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for local in ("target", "build", ".venv", ".tools", ".git"):
        assert _ignored(local, patterns), local
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    needed = [f for f in tracked.splitlines() if f.startswith(("src/", "wasmplugin/", ".cargo/", "tests/"))
              or f in ("Cargo.toml", "Cargo.lock", "Makefile")]
    assert needed and not [f for f in needed if _ignored(f, patterns)]


def _walkthrough_push() -> tuple[list[str], str]:
    """The oci-push arguments of the walk-through's `kubectl run`, and the image its DIGEST line reads."""
    push = next(line for line in WALKTHROUGH.splitlines() if line.startswith("kubectl -n registry run "))
    digest = next(line for line in WALKTHROUGH.splitlines() if line.startswith("DIGEST=$(docker run"))
    return shlex.split(push.split(" -- ", 1)[1]), re.search(r" (/image/\S+)\)", digest).group(1)


def test_walkthrough_push_from_the_built_layout_serves_the_digest_it_reads(tmp_path, oci_push, module):
    # The layouts as `make image` writes them in the container: /image is the build's build/image.
    image_dir = tmp_path / "image"
    dry = subprocess.run(["make", "-n", "-o", "setup", "-o", "wasm", "-o", "oci-push", "image",
                          f"IMAGE_DIR={image_dir}", f"WASM={module}", f"OCI_PUSH={oci_push}"],
                         cwd=REPO, capture_output=True, text=True, timeout=60, check=True).stdout
    for line in dry.splitlines():
        if line.startswith(f"rm -rf {image_dir} ") or " build --wasm " in line:
            subprocess.run(["bash", "-c", line], cwd=REPO, check=True, timeout=60)
    args, digest_path = _walkthrough_push()
    local = {"/image": str(image_dir)}
    (tmp_path / "registry").mkdir()
    registry = Registry(tmp_path / "registry")
    try:
        registry.start()
        in_cluster = args[args.index("--image") + 1]
        host, _, ref = in_cluster.partition("/")
        assert host == "registry.registry.svc.cluster.local:5000"
        run = [a.replace("/image", local["/image"], 1) if a.startswith("/image") else a for a in args]
        run[run.index("--image") + 1] = f"{registry.host}/{ref}"
        pushed = subprocess.run([str(oci_push), *run], capture_output=True, text=True, timeout=120)
        assert pushed.returncode == 0, pushed.stderr
        expected = (image_dir / digest_path.removeprefix("/image/")).read_text().strip()
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", expected)
        assert expected in pushed.stdout
        repo, _, tag = ref.partition(":")
        by_digest = registry.manifest(repo, expected)
        assert by_digest.status_code == 200
        assert "sha256:" + hashlib.sha256(by_digest.content).hexdigest() == expected
        assert registry.manifest(repo, tag).content == by_digest.content
    finally:
        registry.stop()
