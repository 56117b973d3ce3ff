# Sourced by infra/test-image.sh and infra/test-compose.sh: Debian's docker.io daemon on a socket of
# its own, and the base images made from Debian packages. Needs root and apt. Sets DOCKER (the
# client), DOCKER_HOST, RUNTIME_BASE and BUILD_BASE; stops the daemon it started on exit unless
# KEEP_DOCKERD is set. Expects `say` and the repository root as the working directory.
[ "$(id -u)" = 0 ] || { say "needs root (debootstrap, dockerd)"; exit 1; }
CACHE=${MAILHOOK_IMAGE_CACHE:-/var/cache/mailhook-image}
SOCK=/run/mailhook-docker.sock
export DOCKER_HOST=unix://$SOCK
mkdir -p "$CACHE"

# 1. Tools: Debian's docker.io (/usr/local/bin/docker may be a client without a daemon) + debootstrap.
missing=(${EXTRA_APT_PACKAGES:-})
{ command -v dockerd >/dev/null && [ -x /usr/bin/docker ]; } || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt-get)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
DOCKER=/usr/bin/docker

# 2. A daemon of our own unless one answers on our socket.
own_dockerd=""
if ! $DOCKER info >/dev/null 2>&1; then
  say "starting dockerd (vfs, no iptables, no bridge) on $SOCK"
  dockerd --storage-driver=vfs --iptables=false --bridge=none \
    --data-root /var/lib/mailhook-docker --exec-root /run/mailhook-docker \
    --host "$DOCKER_HOST" --pidfile /run/mailhook-docker.pid >"$CACHE/dockerd.log" 2>&1 &
  own_dockerd=$!
  for _ in $(seq 60); do $DOCKER info >/dev/null 2>&1 && break; sleep 0.5; done
  $DOCKER info >/dev/null 2>&1 || { say "dockerd did not start; see $CACHE/dockerd.log"; exit 1; }
fi
cleanup() {
  if [ -n "$own_dockerd" ] && [ -z "${KEEP_DOCKERD:-}" ]; then
    kill "$own_dockerd" 2>/dev/null || true
    wait "$own_dockerd" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# 3. Base images from Debian packages, cached by Node version.
NODE_BIN=$(readlink -f "$(command -v node)")
NODE_VERSION=$(node --version)
RUNTIME_BASE=mailhook-node:${NODE_VERSION#v}
BUILD_BASE=mailhook-node-build:${NODE_VERSION#v}
if ! $DOCKER image inspect "$RUNTIME_BASE" >/dev/null 2>&1; then
  rootfs="$CACHE/rootfs-bookworm"
  if [ ! -e "$rootfs/.complete" ]; then
    say "debootstrap bookworm (minbase) into $rootfs"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 ||
      { say "debootstrap failed; see $CACHE/debootstrap.log"; exit 1; }
    touch "$rootfs/.complete"
  fi
  say "importing $RUNTIME_BASE (Node $NODE_VERSION from $NODE_BIN)"
  work=$(mktemp -d)
  cp -a "$rootfs" "$work/root"
  rm -rf "$work/root"/{usr/share/doc,usr/share/man,usr/share/info,usr/share/locale,var/cache/apt,var/lib/apt/lists}/* "$work/root/.complete"
  install -m 0755 "$NODE_BIN" "$work/root/usr/local/bin/node"
  mkdir -p "$work/root/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$work/root/etc/ssl/certs/ca-certificates.crt"
  tar -C "$work/root" -c . | $DOCKER import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin' \
    --change 'CMD ["node"]' - "$RUNTIME_BASE" >/dev/null
  rm -rf "$work"
fi
if ! $DOCKER image inspect "$BUILD_BASE" >/dev/null 2>&1; then
  say "making $BUILD_BASE ($RUNTIME_BASE + npm)"
  npm_dir=$(dirname "$(readlink -f "$(command -v npm)")")/..
  ctx=$(mktemp -d)
  cp -a "$(readlink -f "$npm_dir")" "$ctx/npm"
  # The machine's CA bundle for npm in the build stage only (infra/Dockerfile clears it at run time).
  printf 'FROM %s\nENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt\nCOPY npm /usr/local/lib/node_modules/npm\nRUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx\n' \
    "$RUNTIME_BASE" >"$ctx/Dockerfile"
  $DOCKER build -q -t "$BUILD_BASE" "$ctx" >/dev/null
  rm -rf "$ctx"
fi


# 4. The image (the build stage reaches the npm registry through the host network), tagged
# mailhook:test, at most 250 MB.
build_mailhook_image() {
  say "building mailhook:test (infra/Dockerfile)"
  local build_started size
  build_started=$(date +%s)
  $DOCKER build -q --network host -f infra/Dockerfile \
    --build-arg "BUILD_BASE=$BUILD_BASE" --build-arg "RUNTIME_BASE=$RUNTIME_BASE" \
    -t mailhook:test . >/dev/null
  size=$($DOCKER image inspect -f '{{.Size}}' mailhook:test)
  say "image built in $(($(date +%s) - build_started)) s: $((size / 1000000)) MB"
  [ "$size" -le 250000000 ] || { say "image is larger than 250 MB"; exit 1; }
}
