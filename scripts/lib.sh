# Shared helpers for scripts/test, scripts/autobahn and scripts/e2e-*; source it, don't run it.
# Servers started with `spawn` are killed by the EXIT trap that `lib_init` installs.

LOOPIO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$LOOPIO_ROOT/target}"
EXAMPLES_DIR="$TARGET_DIR/release/examples"
LOG_DIR="${LOOPIO_LOG_DIR:-$TARGET_DIR/test-logs}"
SPAWNED_PIDS=()

lib_init() {
    mkdir -p "$LOG_DIR"
    trap lib_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

lib_cleanup() {
    local pid
    for pid in "${SPAWNED_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${SPAWNED_PIDS[@]}"; do
        # Give each a moment to exit, then force it; `wait` reaps our own children.
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SPAWNED_PIDS=()
}

now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1fs", b - a }'; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# `spawn NAME CMD...`: run CMD in the background with output to $LOG_DIR/NAME.log; sets SPAWNED_PID.
spawn() {
    local name=$1
    shift
    "$@" >"$LOG_DIR/$name.log" 2>&1 &
    SPAWNED_PID=$!
    SPAWNED_PIDS+=("$SPAWNED_PID")
}

# `is_listening HOST PORT`: true if a TCP connect succeeds.
is_listening() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# `require_free HOST PORT ENVVAR`: refuse to test whatever else already listens there.
require_free() {
    if is_listening "$1" "$2"; then
        die "something already listens on $1:$2 (a developer's server?); stop it or set $3"
    fi
}

# `wait_port HOST PORT PID NAME [DEADLINE_S]`: poll-connect until the port accepts, the process
# exits, or the deadline passes.
wait_port() {
    local host=$1 port=$2 pid=$3 name=$4 deadline=$((SECONDS + ${5:-30}))
    until is_listening "$host" "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            printf 'ERROR: %s exited before listening on %s:%s; its log (%s):\n' \
                "$name" "$host" "$port" "$LOG_DIR/$name.log" >&2
            tail -n 30 "$LOG_DIR/$name.log" >&2
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            printf 'ERROR: %s did not listen on %s:%s within %ss; its log:\n' \
                "$name" "$host" "$port" "${5:-30}" >&2
            tail -n 30 "$LOG_DIR/$name.log" >&2
            exit 1
        fi
        sleep 0.1
    done
}

# `still_running PID NAME`: fail if a server we started died during a suite.
still_running() {
    if ! kill -0 "$1" 2>/dev/null; then
        printf 'ERROR: %s (pid %s) died during the suite; its log (%s):\n' \
            "$2" "$1" "$LOG_DIR/$2.log" >&2
        tail -n 30 "$LOG_DIR/$2.log" >&2
        return 1
    fi
}

# `example_bin NAME`: path of a release example binary, failing with a hint if it isn't built.
# LOOPIO_BIN_<NAME> (e.g. LOOPIO_BIN_ECHO_SERVER) overrides it, to test another build or a stand-in.
example_bin() {
    local override="LOOPIO_BIN_${1^^}"
    local bin="${!override:-$EXAMPLES_DIR/$1}"
    [[ -x $bin ]] || die "$bin not built; run: cargo build --release --examples"
    printf '%s' "$bin"
}

# `has_example NAME`: true when examples/NAME.rs exists in the repo (or LOOPIO_BIN_<NAME> is set).
has_example() {
    local override="LOOPIO_BIN_${1^^}"
    [[ -n ${!override:-} || -f "$LOOPIO_ROOT/examples/$1.rs" ]]
}

# `split_addr ADDR` -> sets ADDR_HOST and ADDR_PORT.
split_addr() {
    ADDR_HOST=${1%:*}
    ADDR_PORT=${1##*:}
    [[ $ADDR_HOST == 127.* || $ADDR_HOST == localhost ]] \
        || die "refusing non-loopback address $1: test servers listen on 127.0.0.1 only"
}

# `record_counts NAME PASSED FAILED`: append to the counts file that scripts/test totals.
record_counts() {
    [[ -n ${LOOPIO_COUNTS_FILE:-} ]] && printf '%s %s %s\n' "$1" "$2" "$3" >>"$LOOPIO_COUNTS_FILE"
    return 0
}
