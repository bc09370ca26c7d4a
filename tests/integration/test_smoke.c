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
