/*
 * NAME
 *	hisp - two-HISP integration scaffolding (see hisp.h)
 */
#include "hisp.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

const char *
gw_hisp_pki(void)
{
	return gw_test_pki("mkdirect.sh");
}

/*
 * Start a HISP: A is direct-a.example (our EHR ehr@), B is
 * direct-b.example (doc@). Each knows the other's public certificate
 * and trusts the other's anchor; its mail goes to relay_port.
 */
bool
gw_hisp_start(struct gw_hisp *h, char side, int smtp_port, int relay_port,
	      const char *extra)
{
	const char *own = side == 'a' ? "ehr-a" : "doc-b";
	const char *peer = side == 'a' ? "doc-b" : "ehr-a";
	const char *dom = side == 'a' ? "direct-a.example" : "direct-b.example";
	const char *anchor = side == 'a' ? "anchor-b" : "anchor-a";
	char conf[1024], cmd[8192];
	FILE *f;

	h->smtp_port = smtp_port;
	snprintf(conf, sizeof(conf),
		 "hostname = hisp-%c.test\n"
		 "smtp_listen = 127.0.0.1:%d\nsmtp_require_tls = no\n"
		 "relay_host = 127.0.0.1:%d\nsmtp_tls = none\n"
		 "recipient_check = sync\ndelivery_workers = 1\n"
		 "inbound_workers = 1\nretry_min = 1s\nretry_max = 2s\n%s",
		 side, smtp_port, relay_port, extra ? extra : "");
	if (!gw_daemon_start(&h->d, conf))
		return false;
	gw_daemon_stop(&h->d);
	snprintf(h->keys, sizeof(h->keys), "%s/keys", h->d.dir);
	if ((f = fopen(h->d.conf, "a")) == NULL)
		return false;
	fprintf(f, "keys_dir = %s\n", h->keys);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cat %s/%s.crt %s/%s.key >%s/own.pem && "
		 "%s cert import -c %s %s/own.pem && "
		 "%s cert import -c %s %s/%s.crt && "
		 "%s anchor add -c %s %s %s/%s.pem",
		 gw_hisp_pki(), own, gw_hisp_pki(), own, h->d.dir, gw_dxgw(),
		 h->d.conf, h->d.dir, gw_dxgw(), h->d.conf, gw_hisp_pki(), peer,
		 gw_dxgw(), h->d.conf, dom, gw_hisp_pki(), anchor);
	return gw_sh(cmd) == 0 && gw_daemon_restart(&h->d);
}

bool
gw_hisp_addr_add(const struct gw_hisp *h, const char *address, const char *url)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "%s addr add -c %s %s %s", gw_dxgw(),
		 h->d.conf, address, url);
	return gw_sh(cmd) == 0;
}

/* Wait for the sink to hold n submissions (30 s). */
int
gw_ehrsink_wait(const struct gw_daemon *sink, int n)
{
	int got = 0;

	for (int i = 0; i < 300; i++) {
		if ((got = gw_ehrsink_dirs(sink, NULL, 0, NULL)) >= n)
			break;
		usleep(100000);
	}
	return got;
}

/* The inbound rows of a daemon's store (the daemon may be running). */
int
gw_hisp_inbound_rows(const struct gw_daemon *d, struct gw_store_injob **rows,
		     size_t *n)
{
	struct gw_store_opts o = {.no_sweep = true};
	struct gw_store *st = NULL;
	char spool[400];
	struct gw_err e;
	int rc;

	snprintf(spool, sizeof(spool), "%s/spool", d->dir);
	if ((rc = gw_store_open_opts(d->db, spool, &o, &st, &e)) == 0)
		rc = gw_store_inbound_list(st, 100, rows, n, &e);
	if (rc != 0)
		fprintf(stderr, "    store: %s\n", e.msg);
	gw_store_close(st);
	return rc;
}

