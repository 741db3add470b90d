#!/usr/bin/env bash
# Builds KEDA's operator and admission webhooks (github.com/kedacore/keda/v2, pinned in go.mod beside
# this script) into a cache directory keyed by go.mod, go.sum and this script, outside the repository,
# so a second run is instant. Prints the cache directory on its last line: bin/keda-operator,
# bin/keda-webhooks, crds/ (the CRDs of the same release, which the operator needs installed) and
# webhooks.yaml (its ValidatingWebhookConfiguration).
#
# v2.17.2: the release the stack installs on Kubernetes 1.30 (catalog/images.py KEDA_CHART_BY_MINOR), the
# local control plane's version, and one KEDA supports there (1.30-1.32, pkg/util/welcome.go). Its own
# module, not a family of e2e/tools: it pins client-go v0.31.7 (replace lines copied into go.mod), where
# the toolchain's families use v0.30 and v0.33. Cold: figures in docs/testing.md; `make keda`, and
# .ci/run starts it at low priority beside the rest. A lock makes a second caller wait for the first build.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
key="$(cd "$here" && sha256sum go.mod go.sum build.sh | sha256sum | cut -c1-16)"
cache_root="${TKE_LLM_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tke-llm/tools}"
out="$cache_root/keda-$key"

mkdir -p "$cache_root"
exec 9>"$cache_root/keda-$key.lock"
flock 9

if [[ -f "$out/.complete" ]]; then
  echo "$out"
  exit 0
fi

export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local
rm -rf "$out"
mkdir -p "$out/bin" "$out/crds"
log() { echo "keda: $*" >&2; }

cd "$here"
log "go mod download"
go mod download
version="$(go list -m -f '{{.Version}}' github.com/kedacore/keda/v2)"
moddir="$(go list -m -f '{{.Dir}}' github.com/kedacore/keda/v2)"
start=$(date +%s)
# One go build for both: they share every scaler package, compiled once.
go build -trimpath -ldflags "-s -w -X github.com/kedacore/keda/v2/version.Version=$version" \
  -o "$out/bin/" github.com/kedacore/keda/v2/cmd/operator github.com/kedacore/keda/v2/cmd/webhooks
mv "$out/bin/operator" "$out/bin/keda-operator"
mv "$out/bin/webhooks" "$out/bin/keda-webhooks"
cp "$moddir"/config/crd/bases/*.yaml "$out/crds/"
cp "$moddir"/config/webhooks/validation_webhooks.yaml "$out/webhooks.yaml"
chmod -R u+w "$out/crds" "$out/webhooks.yaml"
printf 'keda\t%s\t%s\n' "$version" "$(( $(date +%s) - start ))" > "$out/build-time.tsv"
log "KEDA $version built in $(( $(date +%s) - start )) s"
touch "$out/.complete"
echo "$out"
