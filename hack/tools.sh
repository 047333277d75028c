#!/usr/bin/env bash
# tools.sh installs the pinned binaries clusterbackup's tests need, built from Go
# modules (no downloaded binaries), into a cache keyed by name and version:
#
#   ${CLUSTERBACKUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterbackup}/<name>-<version>/<name>
#
# Each build goes to a temporary directory that is renamed into place only when it
# succeeded, so a failed or interrupted build is never cached.
#
# Usage: hack/tools.sh install NAME...   build NAME unless cached
#        hack/tools.sh path NAME          print the cached binary's path
#        hack/tools.sh list               print every known NAME and version
set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${CLUSTERBACKUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterbackup}

# name -> version: the versions hack/tools/go.mod and hack/tools/velero/go.mod
# require; internal/testenv/tools.go holds the same table (TestToolVersions
# compares the three).
declare -A VERSION=(
  [etcd]=v3.7.0
  [kube-apiserver]=v1.37.2
  [kube-controller-manager]=v1.37.2
  [kube-scheduler]=v1.37.2
  [kubelet]=v1.37.2
  [kube-proxy]=v1.37.2
  [versitygw]=v1.8.0
  [helm]=v3.22.0
  [kustomize]=v5.8.2
  [kubeconform]=v0.8.0
  [controller-gen]=v0.23.0
  [velero]=v1.18.3
  [velero-restore-helper]=v1.18.3
  [velero-plugin-for-aws]=v1.14.3
  [golangci-lint]=v2.15.0
  [kube-router-netpol]=v2.1.0
)

dir_of() { echo "$CACHE/$1-${VERSION[$1]}"; }

# Each tool is a main package of one of two module graphs:
#   hack/tools         requires the project itself (replace ../..), so every
#                      package the tools share with the tests (k8s.io/*, the
#                      AWS SDK, helm, grpc, ...) is selected at the same version;
#                      hack/tools/kube-router-netpol (kube-router's NetworkPolicy
#                      controller alone, the node harness's enforcer) too;
#   hack/tools/velero  Velero, its restore helper and AWS plugin (Kubernetes 0.33);
#   hack/tools/golangci-lint  golangci-lint alone (its linters' dependencies
#                      must not move the versions the others share).
# Tools and tests build with the same flags (CGO_ENABLED=0 -trimpath
# -gcflags=all=-dwarf=false, exported
# by the Makefile too), so a package they share compiles once into GOCACHE.
pkg_of() {
  case $1 in
    etcd) echo ./etcd ;;
    kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kube-proxy) echo "k8s.io/kubernetes/cmd/$1" ;;
    versitygw) echo github.com/versity/versitygw/cmd/versitygw ;;
    helm) echo helm.sh/helm/v3/cmd/helm ;;
    kustomize) echo sigs.k8s.io/kustomize/kustomize/v5 ;;
    kubeconform) echo github.com/yannh/kubeconform/cmd/kubeconform ;;
    controller-gen) echo sigs.k8s.io/controller-tools/cmd/controller-gen ;;
    golangci-lint) echo github.com/golangci/golangci-lint/v2/cmd/golangci-lint ;;
    kube-router-netpol) echo ./kube-router-netpol ;;
    velero) echo github.com/vmware-tanzu/velero/cmd/velero ;;
    velero-restore-helper) echo github.com/vmware-tanzu/velero/cmd/velero-restore-helper ;;
    velero-plugin-for-aws) echo github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws ;;
    *) echo "tools.sh: unknown tool $1" >&2; return 1 ;;
  esac
}

# group_of NAME: the build group; one `go build` per group links its tools in parallel.
group_of() {
  case $1 in
    kube-*|kubelet) echo kube ;;
    velero*) echo velero ;;
    golangci-lint) echo golangci-lint ;;
    *) echo tools ;;
  esac
}

build_group() { # build_group GROUP OUTDIR NAME...
  local group=$1 out=$2; shift 2
  local pkgs=() n
  for n in "$@"; do pkgs+=("$(pkg_of "$n")"); done
  export CGO_ENABLED=0
  case $group in
    kube)
      # The control plane and node components report v1.37.2, not v0.0.0.
      local v=${VERSION[kube-apiserver]} ld="" minor
      minor=${v#v1.}; minor=${minor%%.*}
      for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
      done
      (cd "$HACK_DIR/tools" && go build -trimpath -gcflags=all=-dwarf=false -ldflags "-s -w $ld" -o "$out/" "${pkgs[@]}") ;;
    velero)
      (cd "$HACK_DIR/tools/velero" && go build -trimpath -gcflags=all=-dwarf=false \
        -ldflags "-s -w -X github.com/vmware-tanzu/velero/pkg/buildinfo.Version=${VERSION[velero]}" -o "$out/" "${pkgs[@]}") ;;
    tools)
      (cd "$HACK_DIR/tools" && go build -trimpath -gcflags=all=-dwarf=false -ldflags "-s -w" -o "$out/" "${pkgs[@]}") ;;
    golangci-lint)
      (cd "$HACK_DIR/tools/golangci-lint" && go build -trimpath -gcflags=all=-dwarf=false -ldflags "-s -w" -o "$out/" "${pkgs[@]}") ;;
  esac
}

# install NAME...: build every named tool that is not cached yet, one `go build`
# per group (kube first: the tools group shares most of its packages), into a
# temporary directory; each binary is renamed into its cache directory only
# when the whole group built, so a failed build is never cached. Building two
# groups at once was measured slower on 2 cores (docs/benchmarks.md).
install() {
  local n missing=() g
  for n in "$@"; do
    [[ -n ${VERSION[$n]:-} ]] || { echo "tools.sh: unknown tool $n (known: ${!VERSION[*]})" >&2; return 1; }
    [[ -x $(dir_of "$n")/$n ]] || missing+=("$n")
  done
  ((${#missing[@]})) || return 0
  mkdir -p "$CACHE"
  for g in kube tools velero golangci-lint; do
    install_group "$g" "${missing[@]}" || return 1
  done
}

# install_group GROUP NAME...: build the named tools of GROUP (others ignored).
install_group() {
  local g=$1 n names=(); shift
  for n in "$@"; do [[ $(group_of "$n") == "$g" ]] && names+=("$n"); done
  ((${#names[@]})) || return 0
  local tmp; tmp=$(mktemp -d "$CACHE/.build-$g-XXXXXX")
  local start=$SECONDS
  echo "tools.sh: building ${names[*]} into $CACHE" >&2
  if ! build_group "$g" "$tmp" "${names[@]}"; then rm -rf "$tmp"; echo "tools.sh: building ${names[*]} failed" >&2; return 1; fi
  for n in "${names[@]}"; do
    [[ -x $tmp/$n ]] || { echo "tools.sh: building $n produced no binary" >&2; rm -rf "$tmp"; return 1; }
    local dest; dest=$(dir_of "$n")
    rm -rf "$dest" "$dest.tmp" && mkdir -p "$dest.tmp" && mv "$tmp/$n" "$dest.tmp/$n" && mv "$dest.tmp" "$dest"
  done
  rm -rf "$tmp"
  echo "tools.sh: built ${names[*]} in $((SECONDS - start))s" >&2
}

case ${1:-} in
  install) shift; install "$@" ;;
  path) echo "$(dir_of "$2")/$2" ;;
  dir) dir_of "$2" ;;
  list) for n in "${!VERSION[@]}"; do echo "$n ${VERSION[$n]}"; done | sort ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