/* How many of a daemon's inbound rows are MDNs with disposition d. */
int
gw_hisp_mdns(const struct gw_daemon *h, enum gw_mdn_disposition d,
	     bool *final_ext)
{
	struct gw_store_injob *rows = NULL;
	size_t n = 0;
	int count = 0;

	if (gw_hisp_inbound_rows(h, &rows, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct gw_mdn_info mi;
		struct gw_err e;
		size_t len = 0;
		char *m;

		if (strcmp(rows[i].kind, "mdn") != 0)
			continue;
		m = gw_test_slurp(rows[i].path, &len);
		if (m != NULL && gw_mdn_parse(m, len, &mi, &e) == 0 &&
		    mi.disposition == d) {
			count++;
			if (final_ext != NULL)
				*final_ext = mi.final_delivery_ext;
		}
		free(m);
	}
	gw_store_injobs_free(rows, n);
	return count;
}

int
gw_hisp_wait_mdns(const struct gw_daemon *h, enum gw_mdn_disposition d, int n,
		  bool *final_ext)
{
	int got = 0;

	for (int i = 0; i < 300; i++) {
		if ((got = gw_hisp_mdns(h, d, final_ext)) >= n)
			break;
		usleep(100000);
	}
	return got;
}

/*
 * <tmp>/<name>.eml made by the openssl command line: a message from
 * ehr@direct-a.example to doc@direct-b.example with a C-CDA attached,
 * wrapped in message/rfc822, signed by signer (NULL: not signed) and
 * encrypted to doc-b.
 */
int
gw_hisp_make_msg(const char *name, const char *signer, char *path, size_t plen)
{
	char inner[600], signd[600], cmd[6000];

	snprintf(path, plen, "%s/%s.eml", gw_test_tmpdir(), name);
	snprintf(inner, sizeof(inner), "%s.inner", path);
	snprintf(signd, sizeof(signd), "%s.signed", path);
	snprintf(
	    cmd, sizeof(cmd),
	    "{ printf 'Content-Type: message/rfc822\\r\\n\\r\\n"
	    "From: ehr@direct-a.example\\r\\nTo: doc@direct-b.example\\r\\n"
	    "Subject: referral\\r\\nMessage-ID: <%s@direct-a.example>\\r\\n"
	    "Disposition-Notification-Options: "
	    "X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\\r\\n"
	    "MIME-Version: 1.0\\r\\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\\r\\n\\r\\n"
	    "--b1\\r\\nContent-Type: text/plain\\r\\n\\r\\nsee attached"
	    "\\r\\n--b1\\r\\nContent-Type: application/xml\\r\\n"
	    "Content-Disposition: attachment; filename=ccd.xml\\r\\n"
	    "Content-Transfer-Encoding: base64\\r\\n\\r\\n'; "
	    "openssl base64 -in %s/%s | sed 's/$/\\r/'; "
	    "printf -- '--b1--\\r\\n'; } >%s",
	    name, gw_test_corpus(), GW_HISP_CCD, inner);
	if (gw_sh(cmd) != 0)
		return -1;
	if (signer != NULL)
		snprintf(cmd, sizeof(cmd),
			 "openssl cms -sign -in %s -signer %s/%s.crt -inkey "
			 "%s/%s.key -md sha256 -out %s && "
			 "openssl cms -encrypt -in %s -aes128 -out %s "
			 "%s/doc-b.crt",
			 inner, gw_hisp_pki(), signer, gw_hisp_pki(), signer,
			 signd, signd, path, gw_hisp_pki());
	else
		snprintf(cmd, sizeof(cmd),
			 "openssl cms -encrypt -in %s -aes128 -out %s "
			 "%s/doc-b.crt",
			 inner, path, gw_hisp_pki());
	return gw_sh(cmd);
}

/* Send a file over SMTP to port; the reply to rcpt. */
int
gw_hisp_smtp_send(int port, const char *from, const char *rcpt,
		  const char *path, struct gw_smtp_rcpt *r)
{
	struct gw_smtp_opts o = {.host = "127.0.0.1",
				 .port = port,
				 .helo = "test.example",
				 .tls = GW_SMTP_TLS_NONE,
				 .timeout_ms = 20000};
	struct stat sb;
	struct gw_err e;
	int fd, rc;

	memset(r, 0, sizeof(*r));
	r->address = rcpt;
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &sb) != 0)
		return -1;
	rc = gw_smtp_send(&o, from, r, 1, fd, (uint64_t)sb.st_size, NULL, &e);
	close(fd);
	if (rc != 0 && r->code == 0)
		fprintf(stderr, "    smtp: %s\n", e.msg);
	return r->code;
}

