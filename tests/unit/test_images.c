/* Unit tests of images/' pure parsers: references, manifests and indexes,
 * platforms, image configs, WWW-Authenticate, auth.json, User strings,
 * tar entry names, and the config.json an image gives.  No root needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "images/auth.h"
#include "images/bundle.h"
#include "images/manifest.h"
#include "images/ref.h"
#include "images/unpack.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (cond) { printf("ok - " __VA_ARGS__); printf("\n"); } \
	else { printf("not ok - " __VA_ARGS__); printf("\n"); failures++; } \
} while (0)

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_refs(void)
{
	static const struct { const char *in, *reg, *repo, *tag, *digest; } ok[] = {
		{ "busybox", "docker.io", "library/busybox", "latest", NULL },
		{ "busybox:1.36", "docker.io", "library/busybox", "1.36", NULL },
		{ "user/app", "docker.io", "user/app", "latest", NULL },
		{ "127.0.0.1:5000/a/b:v1", "127.0.0.1:5000", "a/b", "v1", NULL },
		{ "localhost/x", "localhost", "x", "latest", NULL },
		{ "quay.io/org/img@sha256:" D64, "quay.io", "org/img", NULL, "sha256:" D64 },
		{ "ghcr.io/o/i:t@sha256:" D64, "ghcr.io", "o/i", "t", "sha256:" D64 },
		{ "reg.example:443/a__b/c-d.e:T_1.x", "reg.example:443", "a__b/c-d.e", "T_1.x", NULL },
	};
	static const char *const bad[] = {
		"", "UPPER", "a//b", "a/b:", "a:-tag", "a@sha256:abc", "a@md5:" D64, "-a", "a..b", "a/b/",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct image_ref r;
		struct hull_error err = { 0 };
		int rc = image_ref_parse(ok[i].in, &r, &err);

		CHECK(rc == 0 && strcmp(r.registry, ok[i].reg) == 0 && strcmp(r.repository, ok[i].repo) == 0 &&
		      ((r.tag == NULL && ok[i].tag == NULL) || (r.tag && ok[i].tag && strcmp(r.tag, ok[i].tag) == 0)) &&
		      ((r.digest == NULL && ok[i].digest == NULL) || (r.digest && ok[i].digest && strcmp(r.digest, ok[i].digest) == 0)),
		      "ref \"%s\" parses (%s)", ok[i].in, rc ? err.msg : "");
		if (rc == 0)
			image_ref_free(&r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct image_ref r;
		struct hull_error err = { 0 };

		CHECK(image_ref_parse(bad[i], &r, &err) < 0 && err.msg[0], "ref \"%s\" is refused: %s", bad[i], err.msg);
	}
	CHECK(image_registry_is_loopback("127.0.0.1:5000") && image_registry_is_loopback("127.1.2.3") &&
	      image_registry_is_loopback("localhost:1") && image_registry_is_loopback("[::1]:5000") &&
	      !image_registry_is_loopback("127.0.0.1.evil.com") && !image_registry_is_loopback("10.0.0.1:5000") &&
	      !image_registry_is_loopback("1270.0.0.1"),
	      "only 127.0.0.0/8, ::1 and localhost count as loopback");
}

static void test_manifests(void)
{
	const char *m =
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","
		"\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"sha256:" D64 "\",\"size\":10},"
		"\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"sha256:" D64 "\",\"size\":5},"
		"{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"sha256:" D64 "\",\"size\":7}]}";
	const char *idx =
		"{\"schemaVersion\":2,\"manifests\":["
		"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"sha256:" D64 "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
		"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"sha256:" D64 "\",\"size\":2,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
		"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"sha256:" D64 "\",\"size\":3,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}";
	struct manifest mf;
	struct platform p;
	struct hull_error err = { 0 };
	int i;

	CHECK(manifest_parse(m, strlen(m), NULL, &mf, &err) == 0 && mf.kind == MANIFEST_IMAGE &&
	      mf.n_entries == 2 && mf.entries[1].size == 7 && mf.config.size == 10, "an OCI manifest parses: %s", err.msg);
	manifest_free(&mf);
	hull_error_clear(&err);
	CHECK(manifest_parse(idx, strlen(idx), MT_DOCKER_LIST, &mf, &err) == 0 && mf.kind == MANIFEST_INDEX &&
	      mf.n_entries == 3, "an index parses (media type from Content-Type): %s", err.msg);
	platform_parse("linux/arm64", &p, &err);
	i = manifest_select_platform(&mf, &p, &err);
	CHECK(i == 2 && strcmp(p.variant, "v8") == 0, "linux/arm64 means v8 and matches a variant-less arm64 entry");
	platform_parse("linux/arm/v7", &p, &err);
	CHECK(manifest_select_platform(&mf, &p, &err) == 1, "linux/arm/v7 picks the v7 entry");
	hull_error_clear(&err);
	platform_parse("linux/ppc64le", &p, &err);
	CHECK(manifest_select_platform(&mf, &p, &err) < 0 && strstr(err.msg, "linux/arm/v7"),
	      "a missing platform lists what the index has: %s", err.msg);
	manifest_free(&mf);

	static const char *const bad[] = {
		"[]", "{\"schemaVersion\":1}", "{\"schemaVersion\":2,\"layers\":[{\"digest\":\"sha256:" D64 "\",\"size\":1}]}",
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"layers\":[],\"config\":{\"digest\":\"sha256:abc\",\"size\":1}}",
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"layers\":[{\"mediaType\":\"text/plain\",\"digest\":\"sha256:" D64 "\",\"size\":1}],\"config\":{\"digest\":\"sha256:" D64 "\",\"size\":1}}",
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"layers\":[],\"config\":{\"digest\":\"sha256:" D64 "\",\"size\":-1}}",
		"{\"schemaVersion\":2,\"mediaType\":\"text/html\"}",
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		hull_error_clear(&err);
		CHECK(manifest_parse(bad[k], strlen(bad[k]), NULL, &mf, &err) < 0 && err.msg[0],
		      "bad manifest %zu is refused: %s", k, err.msg);
	}
	CHECK(platform_parse("linux", &p, &err) < 0 && platform_parse("Linux/AMD64", &p, &err) < 0 &&
	      platform_parse("linux/amd64/v1/x", &p, &err) < 0, "malformed --platform values are refused");
}

static void test_config(void)
{
	const char *c =
		"{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Entrypoint\":[\"/e\"],\"Cmd\":[\"a\",\"b\"],"
		"\"Env\":[\"A=1\"],\"WorkingDir\":\"/w\",\"User\":\"app:staff\",\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}},"
		"\"Labels\":{\"k\":\"v\"},\"StopSignal\":\"SIGINT\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" D64 "\"]}}";
	struct image_config cfg;
	struct hull_error err = { 0 };
	char *json = NULL;
	json_node *doc = NULL;
	uint32_t uid, gid;

	CHECK(image_config_parse(c, strlen(c), &cfg, &err) == 0 && cfg.n_cmd == 2 && cfg.n_exposed_ports == 2 &&
	      strcmp(cfg.user, "app:staff") == 0 && cfg.n_diff_ids == 1, "an image config parses: %s", err.msg);
	CHECK(image_user_resolve(cfg.user, "root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n",
				 "root:x:0:\nstaff:x:50:\n", &uid, &gid, &err) == 0 && uid == 1000 && gid == 50,
	      "User app:staff resolves through passwd and group");
	CHECK(image_bundle_config(&cfg, uid, gid, "rootfs", &json, &err) == 0 && json_parse(json, &doc, &err) == 0,
	      "config.json is generated");
	if (doc) {
		const json_node *proc = json_object_get(doc, "process");
		const json_node *args = json_object_get(proc, "args");
		const json_node *ann = json_object_get(doc, "annotations");

		CHECK(json_array_len(args) == 3 && strcmp(json_string(json_array_get(args, 0)), "/e") == 0 &&
		      strcmp(json_string(json_array_get(args, 2)), "b") == 0, "args are Entrypoint then Cmd");
		CHECK(strcmp(json_string(json_object_get(proc, "cwd")), "/w") == 0, "cwd is WorkingDir");
		CHECK(strcmp(json_string(json_object_get(ann, "org.opencontainers.image.stopSignal")), "SIGINT") == 0 &&
		      strcmp(json_string(json_object_get(ann, "k")), "v") == 0, "labels and StopSignal become annotations");
		json_free(doc);
	}
	free(json);
	image_config_free(&cfg);
	hull_error_clear(&err);
	CHECK(image_user_resolve("1234", NULL, NULL, &uid, &gid, &err) == 0 && uid == 1234 && gid == 0, "numeric User");
	CHECK(image_user_resolve("5:6", NULL, NULL, &uid, &gid, &err) == 0 && uid == 5 && gid == 6, "numeric uid:gid");
	/* only "uid:gid" needs neither passwd nor group (run --image then
	 * makes the config before the root exists) */
	CHECK(image_user_is_numeric_pair("5:6") && image_user_is_numeric_pair("0:0"), "numeric pair");
	CHECK(!image_user_is_numeric_pair("5") && !image_user_is_numeric_pair("app:6") &&
	      !image_user_is_numeric_pair("5:staff") && !image_user_is_numeric_pair("5:") &&
	      !image_user_is_numeric_pair(":6") && !image_user_is_numeric_pair("") &&
	      !image_user_is_numeric_pair(NULL), "not a numeric pair");
	CHECK(image_user_resolve("ghost", "root:x:0:0::/:/bin/sh\n", NULL, &uid, &gid, &err) < 0 && strstr(err.msg, "ghost"),
	      "an unknown user name is an error naming it: %s", err.msg);
	const char *nocmd = "{\"rootfs\":{\"diff_ids\":[]}}";
	CHECK(image_config_parse(nocmd, strlen(nocmd), &cfg, &err) == 0 &&
	      image_bundle_config(&cfg, 0, 0, "rootfs", &json, &err) < 0, "no Entrypoint and no Cmd: an error");
	image_config_free(&cfg);
	const char *baddiff = "{\"rootfs\":{\"diff_ids\":[\"sha256:xyz\"]}}";
	CHECK(image_config_parse(baddiff, strlen(baddiff), &cfg, &err) < 0, "bad diff_ids are refused");
}

