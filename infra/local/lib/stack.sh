# Application processes (services, edge) on top of the backing servers. Sourced.
# shellcheck shell=bash

SERVICES=(auth message)
KEYS_DIR=$STATE_DIR/keys

stack_env() {
  cat <<ENV
MONGO_URL=$(mongo_url)
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
AMQP_URL=amqp://guest:guest@127.0.0.1:$AMQP_PORT
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
    TRUST_PROXY=127.0.0.1
    cd "$PALAVER_ROOT/services/auth" && spawn auth node src/server.ts
  )
  wait_for_ready auth "$AUTH_PORT" 30
}

start_message() {
  pid_alive message && return 0
  claim_port message "$MESSAGE_PORT"
  (
    set -a
    eval "$(stack_env)"
    MONGO_URL="${MONGO_URL%/}/palaver"
    PORT=$MESSAGE_PORT
    JWKS_URL=http://127.0.0.1:$AUTH_PORT/auth/.well-known/jwks.json
    TRUST_PROXY=127.0.0.1
    cd "$PALAVER_ROOT/services/message" && spawn message node src/server.ts
  )
  wait_for_ready message "$MESSAGE_PORT" 30
}

wait_for_ready() { # name port seconds
  local deadline=$((SECONDS + $3))
  until curl -fsS "http://127.0.0.1:$2/readyz" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$1 was not ready within $3 s; see $LOG_DIR/$1.log"
    pid_alive "$1" || die "$1 exited during start; see $LOG_DIR/$1.log"
    sleep 0.3
  done
}

start_edge() {
  apt_install nginx-light
  pid_alive edge && return 0
  claim_port edge "$EDGE_PORT"
  mkdir -p "$DATA_DIR/nginx"
  sed -e "s|@STATE@|$DATA_DIR/nginx|g" -e "s|@LOGS@|$LOG_DIR|g" \
    "$PALAVER_ROOT/infra/nginx/local.conf.template" >"$DATA_DIR/nginx/nginx.conf"
  sed -e "s|\${EDGE_LISTEN}|127.0.0.1:$EDGE_PORT|g" -e "s|\${AUTH_UPSTREAM}|127.0.0.1:$AUTH_PORT|g" \
    -e "s|\${MESSAGE_UPSTREAM}|127.0.0.1:$MESSAGE_PORT|g" \
    "$PALAVER_ROOT/infra/nginx/edge.conf.template" >"$DATA_DIR/nginx/edge.conf"
  nginx -t -q -c "$DATA_DIR/nginx/nginx.conf" -p "$DATA_DIR/nginx" 2>>"$LOG_DIR/edge.log" ||
    die "nginx rejected its configuration; see $LOG_DIR/edge.log"
  spawn edge nginx -c "$DATA_DIR/nginx/nginx.conf" -p "$DATA_DIR/nginx" -g 'daemon off;'
  wait_for_port edge "$EDGE_PORT" 10
}

stack_up() {
  local detach=false
  [[ ${1:-} == --detach ]] && detach=true
  ensure_toolchain
  (exec 9>"$RUN_DIR/infra.lock" && flock 9 && infra_start)
  for service in "${SERVICES[@]}"; do "start_$service"; done
  start_edge
  say "Palaver is up: http://127.0.0.1:$EDGE_PORT  (logs: $LOG_DIR)"
  $detach && return 0
  say "Ctrl-C stops everything"
  trap 'stack_down; infra_stop; exit 0' INT TERM
  while true; do sleep 3600 & wait $!; done
}

stack_down() {
  stop_pid edge
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
}
