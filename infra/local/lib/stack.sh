# Application processes (services, edge) on top of the backing servers. Sourced.
# shellcheck shell=bash

SERVICES=(auth message upload search)
# Where the edge's connections to the services come from (proxy_bind in local.conf.template).
EDGE_SOURCE_ADDRESS=127.0.0.2
KEYS_DIR=$STATE_DIR/keys
WEB_DIST=$PALAVER_ROOT/web/dist

stack_env() {
  cat <<ENV
MONGO_URL=$(mongo_url)
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
AMQP_URL=amqp://guest:guest@127.0.0.1:$AMQP_PORT
POSTGRES_URL=postgres://postgres@127.0.0.1:$POSTGRES_PORT
EDGE_URL=http://127.0.0.1:$EDGE_PORT
ENV
}

# A development signing key, made on first start and never committed (.local is ignored).
ensure_dev_keys() {
  mkdir -p "$KEYS_DIR"
  compgen -G "$KEYS_DIR/*.pem" >/dev/null && return 0
  local kid; kid="dev-$(date +%Y%m%d)-$(openssl rand -hex 3)"
  openssl genpkey -algorithm ed25519 -out "$KEYS_DIR/$kid.pem" 2>/dev/null || die "openssl could not generate a key"
  chmod 600 "$KEYS_DIR/$kid.pem"
  say "generated development signing key $kid"
}

start_auth() {
  pid_alive auth && return 0
  claim_port auth "$AUTH_PORT"
  ensure_dev_keys
  (
    set -a
    eval "$(stack_env)"
    MONGO_URL="${MONGO_URL%/}/palaver"
    PORT=$AUTH_PORT
    JWT_KEYS_DIR=$KEYS_DIR
    JWT_ISSUER=palaver-auth
    UPLOAD_URL=http://127.0.0.1:$UPLOAD_PORT
    TRUST_PROXY=$EDGE_SOURCE_ADDRESS
    cd "$PALAVER_ROOT/services/auth" && spawn auth node src/server.ts
  )
  wait_for_ready auth "$AUTH_PORT" 30
}

# The message service's settings, for its server and its one-off commands.
message_env() {
  eval "$(stack_env)"
  MONGO_URL="${MONGO_URL%/}/palaver"
  JWKS_URL=http://127.0.0.1:$AUTH_PORT/auth/.well-known/jwks.json
  UPLOAD_URL=http://127.0.0.1:$UPLOAD_PORT
  AUTH_URL=http://127.0.0.1:$AUTH_PORT
}

# Republishes every stored message as message.snapshot, for the search index to rebuild from.
replay_messages() {
  (
    set -a
    message_env
    cd "$PALAVER_ROOT/services/message" && node src/replay-messages.ts
  )
}

start_message() {
  pid_alive message && return 0
  claim_port message "$MESSAGE_PORT"
  (
    set -a
    message_env
    PORT=$MESSAGE_PORT
    TRUST_PROXY=$EDGE_SOURCE_ADDRESS
    cd "$PALAVER_ROOT/services/message" && spawn message node src/server.ts
  )
  wait_for_ready message "$MESSAGE_PORT" 30
}

# The signed-link key of the upload service: made once, kept with the signing keys.
upload_url_secret() {
  mkdir -p "$KEYS_DIR"
  [[ -s $KEYS_DIR/upload-url-secret ]] || (umask 077 && openssl rand -hex 32 >"$KEYS_DIR/upload-url-secret")
  cat "$KEYS_DIR/upload-url-secret"
}

start_upload() {
  pid_alive upload && return 0
  claim_port upload "$UPLOAD_PORT"
  local secret; secret=$(upload_url_secret)
  (
    set -a
    eval "$(stack_env)"
    MONGO_URL="${MONGO_URL%/}/palaver"
    PORT=$UPLOAD_PORT
    JWKS_URL=http://127.0.0.1:$AUTH_PORT/auth/.well-known/jwks.json
    UPLOAD_ROOT=$DATA_DIR/uploads
    UPLOAD_URL_SECRET=$secret
    # A small young generation: streamed socket buffers are reclaimed as they go, so a
    # 200 MB upload grows RSS by ~8 MB instead of ~70 MB (docs/uploads.md).
    NODE_OPTIONS=--max-semi-space-size=1
    TRUST_PROXY=$EDGE_SOURCE_ADDRESS
    cd "$PALAVER_ROOT/services/upload" && spawn upload node src/server.ts
  )
  wait_for_ready upload "$UPLOAD_PORT" 30
}

