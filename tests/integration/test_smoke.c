/* Integration: the daemon binary exists and explains its usage. */
#include "harness.h"

#include <stdlib.h>

#include "itest.h"

GW_TEST(binary_usage)
{
	char cmd[512];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s --help >/dev/null 2>&1", gw_dxgw());
	rc = system(cmd);

	CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

/* Startup errors name the file and line, and the daemon does not start. */
GW_TEST(serve_rejects_bad_config)
{
	static const char *const bad[] = {"listen = 127.0.0.1:0\nworkers = 0\n",
					  "listen = 127.0.0.1:0\nlisen = x\n",
					  "listen = 0.0.0.0:0\n",
					  "listen = 127.0.0.1:0\n"
					  "smtp_listen = 127.0.0.1:0\n",
					  "listen = 127.0.0.1:0\n"
					  "source_id = 1.2.x\n"};
	static const char *const want[] = {
	    "dxgw.conf:4:", "dxgw.conf:4:", "loopback", "needs smtp_tls_cert",
	    "source_id"};

	for (int i = 0; i < 5; i++) {
		char path[512], cmd[1024];
		char *out = NULL;
		FILE *f;

		snprintf(path, sizeof(path), "%s/dxgw.conf", gw_test_tmpdir());
		f = fopen(path, "w");
		REQUIRE(f != NULL);
		/* a store of its own, in case the daemon got that far */
		fprintf(f, "store = sqlite:%s/t.db\nspool_dir = %s/spool\n%s",
			gw_test_tmpdir(), gw_test_tmpdir(), bad[i]);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "%s serve -c %s", gw_dxgw(), path);
		CHECK_INT(gw_run(cmd, &out), 1);
		CHECK(gw_str_has(out, want[i]));
		free(out);
	}
}
