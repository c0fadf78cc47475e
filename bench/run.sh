#!/usr/bin/env bash
# Benchmark of carillon's send path, compared with a trivial Go server.
#
#   bash bench/run.sh [sqlite|postgres|all]      (default: all)
#
# Environment (all optional):
#   BENCH_DURATION      measured load duration, Go syntax (default 10s)
#   BENCH_WARMUP        warmup before measuring (default 2s)
#   BENCH_CONNS         concurrent connections (default 64)
#   BENCH_RECIPIENTS    distinct recipients (default 1000)
#   BENCH_E2E_TIMEOUT   how long to wait for the pipeline to drain after
#                       the load stopped (default 120s)
#   BENCH_CEILING_PORT  first port tried for the ceiling server (default 18080)
#   BENCH_PORT          first port tried for carillon (default 18081)
#   BENCH_DATABASE_URL  PostgreSQL URL
#                       (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable)
#   BENCH_RESET_DB=1    drop and recreate schema public of that database first
#                       (always done for the default URL)
#   BENCH_API_KEY       API key to use instead of the one a fresh store prints
#   BENCH_KEEP=1        keep the temporary directory (binaries, logs, JSON)
#
# Everything listens on 127.0.0.1 only, and everything started here is
# stopped on exit.
set -euo pipefail

usage() { echo "usage: bash bench/run.sh [sqlite|postgres|all]" >&2; exit 2; }
case "${1:-all}" in
	sqlite) stores=(sqlite) ;;
	postgres) stores=(postgres) ;;
	all) stores=(sqlite postgres) ;;
	*) usage ;;
