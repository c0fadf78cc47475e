#!/usr/bin/env bash
# Benchmark of carillon's webhook delivery (bench/webhookload), on SQLite and
# PostgreSQL, in three scenarios: a receiver that answers at once, one that
# answers after 50 ms, and one that is down for a while (backlog drain).
#
#   bash bench/webhooks.sh [sqlite|postgres|all]      (default: all)
#
# Environment (all optional):
#   BENCH_WEBHOOK_EVENTS       events per run (default 100000)
#   BENCH_WEBHOOK_SUBJECTS     contacts the events are spread over (default 1000)
#   BENCH_WEBHOOK_CONCURRENCY  deliveries in flight (default 64)
#   BENCH_WEBHOOK_DELAY        answer delay of the slow receiver (default 50ms)
#   BENCH_WEBHOOK_DOWN         how long the receiver is down (default 10s)
#   BENCH_WEBHOOK_SCENARIOS    scenarios to run (default "instant slow drain")
#   BENCH_DATABASE_URL         PostgreSQL URL
#                              (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable);
#                              webhookload uses schema bench_webhooks of it,
#                              dropped and created again, never schema public
#   BENCH_KEEP=1               keep the temporary directory (binary, logs, JSON)
#
# PostgreSQL is skipped, with a note, when it does not answer.
set -euo pipefail

usage() { echo "usage: bash bench/webhooks.sh [sqlite|postgres|all]" >&2; exit 2; }
case "${1:-all}" in
	sqlite) stores=(sqlite) ;;
	postgres) stores=(postgres) ;;
	all) stores=(sqlite postgres) ;;
	*) usage ;;
esac
[[ $# -le 1 ]] || usage

cd "$(dirname "${BASH_SOURCE[0]}")/.."

events=${BENCH_WEBHOOK_EVENTS:-100000}
subjects=${BENCH_WEBHOOK_SUBJECTS:-1000}
concurrency=${BENCH_WEBHOOK_CONCURRENCY:-64}
delay=${BENCH_WEBHOOK_DELAY:-50ms}
down=${BENCH_WEBHOOK_DOWN:-10s}
read -r -a scenarios <<<"${BENCH_WEBHOOK_SCENARIOS:-instant slow drain}"
db_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/carillon-webhooks.XXXXXX")
cleanup() {
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		log "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

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

# pg_up: whether the PostgreSQL of db_url answers.
pg_up() {
	if command -v pg_isready >/dev/null; then
		pg_isready -q -d "$db_url" -t 3
	else
		local hostport=${db_url#*@}
		hostport=${hostport%%/*}
		(exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null
	fi
}

log "building bench/webhookload"
go build -o "$tmp/webhookload" ./bench/webhookload

results=()
for store in "${stores[@]}"; do
	args=(-events "$events" -subjects "$subjects" -concurrency "$concurrency" -delay "$delay" -down "$down" -json)
	if [[ $store == postgres ]]; then
		if ! pg_up; then
			log "postgres: $db_url does not answer; skipped"
			continue
		fi
		args+=(-database-url "$db_url")
	fi
	for scenario in "${scenarios[@]}"; do
		out=$tmp/$store-$scenario.json
		log "$store: $scenario ($events events over $subjects subjects)"
		rc=0
		"$tmp/webhookload" "${args[@]}" -scenario "$scenario" >"$out" 2>"$tmp/$store-$scenario.err" || rc=$?
		if [[ $rc -ge 2 || ! -s $out ]]; then
			log "$store: $scenario failed:"
			tail -n 5 "$tmp/$store-$scenario.err" >&2
		fi
		results+=("$store $scenario $rc")
	done
done

echo
echo "Webhook delivery: $events message_status_updated events (~1.2 KB) over $subjects subjects, concurrency $concurrency"
echo
printf '%-8s  %-8s  %10s  %8s  %8s  %10s  %26s  %s\n' \
	store scenario delivered/s p50_ms p99_ms insert/s 'drain: down/resumed/empty' checks
for r in "${results[@]}"; do
	read -r store scenario rc <<<"$r"
	f=$tmp/$store-$scenario.json
	drain=- rate=events_per_s
	if [[ $scenario == drain ]]; then
		rate=drain_per_s
		drain="$(num %.1f "$(jget "$f" down_s)")s/$(num %.1f "$(jget "$f" up_to_all_subjects_s)")s/$(num %.1f "$(jget "$f" up_to_empty_s)")s"
	fi
	checks=ok
	if [[ $rc == 1 ]]; then
		checks="FAILED (dup $(jget "$f" duplicates), missing $(jget "$f" missing), out of order $(jget "$f" out_of_order))"
	elif [[ $rc != 0 ]]; then
		checks="error (see log)"
	fi
	printf '%-8s  %-8s  %10s  %8s  %8s  %10s  %26s  %s\n' "$store" "$scenario" \
		"$(num %.0f "$(jget "$f" "$rate")")" "$(num %.2f "$(jget "$f" p50)")" "$(num %.2f "$(jget "$f" p99)")" \
		"$(num %.0f "$(jget "$f" insert_per_s)")" "$drain" "$checks"
done
echo
echo "delivered/s: events / seconds from the start of delivery until the store had no pending event;"
echo "  drain: from the first success after the receiver came back until the store was empty."
echo "p50/p99: attempt durations timed by the Deliverer (signing, request, answer); drain: after the receiver came back."
echo "drain: how long the receiver answered 503, then seconds after it came back until every subject had"
echo "a success again and until the store was empty (retries back off: 1 s doubling, +-20% jitter)."
echo
echo "machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1), $(free -g 2>/dev/null | awk '/^Mem:/ { print $2 " GiB" }'), $(go version | cut -d' ' -f3-), kernel $(uname -r)"
