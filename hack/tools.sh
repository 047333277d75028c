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

# name -> version; keep in sync with internal/testenv/versions.go.
declare -A VERSION=(
  [etcd]=v3.6.16
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
  [staticcheck]=v0.8.2
)

dir_of() { echo "$CACHE/$1-${VERSION[$1]}"; }

build() { # build NAME OUTDIR
  local name=$1 out=$2 v=${VERSION[$1]}
  export CGO_ENABLED=0
  case $name in
    etcd)
      (cd "$HACK_DIR/tools/etcd" && go build -trimpath -o "$out/etcd" .) ;;
    kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kube-proxy)
      # One wrapper module (hack/tools/kube-apiserver) pins k8s.io/kubernetes
      # for the control plane and the node components alike.
      local ld="" minor=${v#v1.}; minor=${minor%%.*}
      for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
      done
      (cd "$HACK_DIR/tools/kube-apiserver" && go build -trimpath -ldflags "-s -w $ld" -o "$out/$name" "k8s.io/kubernetes/cmd/$name") ;;
    velero)
      (cd "$HACK_DIR/tools/velero" && go build -trimpath -ldflags "-s -w -X github.com/vmware-tanzu/velero/pkg/buildinfo.Version=$v" -o "$out/velero" github.com/vmware-tanzu/velero/cmd/velero) ;;
    velero-restore-helper)
      # The File System Restore init container's binary, for the test-only Velero image.
      (cd "$HACK_DIR/tools/velero" && go build -trimpath -ldflags "-s -w" -o "$out/$name" github.com/vmware-tanzu/velero/cmd/velero-restore-helper) ;;
    *)
      local pkg
      case $name in
        versitygw) pkg=github.com/versity/versitygw/cmd/versitygw ;;
        helm) pkg=helm.sh/helm/v3/cmd/helm ;;
        kustomize) pkg=sigs.k8s.io/kustomize/kustomize/v5 ;;
        kubeconform) pkg=github.com/yannh/kubeconform/cmd/kubeconform ;;
        controller-gen) pkg=sigs.k8s.io/controller-tools/cmd/controller-gen ;;
        velero-plugin-for-aws) pkg=github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws ;;
        staticcheck) pkg=honnef.co/go/tools/cmd/staticcheck ;;
        *) echo "tools.sh: unknown tool $name" >&2; return 1 ;;
      esac
      GOBIN="$out" go install -trimpath -ldflags "-s -w" "$pkg@$v" ;;
  esac
}

install_one() {
  local name=$1
  [[ -n ${VERSION[$name]:-} ]] || { echo "tools.sh: unknown tool $name (known: ${!VERSION[*]})" >&2; return 1; }
  local dest; dest=$(dir_of "$name")
  if [[ -x $dest/$name ]]; then return 0; fi
  mkdir -p "$CACHE"
  local tmp; tmp=$(mktemp -d "$CACHE/.build-$name-XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  local start=$SECONDS
  echo "tools.sh: building $name ${VERSION[$name]} into $dest" >&2
  build "$name" "$tmp"
  [[ -x $tmp/$name ]] || { echo "tools.sh: $name build produced no binary" >&2; return 1; }
  rm -rf "$dest" && mv "$tmp" "$dest"
  echo "tools.sh: built $name in $((SECONDS - start))s" >&2
}

case ${1:-} in
  install) shift; for n in "$@"; do install_one "$n"; done ;;
  path) echo "$(dir_of "$2")/$2" ;;
  dir) dir_of "$2" ;;
  list) for n in "${!VERSION[@]}"; do echo "$n ${VERSION[$n]}"; done | sort ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