esac
[[ $# -le 1 ]] || usage

cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/machine.sh

duration=${BENCH_DURATION:-10s}
warmup=${BENCH_WARMUP:-2s}
conns=${BENCH_CONNS:-64}
recipients=${BENCH_RECIPIENTS:-1000}
e2e_timeout=${BENCH_E2E_TIMEOUT:-120s}
default_db_url='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
db_url=${BENCH_DATABASE_URL:-$default_db_url}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/carillon-bench.XXXXXX")
pids=()

log() { echo "bench: $*" >&2; }

cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		log "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget() { # pid: no longer ours to stop
	local p keep=()
	for p in "${pids[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

# stop pid: SIGTERM, wait up to 30s, then SIGKILL. Sets stop_rc to the
# exit status. Not to be called in a subshell: it waits for its child.
stop_rc=0
stop() {
	local pid=$1 rc=0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "process $pid did not stop within 30s of SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	forget "$pid"
	stop_rc=$rc
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
	local p=$1
	while port_in_use "$p"; do
		p=$((p + 1))
		((p < 65536)) || { log "no free port from $1 up"; return 1; }
	done
	echo "$p"
}

# http_status port path: status code of GET http://127.0.0.1:port/path, or 0.
http_status() (
	exec 3<>"/dev/tcp/127.0.0.1/$1" || { echo 0; exit 0; }
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$2" "$1" >&3
	line=
	IFS= read -r -t 5 line <&3 || true
	read -r _ code _ <<<"${line%$'\r'}" || true
	echo "${code:-0}"
) 2>/dev/null

# wait_ready pid port name: until GET /readyz answers 200 (60s at most).
wait_ready() {
	local pid=$1 port=$2 name=$3
	for _ in $(seq 600); do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "$name exited before it was ready"
			return 1
		fi
		[[ $(http_status "$port" /readyz) == 200 ]] && return 0
		sleep 0.1
	done
	log "$name not ready on port $port after 60s"
	return 1
}

# jget file key: the scalar value of "key" in a one-line JSON object.
jget() {
	local v
	v=$(sed -n 's/.*"'"$2"'":\("[^"]*"\|[^,}]*\).*/\1/p' "$1" 2>/dev/null | head -n1)
	v=${v#\"}
	echo "${v%\"}"
}

# num format value: value printed with a printf format, or n/a.
num() {
	if [[ $2 =~ ^-?[0-9.]+([eE][-+]?[0-9]+)?$ ]]; then
		awk -v v="$2" -v f="$1" 'BEGIN { printf f, v }'
	else
		printf 'n/a'
	fi
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.1f", 100 * a / b; else printf "n/a" }'; }

tail_log() { # file
	[[ -s $1 ]] || return 0
	log "last lines of $(basename "$1"):"
	tail -n 20 "$1" | sed 's/^/    /' >&2
}

log "building into $tmp"
go build -o "$tmp/carillon" ./cmd/carillon
go build -o "$tmp/sendload" ./bench/sendload
go build -o "$tmp/ceiling" ./bench/ceiling
go build -o "$tmp/e2ewait" ./bench/e2ewait

# Long steps run in the background and are waited for, so that a signal
# reaches the traps at once rather than when the step ends.
sendload() { # base-url key out.json
	local rc=0 pid
	"$tmp/sendload" -url "$1" -key "$2" -conns "$conns" -duration "$duration" \
		-warmup "$warmup" -recipients "$recipients" -json >"$3" 2>"${3%.json}.err" &
	pid=$!
	pids+=("$pid")
	wait "$pid" || rc=$?
	forget "$pid"
	if [[ ! -s $3 ]]; then
		log "sendload against $1 printed nothing"
		tail_log "${3%.json}.err"
		return 1
	fi
	return "$rc"
}

run_ceiling() { # store
	local store=$1 port pid out=$tmp/ceiling-$1.json
	port=$(free_port "${BENCH_CEILING_PORT:-18080}")
	"$tmp/ceiling" -addr "127.0.0.1:$port" >"$tmp/ceiling-$store.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	wait_ready "$pid" "$port" ceiling || { tail_log "$tmp/ceiling-$store.log"; return 1; }
	log "$store: ceiling on 127.0.0.1:$port, load for $duration (+$warmup warmup), $conns conns"
	sendload "http://127.0.0.1:$port" ceiling "$out" || log "$store: sendload against the ceiling failed"
	stop "$pid"
	log "$store: ceiling $(jget "$out" accepted_per_s) accepted/s"
}

run_carillon() { # store
	local store=$1 port pid key="" e2epid out=$tmp/carillon-$1.json e2e=$tmp/e2e-$1.json
	local data=$tmp/data-$store args=()
	rm -rf "$data"
	port=$(free_port "${BENCH_PORT:-18081}")
	args=(serve --addr "127.0.0.1:$port" --data "$data" --rate-limit 0 --sandbox-delay 0 --log-level warn)
	if [[ $store == postgres ]]; then
		if [[ ${BENCH_RESET_DB:-0} == 1 || $db_url == "$default_db_url" ]]; then
			command -v psql >/dev/null || { log "psql not found: cannot reset the database"; return 1; }
			log "$store: resetting schema public of the benchmark database"
			PGOPTIONS='-c client_min_messages=warning' psql "$db_url" -q -v ON_ERROR_STOP=1 -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null ||
				{ log "$store: could not reset the database schema"; return 1; }
		fi
		args+=(--database-url "$db_url")
	fi
	"$tmp/carillon" "${args[@]}" >"$tmp/carillon-$store.out" 2>"$tmp/carillon-$store.err" &
	pid=$!
	pids+=("$pid")
	if ! wait_ready "$pid" "$port" "carillon ($store)"; then
		tail_log "$tmp/carillon-$store.err"
		return 1
	fi
	key=${BENCH_API_KEY:-}
	for _ in $(seq 50); do
		[[ -n $key ]] && break
		key=$(grep -m1 -oE '^[[:space:]]*crln_[^[:space:]]+[[:space:]]*$' "$tmp/carillon-$store.out" | tr -d '[:space:]' || true)
		[[ -n $key ]] || sleep 0.1
	done
	if [[ -z $key ]]; then
		log "$store: carillon printed no API key (a line starting with crln_) on standard output; set BENCH_API_KEY for a store that is not fresh"
		tail_log "$tmp/carillon-$store.out"
		return 1
	fi
	log "$store: carillon on 127.0.0.1:$port, load for $duration (+$warmup warmup), $conns conns"

	# e2ewait watches the whole run: it sees the first message sent during
	# the load and stops once sent has caught up with accepted and accepted
	# has not moved for a second (the load is over).
	"$tmp/e2ewait" -url "http://127.0.0.1:$port" -timeout "$e2e_timeout" -quiet 1s -json >"$e2e" 2>"$tmp/e2e-$store.err" &
	e2epid=$!
	pids+=("$e2epid")
	if sendload "http://127.0.0.1:$port" "$key" "$out"; then
		log "$store: carillon $(jget "$out" accepted_per_s) accepted/s; waiting for the pipeline to drain"
		wait "$e2epid" || true
		forget "$e2epid"
	else
		log "$store: sendload against carillon failed: $(jget "$out" first_error)"
		stop "$e2epid"
	fi
	stop "$pid"
	if [[ $stop_rc != 0 ]]; then
		log "$store: carillon exited with status $stop_rc after SIGTERM"
		tail_log "$tmp/carillon-$store.err"
	fi
}

summary() { # store
	local store=$1 c=$tmp/ceiling-$1.json s=$tmp/carillon-$1.json e=$tmp/e2e-$1.json
	local ceil acc backlog
	ceil=$(jget "$c" accepted_per_s)
	acc=$(jget "$s" accepted_per_s)
	echo "== $store =="
	printf '  %-22s %s\n' "ceiling accepted/s" "$(num %.1f "$ceil")"
	printf '  %-22s %s\n' "carillon accepted/s" "$(num %.1f "$acc")"
	printf '  %-22s %s%%\n' "ratio to ceiling" "$(pct "${acc:-0}" "${ceil:-0}")"
	printf '  %-22s p50 %sms  p99 %sms  (ceiling: p50 %sms  p99 %sms)\n' "carillon latency" \
		"$(num %.2f "$(jget "$s" p50)")" "$(num %.2f "$(jget "$s" p99)")" \
		"$(num %.2f "$(jget "$c" p50)")" "$(num %.2f "$(jget "$c" p99)")"
	printf '  %-22s %s%%  (transport errors %s%%)\n' "carillon non-200" \
		"$(num %.3f "$(jget "$s" non_200_pct)")" "$(num %.3f "$(jget "$s" error_pct)")"
	if [[ -s $e ]]; then
		printf '  %-22s %s  (%s messages in %ss, drained: %s)\n' "end-to-end sent/s" \
			"$(num %.1f "$(jget "$e" sent_per_s)")" "$(jget "$e" messages)" \
			"$(num %.2f "$(jget "$e" seconds)")" "$(jget "$e" drained)"
		backlog=$(jget "$e" backlog_at_load_end)
		if [[ $backlog =~ ^[0-9]+$ && $backlog -gt 0 ]]; then
			printf '  %-22s %s messages, drained in %ss (%s/s)\n' "backlog after load" \
				"$backlog" "$(num %.2f "$(jget "$e" drain_seconds)")" \
				"$(num %.1f "$(jget "$e" drain_per_s)")"
		elif [[ $(jget "$e" drained) == true ]]; then
			printf '  %-22s none: the pipeline kept up with the load\n' "backlog after load"
		fi
	else
		printf '  %-22s n/a\n' "end-to-end sent/s"
	fi
	printf '  %-22s %s\n' "last accepted uuid" "$(jget "$s" last_uuid)"
}

failed=()
for store in "${stores[@]}"; do
	run_ceiling "$store" || failed+=("$store ceiling")
	run_carillon "$store" || failed+=("$store carillon")
done

echo
echo "carillon send benchmark: $duration measured after $warmup warmup, $conns connections, $recipients recipients"
for store in "${stores[@]}"; do
	summary "$store"
done
describe_machine

if ((${#failed[@]} > 0)); then
	log "failed: ${failed[*]}"
	exit 1
fi