static void test_auth(void)
{
	struct auth_challenge c;
	struct hull_error err = { 0 };
	char *u = NULL, *p = NULL;

	CHECK(auth_challenge_parse("Bearer realm=\"https://auth.example/token\",service=\"reg\",scope=\"repository:a/b:pull\",error=\"insufficient_scope\"",
				   &c, &err) == 0 && c.scheme == AUTH_BEARER && strcmp(c.realm, "https://auth.example/token") == 0 &&
	      strcmp(c.service, "reg") == 0 && strcmp(c.scope, "repository:a/b:pull") == 0 &&
	      strcmp(c.error, "insufficient_scope") == 0, "a Bearer challenge parses");
	CHECK(auth_challenge_parse("Basic realm=\"x\"", &c, &err) == 0 && c.scheme == AUTH_BASIC, "a Basic challenge parses");
	CHECK(auth_challenge_parse("Negotiate abc", &c, &err) < 0, "other schemes are refused");
	CHECK(auth_challenge_parse("Bearer service=\"x\"", &c, &err) < 0, "Bearer without a realm is refused");
	CHECK(auth_challenge_parse("Bearer realm=\"file:///etc/passwd\"", &c, &err) < 0, "a non-http realm is refused");
	CHECK(auth_challenge_parse("Bearer realm=\"https://x", &c, &err) < 0, "an unterminated quote is refused");
	CHECK(auth_lookup_text("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dTpw\"},\"127.0.0.1:5000\":{\"auth\":\"YWxpY2U6c2VjcjN0\"}}}",
			       "127.0.0.1:5000", &u, &p, &err) == 1 && strcmp(u, "alice") == 0 && strcmp(p, "secr3t") == 0,
	      "auth.json credentials for a registry");
	free(u);
	free(p);
	CHECK(auth_lookup_text("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dTpw\"}}}", "docker.io", &u, &p, &err) == 1 &&
	      strcmp(u, "u") == 0, "Docker Hub's key matches docker.io");
	free(u);
	free(p);
	CHECK(auth_lookup_text("{\"auths\":{\"other:1\":{\"auth\":\"dTpw\"}}}", "127.0.0.1:5000", &u, &p, &err) == 0,
	      "no entry: no credentials");
	CHECK(auth_lookup_text("{\"auths\":{\"r\":{\"auth\":\"bm9jb2xvbg==\"}}}", "r", &u, &p, &err) < 0,
	      "an auth without a colon is an error");
}

static void test_names(void)
{
	static char comps[16][256];
	struct hull_error err = { 0 };

	CHECK(unpack_split_name("./a/b/", comps, 16, &err) == 2 && strcmp(comps[1], "b") == 0, "./a/b/ is a/b");
	CHECK(unpack_split_name("./", comps, 16, &err) == 0 && unpack_split_name(".", comps, 16, &err) == 0,
	      "\".\" and \"./\" are the root");
	CHECK(unpack_split_name("a//./b", comps, 16, &err) == 2, "empty and . components are dropped");
	hull_error_clear(&err);
	CHECK(unpack_split_name("a/../../etc", comps, 16, &err) < 0 && strstr(err.msg, ".."), "\"..\" is refused");
	hull_error_clear(&err);
	CHECK(unpack_split_name("/etc/passwd", comps, 16, &err) < 0 && strstr(err.msg, "absolute"), "absolute names are refused");
	CHECK(unpack_split_name("a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", comps, 16, &err) < 0, "too deep is refused");
	CHECK(unpack_split_name("a/..b/c..", comps, 16, &err) == 3, "names that merely contain dots are fine");
}

int main(void)
{
	test_refs();
	test_manifests();
	test_config();
	test_auth();
	test_names();
	printf("# %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
