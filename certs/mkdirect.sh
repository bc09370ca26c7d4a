#!/bin/sh
# Build a throw-away Direct test PKI with the openssl CLI (S/MIME tests):
#   anchor-a.pem, anchor-b.pem   trust anchors of two HISPs (A sends, B
#                                receives); also anchor-x.pem, trusted by
#                                no one
#   ehr-a.{crt,key}              address-bound: ehr@direct-a.example
#   dom-a.{crt,key}              domain-bound: direct-a.example
#   doc-b.{crt,key}              address-bound: doc@direct-b.example
#   dom-b.{crt,key}              domain-bound: direct-b.example
#   weak-b.{crt,key}             doc@direct-b.example with a 1024-bit key
#   expired-b.{crt,key}          doc@direct-b.example, expired in 2021
#   nosan-b.{crt,key}            no subjectAltName at all
#   signonly-b.{crt,key}         doc@direct-b.example, keyUsage
#                                digitalSignature only
#   stranger.{crt,key}           doc@direct-b.example under anchor-x
#   expired-a.{crt,key}          ehr@direct-a.example, expired in 2021
#   nurse-a.{crt,key}            nurse@direct-a.example (another sender)
#   stranger-a.{crt,key}         ehr@direct-a.example under anchor-x
# Keys stay in DIR and are never committed.
set -eu
DIR=${1:-build/direct-pki}
mkdir -p "$DIR"
cd "$DIR"
umask 077

# Each certificate is made once: a re-run adds only what is missing.
anchor() { # name cn
	[ -f "$1.pem" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 \
	    -subj "/O=dxgw test/CN=$2" -keyout "$1.key" -out "$1.pem" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# leaf name ca bits san keyusage [startdate enddate]
leaf() {
	[ -f "$1.crt" ] && return 0
	openssl req -newkey "rsa:$3" -nodes -sha256 \
	    -subj "/O=dxgw test/CN=$1" -keyout "$1.key" -out "$1.csr" \
	    2>/dev/null
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=$5"
		[ -n "$4" ] && echo "subjectAltName=$4"
		true
	} >"$1.ext"
	if [ $# -ge 7 ]; then
		# The x509 command cannot back-date; a minimal "ca" can.
		mkdir -p ca-db
		: >ca-db/index.txt
		[ -f ca-db/serial ] || echo 1000 >ca-db/serial
		cat >ca-db/ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[p]
commonName = supplied
organizationName = optional
CNF
		openssl ca -batch -notext -config ca-db/ca.cnf -cert "$2.pem" \
		    -keyfile "$2.key" -startdate "$6" -enddate "$7" \
		    -extfile "$1.ext" -in "$1.csr" -out "$1.crt" 2>/dev/null
	else
		openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
		    -CAcreateserial -days 825 -sha256 -extfile "$1.ext" \
		    -out "$1.crt" 2>/dev/null
	fi
	rm -f "$1.csr" "$1.ext"
}

KU=digitalSignature,keyEncipherment
anchor anchor-a "Direct A anchor"
anchor anchor-b "Direct B anchor"
anchor anchor-x "Stranger anchor"
leaf ehr-a anchor-a 2048 "email:ehr@direct-a.example" $KU
leaf dom-a anchor-a 2048 "DNS:direct-a.example" $KU
leaf doc-b anchor-b 2048 "email:doc@direct-b.example" $KU
leaf dom-b anchor-b 2048 "DNS:direct-b.example" $KU
leaf weak-b anchor-b 1024 "email:doc@direct-b.example" $KU
leaf nosan-b anchor-b 2048 "" $KU
leaf signonly-b anchor-b 2048 "email:doc@direct-b.example" digitalSignature
leaf expired-b anchor-b 2048 "email:doc@direct-b.example" $KU \
    20200101000000Z 20210101000000Z
leaf stranger anchor-x 2048 "email:doc@direct-b.example" $KU
leaf expired-a anchor-a 2048 "email:ehr@direct-a.example" $KU \
    20200101000000Z 20210101000000Z
leaf nurse-a anchor-a 2048 "email:nurse@direct-a.example" $KU
leaf stranger-a anchor-x 2048 "email:ehr@direct-a.example" $KU
rm -rf ca-db ./*.srl
chmod 600 ./*.key
chmod 644 ./*.crt ./*.pem
