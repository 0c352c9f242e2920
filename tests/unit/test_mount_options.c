/* Unit tests of mount options (oci/mount_options.c), linux.sysctl keys
 * (oci/spec_sysctl.c) and device paths: what each option becomes, and
 * which inputs are refused with an error naming them.  No root needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "oci/spec.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (cond) { printf("ok - " __VA_ARGS__); printf("\n"); } \
	else { printf("not ok - " __VA_ARGS__); printf("\n"); failures++; } \
} while (0)

/* A config with one mount (JSON object text) and linux fields. */
static const char *namespaces =
	"{\"type\":\"mount\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"}";

static struct spec *parse(const char *mount, const char *linux_extra, struct hull_error *err)
{
	char text[8192];
	json_node *doc = NULL;
	struct spec *s = NULL;

	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
		 "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"]},"
		 "\"mounts\":[%s],"
		 "\"linux\":{\"namespaces\":[%s]%s}}",
		 mount, namespaces, linux_extra);
	hull_error_clear(err);
	if (json_parse(text, &doc, err) < 0)
		return NULL;
	if (spec_parse(doc, "/bundle", &s, err) < 0)
		s = NULL;
	json_free(doc);
	return s;
}

static struct spec *parse_mount(const char *mount, struct hull_error *err)
{
	return parse(mount, "", err);
}

static void expect_error(const char *mount, const char *linux_extra, const char *want)
{
	struct hull_error err = { 0 };
	struct spec *s = parse(mount, linux_extra, &err);

	CHECK(s == NULL && strstr(err.msg, want) != NULL,
	      "error names \"%s\" (got: %s)", want, s ? "no error" : err.msg);
	spec_free(s);
}

static void expect_ok(const char *mount, const char *linux_extra, const char *what)
{
	struct hull_error err = { 0 };
	struct spec *s = parse(mount, linux_extra, &err);

	CHECK(s != NULL, "%s (%s)", what, s ? "ok" : err.msg);
	spec_free(s);
}

#define BIND(opts) "{\"destination\":\"/m\",\"type\":\"bind\",\"source\":\"/src\",\"options\":[" opts "]}"
#define TMPFS(opts) "{\"destination\":\"/m\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[" opts "]}"

