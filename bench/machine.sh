# Sourced by the benchmark scripts: describe_machine prints what the
# figures were measured on, and the load at that moment.
describe_machine() {
	echo "== machine =="
	printf '  %-22s %s\n' "cpus" "$(nproc)"
	printf '  %-22s %s\n' "cpu" "$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)"
	printf '  %-22s %s\n' "memory" "$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	printf '  %-22s %s\n' "go" "$(go version)"
	printf '  %-22s %s\n' "kernel" "$(uname -srm)"
	printf '  %-22s %s\n' "load average" "$(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at $(date -u +%H:%M:%SZ)"
}
