/* systemd pieces that need no systemd: the .container parser (errors name
 * FILE:LINE), the unit writer, the systemd driver's cgroupsPath and
 * property conversions, and the NOTIFY_SOCKET filter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/resources.h"
#include "cgroups/systemd_props.h"
#include "base/json.h"
#include "runtime/notify.h"
#include "runtime/unit.h"

static int failures, n;

#define CHECK(cond, ...) do { \
	n++; \
	if (cond) { printf("ok %d - ", n); printf(__VA_ARGS__); printf("\n"); } \
	else { failures++; printf("not ok %d - ", n); printf(__VA_ARGS__); printf("  (%s:%d)\n", __FILE__, __LINE__); } \
} while (0)

static void parse_error(const char *text, const char *want)
{
	struct hull_unit u;
	struct hull_error err = { 0 };
	int r = unit_parse_container_text("/etc/hull/containers/web.container", text, &u, &err);

	CHECK(r < 0 && strstr(err.msg, want) != NULL,
	      "rejects with \"%s\" (got \"%s\")", want, err.msg);
}

static void test_parser(void)
{
	static const char good[] =
		"# a comment\n"
		"[Unit]\n"
		"Description=my web\n"
		"After=network.target\n"
		"\n"
		"[Container]\n"
		"Bundle=/srv/web\n"
		"Environment=A=1\n"
		"Environment=B=two words\n"
		"Volume=/srv/data:/data:ro\n"
		"Network=host\n"
		"Memory=64M\n"
		"CPUQuota=50%\n"
		"PidsLimit=100\n"
		"StopSignal=SIGINT\n"
		"StopTimeout=7\n"
		"Notify=yes\n"
		"VM=no\n"
		"\n"
		"[Service]\n"
		"Restart=always\n"
		"RestartSec=1 \\\n"
		"  \n"
		"[Install]\n"
		"WantedBy=multi-user.target default.target\n";
	struct hull_unit u;
	struct hull_error err = { 0 };
	int r = unit_parse_container_text("/etc/hull/containers/web.container", good, &u, &err);

	CHECK(r == 0, "parses a full .container (%s)", err.msg);
	if (r < 0)
		return;
	CHECK(strcmp(u.name, "web") == 0, "the name comes from the file name");
	CHECK(strcmp(u.bundle, "/srv/web") == 0, "Bundle=");
	CHECK(u.n_env == 2 && strcmp(u.env[1], "B=two words") == 0, "Environment= keeps spaces");
	CHECK(u.n_volumes == 1, "Volume=");
	CHECK(u.memory == 64 << 20, "Memory=64M is %lld", (long long)u.memory);
	CHECK(u.cpu_quota == 50 && u.pids_limit == 100, "CPUQuota= and PidsLimit=");
	CHECK(u.notify && !u.vm && u.stop_timeout == 7, "booleans and StopTimeout=");
	CHECK(u.n_unit_lines == 2 && u.n_service_lines == 2, "[Unit] and [Service] pass through");
	CHECK(u.n_wanted_by == 2 && strcmp(u.wanted_by[1], "default.target") == 0,
	      "WantedBy= takes a list");

	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		char **argv;

		CHECK(unit_write(f, &u, "/usr/bin/hull", &err) == 0, "writes the unit (%s)", err.msg);
		fclose(f);
		CHECK(strstr(buf, "\nType=notify\n") && strstr(buf, "\nNotifyAccess=all\n") &&
		      strstr(buf, "\nKillMode=mixed\n") && strstr(buf, "\nDelegate=yes\n"),
		      "Type=notify, NotifyAccess=all, KillMode=mixed, Delegate=yes");
		CHECK(strstr(buf, "\nExecStopPost=-/usr/bin/hull delete --force web\n") != NULL,
		      "a forced delete in ExecStopPost");
		CHECK(strstr(buf, "\nExecStart=/usr/bin/hull --systemd-cgroup run --bundle /run/hull/units/web web\n") != NULL,
		      "ExecStart runs the derived bundle with the systemd driver");
		CHECK(strstr(buf, "--env \"B=two words\"") != NULL, "arguments with spaces are quoted");
		CHECK(strstr(buf, "--cpu-quota 50%% ") != NULL, "'%%' is escaped for systemd");
		CHECK(strstr(buf, "\nKillSignal=SIGINT\n") && strstr(buf, "\nTimeoutStopSec=7\n"),
		      "the stop signal and timeout");
		CHECK(strstr(buf, "HULL_NOTIFY_READY") == NULL, "Notify=yes waits for the payload's READY=1");
		CHECK(strstr(buf, "\nRestart=on-failure\n") == NULL && strstr(buf, "\nRestart=always\n"),
		      "a Restart= of the file replaces the default");
		CHECK(strstr(buf, "\nSourcePath=/etc/hull/containers/web.container\n") != NULL, "SourcePath=");
		CHECK(strstr(buf, "\n[Install]\nWantedBy=multi-user.target\nWantedBy=default.target\n") != NULL,
		      "[Install]");
		free(buf);
		argv = unit_argv(&u);
		CHECK(argv && strcmp(argv[0], "--bundle") == 0, "unit_argv starts with --bundle");
		for (size_t i = 0; argv && argv[i]; i++)
			free(argv[i]);
		free(argv);
	}
	unit_free(&u);

	parse_error("[Container]\nBundle=/b\nColour=blue\n", "web.container:3: unknown key \"Colour\"");
	parse_error("[Container]\nBundle=/b\njust words\n", "web.container:3: expected Key=Value");
	parse_error("[Containr]\nBundle=/b\n", "web.container:1: unknown section [Containr]");
	parse_error("Bundle=/b\n", "web.container:1: \"Bundle=/b\" before any [Section]");
	parse_error("[Container]\nBundle=relative\n", "web.container:2: Bundle:");
	parse_error("[Container]\n\nMemory=lots\nBundle=/b\n", "web.container:3: Memory:");
	parse_error("[Container]\nBundle=/b\nVolume=/a\n", "web.container:3: Volume:");
	parse_error("[Container]\nBundle=/b\nPublishPort=80:80\n", "web.container:3: PublishPort:");
	parse_error("[Container]\nEnvironment=A=1\n", "exactly one of Bundle=");
	parse_error("[Install]\nAlias=x.service\n", "web.container:2: unknown key \"Alias\" in [Install]");
	parse_error("[Container]\nBundle=/b\nStopSignal=TERM\n", "StopSignal:");
}

static void test_paths(void)
{
	char *slice = NULL, *unit = NULL, *path = NULL;
	struct hull_error err = { 0 };

	CHECK(cgroup_systemd_parse_path("c1", NULL, &slice, &unit, &path, &err) == 0 &&
	      strcmp(slice, "system.slice") == 0 && strcmp(unit, "hull-c1.scope") == 0 &&
	      strcmp(path, "/system.slice/hull-c1.scope") == 0,
	      "default: system.slice:hull:<id> (%s %s %s)", slice, unit, path);
	free(slice); free(unit); free(path);
	CHECK(cgroup_systemd_parse_path("c1", "machine-web.slice:crio:abc", &slice, &unit, &path, &err) == 0 &&
	      strcmp(unit, "crio-abc.scope") == 0 &&
	      strcmp(path, "/machine.slice/machine-web.slice/crio-abc.scope") == 0,
	      "runc's slice:prefix:name with a nested slice (%s)", path);
	free(slice); free(unit); free(path);
	CHECK(cgroup_systemd_parse_path("c1", ":hull:", &slice, &unit, &path, &err) == 0 &&
	      strcmp(unit, "hull-c1.scope") == 0 && strcmp(slice, "system.slice") == 0,
	      "empty slice and name take the defaults");
	free(slice); free(unit); free(path);
	err = (struct hull_error){ 0 };
	CHECK(cgroup_systemd_parse_path("c1", "/hull/c1", &slice, &unit, &path, &err) < 0 &&
	      strstr(err.msg, "slice:prefix:name"), "a cgroupfs path is refused: %s", err.msg);
	err = (struct hull_error){ 0 };
	CHECK(cgroup_systemd_parse_path("c1", "user:p:n", &slice, &unit, &path, &err) < 0 &&
	      strstr(err.msg, ".slice"), "a slice must end in .slice: %s", err.msg);
}

static void test_props(void)
{
	static const char res[] =
		"{\"memory\":{\"limit\":67108864,\"reservation\":1048576,\"swap\":134217728},"
		"\"cpu\":{\"shares\":1024,\"quota\":25000,\"period\":100000,\"cpus\":\"0-2,9\",\"mems\":\"0\"},"
		"\"pids\":{\"limit\":50},\"blockIO\":{\"weight\":500}}";
	struct spec_resources *r = NULL;
	struct sd_props p = { 0 };
	struct hull_error err = { 0 };
	json_node *node = NULL;
	const struct sd_prop *x;

	if (json_parse(res, &node, &err) < 0 || spec_resources_parse(node, "linux.resources", &r, &err) < 0) {
		CHECK(0, "parse resources: %s", err.msg);
		return;
	}
	CHECK(cgroup_systemd_resource_props(r, &p, &err) == 0, "resources to properties (%s)", err.msg);
	CHECK((x = sd_props_find(&p, "MemoryMax")) && x->u == 67108864, "MemoryMax");
	CHECK((x = sd_props_find(&p, "MemoryLow")) && x->u == 1048576, "MemoryLow");
	CHECK((x = sd_props_find(&p, "MemorySwapMax")) && x->u == 134217728 - 67108864,
	      "MemorySwapMax is swap minus limit");
	CHECK((x = sd_props_find(&p, "CPUWeight")) && x->u == cgroup_shares_to_weight(1024), "CPUWeight");
	CHECK((x = sd_props_find(&p, "CPUQuotaPerSecUSec")) && x->u == 250000, "CPUQuotaPerSecUSec");
	CHECK((x = sd_props_find(&p, "CPUQuotaPeriodUSec")) && x->u == 100000, "CPUQuotaPeriodUSec");
	CHECK((x = sd_props_find(&p, "AllowedCPUs")) && x->n_bytes == 2 && x->bytes[0] == 0x07 &&
	      x->bytes[1] == 0x02, "AllowedCPUs is systemd's byte mask");
	CHECK((x = sd_props_find(&p, "AllowedMemoryNodes")) && x->n_bytes == 1 && x->bytes[0] == 1,
	      "AllowedMemoryNodes");
	CHECK((x = sd_props_find(&p, "TasksMax")) && x->u == 50, "TasksMax");
	CHECK((x = sd_props_find(&p, "IOWeight")) && x->u == cgroup_blkio_weight_to_io(500), "IOWeight");
	CHECK(sd_props_find(&p, "DeviceAllow") == NULL, "devices stay with the BPF program");
	sd_props_free(&p);
	json_free(node);
	spec_resources_free(r);

	/* 33 ms of 100: systemd keeps 10 ms steps, rounded up as runc */
	node = NULL;
	r = NULL;
	json_parse("{\"cpu\":{\"quota\":33333,\"period\":100000},\"pids\":{\"limit\":-1}}", &node, &err);
	spec_resources_parse(node, "linux.resources", &r, &err);
	CHECK(r && cgroup_systemd_resource_props(r, &p, &err) == 0 &&
	      (x = sd_props_find(&p, "CPUQuotaPerSecUSec")) && x->u == 340000,
	      "CPUQuotaPerSecUSec rounds up to 10 ms");
	CHECK((x = sd_props_find(&p, "TasksMax")) && x->u == UINT64_MAX, "pids -1 is infinity");
	sd_props_free(&p);
	json_free(node);
	spec_resources_free(r);

	CHECK(cgroup_systemd_annotation_prop("TimeoutStopUSec", "uint64 5000000", &p, &err) == 0 &&
	      p.v[0].type == 't' && p.v[0].u == 5000000, "annotation: uint64 N");
	CHECK(cgroup_systemd_annotation_prop("CPUAccounting", "false", &p, &err) == 0 &&
	      p.v[1].type == 'b' && !p.v[1].b, "annotation: bool");
	CHECK(cgroup_systemd_annotation_prop("Description", "'a b'", &p, &err) == 0 &&
	      p.v[2].type == 's' && strcmp(p.v[2].s, "a b") == 0, "annotation: quoted string");
	CHECK(cgroup_systemd_annotation_prop("IOWeight", "100", &p, &err) == 0 && p.v[3].type == 't',
	      "annotation: a bare number is uint64");
	err = (struct hull_error){ 0 };
	CHECK(cgroup_systemd_annotation_prop("PIDs", "1", &p, &err) < 0 && strstr(err.msg, "PIDs"),
	      "annotation: PIDs is Hull's: %s", err.msg);
	err = (struct hull_error){ 0 };
	CHECK(cgroup_systemd_annotation_prop("MemoryMax", "lots", &p, &err) < 0 &&
	      strstr(err.msg, "org.systemd.property.MemoryMax"), "annotation: a bad value names the key: %s", err.msg);
	sd_props_free(&p);
}