start_search() {
  pid_alive search && return 0
  claim_port search "$SEARCH_PORT"
  (
    set -a
    eval "$(stack_env)"
    POSTGRES_URL="${POSTGRES_URL%/}/palaver_search"
    PORT=$SEARCH_PORT
    JWKS_URL=http://127.0.0.1:$AUTH_PORT/auth/.well-known/jwks.json
    MESSAGE_URL=http://127.0.0.1:$MESSAGE_PORT
    TRUST_PROXY=$EDGE_SOURCE_ADDRESS
    cd "$PALAVER_ROOT/services/search" && spawn search node src/server.ts
  )
  wait_for_ready search "$SEARCH_PORT" 30
}

gateway_port() { echo $((GATEWAY_PORT_BASE + $1)); }

start_gateway() { # replica number (1-based)
  local name=gateway-$1 port; port=$(gateway_port "$1")
  pid_alive "$name" && return 0
  claim_port "$name" "$port"
  (
    set -a
    eval "$(stack_env)"
    PORT=$port
    REPLICA_ID=local-$1
    MESSAGE_URL=http://127.0.0.1:$MESSAGE_PORT
    JWKS_URL=http://127.0.0.1:$AUTH_PORT/auth/.well-known/jwks.json
    DRAIN_TIMEOUT=4s
    # A 4 MiB young generation: less memory per idle socket than the default 16 MiB, and
    # less CPU per connect and delivery than 1 MiB (docs/benchmarks/README.md, peers).
    NODE_OPTIONS=--max-semi-space-size=4
    TRUST_PROXY=$EDGE_SOURCE_ADDRESS
    cd "$PALAVER_ROOT/services/gateway" && spawn "$name" node src/server.ts
  )
  wait_for_ready "$name" "$port" 30
}

# Replicas running now, by number.
running_gateways() {
  local f
  for f in "$RUN_DIR"/gateway-*.pid; do
    [[ -e $f ]] || continue
    f=${f##*/gateway-}; f=${f%.pid}
    pid_alive "gateway-$f" && echo "$f"
  done | sort -n
}

wait_for_ready() { # name port seconds
  local deadline=$((SECONDS + $3))
  until curl -fsS "http://127.0.0.1:$2/readyz" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$1 was not ready within $3 s; see $LOG_DIR/$1.log"
    pid_alive "$1" || die "$1 exited during start; see $LOG_DIR/$1.log"
    sleep 0.3
  done
}

# Writes the edge configuration for the gateways running now, except those named.
write_edge_config() { # [replica numbers to leave out...]
  local servers="" n
  for n in $(running_gateways); do
    [[ " $* " == *" $n "* ]] || servers+="server 127.0.0.1:$(gateway_port "$n"); "
  done
  [[ -n $servers ]] || servers="server 127.0.0.1:$(gateway_port 1) down;"
  mkdir -p "$DATA_DIR/nginx" "$WEB_DIST"
  [[ -f $WEB_DIST/index.html ]] || printf '<!doctype html><title>Palaver</title><p>The web client is not built yet: pnpm --filter @palaver/web build</p>\n' >"$WEB_DIST/index.html"
  sed -e "s|@STATE@|$DATA_DIR/nginx|g" -e "s|@LOGS@|$LOG_DIR|g" -e "s|@EDGE_SOURCE@|$EDGE_SOURCE_ADDRESS|g" \
    "$PALAVER_ROOT/infra/nginx/local.conf.template" >"$DATA_DIR/nginx/nginx.conf"
  sed -e "s|\${EDGE_LISTEN}|127.0.0.1:$EDGE_PORT|g" -e "s|\${AUTH_UPSTREAM}|127.0.0.1:$AUTH_PORT|g" \
    -e "s|\${MESSAGE_UPSTREAM}|127.0.0.1:$MESSAGE_PORT|g" -e "s|\${UPLOAD_UPSTREAM}|127.0.0.1:$UPLOAD_PORT|g" \
    -e "s|\${SEARCH_UPSTREAM}|127.0.0.1:$SEARCH_PORT|g" \
    -e "s|\${GATEWAY_SERVERS}|$servers|g" -e "s|\${UPLOAD_BODY_LIMIT}|256m|g" -e "s|\${WEB_ROOT}|$WEB_DIST|g" \
    "$PALAVER_ROOT/infra/nginx/edge.conf.template" >"$DATA_DIR/nginx/edge.conf"
  nginx -t -q -c "$DATA_DIR/nginx/nginx.conf" -p "$DATA_DIR/nginx" 2>>"$LOG_DIR/edge.log" ||
    die "nginx rejected its configuration; see $LOG_DIR/edge.log"
}

# Starts the edge, or reloads it (without the replicas named) when it runs already.
start_edge() { # [replica numbers to leave out...]
  apt_install nginx-light
  write_edge_config "$@"
  if pid_alive edge; then
    nginx -s reload -c "$DATA_DIR/nginx/nginx.conf" -p "$DATA_DIR/nginx" 2>>"$LOG_DIR/edge.log" ||
      die "nginx could not reload; see $LOG_DIR/edge.log"
    return 0
  fi
  claim_port edge "$EDGE_PORT"
  spawn edge nginx -c "$DATA_DIR/nginx/nginx.conf" -p "$DATA_DIR/nginx" -g 'daemon off;'
  wait_for_port edge "$EDGE_PORT" 10
}

# Runs exactly `count` gateway replicas: new ones join the edge once ready; extra ones
# leave the edge first, then drain (their clients reconnect through the edge elsewhere).
scale_gateways() { # count
  [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= 16)) || die "gateway count must be 1–16, not '$1'"
  local n
  for ((n = 1; n <= $1; n++)); do start_gateway "$n"; done
  local extra=()
  for n in $(running_gateways); do ((n > $1)) && extra+=("$n"); done
  pid_alive edge && start_edge "${extra[@]}"
  for n in "${extra[@]}"; do stop_pid "gateway-$n" 15; done
  say "gateways running: $(running_gateways | tr '\n' ' ')"
}