int main(void)
{
	struct hull_error err = { 0 };
	struct spec *s;

	s = parse_mount(BIND("\"rbind\",\"rro\",\"rnosuid\",\"rnodev\",\"rnoexec\",\"rnoatime\",\"rnosymfollow\""), &err);
	CHECK(s && s->mounts[0].recursive &&
	      s->mounts[0].rec_attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					    MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOATIME | 0x00200000) &&
	      (s->mounts[0].rec_attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME &&
	      s->mounts[0].data == NULL && !s->mounts[0].need_remount,
	      "r* options become recursive mount attributes, not data (%s)", s ? "" : err.msg);
	spec_free(s);
	s = parse_mount(BIND("\"rbind\",\"rro\",\"rrw\",\"rnodiratime\",\"rstrictatime\""), &err);
	CHECK(s && !(s->mounts[0].rec_attr_set & MOUNT_ATTR_RDONLY) &&
	      (s->mounts[0].rec_attr_clr & MOUNT_ATTR_RDONLY) &&
	      (s->mounts[0].rec_attr_set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_STRICTATIME &&
	      (s->mounts[0].rec_attr_set & MOUNT_ATTR_NODIRATIME),
	      "the last of rro/rrw wins; atime modes replace each other");
	spec_free(s);
	s = parse_mount(BIND("\"rbind\",\"ro\",\"nosymfollow\""), &err);
	CHECK(s && (s->mounts[0].flags & MS_RDONLY) && (s->mounts[0].flags & 256) &&
	      s->mounts[0].rec_attr_set == 0 && s->mounts[0].need_remount,
	      "ro on rbind stays a top-mount flag (as runc), nosymfollow is MS_NOSYMFOLLOW");
	spec_free(s);
	s = parse_mount(TMPFS("\"nosuid\",\"size=1m\",\"mode=700\",\"tmpcopyup\""), &err);
	CHECK(s && s->mounts[0].data && strcmp(s->mounts[0].data, "size=1m,mode=700") == 0 &&
	      s->mounts[0].tmpcopyup, "tmpfs data options stay data, tmpcopyup is recorded");
	spec_free(s);
	s = parse_mount("{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"newinstance\",\"ptmxmode=0666\"]}", &err);
	CHECK(s && s->mounts[0].data && strcmp(s->mounts[0].data, "newinstance,ptmxmode=0666") == 0,
	      "a filesystem's own flag options (devpts newinstance) stay data");
	spec_free(s);

	expect_error(BIND("\"rbind\",\"rrro\""), "", "mounts[0].options[1]: unknown mount option \"rrro\"");
	expect_error(BIND("\"bind\",\"size=1k\""), "", "mounts[0].options[1]: unknown mount option \"size=1k\"");
	expect_error("{\"destination\":\"/m\",\"source\":\"/src\",\"options\":[\"nosuid\",\"bind\",\"bogus\"]}", "",
		     "mounts[0].options[2]: unknown mount option \"bogus\"");
	expect_error(BIND("\"bind\",\"tmpcopyup\""), "", "tmpcopyup applies to tmpfs mounts only");
	expect_error(TMPFS("\"idmap\""), "", "idmapped mounts apply to bind mounts only");
	expect_error(BIND("\"rbind\",\"idmap\""), "", "mounts[0]: idmap without uidMappings/gidMappings needs a new user namespace");
	expect_error("{\"destination\":\"/m\",\"type\":\"bind\",\"source\":\"/src\",\"options\":[\"rbind\"],"
		     "\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]}", "",
		     "needs both uidMappings and gidMappings");
	expect_error("{\"destination\":\"/m\",\"type\":\"bind\",\"source\":\"/src\",\"options\":[\"rbind\"],"
		     "\"uidMappings\":[{\"containerID\":0,\"size\":1}]}", "",
		     "mounts[0].uidMappings[0]");
	s = parse_mount("{\"destination\":\"/m\",\"type\":\"bind\",\"source\":\"/src\",\"options\":[\"rbind\",\"ridmap\"],"
			"\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
			"\"gidMappings\":[{\"containerID\":0,\"hostID\":2000,\"size\":10}]}", &err);
	CHECK(s && s->mounts[0].idmap && s->mounts[0].idmap_recursive &&
	      s->mounts[0].n_uid_mappings == 1 && s->mounts[0].uid_mappings[0].host_id == 1000 &&
	      s->mounts[0].gid_mappings[0].host_id == 2000, "ridmap with the mount's own mappings (%s)",
	      s ? "" : err.msg);
	spec_free(s);

	/* sysctl */
	expect_ok(TMPFS(""), ",\"sysctl\":{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmni\":\"10\",\"kernel.msgmax\":\"1\",\"kernel.sem\":\"1 2 3 4\",\"fs.mqueue.msg_max\":\"10\",\"kernel.domainname\":\"d\"}",
		  "namespaced sysctls are accepted with their namespaces");
	expect_error(TMPFS(""), ",\"sysctl\":{\"kernel.core_pattern\":\"|/tmp/x\"}",
		     "linux.sysctl.kernel.core_pattern: not isolated by any namespace");
	expect_error(TMPFS(""), ",\"sysctl\":{\"vm.overcommit_memory\":\"1\"}",
		     "linux.sysctl.vm.overcommit_memory: not isolated");
	namespaces = "{\"type\":\"mount\"}";
	expect_error(TMPFS(""), ",\"sysctl\":{\"kernel.shmmni\":\"1\"}",
		     "linux.sysctl.kernel.shmmni: needs a new ipc namespace");
	namespaces = "{\"type\":\"mount\"},{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"}";
	expect_error(TMPFS(""), ",\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"}",
		     "linux.sysctl.net.ipv4.ip_forward: the network namespace /proc/self/ns/net is the host's");
	namespaces = "{\"type\":\"mount\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"}";
	expect_error(TMPFS(""), ",\"sysctl\":{\"net.ipv4..x\":\"1\"}", "linux.sysctl.net.ipv4..x: invalid key");
	expect_error(TMPFS(""), ",\"sysctl\":{\"net/ipv4/ip_forward\":\"1\"}", "linux.sysctl.net/ipv4/ip_forward: invalid key");

	/* device paths: short ones were read out of bounds. */
	expect_error(TMPFS(""), ",\"devices\":[{\"path\":\"/\",\"type\":\"c\",\"major\":1,\"minor\":3}]",
		     "linux.devices[0].path: must name a device file");
	expect_error(TMPFS(""), ",\"devices\":[{\"path\":\"/a/..\",\"type\":\"c\",\"major\":1,\"minor\":3}]",
		     "linux.devices[0].path: must not contain \"..\"");
	expect_ok(TMPFS(""), ",\"devices\":[{\"path\":\"/x\",\"type\":\"c\",\"major\":1,\"minor\":3}]",
		  "a two-character device path parses");
	expect_ok(TMPFS(""), ",\"devices\":[{\"path\":\"/..x\",\"type\":\"c\",\"major\":1,\"minor\":3}]",
		  "a name starting with .. is not ..");
	printf("# %s\n", failures ? "FAILED" : "all mount option checks passed");
	return failures ? 1 : 0;
}