static void test_notify_filter(void)
{
	char out[256];
	bool ready;
	size_t len;
	static const char all[] = "MAINPID=1\nFDSTORE=1\nREADY=1\nSTATUS=up\nEXTEND_TIMEOUT_USEC=5\nWATCHDOG=1\nERRNO=2";

	len = notify_filter(all, strlen(all), out, sizeof(out), &ready);
	CHECK(ready && strcmp(out, "READY=1\nSTATUS=up\nEXTEND_TIMEOUT_USEC=5\nWATCHDOG=1") == 0 &&
	      len == strlen(out), "only READY, STATUS, EXTEND_TIMEOUT_USEC, WATCHDOG pass (%s)", out);
	len = notify_filter("STATUS=waiting for READY=1", 26, out, sizeof(out), &ready);
	CHECK(!ready && len == 26, "READY=1 inside a line is not readiness");
	len = notify_filter("NOTREADY=1\nREADY=10\nEXTEND_TIMEOUT_USEC=5x", 42, out, sizeof(out), &ready);
	CHECK(!ready && len == 0, "look-alikes are dropped");
	len = notify_filter("READY=1\0MAINPID=1", 17, out, sizeof(out), &ready);
	CHECK(!ready && len == 0, "a line with a NUL is dropped");
}

int main(void)
{
	test_parser();
	test_paths();
	test_props();
	test_notify_filter();
	printf("1..%d\n", n);
	return failures ? 1 : 0;
}
