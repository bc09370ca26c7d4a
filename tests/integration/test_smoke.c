/* Integration: the daemon binary exists and explains its usage. */
#include "harness.h"

#include <stdlib.h>

GW_TEST(binary_usage)
{
	int rc = system("build/dxgw --help >/dev/null 2>&1");

	CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}
