/*
 * NAME
 *	itest - daemon, HTTP and MTOM helpers for integration tests
 */
#include "itest.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "smime.h"

const char *
gw_dxgw(void)
{
	const char *e = getenv("GW_DXGW");

	return e != NULL && e[0] != '\0' ? e : "build/dxgw";
}

static bool
spawn(struct gw_daemon *d)
{
	int pfd[2];
	char line[512];
	char logpath[400];
	size_t n = 0;
	pid_t pid;

	if (pipe(pfd) != 0)
		return false;
	snprintf(logpath, sizeof(logpath), "%s/dxgw.log", d->dir);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(pfd[1], 1);
		if (logfd >= 0)
			dup2(logfd, 2);
		close(pfd[0]);
		execl(gw_dxgw(), "dxgw", "serve", "-c", d->conf, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	d->pid = pid;
	/* The daemon prints one line once it listens. */
	for (;;) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 10000) <= 0)
			break;
		r = read(pfd[0], line + n, 1);
		if (r <= 0)
			break;
		if (line[n] == '\n' || n + 2 >= sizeof(line))
			break;
		n++;
	}
	line[n] = '\0';
	close(pfd[0]);
	{
		const char *c = strrchr(line, ':');

		d->port = c ? atoi(c + 1) : 0;
	}
	if (d->port <= 0) {
		printf("    daemon did not start: '%s'\n", line);
		gw_daemon_stop(d);
		return false;
	}
	snprintf(d->url, sizeof(d->url), "%s://127.0.0.1:%d/xdr",
		 strncmp(line, "dxgw: listening on https", 24) == 0 ? "https"
								    : "http",
		 d->port);
	return true;
}

bool
gw_daemon_start(struct gw_daemon *d, const char *extra_conf)
{
	FILE *f;

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s", gw_test_tmpdir());
	snprintf(d->conf, sizeof(d->conf), "%s/dxgw.conf", d->dir);
	snprintf(d->db, sizeof(d->db), "%s/dxgw.db", d->dir);
	f = fopen(d->conf, "w");
	if (f == NULL)
		return false;
	fprintf(
	    f,
	    "listen = 127.0.0.1:0\nstore = sqlite:%s\nspool_dir = %s/spool\n"
	    "workers = 8\nlog_level = info\n"
	    /*
	     * The XDR-side tests know no Direct PKI: accept without the
	     * recipient check and hold the queue (tests that send mail
	     * override both).
	     */
	    "recipient_check = async\ndelivery_workers = 0\n%s\n",
	    d->db, d->dir, extra_conf ? extra_conf : "");
	fclose(f);
	return spawn(d);
}

bool
gw_daemon_restart(struct gw_daemon *d)
{
	return spawn(d);
}

/* The end of a daemon's log, to stderr (sanitizer reports land there). */
static void
log_tail(const struct gw_daemon *d)
{
	char cmd[600], *out = NULL;

	snprintf(cmd, sizeof(cmd), "tail -n 40 %s/dxgw.log", d->dir);
	if (gw_run(cmd, &out) == 0 && out != NULL)
		fprintf(stderr, "    --- %s/dxgw.log (end) ---\n%s\n", d->dir,
			out);
	free(out);
}

int
gw_daemon_stop(struct gw_daemon *d)
{
	int st = 0;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				log_tail(d); /* why it did not stop cleanly */
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		usleep(50000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &st, 0);
	d->pid = 0;
	return -1;
}

bool
gw_daemon_alive(const struct gw_daemon *d)
{
	return d->pid > 0 && kill(d->pid, 0) == 0 &&
	       waitpid(d->pid, NULL, WNOHANG) == 0;
}

int
gw_http_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {.tv_sec = 30};

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool
http_raw(int port, const void *req, size_t len, bool half_close,
	 struct gw_http_resp *resp)
{
	const char *p = req;
	size_t cap = 65536, n = 0;
	char *buf;
	int fd;

	memset(resp, 0, sizeof(*resp));
	fd = gw_http_connect(port);
	if (fd < 0)
		return false;
	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w <= 0)
			break; /* the server may close early: read its answer */
		p += w;
		len -= (size_t)w;
	}
	/*
	 * A half-closed socket makes gSOAP drop its fault unsent (it polls
	 * the peer first), so only truncated requests are half-closed.
	 */
	if (half_close)
		shutdown(fd, SHUT_WR);
	buf = malloc(cap + 1);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
		r = recv(fd, buf + n, cap - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (n > 12 && strncmp(buf, "HTTP/1.", 7) == 0) {
		char *eoh = strstr(buf, "\r\n\r\n");

		resp->status = atoi(buf + 9);
		if (eoh != NULL) {
			resp->headers = strndup(buf, (size_t)(eoh - buf));
			resp->body_len = n - (size_t)(eoh + 4 - buf);
			resp->body = malloc(resp->body_len + 1);
			memcpy(resp->body, eoh + 4, resp->body_len);
			resp->body[resp->body_len] = '\0';
		}
	}
	if (resp->headers == NULL)
		resp->headers = strdup("");
	if (resp->body == NULL)
		resp->body = strdup("");
	free(buf);
	return true;
}

