#!/usr/bin/env bash
# Builds the real-engine toolchain from pinned Go modules into a cache directory keyed by the pins
# (every go.mod, go.sum and Go file under e2e/tools, and this script), outside the repository, so a
# second run is instant. Prints the bin directory on its last line.
#
#   pulumi                      CLI (pkg/v3)                  family "pulumi"
#   pulumi-resource-kubernetes  kubernetes provider           family "k8stools" (shares client-go v0.33
#   kwok                        fake nodes and pods             with kwok and the LWS controller)
#   lws-controller              LeaderWorkerSet controller
#   etcd, kube-apiserver,       control plane 1.30            family "controlplane"
#   kube-controller-manager, kube-scheduler
#
# Every pin is resolved (`go mod download`) before anything is built; builds are -trimpath, no cgo.
# Each family's cold build time and peak memory go to <cache>/build-times.tsv.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
key="$(cd "$here" && find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' -o -name build.sh \) -print0 \
        | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
cache_root="${TKE_LLM_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tke-llm/tools}"
out="$cache_root/$key"
bin="$out/bin"

if [[ -f "$out/.complete" ]]; then
  echo "$bin"
  exit 0
fi

export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local
mkdir -p "$bin" "$out/work"
times="$out/build-times.tsv"
printf 'family\tseconds\tpeak_rss_mib\n' > "$times"

log() { echo "tools: $*" >&2; }

# Resolve every pin first: a version the proxy does not serve fails here, before any build.
for family in pulumi k8stools controlplane; do
  log "go mod download ($family)"
  (cd "$here/$family" && go mod download)
done

# measure FAMILY CMD...: run a build, recording its wall time and peak resident memory.
measure() {
  local family="$1"; shift
  local start end rss
  start=$(date +%s)
  /usr/bin/time -f '%M' -o "$out/work/$family.rss" "$@" >&2
  end=$(date +%s)
  rss=$(( $(tail -n1 "$out/work/$family.rss") / 1024 ))
  printf '%s\t%s\t%s\n' "$family" "$((end - start))" "$rss" >> "$times"
  log "$family built in $((end - start)) s, peak ${rss} MiB"
}

# --- Pulumi CLI ---------------------------------------------------------------------------------
pulumi_version="$(cd "$here/pulumi" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
(cd "$here/pulumi" && measure pulumi go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
  -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)

# The dynamic-provider plugin the CLI distribution ships beside the language hosts: it runs the
# Python SDK's own provider host (python -m pulumi.dynamic) with the program's interpreter.
cat > "$bin/pulumi-resource-pulumi-python" <<'EOF'
#!/bin/sh
exec "${PULUMI_PYTHON_CMD:-python3}" -u -m pulumi.dynamic "$@"
EOF
chmod +x "$bin/pulumi-resource-pulumi-python"

# --- kubernetes provider, kwok, LWS controller ------------------------------------------------
# The provider's main embeds schema-embed.json and terraform-mapping-embed.json, which its own
# `go generate` step (cmd/pulumi-resource-kubernetes/generate.go) writes from the committed schema.json
# with the version set. The module cache is read-only: build from a writable copy of the module,
# swapped in with a replace line in a copy of the wrapper module (its go.sum still pins every dependency).
provider_mod=github.com/pulumi/pulumi-kubernetes/provider/v4
provider_dir="$(cd "$here/k8stools" && go list -m -f '{{.Dir}}' "$provider_mod")"
provider_pseudo="$(cd "$here/k8stools" && go list -m -f '{{.Version}}' "$provider_mod")"
provider_commit="${provider_pseudo##*-}"
# The pseudo-version's commit lies between releases 4.24.0 and 4.25.0: report it as a 4.25.0 pre-release.
provider_version="4.25.0-dev.${provider_commit}"
rm -rf "$out/work/provider" "$out/work/k8stools"
cp -r "$provider_dir" "$out/work/provider"
chmod -R u+w "$out/work/provider"
python3 - "$out/work/provider/cmd/pulumi-resource-kubernetes" "$provider_version" <<'EOF'
import json, sys, pathlib
d, version = pathlib.Path(sys.argv[1]), sys.argv[2]
schema = json.loads((d / "schema.json").read_text())
schema["version"] = version  # generate.go: packageSpec.Version = VERSION
(d / "schema-embed.json").write_text(json.dumps(schema, separators=(",", ":")))
mapping = json.loads((d / "terraform-mapping.json").read_text())
(d / "terraform-mapping-embed.json").write_text(json.dumps(mapping, separators=(",", ":")))
EOF
cp -r "$here/k8stools" "$out/work/k8stools"
chmod -R u+w "$out/work/k8stools"
(cd "$out/work/k8stools" \
  && go mod edit -replace "$provider_mod=$out/work/provider" \
  && measure k8stools go build -trimpath \
     -ldflags "-s -w -X $provider_mod/pkg/version.Version=$provider_version" \
     -o "$out/work/k8sbin/" \
     "$provider_mod/cmd/pulumi-resource-kubernetes" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/lws/cmd)
mv "$out/work/k8sbin/pulumi-resource-kubernetes" "$out/work/k8sbin/kwok" "$bin/"
mv "$out/work/k8sbin/cmd" "$bin/lws-controller"
# The LWS CRD and webhook configurations (with the kustomize patches that limit the pod webhooks to LWS pods).
lws_dir="$(cd "$here/k8stools" && go list -m -f '{{.Dir}}' sigs.k8s.io/lws)"
mkdir -p "$out/lws"
cp "$lws_dir/config/crd/bases/leaderworkerset.x-k8s.io_leaderworkersets.yaml" "$lws_dir/config/webhook/manifests.yaml" \
   "$lws_dir/config/webhook/mutating-patch.yaml" "$lws_dir/config/webhook/validating-patch.yaml" "$out/lws/"
chmod -R u+w "$out/lws"
# kwok's Stage CRD and its default stages (what `kwok` uses when no stage is configured: node-initialize,
# node-heartbeat-with-lease, pod-ready, pod-complete, pod-delete), so stages can also be added at run time.
kwok_dir="$(cd "$here/k8stools" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
mkdir -p "$out/kwok/crd" "$out/kwok/stages"
cp "$kwok_dir/kustomize/crd/bases/kwok.x-k8s.io_stages.yaml" "$out/kwok/crd/"
cp "$kwok_dir/kustomize/stage/node/fast/node-initialize.yaml" \
   "$kwok_dir/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
   "$kwok_dir"/kustomize/stage/pod/fast/pod-{ready,complete,delete}.yaml "$out/kwok/stages/"
chmod -R u+w "$out/kwok"

# --- control plane ------------------------------------------------------------------------------
k8s_version="$(cd "$here/controlplane" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
k8s_minor="$(echo "$k8s_version" | cut -d. -f2)"
vpkgs="k8s.io/component-base/version k8s.io/client-go/pkg/version"
ldflags="-s -w"
for p in $vpkgs; do
  ldflags+=" -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor"
  ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
(cd "$here/controlplane" && measure controlplane go build -trimpath -ldflags "$ldflags" -o "$bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler ./etcd)

rm -rf "$out/work"
touch "$out/.complete"
log "toolchain ready in $bin"
echo "$bin"
