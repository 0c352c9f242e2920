/* Reference parsing; see ref.h.  The grammar is the distribution spec's:
 * repository components are [a-z0-9]+ joined by '.', '_', '__' or '-'*,
 * separated by '/'; tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "images/ref.h"

bool image_digest_valid(const char *d)
{
	if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: alnum runs joined by single separators. */
static bool component_valid(const char *s, size_t n)
{
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (is_lower_alnum(s[i]))
			continue;
		if (s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
		/* a separator must be followed by alnum, except "__" and "--..." */
		if (s[i] == '.' && !is_lower_alnum(s[i + 1]))
			return false;
		if (s[i] == '_' && s[i + 1] == '_' && !is_lower_alnum(s[i + 2]))
			return false;
	}
	return true;
}

static bool repository_valid(const char *repo)
{
	const char *p = repo;

	if (*repo == '\0' || strlen(repo) > 255)
		return false;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (!component_valid(p, n))
			return false;
		if (slash == NULL)
			return true;
		p = slash + 1;
	}
}

static bool tag_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_';

		if (!word && (i == 0 || (c != '.' && c != '-')))
			return false;
	}
	return true;
}

static bool registry_valid(const char *r)
{
	if (*r == '\0' || strlen(r) > 255)
		return false;
	for (const char *p = r; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(".-:[]", *p)))
			return false;
	return true;
}

void image_ref_free(struct image_ref *r)
{
	free(r->registry);
	free(r->repository);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

int image_ref_parse(const char *text, struct image_ref *out, struct hull_error *err)
{
	autofree char *s = strdup(text ? text : "");
	char *name, *at, *slash, *colon;
	struct image_ref r = { 0 };

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return hull_error_errno(err, "strdup");
	if (*s == '\0')
		return hull_error_set(err, EINVAL, "image reference: empty");
	at = strchr(s, '@');
	if (at) {
		*at = '\0';
		if (!image_digest_valid(at + 1))
			return hull_error_set(err, EINVAL,
					      "image reference \"%s\": \"%s\" is not a sha256 digest (sha256:<64 hex digits>)",
					      text, at + 1);
		r.digest = strdup(at + 1);
	}
	name = s;
	slash = strchr(name, '/');
	if (slash && (memchr(name, '.', (size_t)(slash - name)) || memchr(name, ':', (size_t)(slash - name)) ||
		      ((size_t)(slash - name) == 9 && strncmp(name, "localhost", 9) == 0))) {
		*slash = '\0';
		r.registry = strdup(name);
		name = slash + 1;
	} else {
		r.registry = strdup(IMAGE_DEFAULT_REGISTRY);
	}
	/* The tag is after the last ':' that follows the last '/'. */
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		r.tag = strdup(colon + 1);
	} else if (r.digest == NULL) {
		r.tag = strdup(IMAGE_DEFAULT_TAG);
	}
	if (strcmp(r.registry ? r.registry : "", IMAGE_DEFAULT_REGISTRY) == 0 && strchr(name, '/') == NULL) {
		if (asprintf(&r.repository, "library/%s", name) < 0)
			r.repository = NULL;
	} else {
		r.repository = strdup(name);
	}
	if (r.registry == NULL || r.repository == NULL || (colon && r.tag == NULL) ||
	    (at && r.digest == NULL)) {
		image_ref_free(&r);
		return hull_error_errno(err, "image reference");
	}
	if (!registry_valid(r.registry)) {
		hull_error_set(err, EINVAL, "image reference \"%s\": invalid registry \"%s\"", text, r.registry);
		goto bad;
	}
	if (!repository_valid(r.repository)) {
		hull_error_set(err, EINVAL,
			       "image reference \"%s\": invalid repository \"%s\" (lowercase letters, digits, '.', '_', '-' and '/')",
			       text, r.repository);
		goto bad;
	}
	if (r.tag && !tag_valid(r.tag)) {
		hull_error_set(err, EINVAL, "image reference \"%s\": invalid tag \"%s\"", text, r.tag);
		goto bad;
	}
	*out = r;
	return 0;
bad:
	image_ref_free(&r);
	return -1;
}

char *image_ref_format(const struct image_ref *r)
{
	char *s = NULL;

	if (r->tag && asprintf(&s, "%s/%s:%s", r->registry, r->repository, r->tag) < 0)
		return NULL;
	if (r->tag == NULL && asprintf(&s, "%s/%s@%s", r->registry, r->repository,
				       r->digest ? r->digest : "") < 0)
		return NULL;
	return s;
}

const char *image_ref_api_host(const struct image_ref *r)
{
	if (strcmp(r->registry, "docker.io") == 0 || strcmp(r->registry, "index.docker.io") == 0)
		return "registry-1.docker.io";
	return r->registry;
}

bool image_registry_is_loopback(const char *reg)
{
	size_t hl;
	const char *colon;

	if (strncmp(reg, "[::1]", 5) == 0)
		return reg[5] == '\0' || reg[5] == ':';
	colon = strrchr(reg, ':');
	hl = colon ? (size_t)(colon - reg) : strlen(reg);
	if (hl == 9 && strncmp(reg, "localhost", 9) == 0)
		return true;
	if (hl < 4 || strncmp(reg, "127.", 4) != 0)
		return false;
	/* 127.a.b.c: three more dotted decimal octets */
	int dots = 0;
	for (size_t i = 4; i < hl; i++) {
		if (reg[i] == '.')
			dots++;
		else if (reg[i] < '0' || reg[i] > '9')
			return false;
	}
	return dots == 2;
}
