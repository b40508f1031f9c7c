# Backing servers for the local stack: MongoDB-compatible store, PostgreSQL, Redis, RabbitMQ. Sourced.
# shellcheck shell=bash

# --- MongoDB wire protocol: MONGO_URL, a real mongod on PATH, or FerretDB v1 on PostgreSQL ---

mongo_mode() {
  if [[ -n ${MONGO_URL:-} ]]; then echo external
  elif command -v mongod >/dev/null; then echo mongod
  else echo ferretdb; fi
}

mongo_url() {
  if [[ -n ${MONGO_URL:-} ]]; then echo "$MONGO_URL"; else echo "mongodb://127.0.0.1:$MONGO_PORT"; fi
}

# `go install …@v1` builds a binary that panics on a missing version file (generated
# in FerretDB's own release pipeline), so build from the module source the Go proxy serves.
ensure_ferretdb() {
  local bin=$TOOLS_DIR/ferretdb-$FERRETDB_VERSION
  [[ -x $bin ]] && return 0
  command -v go >/dev/null || die "Go is needed to build FerretDB $FERRETDB_VERSION (no mongod on PATH and no MONGO_URL given)"
  say "building FerretDB $FERRETDB_VERSION from the Go module proxy (once, ~2 min)"
  local dir src
  dir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -d $dir ]] || die "go mod download github.com/FerretDB/FerretDB@$FERRETDB_VERSION failed"
  src=$(mktemp -d)
  cp -r "$dir/." "$src" && chmod -R u+w "$src"
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  (cd "$src" && go build -trimpath -o "$bin.tmp" ./cmd/ferretdb) >>"$LOG_DIR/ferretdb-build.log" 2>&1 ||
    die "building FerretDB failed; see $LOG_DIR/ferretdb-build.log"
  mv "$bin.tmp" "$bin"
  rm -rf "$src"
}

# PostgreSQL for the search index and FerretDB: Debian's server binaries, our own cluster under
# .local, 127.0.0.1 only.
pg_bin() { echo "/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -n | tail -n 1)/bin"; }

# The cluster runs as the postgres user when we are root (PostgreSQL refuses root).
pg_owner=()
((EUID == 0)) && pg_owner=(runuser -u postgres --)

# The postgres user must be able to pass through every folder above its data (a clone in a
# `mktemp -d` folder is private to root): grant passage (search only, no listing) where missing.
pg_grant_passage() { # dir
  local dir=$1
  while [[ $dir != / && -n $dir ]]; do
    if ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
      say "letting the postgres user pass through $dir (o+x)"
      chmod o+x "$dir"
    fi
    dir=$(dirname "$dir")
  done
}

start_postgres() {
  apt_install postgresql
  # Already running (perhaps from before the search service existed): only what may be missing.
  if pid_alive postgres; then
    local psql=("$(pg_bin)/psql" -X -q -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -v ON_ERROR_STOP=1)
    ensure_search_database "${psql[@]}"
    return 0
  fi
  claim_port postgres "$POSTGRES_PORT"
  local data=$DATA_DIR/postgres bin
  bin=$(pg_bin)
  ((EUID == 0)) && pg_grant_passage "$DATA_DIR"
  if [[ ! -f $data/PG_VERSION ]]; then
    say "creating the PostgreSQL cluster in $data"
    mkdir -p "$data"
    ((EUID == 0)) && chown postgres: "$data"
    "${pg_owner[@]}" "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --no-instructions >>"$LOG_DIR/postgres.log" 2>&1 ||
      die "initdb failed; see $LOG_DIR/postgres.log"
  fi
  spawn postgres "${pg_owner[@]}" "$bin/postgres" -D "$data" -c listen_addresses=127.0.0.1 -p "$POSTGRES_PORT" \
    -c unix_socket_directories= -c max_connections=200 -c shared_buffers=256MB
  wait_for_port postgres "$POSTGRES_PORT" 30
  local psql=("$bin/psql" -X -q -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -v ON_ERROR_STOP=1)
  for _ in $(seq 1 50); do "${psql[@]}" -d postgres -c 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
  ensure_search_database "${psql[@]}"
  [[ $(mongo_mode) == ferretdb && $FERRETDB_HANDLER == postgresql ]] || return 0
  "${psql[@]}" -d postgres -tAc "select 1 from pg_database where datname = 'ferretdb'" | grep -q 1 ||
    "${psql[@]}" -d postgres -c 'create database ferretdb' >>"$LOG_DIR/postgres.log" 2>&1 ||
    die "could not create the ferretdb database; see $LOG_DIR/postgres.log"
  "${psql[@]}" -d ferretdb -f "$PALAVER_ROOT/infra/local/postgres/gin-twins.sql" >>"$LOG_DIR/postgres.log" 2>&1 ||
    die "could not install the index trigger; see $LOG_DIR/postgres.log"
}

# The search service's database: UTF-8 with C.UTF-8 character classes whatever the machine's
# locale (under LC_CTYPE=C, pg_trgm sees no CJK or Arabic letters), and pg_trgm. Idempotent.
ensure_search_database() { # psql command...
  "$@" -d postgres -tAc "select 1 from pg_database where datname = 'palaver_search'" | grep -q 1 ||
    "$@" -d postgres -c "create database palaver_search template template0 encoding 'UTF8' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'" >>"$LOG_DIR/postgres.log" 2>&1 ||
    die "could not create the palaver_search database; see $LOG_DIR/postgres.log"
  "$@" -d palaver_search -c 'create extension if not exists pg_trgm' >>"$LOG_DIR/postgres.log" 2>&1 ||
    die "could not create the pg_trgm extension; see $LOG_DIR/postgres.log"
}

