#!/bin/sh
# make bench: dxgw against a bare gSOAP server on loopback, then the
# outbound pipeline against OpenSSL, then the inbound pipeline (the
# security agent against OpenSSL), the delivery tracking (MDNs kept and
# tracked, the store's growth per message), then end to end from SMTP
# to an EHR sink.
# For 10 KB, 100 KB and 1 MB documents with 1, 4 and 16 concurrent
# keep-alive clients: submissions per second, median and p99 latency;
# the ratio dxgw / bare; and dxgw's peak RSS (VmHWM). dxgw runs with its
# durable commit (SQLite WAL + fsync, spool fsync) in build/bench-run.
set -eu
cd "$(dirname "$0")/.."
make -s build/dxgw build/bench/loadgen build/bench/baresrv build/bench/syncfloor \
    build/bench/outbench build/bench/inbench build/bench/smtpload \
    build/bench/trackbench build/bench/cdabench
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
# OUTBENCH_RENDER=no measures without the C-CDA rendering in INDEX.HTM
# (config xdm_render; on by default, about 2 ms per 100 KB document).
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

# The inbound pipeline (issue 4 item 10): Direct messages of about 10 KB,
# 100 KB and 1 MB on the wire (bench/inbench.c: a C-CDA attachment,
# signed by ehr@direct-a.example, encrypted to doc@direct-b.example, made
# with dxgw's smime.c). In process: dxgw's security agent next to a
# minimal OpenSSL decrypt+verify loop on the same messages and keys (the
# ceiling) and the openssl cms command line (timed here). Then, once
# dxgw serve takes SMTP, end to end: SMTP DATA (bench/smtpload.c) to the
# ITI-41 accepted by dxgw ehr-sink. INBENCH_SCALE multiplies the
# in-process message counts (default 1).
IN=$PWD/$R/in
rm -rf "$IN"
in_count() { # size -> messages per end-to-end run (and files made)
	case $1 in
	10240) echo 300 ;;
	102400) echo 150 ;;
	*) echo 30 ;;
	esac
}
build/bench/inbench messages "$IN" "$PKI" "$CCD" "$(in_count 10240)" \
    "$(in_count 102400)" "$(in_count 1048576)" >/dev/null

