#!/usr/bin/env bash
# Install the Debian packages the lab and the tests need. Idempotent: apt is only called when a
# package is missing, so a warm machine pays nothing. Services are never started by the packages
# (policy-rc.d); the lab starts its own processes on loopback.
set -euo pipefail

packages=(
  # build and runtime helpers
  openssl pkg-config gcc libc6-dev git rsync procps iproute2 psmisc curl
  # ansible-test sanity runs shellcheck on the shell scripts the collection ships
  shellcheck
  # infrastructure for the control plane
  mariadb-server mariadb-client memcached rabbitmq-server
  # OVN / OVS
  ovn-central ovn-host openvswitch-switch
  # libvirt + qemu (libvirt-dev lets pip build libvirt-python)
  libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 libvirt-clients
  # Ceph (mon/mgr/osd on a file) and its Python bindings
  ceph-mon ceph-mgr ceph-osd ceph-common python3-rados python3-rbd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages (${missing[*]}); run as root or install them first" >&2
  exit 1
fi
# Keep package maintainer scripts from starting system services: the lab runs its own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
