#!/usr/bin/env bash
# Set up (or bring up to date) the virtual environment in .venv from pyproject.toml.
#   --dev      also the test and lint tools
#   --browser  also Debian's chromium for the browser tests (needs root or sudo) and
#              axe-core (npm registry) for their accessibility checks, into var/npm/
# Re-running is cheap: nothing is reinstalled unless pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0 browser=0
for arg in "$@"; do
    case "$arg" in
        --dev) dev=1 ;;
        --browser) browser=1 ;;
        *) echo "unknown option: $arg" >&2; exit 2 ;;
    esac
done

python=""
for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        python=$candidate; break
    fi
done
if [ -z "$python" ]; then
    echo "Python 3.11 is needed (python3.11 not found)." >&2
    exit 1
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=""
[ "$dev" = 1 ] && extras="[dev]"
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)${extras}"
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet ".${extras}"
    rm -f .venv/.installed-*
    touch "$stamp"
fi

if [ "$browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

# axe-core, injected by the browser tests into every public page (accessibility check).
# Pinned; installed with npm into the git-ignored var/npm/ (Debian's npm if missing).
AXE_VERSION=4.10.3
if [ "$browser" = 1 ] && [ ! -f "var/npm/node_modules/axe-core/axe.min.js" ] || \
   { [ "$browser" = 1 ] && ! grep -q "\"version\": \"$AXE_VERSION\"" var/npm/node_modules/axe-core/package.json 2>/dev/null; }; then
    if ! command -v npm >/dev/null; then
        sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
    fi
    mkdir -p var/npm
    npm install --silent --no-audit --no-fund --prefix var/npm "axe-core@$AXE_VERSION" >/dev/null
fi
