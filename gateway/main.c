/*
 * NAME
 *	main - dxgw entry point and subcommand dispatch
 */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: dxgw serve|submit ...\n");
		return 2;
	}
	fprintf(stderr, "dxgw: unknown command '%s'\n", argv[1]);
	return 2;
}
