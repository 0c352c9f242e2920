#include <seccomp.h>
#include <stdio.h>
#include <yajl/yajl_version.h>

#include "cli/cli.h"

static int cmd_version(struct cli_global *g, int argc, char **argv)
{
	const struct scmp_version *sv = seccomp_version();

	printf("hull version %s\n", HULL_VERSION);
	printf("spec: 1.2.0\n");
	printf("libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
	printf("yajl: %d\n", yajl_version());
	return 0;
}

HULL_COMMAND(version_cmd) = {
	.name = "version",
	.summary = "print Hull's, the spec's and the libraries' versions",
	.usage = "Usage: hull version (or hull --version)\n",
	.run = cmd_version,
};