in_cli_rate() { # size iterations -> messages per second
	t0=$(date +%s.%N)
	i=0
	for f in "$IN/$1"/*.eml; do
		[ $i -lt "$2" ] || break
		i=$((i + 1))
		openssl cms -decrypt -in "$f" -recip "$PKI/doc-b.crt" \
		    -inkey "$PKI/doc-b.key" |
		    openssl cms -verify -CAfile "$PKI/anchor-a.pem" \
			-out /dev/null 2>/dev/null ||
		    { echo "openssl cms did not open $f" >&2; exit 1; }
	done
	t1=$(date +%s.%N)
	awk -v n="$2" -v a="$t0" -v b="$t1" 'BEGIN { printf("%.1f", n / (b - a)) }'
}

echo
echo "inbound, in process: Direct message -> decrypted, verified, trusted inner message"
I10=$(in_cli_rate 10240 40)
I100=$(in_cli_rate 102400 40)
I1M=$(in_cli_rate 1048576 20)
build/bench/inbench run "$IN" "$PKI" "${INBENCH_SCALE:-1}" "$I10" "$I100" "$I1M"
echo "  ceiling: base64 decoded in one call, CMS_decrypt, multipart/signed"
echo "  split by hand, CMS_verify (detached, chain to the anchor); agent:"
echo "  gw_agent_incoming() (decrypt, verify, trust, unwrap, header checks);"
echo "  cli: openssl cms -decrypt | openssl cms -verify, single stream;"
echo "  reader: the same loop with SMIME_read_CMS for both layers."
echo "  Best of 3 runs (ceiling and agent alternating); best of 1 for the reader."


# Delivery tracking (issue 5 item 7), in process (bench/trackbench.c) on
# a fresh store in $R/track: TRACKBENCH_N messages in flight (default
# 10000; submissions accepted, queued with final delivery asked for,
# claimed and sent), then a processed and a dispatched MDN for each kept
# as the inbound leg keeps them, then gw_tracker_run_once() until every
# notice is tracked. It exits 2 unless every recipient ends dispatched
# and final. Prints the setup time, notices per second kept and
# tracked, and the store's growth per message (database, spool).
echo
echo "tracking: MDNs -> recipients dispatched and final (TRACKBENCH_N=${TRACKBENCH_N:-10000})"
rm -rf "$R/track"
build/bench/trackbench run "$PWD/$R/track" "$CCD" "${TRACKBENCH_N:-10000}"

# End to end, once dxgw serve takes SMTP: a second dxgw as HISP B
# (doc-b's key, ehr-a's certificate for the MDNs, anchor-a for
# direct-b.example; doc@direct-b.example -> dxgw ehr-sink), on a fresh
# store for each inbound_workers setting (1, then 2), 4 SMTP sessions
# from smtpload. Messages per second from the first DATA to the newest
# submission directory of the sink (its ctime), compared per worker
# thread with the 1-thread ceiling above (the target is >= 0.50).
E=$IN/e2e
mkdir -p "$E/sink"
printf 'keys_dir = %s\n' "$E/keys" >"$E/keys.conf"
cat "$PKI/doc-b.crt" "$PKI/doc-b.key" >"$E/doc-b.pem"
build/dxgw cert import -c "$E/keys.conf" "$E/doc-b.pem" >/dev/null
build/dxgw cert import -c "$E/keys.conf" "$PKI/ehr-a.crt" >/dev/null
build/dxgw anchor add -c "$E/keys.conf" direct-b.example \
    "$PKI/anchor-a.pem" >/dev/null
SMTPP=$(build/bench/inbench freeport)
SINK=
IND=
trap 'kill $DXGW $BARE $SINK $IND 2>/dev/null || true' EXIT
build/dxgw ehr-sink --listen 127.0.0.1:0 --dir "$E/sink" >"$E/sink.out" \
    2>"$E/sink.log" &
SINK=$!
SINKP=$(port_of "$E/sink.out")

sink_count() {
	find "$E/sink" -mindepth 1 -maxdepth 1 -type d ! -name '.*' 2>/dev/null |
	    wc -l
}
sink_last() { # ctime of the newest submission directory
	find "$E/sink" -mindepth 1 -maxdepth 1 -type d ! -name '.*' \
	    -printf '%C@\n' 2>/dev/null | sort -n | tail -1
}

# dxgw serve with $1 inbound workers on a fresh store: 0 when it runs,
# 1 when it refused to start (its message in $E/w$1/dxgw.log).
in_serve() {
	D=$E/w$1
	mkdir -p "$D"
	cat >"$D/base.conf" <<CONF
listen = 127.0.0.1:0
store = sqlite:$D/dxgw.db
spool_dir = $D/spool
keys_dir = $E/keys
hostname = dxgw-b.bench.test
workers = 4
log_level = warning
# MDNs are queued, not sent (as in the XDR section above).
recipient_check = async
delivery_workers = 0
CONF
	{
		cat "$D/base.conf"
		echo "smtp_listen = 127.0.0.1:$SMTPP"
		echo "smtp_require_tls = no"
		echo "inbound_workers = $1"
	} >"$D/dxgw.conf"
	build/dxgw addr add -c "$D/base.conf" doc@direct-b.example \
	    "http://127.0.0.1:$SINKP/xdr" >/dev/null
	build/dxgw serve -c "$D/dxgw.conf" >"$D/dxgw.out" 2>"$D/dxgw.log" &
	IND=$!
	for _ in $(seq 1 50); do
		grep -q listening "$D/dxgw.out" && return 0
		kill -0 $IND 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $IND 2>/dev/null && return 0
	wait $IND 2>/dev/null || true
	IND=
	return 1
}

in_stop() {
	kill $IND 2>/dev/null || true
	wait $IND 2>/dev/null || true
	IND=
}

# One run: size, workers -> one table row.
in_e2e() {
	n=$(in_count "$1")
	before=$(sink_count)
	if ! out=$(build/bench/smtpload 127.0.0.1 "$SMTPP" ehr@direct-a.example \
	    doc@direct-b.example "$IN/$1" "$n" 4); then
		echo "  smtpload failed: $out (dxgw log: $E/w$2/dxgw.log)"
		return
	fi
	# The sink writes each submission in well under a second; allow
	# 60 s plus a second per message before calling it stuck.
	limit=$(($(date +%s) + 60 + n))
	while [ "$(sink_count)" -lt $((before + n)) ]; do
		if [ "$(date +%s)" -gt $limit ]; then
			printf '%-8s %-7s | stuck: %d of %d at the sink (dxgw log: %s)\n' \
			    "$1" "$2" $(($(sink_count) - before)) "$n" "$E/w$2/dxgw.log"
			return
		fi
		sleep 0.05
	done
	awk -v size="$1" -v w="$2" -v n="$n" -v last="$(sink_last)" \
	    -v out="$out" -v cli="$(case $1 in 10240) echo "$I10" ;; 102400) echo "$I100" ;; *) echo "$I1M" ;; esac)" \
	    -v ceil="$(awk -v s="$1" '$1 == s { print $2 }' "$IN/ceiling")" '
	function kv(k,   m) { return match(out, k "=[0-9.]+") ? substr(out, RSTART + length(k) + 1, RLENGTH - length(k) - 1) : 0 }
	BEGIN {
		rate = n / (last - kv("first_data"))
		printf("%-8s %-7s | %9.1f | %10.1f | %18.2f | %-29s | %.1f\n",
		    size, w, rate, rate / w, (ceil > 0) ? rate / w / ceil : 0,
		    sprintf("%.1f / %.2f / %.2f", kv("msgs_per_s"), kv("median_ms"), kv("p99_ms")),
		    (cli > 0) ? rate / cli : 0)
	}'
}

echo
echo "inbound end-to-end: SMTP DATA -> ITI-41 accepted by dxgw ehr-sink"
if ! in_serve 1; then
	if grep -q -E 'smtp_listen|inbound_workers' "$E/w1/dxgw.log"; then
		echo "inbound end-to-end: pipeline not built yet ($(head -1 "$E/w1/dxgw.log"))"
		exit 0
	fi
	echo "inbound end-to-end: dxgw serve did not start: $(cat "$E/w1/dxgw.log")"
	exit 1
fi
printf '%-8s %-7s | %-9s | %-10s | %-18s | %-29s | %s\n' size workers \
    "msg/s" "per worker" "per worker/ceiling" \
    "smtp accept msg/s / med / p99" "msg/s / cli"
for w in 1 2; do
	[ "$w" = 1 ] || in_serve "$w" || {
		echo "  dxgw serve did not start: $(cat "$E/w$w/dxgw.log")"
		exit 1
	}
	for size in 10240 102400 1048576; do
		in_e2e $size "$w"
	done
	in_stop
done
echo "  smtp accept: smtpload's view (the message durably taken, 250 after"
echo "  the final dot), median and p99 ms of that step; per worker/ceiling:"
echo "  messages per second per inbound worker over the 1-thread ceiling."

# C-CDA work (issue 6 item 7), in process (bench/cdabench.c) over every
# complete document of the corpus: metadata, XSD, Schematron with dxgw's
# engine, and the straightforward XSLT pipeline on every 8th document.
echo
build/bench/cdabench "${GW_CORPUS:-../shared/corpus}" xslt "${CDABENCH_EVERY:-8}"
echo "  per document, one thread; median and p99 in ms. schematron: the"
echo "  C-CDA R2.1 errors phase. xslt: xslt/sch-to-xslt.xsl compiled once,"
echo "  run by libxslt; the same documents then checked by dxgw's engine."
