/* Unit tests of config.json parsing: typed values, and errors that name
 * the JSON path.  No root needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "oci/spec.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (cond) { printf("ok - " __VA_ARGS__); printf("\n"); } \
	else { printf("not ok - " __VA_ARGS__); printf("\n"); failures++; } \
} while (0)

static const char *base =
	"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	"\"hostname\":\"h\","
	"\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"env\":[\"A=1\"],"
	"  \"user\":{\"uid\":1,\"gid\":2,\"umask\":18,\"additionalGids\":[5,6]},"
	"  \"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":20}],"
	"  \"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"]},"
	"  \"oomScoreAdj\":100},"
	"\"mounts\":[{\"destination\":\"/x\",\"type\":\"bind\",\"source\":\"/tmp\",\"options\":[\"rbind\",\"ro\",\"nosuid\",\"rprivate\",\"rro\"]}],"
	"\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"uts\"},{\"type\":\"pid\"}],"
	"  \"cgroupsPath\":\"/a/b\",\"maskedPaths\":[\"/proc/kcore\"],"
	"  \"sysctl\":{\"kernel.domainname\":\"d\"},"
	"  \"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}}}";

/* Parses text; returns the spec or NULL with the message in err. */
static struct spec *parse(const char *text, struct hull_error *err)
{
	json_node *doc = NULL;
	struct spec *s = NULL;

	hull_error_clear(err);
	if (json_parse(text, &doc, err) < 0)
		return NULL;
	if (spec_parse(doc, "/bundle", &s, err) < 0)
		s = NULL;
	json_free(doc);
	return s;
}

/* Applies a textual substitution to the base document, parses, and
 * checks that the error contains `want`. */
static void expect_error(const char *from, const char *to, const char *want)
{
	struct hull_error err = { 0 };
	const char *at = strstr(base, from);
	char buf[8192];
	struct spec *s;

	if (at == NULL) {
		CHECK(0, "test bug: \"%s\" not in base", from);
		return;
	}
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
	s = parse(buf, &err);
	CHECK(s == NULL && strstr(err.msg, want) != NULL,
	      "error names \"%s\" (got: %s)", want, s ? "no error" : err.msg);
	spec_free(s);
}

int main(void)
{
	struct hull_error err = { 0 };
	struct spec *s = parse(base, &err);

	CHECK(s != NULL, "the base document parses (%s)", err.msg);
	if (s == NULL)
		return 1;
	CHECK(strcmp(s->root_path, "/bundle/rootfs") == 0, "root.path is resolved against the bundle");
	CHECK(s->root_readonly, "root.readonly");
	CHECK(s->process->user.uid == 1 && s->process->user.gid == 2 &&
	      s->process->user.has_umask && s->process->user.umask == 18 &&
	      s->process->user.n_additional_gids == 2, "process.user");
	CHECK(s->process->n_rlimits == 1 && s->process->rlimits[0].resource == RLIMIT_NOFILE &&
	      s->process->rlimits[0].soft == 10 && s->process->rlimits[0].hard == 20, "rlimits");
	CHECK(s->process->caps.set && s->process->caps.bounding == (1ULL << CAP_KILL),
	      "capabilities");
	CHECK(s->process->has_oom_score_adj && s->process->oom_score_adj == 100, "oomScoreAdj");
	CHECK(s->n_mounts == 1 && s->mounts[0].bind && s->mounts[0].recursive &&
	      (s->mounts[0].flags & MS_RDONLY) && (s->mounts[0].flags & MS_NOSUID) &&
	      s->mounts[0].propagation == (MS_PRIVATE | MS_REC) &&
	      s->mounts[0].data == NULL && (s->mounts[0].rec_attr_set & MOUNT_ATTR_RDONLY) &&
	      s->mounts[0].need_remount, "mount options split into flags, propagation and data");
	CHECK(s->linux.ns[NS_PID].enabled && !s->linux.ns[NS_NET].enabled, "namespaces");
	CHECK(s->linux.seccomp && s->linux.seccomp->n_rules == 1, "seccomp rules");
	spec_free(s);

	expect_error("[\"CAP_KILL\"]", "[\"CAP_KILL\",\"CAP_FUTURE_THING\"]",
		     "process.capabilities.bounding[1]: unknown capability \"CAP_FUTURE_THING\"");
	expect_error("\"RLIMIT_NOFILE\"", "\"RLIMIT_FOO\"", "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
	expect_error("\"soft\":10", "\"soft\":30", "process.rlimits[0].soft");
	expect_error("\"uid\":1", "\"uid\":\"one\"", "process.user.uid: expected a number");
	expect_error("\"cwd\":\"/\"", "\"cwd\":\"rel\"", "process.cwd: must be an absolute path");
	expect_error("\"args\":[\"sh\"]", "\"args\":[]", "process.args");
	expect_error("\"env\":[\"A=1\"]", "\"env\":[\"A\"]", "process.env[0]");
	expect_error("{\"type\":\"pid\"}", "{\"type\":\"pidz\"}", "linux.namespaces[2].type: unknown namespace type \"pidz\"");
	expect_error("\"destination\":\"/x\"", "\"destination\":\"x\"", "mounts[0].destination: must be an absolute path");
	expect_error("\"cgroupsPath\":\"/a/b\"", "\"cgroupsPath\":\"/a/../b\"", "linux.cgroupsPath");
	expect_error("\"SCMP_ACT_ERRNO\"", "\"SCMP_ACT_NOPE\"", "linux.seccomp.syscalls[0].action: unknown action");
	expect_error("\"ociVersion\":\"1.2.0\"", "\"ociVersion\":\"2.0.0\"", "ociVersion");
	expect_error("\"root\":{\"path\":\"rootfs\",\"readonly\":true},", "", "root: missing");
	expect_error("{\"type\":\"uts\"},", "", "hostname: setting it needs a new uts namespace");
	expect_error("\"oomScoreAdj\":100", "\"oomScoreAdj\":5000", "process.oomScoreAdj");
	{
		struct hull_error e = { 0 };
		json_node *doc = NULL;

		CHECK(json_parse("{\"a\": [1, 2", &doc, &e) < 0 && strstr(e.msg, "invalid JSON"),
		      "malformed JSON is reported (%s)", e.msg);
	}
	printf("# %s\n", failures ? "FAILED" : "all spec checks passed");
	return failures ? 1 : 0;
}
