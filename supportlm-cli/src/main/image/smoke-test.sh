#!/usr/bin/env bash
# Runs the image tarball without Docker, to check what it holds: unpacks its layers in order into
# a root file system, then starts the image's entrypoint as its user (65532) with its environment,
# in new PID and mount namespaces with /proc mounted (what a container runtime provides; without
# network isolation, so the server is reached on the host's loopback), serving a tiny random llama,
# and calls /healthz, /v1/models and /v1/completions. Needs root (unshare, chroot) and curl.
# Usage: smoke-test.sh IMAGE_TAR [PORT]
set -euo pipefail
image="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; port="${2:-18080}"
work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then
    # unshare ignores SIGTERM while it waits: stop the server itself (a graceful drain), then unshare exits
    kill -TERM $(ps -o pid= --ppid "$server") 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$server" 2>/dev/null || break; sleep 1; done
    kill -KILL "$server" 2>/dev/null || true # --kill-child takes the server with it
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/image" "$work/root"
tar -xf "$image" -C "$work/image"
layers="$(grep -o '[0-9a-f]\{64\}\.tar\.gz' "$work/image/manifest.json")"
for layer in $layers; do
  tar -xzf "$work/image/$layer" -C "$work/root" 2>/dev/null
done
config="$(tr -d '\n' < "$work/image/config.json")"
entrypoint="$(sed -e 's/.*"Entrypoint":\[\([^]]*\)\].*/\1/' <<<"$config" | tr -d '"' | tr ',' ' ')"
user="$(sed -e 's/.*"User":"\([^"]*\)".*/\1/' <<<"$config")"
workdir="$(sed -e 's/.*"WorkingDir":"\([^"]*\)".*/\1/' <<<"$config")"
mapfile -t env < <(sed -e 's/.*"Env":\[\([^]]*\)\].*/\1/' <<<"$config" | tr ',' '\n' | tr -d '"')
echo "layers: $(wc -w <<<"$layers"), entrypoint: $entrypoint, user: $user, working directory: $workdir, env: ${env[*]}"

# The image has no shell: run the entrypoint directly (from / rather than the image's working
# directory, which only matters for relative paths; none are used here).
mkdir -p "$work/root/proc"
unshare="$(command -v unshare)"; chroot="$(command -v chroot)"
run() { # the image's environment only: its PATH finds its java
  env -i "${env[@]}" "$unshare" --fork --kill-child --pid --mount --mount-proc="$work/root/proc" \
    "$chroot" --userspec="$user" "$work/root" $entrypoint "$@"
}
start() { # as run, in the background; $server is unshare's pid (env execs it), and its child dies with it
  env -i "${env[@]}" "$unshare" --fork --kill-child --pid --mount --mount-proc="$work/root/proc" \
    "$chroot" --userspec="$user" "$work/root" $entrypoint "$@" > "$work/serve.log" 2>&1 &
  server=$!
}
# A tiny model, written by the image itself into its /tmp (writable by its user).
run model init --arch llama --out /tmp/tiny-llama --seed 3 >/dev/null
start serve --model /tmp/tiny-llama --name tiny --host 127.0.0.1 --port "$port"
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 1
done
curl -sf "http://127.0.0.1:$port/healthz"; echo
curl -sf "http://127.0.0.1:$port/v1/models"; echo
curl -sf "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
  -d '{"model": "tiny", "prompt": "Hello", "max_tokens": 8, "temperature": 0}'; echo
echo "smoke test passed: the image's own runtime served a model"
