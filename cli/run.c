#include <stdio.h>

#include "cli/cli.h"
#include "runtime/lifecycle.h"

/* images: `run --image REF` (cli/run_image.c) */
bool cli_run_wants_image(int argc, char **argv);
int cli_run_image(struct cli_global *g, int argc, char **argv);

static int cmd_run(struct cli_global *g, int argc, char **argv)
{
	struct create_opts o;
	struct hull_error err = { 0 };
	bool detach = false;
	int status = 0;

	/* images: begin */
	if (cli_run_wants_image(argc, argv))
		return cli_run_image(g, argc, argv);
	/* images: end */
	if (cli_parse_create(g, "run", argc, argv, &o, &detach) < 0)
		return 1;
	if (hull_run(&o, detach, &status, &err) < 0)
		return cli_fail(g, &err);
	if (err.set)
		cli_fail(g, &err);      /* ran, but ended in a way worth saying */
	return status;
}

HULL_COMMAND(run_cmd) = {
	.name = "run",
	.summary = "create and start a container, and wait for it",
	.usage =
	"Usage: hull run [options] ID\n"
	"\n"
	"Creates and starts container ID.  In the foreground, Hull forwards signals\n"
	"to the process, attaches stdio (or proxies the terminal when\n"
	"process.terminal is true), exits with the process's status (128+N when\n"
	"killed by signal N) and deletes the container afterwards.\n"
	"\n"
	"  --bundle, -b DIR        bundle directory (default: current directory)\n"
	"  --detach, -d            return once the process runs\n"
	"  --console-socket PATH   send the pty master there instead of proxying it\n"
	"  --pid-file FILE         write the container process's pid to FILE\n"
	"  --no-pivot              use MS_MOVE + chroot instead of pivot_root\n"
	"  --no-new-keyring        keep the caller's session keyring\n"
	"  --preserve-fds N        pass fds 3 .. 3+N-1 to the process\n"
	"  --vm                    run the container in a microVM sandbox\n"
	"  --vm-kernel FILE        guest kernel for the microVM (implies --vm)\n"
	"  --net MODE[:NETWORK]    none, host, nat[:NET], bridge:NET, routed:NET\n"
	"  --ip ADDR[/PREFIX]      a static address on the network (/PREFIX: a network without a subnet)\n"
	"  -p, --publish SPEC      [HOSTIP:]HOSTPORT[-END]:CTRPORT[-END][/tcp|udp] (nat)\n"
	"  --keep                  keep the container after it exits (stopped), for\n"
	"                          `state` and `delete` later; without it, run deletes it\n"
	"  --no-subreaper          accepted: Hull never makes itself a subreaper\n"
	"  --image REF             run an image (pulled if needed) instead of a bundle:\n"
	"                          its root is an overlay in the image store; with\n"
	"                          --store, --platform, --tls-verify as for `hull pull`\n"
	"  --copy                  with --image: copy the layers instead of an overlay\n"
	"  --vm-no-jail            DEBUGGING ONLY: the microVM's monitor runs as root in\n"
	"                          the host's namespaces, without seccomp (implies --vm)\n",
	.run = cmd_run,
	.enters_container = true,
};
