/* The v2 driver against a fake cgroupfs tree in a temp dir: placement,
 * controller enabling along the path, what each resource writes, update,
 * validation failures that write nothing, save/load and teardown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/cgroup_internal.h"
#include "base/json.h"

static int failures, n;
static char root[] = "/tmp/hull-test-cgfs-XXXXXX";

#define CHECK(cond, ...) do { \
	n++; \
	if (cond) { printf("ok %d - ", n); printf(__VA_ARGS__); printf("\n"); } \
	else { failures++; printf("not ok %d - ", n); printf(__VA_ARGS__); printf("  (%s:%d)\n", __FILE__, __LINE__); } \
} while (0)

static char *slurp(const char *rel)
{
	char p[512];
	static char buf[4096];
	FILE *f;
	size_t len;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "r");
	if (f == NULL)
		return NULL;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static bool file_is(const char *rel, const char *want)
{
	const char *s = slurp(rel);

	return s && strcmp(s, want) == 0;
}

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

static struct spec_resources *res(const char *text)
{
	json_node *node = NULL;
	struct spec_resources *r = NULL;
	struct hull_error err = { 0 };

	if (json_parse(text, &node, &err) < 0 ||
	    spec_resources_parse(node, "linux.resources", &r, &err) < 0)
		printf("# parse: %s\n", err.msg);
	json_free(node);
	return r;
}

static bool exists(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return stat(p, &st) == 0;
}

int main(void)
{
	struct cgroup_manager *m = NULL, *m2 = NULL;
	struct hull_error err = { 0 };
	struct spec_resources *r;
	struct cgroup_config cfg = { .id = "c1" };
	json_gen *g;
	json_node *saved = NULL;
	char *text;

	cgroup_fake_fs = true;
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	put("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma\n");

	r = res("{\"memory\":{\"limit\":67108864,\"swap\":100663296,\"reservation\":1000},"
		"\"cpu\":{\"shares\":1024,\"quota\":50000,\"cpus\":\"0\"},\"pids\":{\"limit\":32},"
		"\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1000}]},"
		"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
		"\"unified\":{\"memory.high\":\"60000000\"}}");
	cfg.resources = r;
	CHECK(cgroup_manager_create_at(&cfg, CGROUP_MODE_V2, root, &m, &err) == 0,
	      "create in the fake tree (%s)", err.msg);
	if (m == NULL)
		return 1;
	CHECK(strcmp(cgroup_manager_path(m), "/hull/c1") == 0, "default path /hull/<id>");
	CHECK(exists("hull/c1"), "group directory made");
	CHECK(file_is("cgroup.subtree_control", "+cpuset +cpu +io +memory +hugetlb +pids +rdma"),
	      "controllers enabled at the root (%s)", slurp("cgroup.subtree_control"));
	CHECK(slurp("hull/cgroup.subtree_control") != NULL, "controllers enabled in /hull");
	CHECK(!exists("hull/c1/cgroup.subtree_control"), "nothing enabled in the leaf");
	CHECK(file_is("hull/c1/memory.max", "67108864"), "memory.max");
	CHECK(file_is("hull/c1/memory.swap.max", "33554432"), "memory.swap.max = swap - limit");
	CHECK(file_is("hull/c1/memory.low", "1000"), "memory.low from reservation");
	CHECK(file_is("hull/c1/memory.oom.group", "1"), "memory.oom.group set");
	CHECK(file_is("hull/c1/cpu.weight", "39"), "cpu.weight from shares 1024");
	CHECK(file_is("hull/c1/cpu.max", "50000 100000"), "cpu.max with default period");
	CHECK(file_is("hull/c1/cpuset.cpus", "0"), "cpuset.cpus");
	CHECK(file_is("hull/c1/pids.max", "32"), "pids.max");
	CHECK(file_is("hull/c1/io.weight", "default 4950"), "io.weight from blkio weight (%s)",
	      slurp("hull/c1/io.weight"));
	CHECK(file_is("hull/c1/io.max", "8:0 rbps=1000"), "io.max");
	CHECK(file_is("hull/c1/hugetlb.2MB.max", "4194304"), "hugetlb.2MB.max");
	CHECK(file_is("hull/c1/memory.high", "60000000"), "unified key written");
	spec_resources_free(r);

	/* update: period only keeps the quota; bad input writes nothing */
	put("hull/c1/memory.current", "10485760\n");
	put("hull/c1/memory.stat", "anon 10485760\ninactive_file 0\n");
	r = res("{\"cpu\":{\"period\":200000},\"pids\":{\"limit\":0}}");
	CHECK(cgroup_update(m, r, &err) == 0, "update (%s)", err.msg);
	CHECK(file_is("hull/c1/cpu.max", "50000 200000"), "update of period keeps quota");
	CHECK(file_is("hull/c1/pids.max", "max"), "pids limit 0 -> max");
	spec_resources_free(r);

	hull_error_clear(&err);
	r = res("{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":5}}");
	CHECK(cgroup_update(m, r, &err) < 0 && strstr(err.msg, "below the container's current usage"),
	      "limit below usage rejected: %s", err.msg);
	CHECK(file_is("hull/c1/memory.max", "67108864") && file_is("hull/c1/pids.max", "max"),
	      "rejected update changed nothing");
	spec_resources_free(r);

	hull_error_clear(&err);
	r = res("{\"unified\":{\"foo.bar\":\"1\"}}");
	CHECK(cgroup_update(m, r, &err) < 0 && strstr(err.msg, "unknown key \"foo.bar\""),
	      "unknown unified key rejected: %s", err.msg);
	CHECK(!exists("hull/c1/foo.bar"), "unknown key not written");
	spec_resources_free(r);

	hull_error_clear(&err);
	r = res("{\"cpu\":{\"realtimeRuntime\":1000}}");
	CHECK(cgroup_update(m, r, &err) < 0 && strstr(err.msg, "not supported on cgroup v2"),
	      "realtime rejected on v2: %s", err.msg);
	spec_resources_free(r);

	/* freeze */
	hull_error_clear(&err);
	CHECK(cgroup_freeze(m, true, &err) == 0 && file_is("hull/c1/cgroup.freeze", "1"), "freeze");
	put("hull/c1/cgroup.events", "populated 0\nfrozen 1\n");
	CHECK(cgroup_is_frozen(m), "is_frozen reads cgroup.events");

	/* pids */
	put("hull/c1/cgroup.procs", "");
	{
		pid_t *pids = NULL;
		size_t np = 9;

		put("hull/c1/cgroup.procs", "12\n34\n");
		CHECK(cgroup_pids(m, &pids, &np, &err) == 0 && np == 2 && pids[1] == 34, "pids");
		free(pids);
		put("hull/c1/cgroup.procs", "");
	}

	/* save / load */
	g = json_gen_new(false);
	cgroup_manager_save(m, g);
	text = json_gen_finish(g, NULL);
	json_gen_free(g);
	CHECK(text && json_parse(text, &saved, &err) == 0, "saved state parses");
	CHECK(cgroup_manager_load(saved, &m2, &err) == 0, "load (%s)", err.msg);
	CHECK(m2 && cgroup_manager_resources(m2)->cpu.period.v == 200000,
	      "loaded manager keeps updated resources");
	CHECK(m2 && m2->created == 2, "created parents recorded (%d)", m2 ? m2->created : -1);
	free(text);
	json_free(saved);

	/* destroy: leaf and the /hull parent it created */
	hull_error_clear(&err);
	CHECK(cgroup_destroy(m2, &err) == 0, "destroy (%s)", err.msg);
	CHECK(!exists("hull/c1") && !exists("hull"), "leaf and created parent removed");
	CHECK(cgroup_destroy(m2, &err) == 0, "destroy is idempotent");
	cgroup_manager_free(m);
	cgroup_manager_free(m2);

	/* bad path: nothing made */
	{
		struct cgroup_config bad = { .id = "c2", .cgroups_path = "/x/../../etc" };

		hull_error_clear(&err);
		m = NULL;
		CHECK(cgroup_manager_create_at(&bad, CGROUP_MODE_V2, root, &m, &err) < 0 &&
		      strstr(err.msg, ".."), "cgroupsPath with .. rejected: %s", err.msg);
		CHECK(!exists("x"), "nothing created for a bad path");
	}
	/* relative path goes under /hull; failure cleans up */
	{
		struct cgroup_config rel = { .id = "c3", .cgroups_path = "team/c3" };

		r = res("{\"unified\":{\"nope.file\":\"1\"}}");
		rel.resources = r;
		hull_error_clear(&err);
		m = NULL;
		CHECK(cgroup_manager_create_at(&rel, CGROUP_MODE_V2, root, &m, &err) < 0,
		      "create with an unknown unified key fails: %s", err.msg);
		CHECK(!exists("hull/team/c3") && !exists("hull/team") && !exists("hull"),
		      "failed create leaves nothing behind");
		spec_resources_free(r);
		rel.resources = NULL;
		hull_error_clear(&err);
		CHECK(cgroup_manager_create_at(&rel, CGROUP_MODE_V2, root, &m, &err) == 0 &&
		      exists("hull/team/c3"), "relative cgroupsPath placed under /hull");
		if (m) {
			cgroup_destroy(m, &err);
			cgroup_manager_free(m);
		}
	}
	unlink(strcat(strcpy((char[600]){0}, root), "/cgroup.controllers"));
	unlink(strcat(strcpy((char[600]){0}, root), "/cgroup.subtree_control"));
	rmdir(root);
	printf("1..%d\n", n);
	return failures ? 1 : 0;
}
