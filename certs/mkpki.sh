#!/bin/sh
# Build a throw-away test/demo PKI with the openssl CLI:
#   ca.pem                 test CA (signs servers and EHR clients)
#   server.pem             localhost server cert + key (for tls_cert)
#   client-ehr1.pem        EHR client cert + key, CN=ehr1
#   client-ehr2.pem        EHR client cert + key, CN=ehr2
#   rogue.pem              self-signed client cert + key, CN=ehr1 (untrusted)
#   wild.pem               server cert whose only name is a bare "*"
#                          (a client must refuse it, RFC 6125)
# Keys never leave DIR and are never committed. Fixed validity windows are
# not possible with the openssl CLI alone, so certificates are valid from
# now for 825 days.
set -eu
DIR=${1:-build/pki}
mkdir -p "$DIR"
cd "$DIR"
[ -f ca.pem ] && [ -f server.pem ] && [ -f client-ehr2.pem ] &&
    [ -f rogue.pem ] && [ -f wild.pem ] && exit 0
umask 077

openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 \
    -subj "/O=dxgw test/CN=dxgw test CA" -keyout ca.key -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

leaf() { # name subject san eku
	openssl req -newkey rsa:2048 -nodes -sha256 -subj "$2" \
	    -keyout "$1.key" -out "$1.csr" 2>/dev/null
	printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' \
	    "$4" "$3" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 825 -sha256 -extfile "$1.ext" \
	    -out "$1.crt" 2>/dev/null
	cat "$1.crt" "$1.key" >"$1.pem"
	rm -f "$1.csr" "$1.ext"
}

leaf server "/O=dxgw test/CN=localhost" \
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth
leaf wild "/O=dxgw test/CN=*" "subjectAltName=DNS:*" serverAuth
leaf client-ehr1 "/O=dxgw test/CN=ehr1" "" clientAuth
leaf client-ehr2 "/O=dxgw test/CN=ehr2" "" clientAuth

openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 \
    -subj "/O=dxgw test/CN=ehr1" -keyout rogue.key -out rogue.crt 2>/dev/null
cat rogue.crt rogue.key >rogue.pem
chmod 600 ./*.key ./*.pem
chmod 644 ca.pem
