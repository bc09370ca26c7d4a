#!/bin/sh
# Machine-enforced style (STYLE-ANCHORS.md 5.15, 6): clang-format, banned
# functions, the gw_ prefix on every cross-file symbol, and the rule that
# each third-party library is included by its owning module only.
# Prints one line per check and "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
check() { # name, then the command's output must be empty
	name=$1
	shift
	out=$("$@" 2>&1)
	if [ -z "$out" ]; then
		echo "PASS $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		echo "$out" | head -20 | sed "s|^|    check failed: |"
		fail=$((fail + 1))
	fi
}

fmt() {
	for f in gateway/*.c gateway/*.h tests/*.c tests/*.h tests/*/*.c \
	    tests/*/*.h; do
		clang-format --dry-run "$f" 2>&1 | grep -m1 -o '^[^:]*:[0-9]*' &&
		    echo "  (clang-format -i $f)"
	done
}

banned() {
	grep -n -E '\b(sprintf|vsprintf|strcpy|strcat|strncpy|strncat|gets|strtok|atoi|atol|atof|sscanf|tmpnam|mktemp|alloca|rand|system|popen)\s*\(' \
	    gateway/*.c gateway/*.h | grep -v -E '^\S+:\s*[0-9]+:\s*/?\*'
}

prefix() {
	for o in build/obj/*.o; do
		[ "$o" = build/obj/main.o ] && continue
		nm -g --defined-only "$o" | awk '$2 ~ /[TDBR]/ {print $3}' |
		    grep -v -E '^(gw_|__xds__PnR$|SOAP_ENV__Fault$|namespaces$)' |
		    sed "s|^|$o: |"
	done
}

owners() { # library header prefix, then the files allowed to include it
	lib=$1
	shift
	for f in gateway/*.c gateway/*.h; do
		grep -l "#include <$lib" "$f" >/dev/null 2>&1 || continue
		ok=0
		for a in "$@"; do [ "$f" = "gateway/$a" ] && ok=1; done
		[ $ok -eq 1 ] || echo "$f includes <$lib...>"
	done
}

libs() {
	owners libxml xdsxml.c cda.c xform.c sch.c sch_load.c sch_int.h cdaval.c
	owners libxslt xdsxml.c cda.c xform.c
	owners sqlite3 store_sqlite.c store_sqlite_ckpt.c store_sqlite_ckpt.h \
	    store_sqlite_util.c store_sqlite_util.h store_sqlite_queue.c \
	    store_sqlite_queue.h store_sqlite_addr.c store_sqlite_addr.h \
	    store_sqlite_inbound.c store_sqlite_inbound.h \
	    store_sqlite_track.c store_sqlite_track.h \
	    store_sqlite_status.c store_sqlite_status.h
	owners openssl/ssl tls.c netio.c srvio.c smtpsrv.c adminsrv.c
	owners openssl/x509 tls.c smime.c certfile.c trust.c netio.c
	owners openssl/evp digest.c spool.c store_sqlite.c tls.c smime.c \
	    certfile.c
	owners openssl/cms smime.c
	owners openssl/pem smime.c certfile.c
	owners openssl/pkcs12 certfile.c
	owners openssl/bio smime.c certfile.c
	owners uuid id.c
	owners zip xdm.c
	owners libdeflate zipw.c
	owners openssl/rand id.c
	owners gmime mime.c mime_parse.c
	owners glib mime.c mime_parse.c
	for f in gateway/*.c; do
		case $f in
		gateway/xdrsrv.c | gateway/xdrpnr.c | gateway/xdrcli.c | gateway/soapns.c) ;;
		*) grep -l '"soapH.h"' "$f" ;;
		esac
	done
}

make -s build/dxgw >/dev/null 2>&1 || { echo "build failed"; exit 1; }
check clang-format fmt
check banned-functions banned
check symbol-prefix prefix
check library-owners libs
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
