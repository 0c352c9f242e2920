/* WWW-Authenticate and auth.json; see auth.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "base/json.h"
#include "images/auth.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const char *in, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	const unsigned char *s = (const unsigned char *)in;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < len ? (unsigned)s[i + 1] << 8 : 0) |
			     (i + 2 < len ? s[i + 2] : 0);

		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

char *base64_decode(const char *in, size_t *out_len)
{
	size_t n = strlen(in), k = 0;
	char *out = malloc(n / 4 * 3 + 4);
	unsigned v = 0;
	int bits = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *p;

		if (in[i] == '=')
			break;
		p = strchr(b64, in[i]);
		if (p == NULL || in[i] == '\0') {
			free(out);
			return NULL;
		}
		v = v << 6 | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (char)(v >> bits & 0xff);
		}
	}
	out[k] = '\0';
	if (out_len)
		*out_len = k;
	return out;
}

/* Copies a token or quoted-string value into buf; returns the rest. */
static const char *read_value(const char *p, char *buf, size_t size, bool *ok)
{
	size_t n = 0;

	*ok = true;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 >= size)
				*ok = false;
			else
				buf[n++] = *p;
		}
		if (*p != '"')
			*ok = false;
		else
			p++;
	} else {
		for (; *p && *p != ',' && *p != ' '; p++) {
			if (n + 1 >= size)
				*ok = false;
			else
				buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	return p;
}

int auth_challenge_parse(const char *h, struct auth_challenge *c, struct hull_error *err)
{
	const char *p = h;

	memset(c, 0, sizeof(*c));
	while (*p == ' ')
		p++;
	if (strncasecmp(p, "Bearer", 6) == 0 && (p[6] == ' ' || p[6] == '\0')) {
		c->scheme = AUTH_BEARER;
		p += 6;
	} else if (strncasecmp(p, "Basic", 5) == 0 && (p[5] == ' ' || p[5] == '\0')) {
		c->scheme = AUTH_BASIC;
		p += 5;
	} else {
		return hull_error_set(err, EINVAL, "WWW-Authenticate \"%.64s\": not a Basic or Bearer challenge", h);
	}
	while (*p) {
		char key[32], junk[512];
		size_t kn = 0;
		char *dst = junk;
		size_t dsize = sizeof(junk);
		bool ok;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		while (*p && *p != '=' && *p != ' ' && *p != ',' && kn + 1 < sizeof(key))
			key[kn++] = *p++;
		key[kn] = '\0';
		if (*p != '=')
			return hull_error_set(err, EINVAL, "WWW-Authenticate \"%.64s\": expected key=value", h);
		p++;
		if (strcasecmp(key, "realm") == 0)
			dst = c->realm, dsize = sizeof(c->realm);
		else if (strcasecmp(key, "service") == 0)
			dst = c->service, dsize = sizeof(c->service);
		else if (strcasecmp(key, "scope") == 0)
			dst = c->scope, dsize = sizeof(c->scope);
		else if (strcasecmp(key, "error") == 0)
			dst = c->error, dsize = sizeof(c->error);
		p = read_value(p, dst, dsize, &ok);
		if (!ok)
			return hull_error_set(err, EINVAL, "WWW-Authenticate: %s is malformed or too long", key);
	}
	if (c->scheme == AUTH_BEARER && c->realm[0] == '\0')
		return hull_error_set(err, EINVAL, "WWW-Authenticate \"%.64s\": Bearer challenge without a realm", h);
	if (c->scheme == AUTH_BEARER && strncmp(c->realm, "https://", 8) != 0 &&
	    strncmp(c->realm, "http://", 7) != 0)
		return hull_error_set(err, EINVAL, "WWW-Authenticate: realm \"%s\" is not an http(s) URL", c->realm);
	return 0;
}

/* Docker writes "https://index.docker.io/v1/" for Hub; others may write a
 * URL or a bare host.  Compare the host[:port] part. */
static bool key_matches(const char *key, const char *registry)
{
	const char *k = key;
	size_t n;

	if (strncmp(k, "https://", 8) == 0)
		k += 8;
	else if (strncmp(k, "http://", 7) == 0)
		k += 7;
	n = strcspn(k, "/");
	if (strcmp(registry, "docker.io") == 0 &&
	    ((n == 15 && strncmp(k, "index.docker.io", 15) == 0) || (n == 9 && strncmp(k, "docker.io", 9) == 0)))
		return true;
	return strlen(registry) == n && strncmp(k, registry, n) == 0;
}

int auth_lookup_text(const char *text, const char *registry, char **user,
		     char **pass, struct hull_error *err)
{
	json_node *doc = NULL;
	const json_node *auths = NULL;
	int rc = 0;

	*user = *pass = NULL;
	if (json_parse(text, &doc, err) < 0)
		return -1;
	if (json_type_of(doc) != JSON_OBJECT || json_get_object(doc, "auths", "", &auths, err) < 0) {
		json_free(doc);
		return hull_error_set(err, EINVAL, "auths: expected an object");
	}
	for (size_t i = 0; auths && i < json_object_size(auths) && rc == 0; i++) {
		const json_node *e = json_object_value(auths, i);
		autofree char *b = NULL;
		char *dec, *colon;
		size_t len;
		char path[300];

		if (!key_matches(json_object_key(auths, i), registry))
			continue;
		snprintf(path, sizeof(path), "auths.%s", json_object_key(auths, i));
		if (json_type_of(e) != JSON_OBJECT || json_get_string(e, "auth", path, &b, err) < 0) {
			rc = hull_error_set(err, EINVAL, "%s: expected an object with \"auth\"", path);
			break;
		}
		if (b == NULL)
			continue;
		dec = base64_decode(b, &len);
		colon = dec ? memchr(dec, ':', len) : NULL;
		if (colon == NULL) {
			free(dec);
			rc = hull_error_set(err, EINVAL, "%s.auth: not base64 of \"user:password\"", path);
			break;
		}
		*colon = '\0';
		*user = dec;
		*pass = strdup(colon + 1);
		rc = 1;
	}
	json_free(doc);
	return rc;
}

int auth_lookup(const char *registry, char **user, char **pass, struct hull_error *err)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *home = getenv("HOME");
	char paths[4][4096];
	size_t n = 0;

	if (env && *env)
		snprintf(paths[n++], sizeof(paths[0]), "%s", env);
	snprintf(paths[n++], sizeof(paths[0]), "/run/containers/%u/auth.json", (unsigned)getuid());
	if (xdg && *xdg)
		snprintf(paths[n++], sizeof(paths[0]), "%s/containers/auth.json", xdg);
	if (home && *home)
		snprintf(paths[n++], sizeof(paths[0]), "%s/.docker/config.json", home);
	for (size_t i = 0; i < n; i++) {
		autofree char *text = NULL;
		struct hull_error ferr = { 0 };
		int r;

		if (access(paths[i], F_OK) < 0)
			continue;
		if (fs_read_file(paths[i], &text, NULL, &ferr) < 0)
			return hull_error_set(err, ferr.code, "%s", ferr.msg);
		r = auth_lookup_text(text, registry, user, pass, err);
		if (r != 0)
			return r < 0 ? hull_error_prefix(err, "%s", paths[i]) : 1;
	}
	return 0;
}
