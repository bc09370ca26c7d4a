/*
 * NAME
 *	loadgen - ITI-41 load generator for make bench
 * SUMMARY
 *	loadgen PORT SIZE CLIENTS REQUESTS
 *	Each client thread keeps one HTTP/1.1 connection and sends MTOM
 *	ITI-41 requests one after the other (each with its own wsa:MessageID,
 *	so a storing server cannot answer from its idempotence table); the
 *	document is SIZE bytes. Prints one line:
 *	"rps=... median_ms=... p99_ms=... ok=... failed=..."
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "id.h"
#include "xdsbuild.h"

#define MSGID_AT "urn:uuid:00000000-0000-0000-0000-000000000000"

static char *request; /* HTTP request with a MSGID_AT placeholder */
static size_t request_len;
static size_t msgid_off;
static int port;
static int per_client;

struct client {
	pthread_t th;
	double *lat; /* ms */
	int ok, failed;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
dial(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Read one response; true when it is a 200 with a Success status. *closing
 * is set when the server ends the connection after it (max keep-alive).
 */
static bool
read_response(int fd, char *buf, size_t cap, bool *closing)
{
	size_t n = 0, need = 0;
	char *eoh = NULL;

	for (;;) {
		ssize_t r;

		if (eoh == NULL) {
			buf[n] = '\0';
			eoh = strstr(buf, "\r\n\r\n");
			if (eoh != NULL) {
				const char *cl =
				    strcasestr(buf, "\r\nContent-Length:");

				if (cl == NULL)
					return false;
				need = (size_t)(eoh + 4 - buf) +
				       strtoul(cl + 17, NULL, 10);
			}
		}
		if (eoh != NULL && n >= need)
			break;
		if (n + 1 >= cap)
			return false;
		r = recv(fd, buf + n, cap - n - 1, 0);
		if (r <= 0)
			return false;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*closing = strcasestr(buf, "\r\nConnection: close") != NULL;
	return strncmp(buf, "HTTP/1.1 200", 12) == 0 &&
	       strstr(buf, "ResponseStatusType:Success") != NULL;
}

static void *
run(void *arg)
{
	struct client *c = arg;
	char *req = malloc(request_len);
	char *buf = malloc(65536);
	int fd = dial();

	memcpy(req, request, request_len);
	for (int i = 0; i < per_client; i++) {
		char uuid[GW_ID_UUID_LEN];
		double t0;
		size_t off = 0;
		bool ok, closing = false;

		gw_id_uuid(uuid);
		memcpy(req + msgid_off + 9, uuid, 36);
		if (fd < 0)
			fd = dial();
		t0 = now_ms();
		while (fd >= 0 && off < request_len) {
			ssize_t w = send(fd, req + off, request_len - off,
					 MSG_NOSIGNAL);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		ok = fd >= 0 && off == request_len &&
		     read_response(fd, buf, 65536, &closing);
		c->lat[c->ok + c->failed] = now_ms() - t0;
		if (ok) {
			c->ok++;
			if (closing) {
				close(fd);
				fd = -1;
			}
		} else {
			c->failed++;
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	free(req);
	free(buf);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The ITI-41 request: limited metadata, one document of size bytes. */
static void
build_request(size_t size)
{
	static const char *to[] = {"recipient@direct.bench.test"};
	struct gw_xdsbuild_doc d = {0};
	struct gw_xdsbuild b = {0};
	struct gw_buf md, env, body, req;
	struct gw_err err;
	char sha[41], *doc = malloc(size);
	static const char bnd[] = "MIMEBoundary_dxgw_bench";

	for (size_t i = 0; i < size; i++)
		doc[i] = (char)('a' + i % 26);
	gw_digest_sha1_hex(doc, size, sha);
	d.id = "Document01";
	d.mime_type = "text/plain";
	d.size = size;
	d.sha1 = sha;
	d.unique_id = "2.25.1234567890";
	b.limited = true;
	b.source_id = "2.25.99";
	b.ss_unique_id = "2.25.98";
	b.author_telecom = "^^Internet^sender@direct.bench.test";
	b.intended_recipients = to;
	b.nintended = 1;
	b.docs = &d;
	b.ndocs = 1;
	gw_buf_init(&md, 1 << 20);
	gw_buf_init(&env, 1 << 20);
	gw_buf_init(&body, 64 << 20);
	gw_buf_init(&req, 64 << 20);
	if (gw_xdsbuild_submission(&b, &md, &err) != 0) {
		fprintf(stderr, "loadgen: %s\n", err.msg);
		exit(2);
	}
	gw_buf_printf(
	    &env,
	    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
	    "xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header>"
	    "<a:Action s:mustUnderstand=\"true\">"
	    "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b</a:Action>"
	    "<a:MessageID>" MSGID_AT "</a:MessageID>"
	    "<a:To>http://127.0.0.1/xdr</a:To></s:Header><s:Body>"
	    "<x:ProvideAndRegisterDocumentSetRequest "
	    "xmlns:x=\"urn:ihe:iti:xds-b:2007\">%s"
	    "<x:Document id=\"Document01\"><xop:Include "
	    "xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" "
	    "href=\"cid:doc1@bench\"/></x:Document>"
	    "</x:ProvideAndRegisterDocumentSetRequest></s:Body></s:Envelope>",
	    md.data);
	gw_buf_printf(
	    &body,
	    "--%s\r\nContent-Type: application/xop+xml; charset=UTF-8; "
	    "type=\"application/soap+xml\"\r\nContent-Transfer-Encoding: "
	    "binary\r\nContent-ID: <root@bench>\r\n\r\n%s\r\n--%s\r\n"
	    "Content-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
	    "Content-ID: <doc1@bench>\r\n\r\n",
	    bnd, env.data, bnd);
	gw_buf_append(&body, doc, size);
	gw_buf_printf(&body, "\r\n--%s--\r\n", bnd);
	gw_buf_printf(
	    &req,
	    "POST /xdr HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
	    "multipart/related; boundary=\"%s\"; type=\"application/xop+xml\"; "
	    "start=\"<root@bench>\"; start-info=\"application/soap+xml\"; "
	    "action=\"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b\"\r\n"
	    "Content-Length: %zu\r\n\r\n",
	    bnd, body.len);
	gw_buf_append(&req, body.data, body.len);
	request_len = req.len;
	request = gw_buf_take(&req);
	msgid_off = (size_t)(strstr(request, MSGID_AT) - request);
	gw_buf_dispose(&md);
	gw_buf_dispose(&env);
	gw_buf_dispose(&body);
	free(doc);
}

int
main(int argc, char **argv)
{
	struct client *cl;
	int nclients, total, ok = 0, failed = 0, k = 0;
	double t0, secs, *all;

	if (argc != 5) {
		fprintf(stderr, "usage: loadgen PORT SIZE CLIENTS REQUESTS\n");
		return 2;
	}
	port = (int)strtol(argv[1], NULL, 10);
	nclients = (int)strtol(argv[3], NULL, 10);
	total = (int)strtol(argv[4], NULL, 10);
	per_client = total / nclients;
	build_request((size_t)strtoul(argv[2], NULL, 10));
	cl = calloc((size_t)nclients, sizeof(*cl));
	t0 = now_ms();
	for (int i = 0; i < nclients; i++) {
		cl[i].lat = calloc((size_t)per_client, sizeof(double));
		pthread_create(&cl[i].th, NULL, run, &cl[i]);
	}
	all = calloc((size_t)(per_client * nclients), sizeof(double));
	for (int i = 0; i < nclients; i++) {
		pthread_join(cl[i].th, NULL);
		ok += cl[i].ok;
		failed += cl[i].failed;
		for (int j = 0; j < cl[i].ok + cl[i].failed; j++)
			all[k++] = cl[i].lat[j];
		free(cl[i].lat);
	}
	secs = (now_ms() - t0) / 1e3;
	qsort(all, (size_t)k, sizeof(double), cmp);
	printf("rps=%.1f median_ms=%.2f p99_ms=%.2f ok=%d failed=%d\n",
	       ok / secs, k ? all[k / 2] : 0.0,
	       k ? all[(size_t)((k - 1) * 0.99)] : 0.0, ok, failed);
	free(all);
	free(cl);
	free(request);
	return failed ? 1 : 0;
}
