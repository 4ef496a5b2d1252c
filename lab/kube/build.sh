#!/usr/bin/env bash
# Build the lab's Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kubectl)
# from their Go modules. Binaries are cached outside the repo, keyed by the pinned versions, and
# rebuilt only when a pin changes. Go only builds lab dependencies; the product is Python.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache_root=${C5C3_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/c5c3-lab}
bin_dir="$cache_root/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION/bin"
src_dir="$cache_root/src"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0

have_all() {
  for b in etcd kube-apiserver kube-controller-manager kubectl; do
    [ -x "$bin_dir/$b" ] || return 1
  done
}

if have_all; then
  echo "$bin_dir"
  exit 0
fi
mkdir -p "$bin_dir" "$src_dir"

build_etcd() {
  local d="$src_dir/etcd-$ETCD_VERSION"
  mkdir -p "$d" && cd "$d"
  [ -f go.mod ] || go mod init lab.local/etcd >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
  go build -trimpath -ldflags='-s -w' -o "$bin_dir/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$bin_dir/etcd.tmp" "$bin_dir/etcd"
}

build_kube() {
  local d="$src_dir/kubernetes-$KUBERNETES_VERSION"
  local staging_version="v0.${KUBERNETES_VERSION#v1.}"
  mkdir -p "$d" && cd "$d"
  if [ ! -f go.mod ]; then
    go mod init lab.local/kube >/dev/null 2>&1
    go mod edit -require="k8s.io/kubernetes@$KUBERNETES_VERSION"
    local kmod
    kmod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
    # k8s.io/kubernetes replaces its staging modules with local paths; a consumer pins each to v0.N.P.
    grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$kmod" | awk '{print $1}' | sort -u |
      while read -r m; do go mod edit -replace="$m=$m@$staging_version"; done
    cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
    go mod tidy >&2
  fi
  local ver_ldflags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"
  for cmd in kube-apiserver kube-controller-manager kubectl; do
    go build -trimpath -ldflags="-s -w $ver_ldflags" -o "$bin_dir/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
    mv "$bin_dir/$cmd.tmp" "$bin_dir/$cmd"
  done
}

[ -x "$bin_dir/etcd" ] || build_etcd
have_all || build_kube
echo "$bin_dir"