# The web client's production build, which the edge serves.
build_web() {
  grep -q '"build"' "$PALAVER_ROOT/web/package.json" 2>/dev/null || return 0
  say "building the web client"
  (cd "$PALAVER_ROOT" && pnpm --filter @palaver/web run build) >>"$LOG_DIR/web-build.log" 2>&1 ||
    die "the web build failed; see $LOG_DIR/web-build.log"
}

stack_up() {
  local detach=false
  while (($#)); do
    case $1 in
      --detach) detach=true ;;
      --gateways) GATEWAYS=${2:-}; shift ;;
      --gateways=*) GATEWAYS=${1#*=} ;;
      *) die "unknown option for up: $1" ;;
    esac
    shift
  done
  ensure_toolchain
  (exec 9>"$RUN_DIR/infra.lock" && flock 9 && infra_start)
  build_web
  for service in "${SERVICES[@]}"; do "start_$service"; done
  scale_gateways "$GATEWAYS"
  start_edge
  say "Palaver is up: http://127.0.0.1:$EDGE_PORT  (logs: $LOG_DIR)"
  $detach && return 0
  say "Ctrl-C stops everything"
  trap 'stack_down; infra_stop; exit 0' INT TERM
  while true; do sleep 3600 & wait $!; done
}

stack_down() {
  stop_pid edge
  local n stopping=()
  for n in $(running_gateways); do
    stop_pid "gateway-$n" 15 &
    stopping+=($!)
  done
  # Only these: a bare `wait` would also wait on up's background sleep.
  ((${#stopping[@]} == 0)) || wait "${stopping[@]}"
  for service in "${SERVICES[@]}"; do stop_pid "$service"; done
}

stack_status() {
  local port
  for service in "${SERVICES[@]}" edge; do
    port_var="${service^^}_PORT"; port=${!port_var}
    if pid_alive "$service"; then
      printf '%-10s up        127.0.0.1:%s (pid %s)\n' "$service" "$port" "$(cat "$RUN_DIR/$service.pid")"
    else
      printf '%-10s down\n' "$service"
    fi
  done
  local n
  for n in $(running_gateways); do
    printf '%-10s up        127.0.0.1:%s (pid %s)\n' "gateway-$n" "$(gateway_port "$n")" "$(cat "$RUN_DIR/gateway-$n.pid")"
  done
  [[ -n $(running_gateways) ]] || printf '%-10s down\n' gateway
}

# Starts or stops one part, leaving the rest as it is (fault tests, or restarting one piece).
part_command() { # start|stop name
  local action=$1 name=${2:-}
  case $name in
    auth | message | upload | search) if [[ $action == start ]]; then "start_$name"; else stop_pid "$name"; fi ;;
    gateway-[1-9] | gateway-1[0-6]) if [[ $action == start ]]; then start_gateway "${name#gateway-}"; else stop_pid "$name" 15; fi ;;
    edge) if [[ $action == start ]]; then start_edge; else stop_pid edge; fi ;;
    mongo | postgres | redis | rabbitmq)
      if [[ $action == start ]]; then (exec 9>"$RUN_DIR/infra.lock" && flock 9 && "start_$name")
      elif [[ $name == postgres || $name == rabbitmq ]]; then "stop_$name"
      else stop_pid "$name"; fi ;;
    *) die "unknown part '$name': auth, message, upload, search, gateway-N, edge, mongo, postgres, redis or rabbitmq" ;;
  esac
}

# Sends a signal to one part's process group (KILL, STOP, CONT: the fault tests).
part_signal() { # name signal
  local f=$RUN_DIR/${1:-}.pid
  [[ -f $f ]] && pid_alive "$1" || die "${1:-(no part named)} is not running"
  kill "-${2:?a signal, e.g. KILL}" -- "-$(cat "$f")"
}
