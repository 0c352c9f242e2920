/* Unit tests of what makes other tools' configs run: fitting capability
 * sets to the kernel, and HOME from a container's /etc/passwd. */
#include <stdio.h>
#include <string.h>

#include "base/warn.h"
#include "oci/spec.h"
#include "runtime/launch.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (cond) { printf("ok - " __VA_ARGS__); printf("\n"); } \
	else { printf("not ok - " __VA_ARGS__); printf("\n"); failures++; } \
} while (0)

#define BIT(n) (1ULL << (n))

static char warnings[2048];

static void capture(const char *msg, void *data)
{
	(void)data;
	strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

static void test_caps(void)
{
	/* CAP_KILL 5, CAP_CHOWN 0, CAP_BPF 39, CAP_CHECKPOINT_RESTORE 40 */
	struct spec_caps c = {
		.set = true,
		.bounding = BIT(5) | BIT(0) | BIT(39) | BIT(40),
		.effective = BIT(5) | BIT(39),
		.permitted = BIT(5) | BIT(0) | BIT(39),
		.inheritable = BIT(5) | BIT(39),
		.ambient = BIT(5) | BIT(0) | BIT(39),
	};

	/* A kernel whose last capability is CAP_PERFMON (38). */
	hull_warn_set_sink(capture, NULL);
	spec_caps_fit_kernel(&c, 38);
	hull_warn_set_sink(NULL, NULL);
	CHECK(strstr(warnings, "this kernel does not have CAP_BPF, CAP_CHECKPOINT_RESTORE") != NULL,
	      "a warning names the caps the kernel lacks");
	CHECK(strstr(warnings, "ambient: CAP_CHOWN not both permitted and inheritable") != NULL,
	      "a warning names the ambient caps left out");
	CHECK(c.bounding == (BIT(5) | BIT(0)), "caps the kernel lacks leave bounding");
	CHECK(c.effective == BIT(5) && c.permitted == (BIT(5) | BIT(0)) &&
	      c.inheritable == BIT(5), "and every other set");
	CHECK(c.ambient == BIT(5), "ambient keeps only permitted and inheritable caps");
	CHECK(spec_cap_from_name("cap_kill") == 5 && spec_cap_from_name("CAP_CHECKPOINT_RESTORE") == 40,
	      "names, any case");
	CHECK(spec_cap_from_name("KILL") == -1 && spec_cap_from_name("CAP_FOO") == -1,
	      "unknown names");
}

static void test_home(void)
{
	static const char pw[] =
		"root:x:0:0:root:/root:/bin/sh\n"
		"# a comment:x:5:5::/nope:\n"
		"short:x:7\n"
		"app:x:1000:1000:App, Inc:/home/app:/bin/sh\n"
		"big:x:100000:1::/srv/big:\n"
		"empty:x:9:9:::/bin/sh";
	char home[64];

	CHECK(process_passwd_home(pw, strlen(pw), 0, home, sizeof(home)) == 0 &&
	      strcmp(home, "/root") == 0, "root's home");
	CHECK(process_passwd_home(pw, strlen(pw), 1000, home, sizeof(home)) == 0 &&
	      strcmp(home, "/home/app") == 0, "a user's home");
	CHECK(process_passwd_home(pw, strlen(pw), 100000, home, sizeof(home)) == 0 &&
	      strcmp(home, "/srv/big") == 0, "a large uid, empty shell field");
	CHECK(process_passwd_home(pw, strlen(pw), 5, home, sizeof(home)) == -1, "comments are skipped");
	CHECK(process_passwd_home(pw, strlen(pw), 7, home, sizeof(home)) == -1, "short lines are skipped");
	CHECK(process_passwd_home(pw, strlen(pw), 9, home, sizeof(home)) == -1, "an empty home is no home");
	CHECK(process_passwd_home(pw, strlen(pw), 42, home, sizeof(home)) == -1, "an unknown uid");
	CHECK(process_passwd_home(pw, strlen(pw), 1000, home, 5) == -1, "a home that does not fit");
}

static void test_node_list(void)
{
	uint64_t m[SPEC_MPOL_NODES / 64];
	size_t w = sizeof(m) / sizeof(m[0]);

	CHECK(spec_parse_node_list("0-3,5", m, w) == 0 && m[0] == 0x2f, "0-3,5");
	CHECK(spec_parse_node_list("64,1023", m, w) == 0 && m[1] == 1 && m[15] == 1ULL << 63,
	      "nodes in later words");
	CHECK(spec_parse_node_list("", m, w) == 0 && m[0] == 0, "empty");
	CHECK(spec_parse_node_list("1024", m, w) == -1, "a node above 1023");
	CHECK(spec_parse_node_list("3-1", m, w) == -1, "a reversed range");
	CHECK(spec_parse_node_list("1,", m, w) == -1 && spec_parse_node_list(",1", m, w) == -1 &&
	      spec_parse_node_list("1-", m, w) == -1 && spec_parse_node_list("a", m, w) == -1 &&
	      spec_parse_node_list("-1", m, w) == -1 && spec_parse_node_list("1 ", m, w) == -1,
	      "malformed lists");
}

static void test_ifname(void)
{
	CHECK(spec_ifname_valid("eth0") && spec_ifname_valid("a-b_c.d") &&
	      spec_ifname_valid("fifteen_chars_x"), "valid names");
	CHECK(!spec_ifname_valid("") && !spec_ifname_valid(".") && !spec_ifname_valid("..") &&
	      !spec_ifname_valid("a/b") && !spec_ifname_valid("a:b") && !spec_ifname_valid("a b") &&
	      !spec_ifname_valid("sixteen_chars_xx"), "invalid names");
}

int main(void)
{
	test_caps();
	test_home();
	test_node_list();
	test_ifname();
	return failures ? 1 : 0;
}
