#!/bin/sh
# bench/machine.sh — the machine a benchmark ran on, as one JSON object
# (CPU, cores available to the run and online, memory, OS, compiler, OpenBLAS package, date, and the load
# average when the part started: on a shared machine, how busy it was).
set -eu
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
cores=$(nproc)            # the CPUs this run may use (fewer under taskset)
online=$(nproc --all)     # the CPUs of the machine
mem_kb=$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/meminfo)
os=$(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release 2>/dev/null || echo unknown)
gcc_v=$(${CC:-cc} --version | head -n 1)
blas=$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null ||
       dpkg-query -W -f='${Version}' libopenblas0 2>/dev/null || echo unknown)
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
esc() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
printf '{"cpu": "%s", "cores": %s, "online_cores": %s, "memory_gib": %s, "os": "%s", "compiler": "%s", "openblas": "%s", "date": "%s", "loadavg": "%s"}\n' \
  "$(esc "$cpu")" "$cores" "$online" "$(awk "BEGIN { printf \"%.1f\", $mem_kb / 1048576 }")" \
  "$(esc "$os")" "$(esc "$gcc_v")" "$(esc "$blas")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$load"