stop_postgres() {
  pid_alive postgres || { rm -f "$RUN_DIR/postgres.pid"; return 0; }
  # Fast shutdown: roll back open transactions and stop, instead of waiting for clients.
  "${pg_owner[@]}" "$(pg_bin)/pg_ctl" -D "$DATA_DIR/postgres" -m fast -w -t 20 stop >/dev/null 2>&1 || true
  stop_pid postgres
}

start_mongo() {
  case $(mongo_mode) in
    external) say "mongo: using MONGO_URL"; return 0 ;;
  esac
  # Its PostgreSQL first: it may have stopped while FerretDB kept running.
  [[ $(mongo_mode) == ferretdb && $FERRETDB_HANDLER == postgresql ]] && start_postgres
  pid_alive mongo && return 0
  claim_port mongo "$MONGO_PORT"
  mkdir -p "$DATA_DIR/mongo"
  if [[ $(mongo_mode) == mongod ]]; then
    spawn mongo mongod --bind_ip 127.0.0.1 --port "$MONGO_PORT" --dbpath "$DATA_DIR/mongo"
  else
    ensure_ferretdb
    local backend
    case $FERRETDB_HANDLER in
      postgresql)
        backend=(--handler=postgresql
          "--postgresql-url=postgres://postgres@127.0.0.1:$POSTGRES_PORT/ferretdb?pool_max_conns=$FERRETDB_PG_POOL") ;;
      sqlite) backend=(--handler=sqlite "--sqlite-url=file:$DATA_DIR/mongo/") ;;
      *) die "PALAVER_FERRETDB_HANDLER must be postgresql or sqlite, not '$FERRETDB_HANDLER'" ;;
    esac
    spawn mongo "$TOOLS_DIR/ferretdb-$FERRETDB_VERSION" "${backend[@]}" --state-dir="$DATA_DIR/mongo" \
      --listen-addr="127.0.0.1:$MONGO_PORT" --debug-addr=- --telemetry=disable --log-level=warn
  fi
  wait_for_port mongo "$MONGO_PORT" 30
}

# --- Redis ---

start_redis() {
  apt_install redis-server
  pid_alive redis && return 0
  claim_port redis "$REDIS_PORT"
  mkdir -p "$DATA_DIR/redis"
  spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA_DIR/redis" \
    --save "" --appendonly no --protected-mode yes --daemonize no
  wait_for_port redis "$REDIS_PORT" 15
}

# --- RabbitMQ: our own node, data and cookie under .local, never the system service ---

rabbit_env() {
  export HOME=$DATA_DIR/rabbitmq # the Erlang cookie lives in $HOME
  export RABBITMQ_NODENAME=palaver@localhost
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$AMQP_PORT
  export RABBITMQ_DIST_PORT=$AMQP_DIST_PORT
  export ERL_EPMD_ADDRESS=127.0.0.1
  export ERL_EPMD_PORT=$EPMD_PORT
  export RABBITMQ_MNESIA_BASE=$DATA_DIR/rabbitmq/mnesia
  export RABBITMQ_LOG_BASE=$LOG_DIR/rabbitmq
  export RABBITMQ_ENABLED_PLUGINS_FILE=$DATA_DIR/rabbitmq/enabled_plugins
  export RABBITMQ_CONFIG_FILE=$DATA_DIR/rabbitmq/rabbitmq # .conf is appended
  export RABBITMQ_PID_FILE=$DATA_DIR/rabbitmq/rabbitmq.pid
}

start_rabbitmq() {
  apt_install rabbitmq-server
  pid_alive rabbitmq && return 0
  claim_port rabbitmq "$AMQP_PORT"
  mkdir -p "$DATA_DIR/rabbitmq" "$LOG_DIR/rabbitmq"
  [[ -f $DATA_DIR/rabbitmq/enabled_plugins ]] || echo '[].' >"$DATA_DIR/rabbitmq/enabled_plugins"
  cat >"$DATA_DIR/rabbitmq/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
loopback_users = none
CONF
  (rabbit_env && spawn rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server)
  wait_for_port rabbitmq "$AMQP_PORT" 60
}

stop_rabbitmq() {
  pid_alive rabbitmq || { rm -f "$RUN_DIR/rabbitmq.pid"; return 0; }
  (rabbit_env && /usr/lib/rabbitmq/bin/rabbitmqctl -q stop >/dev/null 2>&1) || true
  stop_pid rabbitmq
  # epmd is started on demand by the Erlang VM and outlives it; ours listens on our port only.
  pkill -f "epmd.*-port $EPMD_PORT" 2>/dev/null || (rabbit_env && epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1) || true
}

infra_start() {
  start_postgres
  start_mongo
  start_redis
  start_rabbitmq
}

infra_stop() {
  stop_rabbitmq
  stop_pid redis
  stop_pid mongo
  stop_postgres
}

infra_status() {
  local name port
  local pairs=("mongo:$MONGO_PORT" "redis:$REDIS_PORT" "rabbitmq:$AMQP_PORT" "postgres:$POSTGRES_PORT")
  for pair in "${pairs[@]}"; do
    name=${pair%%:*} port=${pair##*:}
    if [[ $name == mongo && $(mongo_mode) == external ]]; then
      printf '%-10s external  %s\n' "$name" "$(mongo_url)"
    elif pid_alive "$name" && port_open "$port"; then
      printf '%-10s up        127.0.0.1:%s (pid %s)\n' "$name" "$port" "$(cat "$RUN_DIR/$name.pid")"
    else
      printf '%-10s down\n' "$name"
    fi
  done
}

infra_reset() {
  infra_stop
  rm -rf "$DATA_DIR/mongo" "$DATA_DIR/postgres" "$DATA_DIR/redis" "$DATA_DIR/rabbitmq"
  say "local data removed"
}