bool
gw_http_raw(int port, const void *req, size_t len, struct gw_http_resp *resp)
{
	return http_raw(port, req, len, false, resp);
}

bool
gw_http_raw_eof(int port, const void *req, size_t len,
		struct gw_http_resp *resp)
{
	return http_raw(port, req, len, true, resp);
}

bool
gw_http_post(int port, const char *content_type, const void *body, size_t len,
	     struct gw_http_resp *resp)
{
	char head[1024];
	char *req;
	int hl;
	bool ok;

	hl = snprintf(head, sizeof(head),
		      "POST /xdr HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		      "Content-Type: %s\r\nContent-Length: %zu\r\n"
		      "Connection: close\r\n\r\n",
		      port, content_type, len);
	req = malloc((size_t)hl + len);
	memcpy(req, head, (size_t)hl);
	memcpy(req + hl, body, len);
	ok = gw_http_raw(port, req, (size_t)hl + len, resp);
	free(req);
	return ok;
}

void
gw_http_resp_dispose(struct gw_http_resp *resp)
{
	free(resp->headers);
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

static void
append(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		while (*len + n + 1 > *cap)
			*cap = *cap ? *cap * 2 : 4096;
		*buf = realloc(*buf, *cap);
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
}

char *
gw_mtom_build(const char *envelope, const struct gw_mtom_part *parts,
	      size_t nparts, char *ct, size_t ctlen, size_t *len)
{
	static const char b[] = "MIMEBoundary_dxgw_test_4b1f0e";
	char *out = NULL;
	size_t n = 0, cap = 0;
	char h[512];
	int hl;

	hl = snprintf(
	    h, sizeof(h),
	    "--%s\r\nContent-Type: application/xop+xml; charset=UTF-8; "
	    "type=\"application/soap+xml\"\r\n"
	    "Content-Transfer-Encoding: binary\r\n"
	    "Content-ID: <root.message@dxgw.test>\r\n\r\n",
	    b);
	append(&out, &n, &cap, h, (size_t)hl);
	append(&out, &n, &cap, envelope, strlen(envelope));
	for (size_t i = 0; i < nparts; i++) {
		hl = snprintf(h, sizeof(h),
			      "\r\n--%s\r\nContent-Type: %s\r\n"
			      "Content-Transfer-Encoding: binary\r\n"
			      "Content-ID: <%s>\r\n\r\n",
			      b, parts[i].type ? parts[i].type : "text/xml",
			      parts[i].cid);
		append(&out, &n, &cap, h, (size_t)hl);
		append(&out, &n, &cap, parts[i].data, parts[i].len);
	}
	hl = snprintf(h, sizeof(h), "\r\n--%s--\r\n", b);
	append(&out, &n, &cap, h, (size_t)hl);
	snprintf(
	    ct, ctlen,
	    "multipart/related; boundary=\"%s\"; type=\"application/xop+xml\"; "
	    "start=\"<root.message@dxgw.test>\"; "
	    "start-info=\"application/soap+xml\"; "
	    "action=\"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b\"",
	    b);
	*len = n;
	return out;
}

char *
gw_str_replace(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to);
	char *out = NULL;
	size_t n = 0, cap = 0;
	const char *p;

	while ((p = strstr(s, from)) != NULL) {
		append(&out, &n, &cap, s, (size_t)(p - s));
		append(&out, &n, &cap, to, tl);
		s = p + fl;
	}
	append(&out, &n, &cap, s, strlen(s));
	return out;
}

