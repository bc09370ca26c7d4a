#!/bin/sh
# A private Postfix instance on loopback for the tests (never the system
# one): it listens on 127.0.0.1:PORT with STARTTLS (certificate and key
# from CERT, a PEM with both), accepts mail for DOMAIN only and delivers
# it with the virtual(8) agent into the mbox file DIR/mail/DOMAIN, or,
# given RELAY (host:port), relays it there as the front MTA of that
# domain (opportunistic STARTTLS).
#   postfix-test.sh start DIR PORT DOMAIN CERT [RELAY]
#   postfix-test.sh stop DIR
# Logs go to DIR/maillog. Needs root (Postfix's master runs as root and
# drops to the postfix user); make deps installs the package.
set -eu
cmd=$1
DIR=$2
CONF="$DIR/etc"
case $cmd in
stop)
	postfix -c "$CONF" stop >/dev/null 2>&1 || true
	exit 0
	;;
start) ;;
*)
	echo "usage: $0 start DIR PORT DOMAIN CERT [RELAY] | stop DIR" >&2
	exit 2
	;;
esac
umask 022
PORT=$3
DOMAIN=$4
CERT=$5
RELAY=${6:-}
mkdir -p "$CONF" "$DIR/queue" "$DIR/data" "$DIR/mail"
# Postfix's unprivileged processes must reach the queue and mailboxes.
d=$(cd "$DIR" && pwd)
while [ "$d" != / ]; do
	if ! su -s /bin/sh postfix -c "test -x '$d'" 2>/dev/null; then
		echo "postfix-test: $d is not searchable by user postfix" >&2
		exit 1
	fi
	d=$(dirname "$d")
done
chown postfix "$DIR/data" "$DIR/mail"
cp /etc/postfix/dynamicmaps.cf "$CONF/" 2>/dev/null || true
[ -d /etc/postfix/dynamicmaps.cf.d ] &&
	cp -r /etc/postfix/dynamicmaps.cf.d "$CONF/"
# Postfix wants the key before its certificate in a chain file.
(umask 077 && openssl pkey -in "$CERT" >"$CONF/tls.pem" &&
	openssl x509 -in "$CERT" >>"$CONF/tls.pem")
cat >"$CONF/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $DIR/queue
data_directory = $DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.$DOMAIN
mydomain = $DOMAIN
myorigin = $DOMAIN
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_base = $DIR/mail
virtual_mailbox_maps = static:$DOMAIN
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)
virtual_mailbox_lock = fcntl
smtpd_tls_chain_files = $CONF/tls.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
maillog_file_prefixes = $DIR
maillog_file = $DIR/maillog
alias_maps =
alias_database =
biff = no
CF
if [ -n "$RELAY" ]; then
	# Front MTA: DOMAIN is relayed to RELAY instead of delivered here.
	cat >>"$CONF/main.cf" <<CF
virtual_mailbox_domains =
relay_domains = $DOMAIN
transport_maps = inline:{ $DOMAIN=smtp:[${RELAY%:*}]:${RELAY##*:} }
smtp_tls_security_level = may
CF
fi
cat >"$CONF/master.cf" <<CF
127.0.0.1:$PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
postfix -c "$CONF" set-permissions >/dev/null 2>&1 || true
# Messages go to the log file; show it when something fails.
postfix -c "$CONF" check && postfix -c "$CONF" start || {
	cat "$DIR/maillog" >&2 2>/dev/null
	exit 1
}
