#!/usr/bin/env bash
# The whole life of messages through the real `carillon serve`, per store:
# accepted sends beside the ceiling, the sandbox's lifecycle to read (with
# and without a webhook), signed WhatsApp callbacks in, sends out through
# the WhatsApp Cloud API adapter to a fake Graph API and their receipts
# posted back as signed status callbacks; then the server's
# memory and the store's size per message. See bench/README.md.
#
#   bash bench/lifecycle.sh [sqlite|postgres|all]      (default: all)
#
# Environment (all optional):
#   BENCH_MESSAGES      sends per phase: lifecycle, webhook, whatsapp (default 20000)
#   BENCH_CALLBACKS     inbound callbacks (default 20000)
#   BENCH_CONNS         concurrent connections (default 64)
#   BENCH_RECIPIENTS    distinct recipients (default 1000)
#   BENCH_DURATION      accepted sends: measured load duration (default 10s)
#   BENCH_WARMUP        accepted sends: warmup (default 2s)
#   BENCH_PHASES        phases, comma-separated (default: all of
#                       accepted,lifecycle,webhook,inbound,whatsapp,receipts)
#   BENCH_DATABASE_URL  PostgreSQL URL
#                       (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable);
#                       the run works in a schema of its own, BENCH_SCHEMA
#   BENCH_SCHEMA        PostgreSQL schema (default bench_lifecycle), dropped
#                       and made again unless BENCH_DATA is set
#   BENCH_DATA          data folder of a store filled before (for instance
#                       by bench/consolepages -dir D: D/data, schema
#                       bench_console), measured as it is (and added to)
#   BENCH_PROFILE=1     save a CPU profile of the server for each phase
#   BENCH_PROFILE_DIR   where (default: a new folder under $TMPDIR)
#   BENCH_PROFILE_FOR   length of each profile from the phase's start (default 10s)
#   BENCH_VACUUM        PostgreSQL, when the server's autovacuum is off:
#                       auto (default: the bench does autovacuum's work on
#                       its schema, with the server's autovacuum settings)
#                       or never (dead rows pile up as on such a server)
#   BENCH_KEEP=1        keep the temporary folder (binaries, logs, JSON)
#
# Everything listens on 127.0.0.1 only, and everything started here is
# stopped on exit.
set -euo pipefail

usage() { echo "usage: bash bench/lifecycle.sh [sqlite|postgres|all]" >&2; exit 2; }
case "${1:-all}" in
	sqlite) stores=(sqlite) ;;
	postgres) stores=(postgres) ;;
	all) stores=(sqlite postgres) ;;
	*) usage ;;
esac
[[ $# -le 1 ]] || usage

cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/machine.sh

db_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/carillon-lifecycle.XXXXXX")
pid=
log() { echo "bench: $*" >&2; }
cleanup() {
	if [[ -n $pid ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		log "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building into $tmp"
for pkg in cmd/carillon bench/sendload bench/ceiling bench/lifecycle; do
	go build -o "$tmp/$(basename "$pkg")" "./$pkg"
done

args=(-carillon "$tmp/carillon" -sendload "$tmp/sendload" -ceiling "$tmp/ceiling"
	-messages "${BENCH_MESSAGES:-20000}" -callbacks "${BENCH_CALLBACKS:-20000}"
	-conns "${BENCH_CONNS:-64}" -recipients "${BENCH_RECIPIENTS:-1000}"
	-duration "${BENCH_DURATION:-10s}" -warmup "${BENCH_WARMUP:-2s}"
	-phases "${BENCH_PHASES:-accepted,lifecycle,webhook,inbound,whatsapp,receipts}")
[[ -n ${BENCH_DATA:-} ]] && args+=(-data "$BENCH_DATA")
[[ -n ${BENCH_VACUUM:-} ]] && args+=(-vacuum "$BENCH_VACUUM")
if [[ ${BENCH_PROFILE:-0} == 1 ]]; then
	profiles=${BENCH_PROFILE_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/carillon-profiles.XXXXXX")}
	args+=(-profile-dir "$profiles" -profile-for "${BENCH_PROFILE_FOR:-10s}")
fi

failed=()
for store in "${stores[@]}"; do
	store_args=()
	if [[ $store == postgres ]]; then
		store_args=(-database-url "$db_url" -schema "${BENCH_SCHEMA:-bench_lifecycle}")
	fi
	log "$store: load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
	# In the background and waited for, so that a signal reaches the trap
	# at once.
	"$tmp/lifecycle" "${args[@]}" "${store_args[@]}" -dir "$tmp/$store" >"$tmp/$store.txt" 2> >(tee "$tmp/$store.err" >&2) &
	pid=$!
	rc=0
	wait "$pid" || rc=$?
	pid=
	[[ $rc == 0 ]] || failed+=("$store (status $rc)")
done

echo
echo "carillon lifecycle benchmark: ${BENCH_CONNS:-64} connections, ${BENCH_RECIPIENTS:-1000} recipients, ${BENCH_MESSAGES:-20000} messages a phase, ${BENCH_CALLBACKS:-20000} callbacks"
for store in "${stores[@]}"; do
	if [[ -s $tmp/$store.txt ]]; then
		cat "$tmp/$store.txt"
	else
		echo "== $store == no result (see the log above)"
	fi
done
describe_machine
if ((${#failed[@]} > 0)); then
	log "failed: ${failed[*]}"
	exit 1
fi
