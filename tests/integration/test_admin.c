/*
 * Integration: the admin HTTP port of a running daemon. Health,
 * readiness and metrics; 404, 405 and malformed requests; the bearer
 * token (401 without it); mutual TLS with admin_client_ca; JSON of a
 * submission found by txid or wsa:MessageID and the filtered list;
 * dxgw status for the same message; a connection left half-open does
 * not hold up SIGTERM; a non-loopback admin_listen in clear is refused.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"

#define CCD   "ccda/hl7-ccda-2.1/C-CDA_R2-1_CCD.xml"
#define TOKEN "s3cret-admin-token-0123456789"

/* A daemon with the admin port on a free loopback port (*port). */
static bool
start(struct gw_daemon *d, const char *extra, int *port)
{
	char conf[2048];

	*port = gw_free_port();
	if (*port <= 0)
		return false;
	snprintf(conf, sizeof(conf), "admin_listen = 127.0.0.1:%d\n%s", *port,
		 extra != NULL ? extra : "");
	return gw_daemon_start(d, conf);
}

/* GET path with extra header lines (each ending in CRLF, or ""). */
static int
get(int port, const char *path, const char *headers, struct gw_http_resp *r)
{
	char req[2048];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", path,
			 headers);

	if (!gw_http_raw(port, req, (size_t)n, r))
		return -1;
	return r->status;
}

static int
raw(int port, const char *req, struct gw_http_resp *r)
{
	if (!gw_http_raw(port, req, strlen(req), r))
		return -1;
	return r->status;
}

