#!/usr/bin/env bash
# Builds one release archive: scripts/release-build.sh TARGET [VERSION]
#   dist/alertform-VERSION-TARGET.tar.gz   the binary, README, LICENSE if any
#   dist/alertform-VERSION-TARGET.tar.gz.sha256
#   dist/alertform                         the binary itself (the Dockerfile copies it)
# musl targets need musl-gcc (Debian: musl-tools) for the bundled SQLite and ring.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1
version=${2:-dev}
if [[ $target == *musl* ]]; then
  arch=${target%%-*}
  export "CC_${target//-/_}=${MUSL_CC:-musl-gcc}"
  if [[ $arch == aarch64 && $(uname -m) != aarch64 ]]; then
    echo "cross-building aarch64 musl needs an aarch64 musl C compiler; build on an arm64 runner" >&2
    exit 1
  fi
fi
cargo build --release --locked --target "$target"
bin=target/$target/release/alertform
# The binary runs: its version, and a config check without any service.
"$bin" --version
"$bin" validate examples/quickstart
if [[ $target == *linux* ]] && command -v file >/dev/null; then
  file "$bin" | tee /dev/stderr | grep -q "static" || { echo "not statically linked" >&2; exit 1; }
fi
mkdir -p dist
name=alertform-$version-$target
cp "$bin" dist/alertform
tar -czf "dist/$name.tar.gz" -C dist alertform -C .. README.md
if command -v sha256sum >/dev/null; then sum=sha256sum; else sum="shasum -a 256"; fi
(cd dist && $sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "dist/$name.tar.gz"
