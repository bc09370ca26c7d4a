#!/bin/sh
# make bench: dxgw against a bare gSOAP server on loopback, then the
# outbound pipeline against OpenSSL (last section).
# For 10 KB, 100 KB and 1 MB documents with 1, 4 and 16 concurrent
# keep-alive clients: submissions per second, median and p99 latency;
# the ratio dxgw / bare; and dxgw's peak RSS (VmHWM). dxgw runs with its
# durable commit (SQLite WAL + fsync, spool fsync) in build/bench-run.
set -eu
cd "$(dirname "$0")/.."
make -s build/dxgw build/bench/loadgen build/bench/baresrv build/bench/syncfloor \
    build/bench/outbench
R=build/bench-run
rm -rf "$R"
mkdir -p "$R"
cat >"$R/dxgw.conf" <<CONF
listen = 127.0.0.1:0
store = sqlite:$PWD/$R/dxgw.db
spool_dir = $PWD/$R/spool
workers = 16
log_level = warning
# The XDR accept path alone (durable commit included): the bench's
# recipients have no certificates, and the outbound pipeline is measured
# on its own below.
recipient_check = async
delivery_workers = 0
CONF

port_of() { # file -> port printed by the server
	for _ in $(seq 1 50); do
		p=$(sed -n 's/.*:\([0-9][0-9]*\)\(\/xdr\)\{0,1\}$/\1/p;s/.*port \([0-9]*\)$/\1/p' "$1" | head -1)
		[ -n "$p" ] && { echo "$p"; return; }
		sleep 0.1
	done
	echo "no port in $1" >&2
	exit 1
}

build/dxgw serve -c "$R/dxgw.conf" >"$R/dxgw.out" 2>"$R/dxgw.log" &
DXGW=$!
build/bench/baresrv 0 16 >"$R/bare.out" 2>&1 &
BARE=$!
trap 'kill $DXGW $BARE 2>/dev/null || true' EXIT
DP=$(port_of "$R/dxgw.out")
BP=$(port_of "$R/bare.out")

count() { # size clients -> number of requests
	case $1 in
	10240) echo $((600 * 1)) ;;
	102400) echo 400 ;;
	*) echo 128 ;;
	esac
}

# The disk's own floor, measured where the store lives (see syncfloor.c).
FLOOR=$(build/bench/syncfloor "$R" 200)
ONE=$(echo "$FLOOR" | sed 's/.*one_ms=\([0-9.]*\).*/\1/')
echo "durable write floor on this disk: $FLOOR (median ms)"

printf '%-8s %-7s | %-28s | %-28s | %s\n' size clients \
    "dxgw rps / median / p99 ms" "bare gSOAP rps / median / p99" ratio
for size in 10240 102400 1048576; do
	for c in 1 4 16; do
		n=$(count $size)
		d=$(build/bench/loadgen "$DP" $size $c "$n")
		b=$(build/bench/loadgen "$BP" $size $c "$n")
		drps=$(echo "$d" | sed 's/.*rps=\([0-9.]*\).*/\1/')
		brps=$(echo "$b" | sed 's/.*rps=\([0-9.]*\).*/\1/')
		fmt() { echo "$1" | sed 's/rps=\([0-9.]*\) median_ms=\([0-9.]*\) p99_ms=\([0-9.]*\).*/\1 \/ \2 \/ \3/'; }
		printf '%-8s %-7s | %-28s | %-28s | %s\n' $size $c \
		    "$(fmt "$d")" "$(fmt "$b")" \
		    "$(awk -v a="$drps" -v b="$brps" 'BEGIN { printf("%.2f", (b > 0) ? a / b : 0) }')"
		if [ "$c" = 1 ]; then
			bmed=$(echo "$b" | sed 's/.*median_ms=\([0-9.]*\).*/\1/')
			awk -v m="$bmed" -v f="$ONE" 'BEGIN { printf("  (1 client: any durable server needs >= bare median %.2f + one sync %.2f ms; ratio ceiling %.2f)\n", m, f, m / (m + f)) }'
		fi
		case "$d$b" in *failed=0*failed=0*) ;; *) echo "  failures: dxgw[$d] bare[$b]" ;; esac
	done
done
echo "dxgw peak RSS (VmHWM): $(grep VmHWM /proc/$DXGW/status | awk '{print $2, $3}')"
echo "bare peak RSS (VmHWM): $(grep VmHWM /proc/$BARE/status | awk '{print $2, $3}')"
echo "submissions stored: $(sqlite3 "$R/dxgw.db" 'select count(*) from submissions')"

# The outbound pipeline (issue 3 item 9): accepted submission -> signed,
# encrypted message committed in the queue, in process (bench/outbench.c),
# next to an in-process OpenSSL CMS sign+encrypt loop on the same bytes
# and keys (the ceiling) and the openssl cms command line (timed here).
# OUTBENCH_SCALE multiplies the message counts (default 1).
kill $DXGW $BARE 2>/dev/null || true
CCD=${GW_CORPUS:-../shared/corpus}/ccda/hl7-ccda-2.1/C-CDA_R2-1_CCD.xml
PKI=build/direct-pki
O=$PWD/$R/outbound
sh certs/mkdirect.sh "$PKI"
rm -rf "$O"
mkdir -p "$O/payloads"
build/bench/outbench payloads "$O/payloads" "$CCD"

cli_rate() { # size iterations -> messages per second
	t0=$(date +%s.%N)
	i=0
	while [ $i -lt "$2" ]; do
		openssl cms -sign -binary -md sha256 -signer "$PKI/ehr-a.crt" \
		    -inkey "$PKI/ehr-a.key" -in "$O/payloads/doc-$1.xml" |
		    openssl cms -encrypt -binary -aes128 -out /dev/null \
		    "$PKI/doc-b.crt"
		i=$((i + 1))
	done
	t1=$(date +%s.%N)
	awk -v n="$2" -v a="$t0" -v b="$t1" 'BEGIN { printf("%.1f", n / (b - a)) }'
}

echo
echo "outbound: accepted submission -> signed, encrypted message in the queue"
C10=$(cli_rate 10240 40)
C100=$(cli_rate 102400 40)
C1M=$(cli_rate 1048576 20)
build/bench/outbench run "$O/run" "$PWD/$PKI" "$CCD" "${OUTBENCH_SCALE:-1}" \
    "$C10" "$C100" "$C1M"
echo "  ceiling: in-process CMS sign (detached, SHA-256) then encrypt"
echo "  (AES-128-CBC, one RecipientInfo) of the same bytes, same keys;"
echo "  cli: openssl cms -sign | openssl cms -encrypt, single stream."
