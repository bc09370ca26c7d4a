#!/bin/sh
# Build and run every test suite, then print one summary line that adds up
# the "N passed, N failed" lines of each suite. Exit non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
log=build/test-logs
mkdir -p "$log"
total_p=0
total_f=0
rc=0

run() { # name command...
	name=$1
	shift
	echo "== $name"
	"$@" >"$log/$name.log" 2>&1
	r=$?
	grep -E '^FAIL|check failed' "$log/$name.log" | head -50
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log/$name.log" | tail -1)
	if [ -z "$line" ]; then
		echo "$name: no summary (exit $r); last lines:"
		tail -20 "$log/$name.log"
		total_f=$((total_f + 1))
		rc=1
		return
	fi
	echo "$name: $line"
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed*}
	total_p=$((total_p + p))
	total_f=$((total_f + f))
	# A suite that exits non-zero with no failed test (a sanitizer's
	# leak report after the summary, a crash at exit) is a failure the
	# summary line must show too.
	if [ "$r" -ne 0 ]; then
		rc=1
		if [ "$f" -eq 0 ]; then
			echo "$name: exit $r after its tests; last lines:"
			tail -20 "$log/$name.log"
			total_f=$((total_f + 1))
		fi
	fi
}

build() { # make args...
	if ! make -s -j"$JOBS" "$@" >"$log/build.log" 2>&1; then
		cat "$log/build.log"
		echo "0 passed, 1 failed"
		exit 1
	fi
}

build build/dxgw build/unit build/integ
run lint sh scripts/lint.sh
run unit build/unit
run integration build/integ
build SANITIZE=1 build/san/unit build/san/dxgw
ASAN_OPTIONS=detect_leaks=1 run unit-asan build/san/unit
# The daemon and the client under ASan/UBSan, driven by the same tests.
GW_DXGW=build/san/dxgw ASAN_OPTIONS=detect_leaks=1 run integration-asan build/integ
[ "$total_f" -ne 0 ] && rc=1
echo "$total_p passed, $total_f failed"
exit $rc
