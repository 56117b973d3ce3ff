#!/usr/bin/env bash
# Builds the mailhook image and runs it end to end: api + watcher + worker containers against a Redis
# and a Dovecot, one message delivered as a verified webhook, then `docker stop` of each container
# must end in a clean exit (test/image.test.ts does the checks).
#
# Needs root and Debian apt. No image registry is needed: the base images are made from Debian
# packages (debootstrap) plus this machine's Node binary and CA bundle, and Debian's docker.io
# daemon runs with its own socket and data dir (vfs, no iptables, no bridge; host-network
# containers). Redis and Dovecot run on the host's loopback, started by the test harness.
#
#   infra/test-image.sh               build (cached base), run the end-to-end test
#   KEEP_DOCKERD=1 infra/test-image.sh  leave the daemon running afterwards
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
say() { printf '[test-image] %s\n' "$*" >&2; }

. infra/lib/docker.sh

# 4. The image itself.
build_mailhook_image

# 5. End to end (Redis, Dovecot and a receiver on the host; the services in containers).
PNPM=$(node scripts/setup.mjs | tail -n 1)
MAILHOOK_TEST_IMAGE=mailhook:test MAILHOOK_TEST_DOCKER=$DOCKER "$PNPM" exec vitest run test/image.test.ts
say "green in $(($(date +%s) - started)) s"
