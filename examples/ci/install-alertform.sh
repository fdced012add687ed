#!/usr/bin/env bash
# Installs a released alertform binary for this runner, checked against its published SHA-256:
#   install-alertform.sh VERSION [DIR]
# Environment: ALERTFORM_RELEASES, where releases are downloaded from (the project's GitHub
# releases: https://github.com/<owner>/alertform/releases/download); ALERTFORM_SHA256, to pin the
# archive's checksum as well (recommended: copy it from the release's SHA256SUMS).
# Without a release to download, `cargo install --locked --git <repository> alertform` builds it.
set -euo pipefail
version=${1:?usage: install-alertform.sh VERSION [DIR]}
dir=${2:-$HOME/.local/bin}
base=${ALERTFORM_RELEASES:?set ALERTFORM_RELEASES to the releases URL, e.g. https://github.com/OWNER/alertform/releases/download}
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) target=x86_64-unknown-linux-musl ;;
  Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-musl ;;
  Darwin-x86_64) target=x86_64-apple-darwin ;;
  Darwin-arm64) target=aarch64-apple-darwin ;;
  *) echo "no alertform release for $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac
# macOS has shasum rather than sha256sum.
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }
name=alertform-v${version#v}-$target.tar.gz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL "$base/v${version#v}/$name" -o "$tmp/$name"
curl -fsSL "$base/v${version#v}/$name.sha256" -o "$tmp/$name.sha256"
(cd "$tmp" && sha256 -c "$name.sha256" >&2)
if [ -n "${ALERTFORM_SHA256:-}" ]; then
  echo "${ALERTFORM_SHA256}  $tmp/$name" | sha256 -c - >&2
fi
mkdir -p "$dir"
tar -xzf "$tmp/$name" -C "$tmp" alertform
install -m 0755 "$tmp/alertform" "$dir/alertform"
"$dir/alertform" --version
