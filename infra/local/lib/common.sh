# Shared paths, ports and helpers for the local stack scripts. Sourced, never run.
# shellcheck shell=bash

PALAVER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
STATE_DIR=${PALAVER_STATE_DIR:-$PALAVER_ROOT/.local}
TOOLS_DIR=$STATE_DIR/tools
DATA_DIR=$STATE_DIR/data
LOG_DIR=$STATE_DIR/logs
RUN_DIR=$STATE_DIR/run

# Every port can be moved with an environment variable; all servers bind 127.0.0.1.
MONGO_PORT=${PALAVER_MONGO_PORT:-27017}
# PostgreSQL: the search index (always) and the store behind FerretDB (the embedded store); not
# Debian's default 5432, so a system cluster can coexist.
POSTGRES_PORT=${PALAVER_POSTGRES_PORT:-15432}
REDIS_PORT=${PALAVER_REDIS_PORT:-6379}
AMQP_PORT=${PALAVER_AMQP_PORT:-5672}
AMQP_DIST_PORT=${PALAVER_AMQP_DIST_PORT:-25672}
EPMD_PORT=${PALAVER_EPMD_PORT:-4369}
EDGE_PORT=${PALAVER_EDGE_PORT:-8080}
AUTH_PORT=${PALAVER_AUTH_PORT:-4001}
MESSAGE_PORT=${PALAVER_MESSAGE_PORT:-4002}
UPLOAD_PORT=${PALAVER_UPLOAD_PORT:-4003}
SEARCH_PORT=${PALAVER_SEARCH_PORT:-4005}
# Gateway replica i listens on GATEWAY_PORT_BASE + i (4011, 4012, …).
GATEWAY_PORT_BASE=${PALAVER_GATEWAY_PORT_BASE:-4010}
GATEWAYS=${PALAVER_GATEWAYS:-2}

FERRETDB_VERSION=v1.24.2
# FerretDB's backend: postgresql (default, measured faster: docs/benchmarks/storage.md) or sqlite.
FERRETDB_HANDLER=${PALAVER_FERRETDB_HANDLER:-postgresql}
# FerretDB's PostgreSQL pool; bounded so an overload queues in FerretDB instead of exhausting
# PostgreSQL (200 connections), and above one service's mongoose pool (100): FerretDB v1 holds a
# pooled connection while an update waits for its collection registry, which a collection being
# created holds while it waits for a pooled connection, so an exhausted pool deadlocks for good.
FERRETDB_PG_POOL=${PALAVER_FERRETDB_PG_POOL:-150}
NODE_MAJOR=24
PNPM_VERSION=10.34.9

mkdir -p "$TOOLS_DIR" "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"

say() { printf '\033[1m[palaver]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[palaver] error:\033[0m %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { # name
  local f=$RUN_DIR/$1.pid
  [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# Refuse to start on a port someone else holds, naming both.
claim_port() { # name port
  if port_open "$2"; then
    die "$1 cannot start: port $2 on 127.0.0.1 is already taken by another process (set PALAVER_${1^^}_PORT to move it)"
  fi
}

wait_for_port() { # name port seconds
  local deadline=$((SECONDS + $3))
  until port_open "$2"; do
    if ((SECONDS >= deadline)); then
      die "$1 did not open port $2 within $3 s; see $LOG_DIR/$1.log"
    fi
    pid_alive "$1" || die "$1 exited during start; see $LOG_DIR/$1.log"
    sleep 0.3
  done
}

# Start a long-running process detached, with its own log and pid file.
spawn() { # name cmd...
  local name=$1; shift
  # fd 9 is the infra lock: daemons must not inherit it.
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN_DIR/$name.pid"
}

stop_pid() { # name [seconds to wait before SIGKILL, default 10]
  local f=$RUN_DIR/$1.pid pid
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 $((${2:-10} * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    # The rest of its process group dies asynchronously: wait until it has (and its ports are free).
    for _ in $(seq 1 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
}

apt_install() { # debian packages...
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  say "installing ${missing[*]} from Debian packages"
  if [[ ! -f $STATE_DIR/.apt-updated ]]; then
    apt-get update -qq && touch "$STATE_DIR/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1 ||
    die "apt-get install ${missing[*]} failed; see $LOG_DIR/apt.log"
}
