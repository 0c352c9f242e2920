/* linux.resources parsing: errors name the JSON path; conversions match
 * runc/crun; merge and JSON round trip; cgroupsPath validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/cgroup.h"
#include "cgroups/resources.h"
#include "base/json.h"

static int failures, n;

#define CHECK(cond, ...) do { \
	n++; \
	if (cond) { printf("ok %d - ", n); printf(__VA_ARGS__); printf("\n"); } \
	else { failures++; printf("not ok %d - ", n); printf(__VA_ARGS__); printf("  (%s:%d)\n", __FILE__, __LINE__); } \
} while (0)

static int parse(const char *text, struct spec_resources **r, struct hull_error *err)
{
	json_node *node = NULL;
	int ret;

	hull_error_clear(err);
	if (json_parse(text, &node, err) < 0)
		return -2;
	ret = spec_resources_parse(node, "linux.resources", r, err);
	json_free(node);
	return ret;
}

static void expect_error(const char *text, const char *want)
{
	struct spec_resources *r = NULL;
	struct hull_error err = { 0 };
	int ret = parse(text, &r, &err);

	CHECK(ret == -1 && strstr(err.msg, want) != NULL,
	      "rejects %s -> \"%s\" (got \"%s\")", text, want, err.msg);
	spec_resources_free(r);
}

static void test_errors(void)
{
	expect_error("{\"memory\":{\"limit\":\"1G\"}}", "linux.resources.memory.limit: expected a number");
	expect_error("{\"memory\":{\"limit\":-5}}", "linux.resources.memory.limit: -5 out of range");
	expect_error("{\"memory\":{\"limit\":1048576,\"swap\":1024}}", "linux.resources.memory.swap");
	expect_error("{\"memory\":{\"swappiness\":101}}", "linux.resources.memory.swappiness");
	expect_error("{\"cpu\":{\"shares\":1}}", "linux.resources.cpu.shares");
	expect_error("{\"cpu\":{\"period\":10}}", "linux.resources.cpu.period");
	expect_error("{\"cpu\":{\"cpus\":\"0-\"}}", "linux.resources.cpu.cpus: malformed");
	expect_error("{\"cpu\":{\"idle\":2}}", "linux.resources.cpu.idle");
	expect_error("{\"pids\":{}}", "linux.resources.pids.limit: required");
	expect_error("{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}",
		     "linux.resources.devices[0].type: \"x\" is not a device type");
	expect_error("{\"devices\":[{\"allow\":true},{\"allow\":false,\"access\":\"rwx\"}]}",
		     "linux.resources.devices[1].access: \"rwx\" is not a subset");
	expect_error("{\"devices\":[{\"allow\":true,\"access\":\"rr\"}]}", "devices[0].access");
	expect_error("{\"devices\":[{\"type\":\"c\"}]}", "linux.resources.devices[0].allow: required");
	expect_error("{\"devices\":[{\"allow\":true,\"type\":\"c\",\"major\":-7}]}",
		     "linux.resources.devices[0].major");
	expect_error("{\"blockIO\":{\"weight\":5}}", "linux.resources.blockIO.weight");
	expect_error("{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0}]}}",
		     "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required");
	expect_error("{\"hugepageLimits\":[{\"pageSize\":\"2M\",\"limit\":1}]}",
		     "linux.resources.hugepageLimits[0].pageSize");
	expect_error("{\"unified\":{\"memorymax\":\"1\"}}", "linux.resources.unified: \"memorymax\"");
	expect_error("{\"unified\":{\"cgroup.procs\":\"1\"}}", "\"cgroup.procs\" is not a settable");
	expect_error("{\"unified\":{\"../memory.max\":\"1\"}}", "\"../memory.max\"");
	expect_error("{\"unified\":{\"memory.max\":5}}", "linux.resources.unified.memory.max: expected a string");
	expect_error("{\"network\":{\"classID\":-1}}", "linux.resources.network.classID");
	expect_error("{\"rdma\":{\"mlx\":{\"hcaHandles\":\"x\"}}}", "linux.resources.rdma.mlx.hcaHandles");
	expect_error("[]", "linux.resources: expected an object");
}

static void test_full(void)
{
	const char *text =
		"{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728,"
		"\"swappiness\":10,\"disableOOMKiller\":false},"
		"\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1\",\"mems\":\"0\"},"
		"\"pids\":{\"limit\":64},"
		"\"blockIO\":{\"weight\":500,\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":300}],"
		"\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}]},"
		"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}],"
		"\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"eth0\",\"priority\":5}]},"
		"\"rdma\":{\"mlx5_0\":{\"hcaHandles\":3}},"
		"\"unified\":{\"memory.high\":\"50000000\"},"
		"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"wr\"}]}";
	struct spec_resources *r = NULL, *back = NULL;
	struct hull_error err = { 0 };
	json_gen *g;
	char *out;

	CHECK(parse(text, &r, &err) == 0, "parses a full resources object (%s)", err.msg);
	if (r == NULL)
		return;
	CHECK(r->memory.limit.set && r->memory.limit.v == 67108864, "memory.limit");
	CHECK(r->cpu.quota.v == 50000 && r->cpu.period.v == 100000, "cpu quota/period");
	CHECK(r->n_devices == 2 && r->devices[0].type == 'a' && r->devices[0].major == -1,
	      "device rule defaults: type a, wildcard numbers");
	CHECK(strcmp(r->devices[1].access, "rw") == 0, "access canonicalised to rw");
	CHECK(r->n_unified == 1 && strcmp(r->unified_keys[0], "memory.high") == 0, "unified");
	CHECK(r->n_rdma == 1 && r->rdma[0].hca_handles.v == 3 && !r->rdma[0].hca_objects.set, "rdma");

	g = json_gen_new(false);
	spec_resources_to_json(g, r);
	out = json_gen_finish(g, NULL);
	json_gen_free(g);
	CHECK(out && parse(out, &back, &err) == 0, "to_json output parses back");
	CHECK(back && back->blkio.read_bps.n == 1 && back->blkio.read_bps.v[0].rate == 1048576 &&
	      back->network.n_priorities == 1 && back->cpu.cpus && strcmp(back->cpu.cpus, "0-1") == 0,
	      "round trip keeps values");
	free(out);
	spec_resources_free(back);
	spec_resources_free(r);
}

static void test_merge(void)
{
	struct spec_resources *dst = NULL, *src = NULL;
	struct hull_error err = { 0 };

	parse("{\"memory\":{\"limit\":100000000,\"reservation\":5000000},\"cpu\":{\"quota\":20000},"
	      "\"unified\":{\"memory.high\":\"1\",\"io.latency\":\"x\"}}", &dst, &err);
	parse("{\"memory\":{\"limit\":200000000},\"pids\":{\"limit\":10},"
	      "\"unified\":{\"memory.high\":\"2\"}}", &src, &err);
	CHECK(dst && src && spec_resources_merge(dst, src, &err) == 0, "merge succeeds");
	if (dst && src) {
		CHECK(dst->memory.limit.v == 200000000, "merge overrides memory.limit");
		CHECK(dst->memory.reservation.v == 5000000, "merge keeps reservation");
		CHECK(dst->cpu.quota.v == 20000, "merge keeps cpu.quota");
		CHECK(dst->pids_set && dst->pids_limit.v == 10, "merge adds pids");
		CHECK(dst->n_unified == 2 && strcmp(dst->unified_values[0], "2") == 0,
		      "unified keys merge one by one");
	}
	spec_resources_free(dst);
	spec_resources_free(src);
}

static void test_conversions(void)
{
	CHECK(cgroup_shares_to_weight(2) == 1, "shares 2 -> weight 1");
	CHECK(cgroup_shares_to_weight(1024) == 39, "shares 1024 -> weight 39 (got %lu)",
	      (unsigned long)cgroup_shares_to_weight(1024));
	CHECK(cgroup_shares_to_weight(262144) == 10000, "shares 262144 -> weight 10000");
	CHECK(cgroup_shares_to_weight(512) == 1 + (510 * 9999) / 262142, "shares 512 by the formula");
	CHECK(cgroup_shares_to_weight(0) == 0, "shares 0 -> unset");
	CHECK(cgroup_blkio_weight_to_io(10) == 1 && cgroup_blkio_weight_to_io(1000) == 10000,
	      "blkio weight range maps onto io.weight range");
}

static void test_paths(void)
{
	struct hull_error err = { 0 };

	CHECK(cgroup_path_validate("/hull/abc", &err) == 0, "plain path ok");
	hull_error_clear(&err);
	CHECK(cgroup_path_validate("/a/../b", &err) < 0 && strstr(err.msg, "..") != NULL,
	      "\"..\" rejected: %s", err.msg);
	hull_error_clear(&err);
	CHECK(cgroup_path_validate("../x", &err) < 0, "leading .. rejected");
	hull_error_clear(&err);
	CHECK(cgroup_path_validate("/a/./b", &err) < 0, "\".\" rejected");
	hull_error_clear(&err);
	CHECK(cgroup_path_validate("/a/b..c", &err) == 0, "\"b..c\" is a name, accepted");
}

static void test_device_strings(void)
{
	struct spec_device_rule d;
	struct hull_error err = { 0 };

	CHECK(spec_device_rule_parse("c 1:3 rwm", true, &d, &err) == 0 && d.type == 'c' &&
	      d.major == 1 && d.minor == 3, "\"c 1:3 rwm\"");
	CHECK(spec_device_rule_parse("b *:* m", false, &d, &err) == 0 && d.major == -1,
	      "\"b *:* m\"");
	CHECK(spec_device_rule_parse("x 1:3 rwm", true, &d, &err) < 0, "bad type rejected");
	hull_error_clear(&err);
	CHECK(spec_device_rule_parse("c 1:3 rwq", true, &d, &err) < 0, "bad access rejected");
}

int main(void)
{
	test_errors();
	test_full();
	test_merge();
	test_conversions();
	test_paths();
	test_device_strings();
	printf("1..%d\n", n);
	return failures ? 1 : 0;
}