/* The one submission of a HISP's store, its recipients' tracking rows. */
int
gw_hisp_track_rows(const struct gw_daemon *d, struct gw_store_trackrow **rows,
		   size_t *n)
{
	struct gw_store_opts o = {.no_sweep = true};
	struct gw_store *st = NULL;
	char spool[400], **txids = NULL;
	size_t nt = 0;
	struct gw_err e;
	int rc;

	snprintf(spool, sizeof(spool), "%s/spool", d->dir);
	if ((rc = gw_store_open_opts(d->db, spool, &o, &st, &e)) == 0 &&
	    (rc = gw_store_submission_recent(st, 1, &txids, &nt, &e)) == 0)
		rc = nt == 1 ? gw_store_track_list(st, txids[0], rows, n, &e)
			     : -1;
	if (rc != 0)
		fprintf(stderr, "    store: %s\n",
			nt ? e.msg : "no submission");
	gw_store_txids_free(txids, nt);
	gw_store_close(st);
	return rc;
}

/* The disposition document the EHR sink got (the first one). */
char *
gw_hisp_disposition(const struct gw_daemon *sink, char **summary)
{
	char first[800], p[900];

	if (gw_ehrsink_dirs(sink, first, sizeof(first), NULL) < 1)
		return NULL;
	snprintf(p, sizeof(p), "%s/summary.json", first);
	*summary = gw_test_slurp(p, NULL);
	snprintf(p, sizeof(p), "%s/DOC00001.xml", first);
	return gw_test_slurp(p, NULL);
}

int
gw_hisp_submit(const struct gw_hisp *a, const char *to, const char *msgid)
{
	char cmd[4096], idopt[300] = "";

	if (msgid != NULL)
		snprintf(idopt, sizeof(idopt), "--message-id %s ", msgid);
	snprintf(cmd, sizeof(cmd),
		 "%s submit --url %s --limited --from ehr@direct-a.example "
		 "--to %s %s--timeout 10 %s/%s",
		 gw_dxgw(), a->d.url, to, idopt, gw_test_corpus(), GW_HISP_CCD);
	return gw_sh(cmd);
}

int
gw_hisp_notices(const struct gw_daemon *d, const char *kind)
{
	struct gw_store_injob *rows = NULL;
	size_t n = 0;
	int count = 0;

	if (gw_hisp_inbound_rows(d, &rows, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].kind, kind) == 0)
			count++;
	gw_store_injobs_free(rows, n);
	return count;
}

int
gw_hisp_history_has(const struct gw_daemon *d, const char *needle)
{
	struct gw_store_opts o = {.no_sweep = true};
	struct gw_store_event *ev = NULL;
	struct gw_store *st = NULL;
	char spool[400], **txids = NULL;
	size_t nt = 0, ne = 0;
	struct gw_err e;
	int found = 0;

	snprintf(spool, sizeof(spool), "%s/spool", d->dir);
	if (gw_store_open_opts(d->db, spool, &o, &st, &e) != 0)
		return -1;
	if (gw_store_submission_recent(st, 1, &txids, &nt, &e) == 0 &&
	    nt == 1) {
		struct gw_store_trackrow *rows = NULL;
		size_t nr = 0;

		if (gw_store_track_list(st, txids[0], &rows, &nr, &e) == 0 &&
		    nr > 0 &&
		    gw_store_track_history(st, txids[0], rows[0].address, &ev,
					   &ne, &e) == 0)
			for (size_t i = 0; i < ne && !found; i++)
				found = strstr(ev[i].event, needle) != NULL ||
					(ev[i].detail != NULL &&
					 strstr(ev[i].detail, needle) != NULL);
		gw_store_events_free(ev, ne);
		gw_store_trackrows_free(rows, nr);
	}
	gw_store_txids_free(txids, nt);
	gw_store_close(st);
	return found;
}
