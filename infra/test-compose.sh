#!/usr/bin/env bash
# Runs infra/compose.yaml as written with Debian's docker-compose (1.29) against the daemon of
# infra/test-image.sh: Redis, the api, two watchers and two workers on compose's own network, until
# every mailhook container reports healthy and the api answers on 127.0.0.1:8787; then
# `docker-compose down` must stop each of them with exit code 0.
#
# Needs root and Debian apt, like test-image.sh, whose image it runs (mailhook:test, built when
# missing; REBUILD=1 builds it anew). No registry: the Redis image is the same Debian base with
# Debian's redis-server (REDIS_IMAGE in compose.yaml). compose.yaml is copied verbatim into a temp
# dir with a minimal mailhook.yaml beside it, so the checkout's own mailhook.yaml is never touched.
#
#   infra/test-compose.sh                    HEALTHY_WITHIN=300 to wait longer than 180 s
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
say() { printf '[test-compose] %s\n' "$*" >&2; }

command -v docker-compose >/dev/null || EXTRA_APT_PACKAGES=docker-compose
. infra/lib/docker.sh

if [ -n "${REBUILD:-}" ] || ! $DOCKER image inspect mailhook:test >/dev/null 2>&1; then
  build_mailhook_image
fi
# compose.yaml names the image `mailhook` (and would build it from the checkout without one).
$DOCKER tag mailhook:test mailhook

REDIS_IMAGE=mailhook-redis:${RUNTIME_BASE#*:}
if ! $DOCKER image inspect "$REDIS_IMAGE" >/dev/null 2>&1; then
  say "making $REDIS_IMAGE ($RUNTIME_BASE + Debian's redis-server)"
  ctx=$(mktemp -d)
  printf 'FROM %s\nRUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null && rm -rf /var/lib/apt/lists/*\n' \
    "$RUNTIME_BASE" >"$ctx/Dockerfile"
  $DOCKER build -q --network host -t "$REDIS_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
fi

work=$(mktemp -d)
mkdir "$work/infra"
cp infra/compose.yaml "$work/infra/compose.yaml"
printf 'version: 1\nmailboxes: []\nendpoints: []\nrules: []\n' >"$work/mailhook.yaml"
chmod 0755 "$work"
chmod 0644 "$work/mailhook.yaml"
export REDIS_IMAGE
MAILHOOK_ENCRYPTION_KEYS="k1:$(head -c 32 /dev/urandom | base64)"
export MAILHOOK_ENCRYPTION_KEYS
compose=(docker-compose -p mailhook-compose-test -f "$work/infra/compose.yaml")
down() {
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$work"
  cleanup
}
trap down EXIT

say "docker-compose up (redis, api, 2 watchers, 2 workers)"
up_started=$(date +%s)
"${compose[@]}" up -d --no-build >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; exit 1; }
ids=$("${compose[@]}" ps -q api watcher worker)
[ "$(wc -w <<<"$ids")" = 5 ] || { say "expected 5 mailhook containers, got: $ids"; exit 1; }
deadline=$(($(date +%s) + ${HEALTHY_WITHIN:-180}))
# shellcheck disable=SC2086 # five ids, split on purpose
while states=$($DOCKER inspect -f '{{.State.Health.Status}}' $ids | sort | uniq -c | xargs) &&
  [ "$states" != "5 healthy" ] && [ "$(date +%s)" -lt "$deadline" ]; do
  sleep 2
done
if [ "$states" != "5 healthy" ]; then
  say "not all healthy within ${HEALTHY_WITHIN:-180} s: $states"
  "${compose[@]}" ps >&2
  "${compose[@]}" logs --tail 20 >&2
  exit 1
fi
say "all 5 mailhook containers healthy $(($(date +%s) - up_started)) s after up"
code=$(node -e 'fetch("http://127.0.0.1:8787/healthz").then((r) => console.log(r.status), () => console.log(0))')
[ "$code" = 200 ] || { say "the api on 127.0.0.1:8787 answered $code"; exit 1; }
# Every service reached Redis by its compose name and took its role.
for svc in api watcher worker; do
  case $svc in api) want='"msg":"api listening"' ;; watcher) want='"msg":"watcher started"' ;; worker) want='"msg":"worker started"' ;; esac
  for id in $("${compose[@]}" ps -q "$svc"); do
    # Read whole, then searched: `docker logs | grep -q` fails under pipefail when grep exits at
    # the match and docker logs gets SIGPIPE writing the rest.
    logs=$($DOCKER logs "$id" 2>&1)
    grep -qF "$want" <<<"$logs" || {
      say "$svc $id never logged $want"
      tail -n 20 <<<"$logs" >&2
      exit 1
    }
  done
done

say "docker-compose stop"
"${compose[@]}" stop -t 30 >/dev/null 2>&1
for id in $ids; do
  exit_code=$($DOCKER inspect -f '{{.State.ExitCode}}' "$id")
  [ "$exit_code" = 0 ] || { say "container $id exited $exit_code"; $DOCKER logs --tail 20 "$id" >&2; exit 1; }
done
say "green in $(($(date +%s) - started)) s"