GW_TEST(admin_health_ready_metrics)
{
	struct gw_http_resp r;
	struct gw_daemon d;
	int port;

	REQUIRE(start(&d, NULL, &port));
	CHECK_INT(get(port, "/health", "", &r), 200);
	CHECK_STR(r.body, "ok\n");
	CHECK(gw_str_has(r.headers, "Connection: close"));
	CHECK(gw_str_has(r.headers, "Cache-Control: no-store"));
	gw_http_resp_dispose(&r);
	CHECK_INT(get(port, "/ready", "", &r), 200);
	gw_http_resp_dispose(&r);
	CHECK_INT(get(port, "/metrics", "", &r), 200);
	CHECK(gw_str_has(r.headers, "Content-Type: text/plain; "
				    "version=0.0.4; charset=utf-8"));
	CHECK(gw_str_has(r.body, "# TYPE dxgw_queue_depth gauge\n"));
	CHECK(gw_str_has(r.body, "dxgw_queue_depth{queue=\"outbound\"} 0\n"));
	CHECK(gw_str_has(r.body, "dxgw_queue_depth{queue=\"ehr_disposition\"} "
				 "0\n"));
	CHECK(gw_str_has(r.body, "dxgw_recipients{state=\"queued\"} 0\n"));
	CHECK(gw_str_has(r.body, "dxgw_inbound_recipients{state=\"delivered\"} "
				 "0\n"));
	CHECK(gw_str_has(r.body, "# TYPE dxgw_recipient_failures gauge\n"));
	CHECK(gw_str_has(r.body, "# TYPE dxgw_time_to_processed_seconds "
				 "histogram\n"));
	CHECK(gw_str_has(r.body, "dxgw_time_to_dispatched_seconds_bucket{le="
				 "\"+Inf\"} 0\n"));
	gw_http_resp_dispose(&r);
	/* The XDR port's own /health is still there. */
	CHECK_INT(get(d.port, "/health", "", &r), 200);
	gw_http_resp_dispose(&r);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

GW_TEST(admin_refuses_what_it_does_not_serve)
{
	static char big[9000];
	struct gw_http_resp r;
	struct gw_daemon d;
	int port;

	REQUIRE(start(&d, NULL, &port));
	CHECK_INT(get(port, "/nope", "", &r), 404);
	CHECK(gw_str_has(r.headers, "Content-Type: application/json"));
	CHECK_STR(r.body, "{\"error\":\"no such resource\"}\n");
	gw_http_resp_dispose(&r);
	CHECK_INT(get(port, "/v1/messages/no-such-id", "", &r), 404);
	gw_http_resp_dispose(&r);
	CHECK_INT(raw(port, "POST /health HTTP/1.1\r\nHost: x\r\n\r\n", &r),
		  405);
	CHECK(gw_str_has(r.headers, "Allow: GET"));
	gw_http_resp_dispose(&r);
	/* A body is never read: refused, and the answer still arrives. */
	CHECK_INT(raw(port,
		      "POST /v1/messages HTTP/1.1\r\nContent-Length: 5\r\n"
		      "\r\nhello",
		      &r),
		  400);
	gw_http_resp_dispose(&r);
	CHECK_INT(raw(port, "GET /health HTTP/2.0\r\n\r\n", &r), 505);
	gw_http_resp_dispose(&r);
	CHECK_INT(raw(port, "GET /health\r\n\r\n", &r), 400);
	gw_http_resp_dispose(&r);
	CHECK_INT(raw(port, "GET /health HTTP/1.1\r\n folded\r\n\r\n", &r),
		  400);
	gw_http_resp_dispose(&r);
	CHECK_INT(raw(port, "GET /v1/messages?limit=0 HTTP/1.1\r\n\r\n", &r),
		  400);
	CHECK(gw_str_has(r.body, "limit"));
	gw_http_resp_dispose(&r);
	/* A head over 8 KiB. */
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "GET /health HTTP/1.1\r\nX: ", 25);
	CHECK_INT(raw(port, big, &r), 431);
	gw_http_resp_dispose(&r);
	/* Still serving. */
	CHECK_INT(get(port, "/health", "", &r), 200);
	gw_http_resp_dispose(&r);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

GW_TEST(admin_token_required)
{
	struct gw_http_resp r;
	struct gw_daemon d;
	int port;

	REQUIRE(start(&d, "admin_token = " TOKEN "\n", &port));
	CHECK_INT(get(port, "/health", "", &r), 401);
	CHECK(gw_str_has(r.headers, "WWW-Authenticate: Bearer"));
	gw_http_resp_dispose(&r);
	CHECK_INT(get(port, "/metrics", "Authorization: Bearer wrong\r\n", &r),
		  401);
	gw_http_resp_dispose(&r);
	CHECK_INT(
	    get(port, "/metrics", "Authorization: Basic " TOKEN "\r\n", &r),
	    401);
	gw_http_resp_dispose(&r);
	/* Unauthorised comes before anything else, even 404 and 405. */
	CHECK_INT(get(port, "/nope", "", &r), 401);
	gw_http_resp_dispose(&r);
	CHECK_INT(
	    get(port, "/health", "Authorization: Bearer " TOKEN "\r\n", &r),
	    200);
	gw_http_resp_dispose(&r);
	CHECK_INT(get(port, "/v1/messages",
		      "Authorization: Bearer " TOKEN "\r\n", &r),
		  200);
	CHECK(gw_str_has(r.body, "\"count\":0"));
	gw_http_resp_dispose(&r);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/* curl over TLS with cert (may be ""): the HTTP status, 0 for none. */
static int
curl_tls(int port, const char *pki, const char *cert)
{
	char cmd[2048], *out = NULL;
	int code = 0;

	snprintf(cmd, sizeof(cmd),
		 "curl -s -o /dev/null -w '%%{http_code}' --max-time 10 "
		 "--cacert %s/ca.pem %s%s%s https://127.0.0.1:%d/health",
		 pki, cert[0] ? "--cert " : "", cert[0] ? pki : "", cert, port);
	gw_run(cmd, &out);
	if (out != NULL)
		code = atoi(out);
	free(out);
	return code;
}

GW_TEST(admin_client_certificate)
{
	const char *pki = gw_test_pki("mkpki.sh");
	struct gw_http_resp r;
	struct gw_daemon d;
	char extra[1024];
	int port;

	REQUIRE(pki[0] != '\0');
	snprintf(extra, sizeof(extra),
		 "admin_tls_cert = %s/server.pem\n"
		 "admin_client_ca = %s/ca.pem\n",
		 pki, pki);
	REQUIRE(start(&d, extra, &port));
	CHECK_INT(curl_tls(port, pki, "/client-ehr1.pem"), 200);
	/* No certificate, or one the CA did not sign: no handshake. */
	CHECK_INT(curl_tls(port, pki, ""), 0);
	CHECK_INT(curl_tls(port, pki, "/rogue.pem"), 0);
	/* Plain HTTP on a TLS port gets nothing useful. */
	CHECK(get(port, "/health", "", &r) != 200);
	gw_http_resp_dispose(&r);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

/* The value of "key":" in json, into out. */
static bool
json_value(const char *json, const char *key, char *out, size_t len)
{
	char k[64];
	const char *p, *e;

	snprintf(k, sizeof(k), "\"%s\":\"", key);
	if ((p = strstr(json, k)) == NULL)
		return false;
	p += strlen(k);
	if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= len)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

GW_TEST(admin_message_json_and_list)
{
	struct gw_http_resp r;
	struct gw_daemon d;
	char cmd[4096], path[512], txid[80], wsa[200], *out = NULL;
	const char *m;
	int port;

	REQUIRE(start(&d, NULL, &port));
	snprintf(cmd, sizeof(cmd),
		 "%s submit --url %s --limited --from ehr@direct-a.example "
		 "--to doc@direct-b.example --to Other@Direct-C.example "
		 "--timeout 10 %s/%s",
		 gw_dxgw(), d.url, gw_test_corpus(), CCD);
	CHECK_INT(gw_run(cmd, &out), 0);
	REQUIRE(out != NULL && (m = strstr(out, "message-id: ")) != NULL);
	REQUIRE(sscanf(m, "message-id: %199s", wsa) == 1);
	free(out);

	/* The list finds it; its first row names the txid. */
	CHECK_INT(get(port, "/v1/messages", "", &r), 200);
	CHECK(gw_str_has(r.body, "\"count\":2,\"limit\":100,"));
	REQUIRE(json_value(r.body, "txid", txid, sizeof(txid)));
	gw_http_resp_dispose(&r);

	snprintf(path, sizeof(path), "/v1/messages/%s", txid);
	CHECK_INT(get(port, path, "", &r), 200);
	CHECK(gw_str_has(r.headers, "Content-Type: application/json"));
	CHECK(gw_str_has(r.body, "\"direction\":\"outbound\""));
	CHECK(gw_str_has(r.body, "\"sender\":\"ehr@direct-a.example\""));
	CHECK(gw_str_has(r.body, "\"metadata_level\":\"minimal\""));
	CHECK(gw_str_has(r.body, "\"address\":\"doc@direct-b.example\","
				 "\"state\":\"queued\",\"final\":false"));
	/* Addresses as the EHR wrote them. */
	CHECK(gw_str_has(r.body, "\"address\":\"Other@Direct-C.example\""));
	CHECK(gw_str_has(r.body, "\"history\":[]"));
	CHECK(gw_str_has(r.body, "\"mime_type\":\"text/xml\""));
	CHECK(!gw_str_has(r.body, "ClinicalDocument")); /* no contents */
	gw_http_resp_dispose(&r);
	/* The same message by its wsa:MessageID. */
	snprintf(path, sizeof(path), "/v1/messages/%s", wsa);
	CHECK_INT(get(port, path, "", &r), 200);
	CHECK(gw_str_has(r.body, txid));
	gw_http_resp_dispose(&r);

	/* Filters. */
	CHECK_INT(get(port,
		      "/v1/messages?state=queued&address=doc%40direct-b."
		      "example",
		      "", &r),
		  200);
	CHECK(gw_str_has(r.body, "\"count\":1,"));
	gw_http_resp_dispose(&r);
	CHECK_INT(
	    get(port, "/v1/messages?address=other@direct-c.example", "", &r),
	    200);
	CHECK(gw_str_has(r.body, "\"count\":1,"));
	gw_http_resp_dispose(&r);
	CHECK_INT(
	    get(port, "/v1/messages?address=ehr@direct-a.example", "", &r),
	    200);
	CHECK(gw_str_has(r.body, "\"count\":2,"));
	gw_http_resp_dispose(&r);
	CHECK_INT(get(port, "/v1/messages?state=failed", "", &r), 200);
	CHECK(gw_str_has(r.body, "\"count\":0,"));
	gw_http_resp_dispose(&r);
	CHECK_INT(get(port, "/v1/messages?since=2999-01-01", "", &r), 200);
	CHECK(gw_str_has(r.body, "\"count\":0,"));
	gw_http_resp_dispose(&r);
	CHECK_INT(get(port, "/v1/messages?until=2999-01-01T00:00:00Z&limit=1",
		      "", &r),
		  200);
	CHECK(gw_str_has(r.body, "\"count\":1,\"limit\":1,\"truncated\":true"));
	gw_http_resp_dispose(&r);
	CHECK_INT(get(port, "/metrics", "", &r), 200);
	CHECK(gw_str_has(r.body, "dxgw_recipients{state=\"queued\"} 2\n"));
	CHECK(gw_str_has(r.body, "dxgw_queue_depth{queue=\"conversion\"} 1\n"));
	gw_http_resp_dispose(&r);

	/* dxgw status shows the same message by its wsa:MessageID. */
	snprintf(cmd, sizeof(cmd), "%s status -c %s %s", gw_dxgw(), d.conf,
		 wsa);
	CHECK_INT(gw_run(cmd, &out), 0);
	CHECK(out != NULL && gw_str_has(out, txid) &&
	      gw_str_has(out, "doc@direct-b.example  queued"));
	free(out);
	CHECK_INT(gw_daemon_stop(&d), 0);
}

GW_TEST(admin_stop_with_a_connection_open)
{
	struct gw_daemon d;
	time_t t0;
	int port, fd;

	REQUIRE(start(&d, NULL, &port));
	fd = gw_http_connect(port);
	REQUIRE(fd >= 0);
	CHECK(send(fd, "GET /health HTTP/1.1\r\n", 22, MSG_NOSIGNAL) == 22);
	usleep(100000);
	t0 = time(NULL);
	CHECK_INT(gw_daemon_stop(&d), 0);
	CHECK(time(NULL) - t0 < 8);
	close(fd);
}

GW_TEST(admin_listen_in_clear_only_on_loopback)
{
	char path[400], cmd[1024], *out = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/admin.conf", gw_test_tmpdir());
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fprintf(f, "admin_listen = 0.0.0.0:8081\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s config -c %s", gw_dxgw(), path);
	CHECK(gw_run(cmd, &out) != 0);
	CHECK(out != NULL && gw_str_has(out, "admin_tls_cert"));
	free(out);
}
