/* Which groups are Hull's (v2 driver, fake cgroupfs in a temp dir): a plan
 * writes nothing and records what is missing; a group that existed before
 * is joined only when empty and is never emptied or removed; a failed
 * realize forgets what it undid, so a later destroy removes nothing that
 * someone else made meanwhile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/cgroup_internal.h"

static int failures, n;
static char root[] = "/tmp/hull-test-cgown-XXXXXX";

#define CHECK(cond, ...) do { \
	n++; \
	if (cond) { printf("ok %d - ", n); printf(__VA_ARGS__); printf("\n"); } \
	else { failures++; printf("not ok %d - ", n); printf(__VA_ARGS__); printf("  (%s:%d)\n", __FILE__, __LINE__); } \
} while (0)

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static bool exists(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return stat(p, &st) == 0;
}

static void mk(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	mkdir(p, 0755);
}

int main(void)
{
	struct cgroup_config cfg = { .id = "c1" };
	struct cgroup_manager *m = NULL;
	struct hull_error err = { 0 };
	char cmd[600];

	cgroup_fake_fs = true;
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	put("cgroup.controllers", "cpu memory pids\n");

	/* cg_missing_tail: what mkdir -p would make now. */
	CHECK(cg_missing_tail(root, "/a/b/c") == 3, "nothing there: 3 missing");
	mk("a");
	CHECK(cg_missing_tail(root, "/a/b/c") == 2, "parent there: 2 missing");

	/* A plan writes nothing, and counts the groups it would make. */
	CHECK(cgroup_manager_plan_at(&cfg, CGROUP_MODE_V2, root, &m, &err) == 0,
	      "plan (%s)", err.msg);
	CHECK(m && m->created == 2 && !exists("hull"), "plan: 2 to make, none made");
	/* Destroying a plan that was never realized (a Hull killed between
	 * the two) removes nothing and succeeds. */
	CHECK(m && cgroup_destroy(m, &err) == 0 && !exists("hull"), "destroy of a bare plan");
	CHECK(m && cgroup_manager_realize(m, &err) == 0 && exists("hull/c1"),
	      "realize makes the group (%s)", err.msg);
	CHECK(m && cgroup_owned(m), "a group Hull made is Hull's");
	CHECK(m && cgroup_destroy(m, &err) == 0 && !exists("hull/c1") && !exists("hull"),
	      "destroy removes the group and the parent it made");
	cgroup_manager_free(m);
	m = NULL;

	/* A group someone else made, empty: joined, not Hull's, left alone. */
	mk("hull");
	mk("hull/c1");
	CHECK(cgroup_manager_create_at(&cfg, CGROUP_MODE_V2, root, &m, &err) == 0,
	      "an empty existing group is joined (%s)", err.msg);
	CHECK(m && m->created == 0 && !cgroup_owned(m), "and it is not Hull's");
	CHECK(m && cgroup_destroy(m, &err) == 0 && exists("hull/c1"),
	      "destroy leaves a group Hull did not make");
	cgroup_manager_free(m);
	m = NULL;

	/* A group that holds a process: refused, named, and left alone. */
	put("hull/c1/cgroup.procs", "4242\n");
	hull_error_clear(&err);
	CHECK(cgroup_manager_create_at(&cfg, CGROUP_MODE_V2, root, &m, &err) < 0 &&
	      strstr(err.msg, "hull/c1") && strstr(err.msg, "process"),
	      "a group with processes is refused naming it (%s)", err.msg);
	CHECK(exists("hull/c1") && exists("hull/c1/cgroup.procs"), "and it is left alone");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	printf("1..%d\n", n);
	return failures ? 1 : 0;
}
