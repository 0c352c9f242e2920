#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/lifecycle.h"

int cli_parse_create(const struct cli_global *g, const char *verb, int argc,
		     char **argv, struct create_opts *o, bool *detach)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "pid-file", required_argument, NULL, 'i' + 256 },
		{ "no-pivot", no_argument, NULL, 'P' },
		{ "no-new-keyring", no_argument, NULL, 'K' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "detach", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "no-subreaper", no_argument, NULL, 'S' },
		{ "vm", no_argument, NULL, 'V' },
		{ "vm-kernel", required_argument, NULL, 'k' + 256 },
		/* built-in networking (runtime/net.h) */
		{ "net", required_argument, NULL, 'n' + 256 },
		{ "publish", required_argument, NULL, 'p' },
		{ "ip", required_argument, NULL, 'I' + 256 },
		{ "vm-no-jail", no_argument, NULL, 'J' + 256 },
		{ NULL, 0, NULL, 0 },
	};
	static const char *ports[256];
	int c;

	memset(o, 0, sizeof(*o));
	o->ports = ports;
	o->root = g->root;
	o->systemd_cgroup = g->systemd_cgroup;
	while ((c = getopt_long_only(argc, argv, "+b:dp:", opts, NULL)) != -1) {
		switch (c) {
		case 'b': o->bundle = optarg; break;
		case 'c': o->console_socket = optarg; break;
		case 'i' + 256: o->pid_file = optarg; break;
		case 'n' + 256: o->net = optarg; break;
		case 'I' + 256: o->net_ip = optarg; break;
		case 'p':
			if (o->n_ports == sizeof(ports) / sizeof(ports[0]))
				return cli_usage_error(g, verb, "too many -p flags") ? -1 : -1;
			ports[o->n_ports++] = optarg;
			break;
		case 'P': o->no_pivot = true; break;
		case 'K': o->no_new_keyring = true; break;
		case 'F': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 0 || n > 65536)
				return cli_usage_error(g, verb, "--preserve-fds: \"%s\" is not a count", optarg) ? -1 : -1;
			o->preserve_fds = (int)n;
			break;
		}
		case 'd':
			if (detach == NULL)
				return cli_usage_error(g, verb, "unknown flag --detach") ? -1 : -1;
			*detach = true;
			break;
		case 'k':
			/* runc has --keep on run only: a created container
			 * stays until `delete` anyway. */
			if (detach == NULL)
				return cli_usage_error(g, verb,
						       "--keep: only `run` takes it (a created container is kept until `delete`)") ? -1 : -1;
			o->keep = true;
			break;
		case 'S':
			/* --no-subreaper asks for what Hull always does: it
			 * never makes itself a child subreaper. */
			break;
		case 'V': o->vm = true; break;
		case 'k' + 256: o->vm = true; o->vm_kernel = optarg; break;
		case 'J' + 256:
			o->vm = o->vm_no_jail = true;
			/* Loud on purpose: this turns off the VM's host-side wall. */
			fprintf(stderr, "hull: WARNING: --vm-no-jail: the microVM monitor runs as root "
				"with every capability, in the host's namespaces and root, without "
				"seccomp; one bug in a device model is then host root. Debugging only.\n");
			cli_log(g, "warning", "--vm-no-jail: the microVM monitor is not jailed");
			break;
		default:
			return cli_usage_error(g, verb, "invalid flags") ? -1 : -1;
		}
	}
	o->id = cli_one_id(g, verb, argc, argv);
	return o->id ? 0 : -1;
}

const char *cli_one_id(const struct cli_global *g, const char *verb, int argc,
		       char **argv)
{
	if (optind >= argc) {
		cli_usage_error(g, verb, "a container id is required");
		return NULL;
	}
	if (optind + 1 < argc) {
		cli_usage_error(g, verb, "unexpected argument \"%s\"", argv[optind + 1]);
		return NULL;
	}
	return argv[optind];
}

static int cmd_create(struct cli_global *g, int argc, char **argv)
{
	struct create_opts o;
	struct hull_error err = { 0 };

	if (cli_parse_create(g, "create", argc, argv, &o, NULL) < 0)
		return 1;
	if (hull_create(&o, NULL, &err) < 0)
		return cli_fail(g, &err);
	return 0;
}

HULL_COMMAND(create_cmd) = {
	.name = "create",
	.summary = "create a container (its process waits for 'start')",
	.usage =
	"Usage: hull create [options] ID\n"
	"\n"
	"Creates container ID from the OCI bundle; the process is set up and waits\n"
	"for 'hull start ID'.\n"
	"\n"
	"  --bundle, -b DIR        bundle directory (default: current directory)\n"
	"  --console-socket PATH   unix socket that receives the pty master (SCM_RIGHTS)\n"
	"                          when process.terminal is true\n"
	"  --pid-file FILE         write the container process's pid to FILE\n"
	"  --no-pivot              use MS_MOVE + chroot instead of pivot_root\n"
	"  --no-new-keyring        keep the caller's session keyring\n"
	"  --preserve-fds N        pass fds 3 .. 3+N-1 to the process\n"
	"  --vm                    run the container in a microVM sandbox\n"
	"  --vm-kernel FILE        guest kernel for the microVM (implies --vm)\n"
	"  --net MODE[:NETWORK]    none, host, nat[:NET], bridge:NET, routed:NET\n"
	"  --ip ADDR[/PREFIX]      a static address on the network (/PREFIX: a network without a subnet)\n"
	"  -p, --publish SPEC      [HOSTIP:]HOSTPORT[-END]:CTRPORT[-END][/tcp|udp] (nat)\n"
	"  --vm-no-jail            DEBUGGING ONLY: the microVM's monitor runs as root in\n"
	"                          the host's namespaces, without seccomp (implies --vm)\n",
	.run = cmd_create,
	.enters_container = true,
};