bool
gw_str_has(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

int
gw_run(const char *cmd, char **out)
{
	FILE *p;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	char chunk[4096];
	size_t r;
	int st;
	char full[4096];

	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	p = popen(full, "r");
	if (p == NULL)
		return -1;
	while ((r = fread(chunk, 1, sizeof(chunk), p)) > 0)
		append(&buf, &n, &cap, chunk, r);
	st = pclose(p);
	if (buf == NULL)
		buf = strdup("");
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool
gw_http_exchange(int fd, const void *req, size_t len, struct gw_http_resp *resp)
{
	const char *p = req;
	char *buf = malloc(65536 + 1);
	size_t cap = 65536, n = 0, need = 0;
	char *eoh = NULL;

	memset(resp, 0, sizeof(*resp));
	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w <= 0)
			break;
		p += w;
		len -= (size_t)w;
	}
	for (;;) {
		ssize_t r;

		if (eoh == NULL) {
			buf[n] = '\0';
			eoh = strstr(buf, "\r\n\r\n");
			if (eoh != NULL) {
				const char *cl =
				    strcasestr(buf, "\r\nContent-Length:");

				need = (size_t)(eoh + 4 - buf) +
				       (cl ? strtoul(cl + 17, NULL, 10) : 0);
			}
		}
		if (eoh != NULL && n >= need)
			break;
		if (n == cap) {
			size_t off = eoh ? (size_t)(eoh - buf) : 0;

			cap *= 2;
			buf = realloc(buf, cap + 1);
			if (eoh)
				eoh = buf + off;
		}
		r = recv(fd, buf + n, cap - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (eoh != NULL && strncmp(buf, "HTTP/1.", 7) == 0) {
		resp->status = atoi(buf + 9);
		resp->headers = strndup(buf, (size_t)(eoh - buf));
		resp->body = strdup(eoh + 4);
		resp->body_len = strlen(resp->body);
	} else {
		resp->headers = strdup("");
		resp->body = strdup("");
	}
	free(buf);
	return resp->status != 0;
}

const char *
gw_test_pki(const char *script)
{
	static char tls[512], direct[512];
	char *dir = strcmp(script, "mkdirect.sh") == 0 ? direct : tls;
	char cmd[700];

	if (dir[0] == '\0') {
		snprintf(dir, 512, "%s/pki", gw_test_tmpdir());
		snprintf(cmd, sizeof(cmd), "sh certs/%s %s", script, dir);
		if (gw_run(cmd, NULL) != 0)
			dir[0] = '\0';
	}
	return dir;
}

int
gw_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int
gw_postfix_start(const char *dir, int port, const char *pki, const char *relay)
{
	char cmd[2048];
	char *out = NULL;
	int rc;

	snprintf(cmd, sizeof(cmd),
		 "sh scripts/postfix-test.sh start %s %d direct-b.example "
		 "%s/server.pem %s",
		 dir, port, pki, relay != NULL ? relay : "");
	rc = gw_run(cmd, &out);
	if (rc != 0)
		fprintf(stderr, "    %s\n", out ? out : "");
	free(out);
	return rc;
}

void
gw_postfix_stop(const char *dir)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "sh scripts/postfix-test.sh stop %s", dir);
	gw_run(cmd, NULL);
}

int
gw_test_file_fd(const void *p, size_t len)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/msg.eml", gw_test_tmpdir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && write(fd, p, len) != (ssize_t)len) {
		close(fd);
		fd = -1;
	}
	return fd;
}

struct gw_smime_cert *
gw_test_direct_cert(const char *name, int withkey)
{
	struct gw_smime_cert *c = NULL;
	const char *pki = gw_test_pki("mkdirect.sh");
	char crt[700], key[700];
	struct gw_err e;

	snprintf(crt, sizeof(crt), "%s/%s.crt", pki, name);
	snprintf(key, sizeof(key), "%s/%s.key", pki, name);
	if (gw_smime_cert_load(crt, withkey ? key : NULL, &c, &e) < 0)
		fprintf(stderr, "    %s\n", e.msg);
	return c;
}

int
gw_test_write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f != NULL && fwrite(p, 1, len, f) == len;

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

bool
gw_ehrsink_start_on(struct gw_daemon *d, int port)
{
	char listen[64];

	char line[512], log[400], dir[400];
	size_t n = 0;
	int pfd[2];
	pid_t pid;

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s", gw_test_tmpdir());
	snprintf(dir, sizeof(dir), "%s/sink", d->dir);
	snprintf(log, sizeof(log), "%s/sink.log", d->dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	if (pipe(pfd) != 0)
		return false;
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(pfd[1], 1);
		if (fd >= 0)
			dup2(fd, 2);
		close(pfd[0]);
		execl(gw_dxgw(), "dxgw", "ehr-sink", "--listen", listen,
		      "--dir", dir, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	d->pid = pid;
	for (;;) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};

		if (poll(&p, 1, 10000) <= 0 || read(pfd[0], line + n, 1) <= 0 ||
		    line[n] == '\n' || n + 2 >= sizeof(line))
			break;
		n++;
	}
	line[n] = '\0';
	close(pfd[0]);
	d->port = strrchr(line, ':') ? atoi(strrchr(line, ':') + 1) : 0;
	if (d->port <= 0) {
		printf("    ehr-sink did not start: '%s'\n", line);
		gw_daemon_stop(d);
		return false;
	}
	snprintf(d->url, sizeof(d->url), "http://127.0.0.1:%d/xdr", d->port);
	return true;
}

int
gw_ehrsink_dirs(const struct gw_daemon *d, char *first, size_t len, int *tmps)
{
	char dir[400];
	struct dirent *e;
	DIR *dp;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/sink", d->dir);
	if (tmps != NULL)
		*tmps = 0;
	if ((dp = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(dp)) != NULL) {
		if (strncmp(e->d_name, ".tmp-", 5) == 0 && tmps != NULL)
			(*tmps)++;
		if (e->d_name[0] == '.')
			continue;
		if (n++ == 0 && first != NULL &&
		    snprintf(first, len, "%s/%s", dir, e->d_name) < 0)
			first[0] = '\0';
	}
	closedir(dp);
	return n;
}

bool
gw_ehrsink_start(struct gw_daemon *d)
{
	return gw_ehrsink_start_on(d, 0);
}

int
gw_sh(const char *cmd)
{
	char *out = NULL;
	int rc = gw_run(cmd, &out);

	if (rc != 0)
		fprintf(stderr, "    %s\n    -> %s\n", cmd, out ? out : "");
	free(out);
	return rc;
}
