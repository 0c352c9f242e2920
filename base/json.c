/* JSON over yajl: the tree parser for reading, yajl_gen for writing. */
#include "base/json.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "base/cleanup.h"

/* json_node is a yajl_val in disguise; the cast is the module boundary. */
#define V(n) ((yajl_val)(n))
#define N(v) ((const json_node *)(v))

int json_parse(const char *text, json_node **out, struct hull_error *err)
{
	char errbuf[256] = "";
	yajl_val v = yajl_tree_parse(text, errbuf, sizeof(errbuf));

	if (v == NULL) {
		/* yajl's message spans lines with a caret; keep the first. */
		char *nl = strchr(errbuf, '\n');

		if (nl)
			*nl = '\0';
		return hull_error_set(err, EINVAL, "invalid JSON: %s",
				      errbuf[0] ? errbuf : "parse error");
	}
	*out = (json_node *)v;
	return 0;
}

int json_parse_file(const char *path, json_node **out, struct hull_error *err)
{
	autofree char *buf = NULL;

	if (json_read_file(path, &buf, err) < 0)
		return -1;
	if (json_parse(buf, out, err) < 0)
		return hull_error_prefix(err, "%s", path);
	return 0;
}

int json_read_file(const char *path, char **text, struct hull_error *err)
{
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	autofree char *buf = NULL;
	struct stat st;
	size_t off = 0;

	if (fd < 0)
		return hull_error_errno(err, "open %s", path);
	if (fstat(fd, &st) < 0)
		return hull_error_errno(err, "stat %s", path);
	if (st.st_size > 64 * 1024 * 1024)
		return hull_error_set(err, EFBIG, "%s: file too large", path);
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return hull_error_errno(err, "reading %s", path);
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hull_error_errno(err, "read %s", path);
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	*text = buf;
	buf = NULL;
	return 0;
}

void json_free(json_node *node)
{
	if (node)
		yajl_tree_free(V(node));
}

enum json_type json_type_of(const json_node *node)
{
	yajl_val v = V(node);

	if (v == NULL)
		return JSON_NULL;
	switch (v->type) {
	case yajl_t_string: return JSON_STRING;
	case yajl_t_number: return JSON_NUMBER;
	case yajl_t_object: return JSON_OBJECT;
	case yajl_t_array: return JSON_ARRAY;
	case yajl_t_true:
	case yajl_t_false: return JSON_BOOL;
	default: return JSON_NULL;
	}
}

const char *json_type_name(enum json_type t)
{
	static const char *const names[] = {
		[JSON_NULL] = "null", [JSON_BOOL] = "a boolean",
		[JSON_NUMBER] = "a number", [JSON_STRING] = "a string",
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
	};
	return names[t];
}

const json_node *json_object_get(const json_node *obj, const char *key)
{
	yajl_val v = V(obj);

	if (v == NULL || v->type != yajl_t_object)
		return NULL;
	for (size_t i = 0; i < v->u.object.len; i++)
		if (strcmp(v->u.object.keys[i], key) == 0)
			return N(v->u.object.values[i]);
	return NULL;
}

size_t json_object_size(const json_node *obj)
{
	return json_type_of(obj) == JSON_OBJECT ? V(obj)->u.object.len : 0;
}

const char *json_object_key(const json_node *obj, size_t i)
{
	return V(obj)->u.object.keys[i];
}

const json_node *json_object_value(const json_node *obj, size_t i)
{
	return N(V(obj)->u.object.values[i]);
}

size_t json_array_len(const json_node *arr)
{
	return json_type_of(arr) == JSON_ARRAY ? V(arr)->u.array.len : 0;
}

const json_node *json_array_get(const json_node *arr, size_t i)
{
	return N(V(arr)->u.array.values[i]);
}

const char *json_string(const json_node *node)
{
	return json_type_of(node) == JSON_STRING ? V(node)->u.string : NULL;
}

bool json_bool(const json_node *node)
{
	return V(node) && V(node)->type == yajl_t_true;
}

/* Integers are read from yajl's raw text so that values beyond int64 (a
 * uint64 memory limit, say) and exponent forms are judged exactly. */
int json_number_int64(const json_node *node, int64_t *out)
{
	const char *raw;
	char *end;
	long long x;

	if (json_type_of(node) != JSON_NUMBER)
		return -1;
	raw = V(node)->u.number.r;
	errno = 0;
	x = strtoll(raw, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = x;
	return 0;
}

int json_number_uint64(const json_node *node, uint64_t *out)
{
	const char *raw;
	char *end;
	unsigned long long x;

	if (json_type_of(node) != JSON_NUMBER)
		return -1;
	raw = V(node)->u.number.r;
	if (raw[0] == '-')
		return -1;
	errno = 0;
	x = strtoull(raw, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = x;
	return 0;
}

double json_number_double(const json_node *node)
{
	return json_type_of(node) == JSON_NUMBER ? strtod(V(node)->u.number.r, NULL) : NAN;
}

char *json_path_join(char *buf, size_t size, const char *path, const char *key)
{
	if (path == NULL || path[0] == '\0')
		snprintf(buf, size, "%s", key);
	else
		snprintf(buf, size, "%s.%s", path, key);
	return buf;
}

char *json_path_index(char *buf, size_t size, const char *path, size_t i)
{
	snprintf(buf, size, "%s[%zu]", path ? path : "", i);
	return buf;
}

int json_path_error(struct hull_error *err, const char *path, const char *key,
		    const char *fmt, ...)
{
	char where[512];
	char what[HULL_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (key)
		json_path_join(where, sizeof(where), path, key);
	else
		snprintf(where, sizeof(where), "%s", path);
	return hull_error_set(err, EINVAL, "%s: %s", where, what);
}

/* Shared front half of the json_get_* helpers: find the member, treat null
 * as absent, and insist on the wanted type. */
static int member(const json_node *obj, const char *key, const char *path,
		  enum json_type want, const json_node **out,
		  struct hull_error *err)
{
	const json_node *v = json_object_get(obj, key);
	enum json_type t;

	*out = NULL;
	if (v == NULL)
		return 0;
	t = json_type_of(v);
	if (t == JSON_NULL)
		return 0;
	if (t != want)
		return json_path_error(err, path, key, "expected %s, got %s",
				       json_type_name(want), json_type_name(t));
	*out = v;
	return 1;
}

int json_get_object(const json_node *obj, const char *key, const char *path,
		    const json_node **out, struct hull_error *err)
{
	return member(obj, key, path, JSON_OBJECT, out, err);
}

int json_get_array(const json_node *obj, const char *key, const char *path,
		   const json_node **out, struct hull_error *err)
{
	return member(obj, key, path, JSON_ARRAY, out, err);
}

int json_get_string(const json_node *obj, const char *key, const char *path,
		    char **out, struct hull_error *err)
{
	const json_node *v = NULL;
	int r = member(obj, key, path, JSON_STRING, &v, err);
	char *s;

	if (r <= 0)
		return r;
	s = strdup(json_string(v));
	if (s == NULL)
		return hull_error_errno(err, "strdup");
	free(*out);
	*out = s;
	return 1;
}

int json_get_bool(const json_node *obj, const char *key, const char *path,
		  bool *out, struct hull_error *err)
{
	const json_node *v = NULL;
	int r = member(obj, key, path, JSON_BOOL, &v, err);

	if (r > 0)
		*out = json_bool(v);
	return r;
}

int json_get_int64(const json_node *obj, const char *key, const char *path,
		   int64_t min, int64_t max, int64_t *out, struct hull_error *err)
{
	const json_node *v = NULL;
	int r = member(obj, key, path, JSON_NUMBER, &v, err);
	int64_t x;

	if (r <= 0)
		return r;
	if (json_number_int64(v, &x) < 0)
		return json_path_error(err, path, key, "expected an integer, got %s",
				       V(v)->u.number.r);
	if (x < min || x > max)
		return json_path_error(err, path, key,
				       "%" PRId64 " out of range [%" PRId64 ", %" PRId64 "]",
				       x, min, max);
	*out = x;
	return 1;
}

int json_get_uint64(const json_node *obj, const char *key, const char *path,
		    uint64_t max, uint64_t *out, struct hull_error *err)
{
	const json_node *v = NULL;
	int r = member(obj, key, path, JSON_NUMBER, &v, err);
	uint64_t x;

	if (r <= 0)
		return r;
	if (json_number_uint64(v, &x) < 0)
		return json_path_error(err, path, key,
				       "expected a non-negative integer, got %s",
				       V(v)->u.number.r);
	if (x > max)
		return json_path_error(err, path, key,
				       "%" PRIu64 " out of range (max %" PRIu64 ")",
				       x, max);
	*out = x;
	return 1;
}

void strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int json_get_string_array(const json_node *obj, const char *key,
			  const char *path, char ***out, size_t *count,
			  struct hull_error *err)
{
	const json_node *arr;
	int r = member(obj, key, path, JSON_ARRAY, &arr, err);
	size_t n;
	char **v;

	if (r <= 0)
		return r;
	n = json_array_len(arr);
	v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string(json_array_get(arr, i));
		char where[512], at[544];

		if (s == NULL) {
			json_path_join(where, sizeof(where), path, key);
			snprintf(at, sizeof(at), "%s[%zu]", where, i);
			strv_free(v);
			return hull_error_set(err, EINVAL, "%s: expected a string", at);
		}
		v[i] = strdup(s);
		if (v[i] == NULL) {
			strv_free(v);
			return hull_error_errno(err, "strdup");
		}
	}
	strv_free(*out);
	*out = v;
	if (count)
		*count = n;
	return 1;
}

int json_get_string_map(const json_node *obj, const char *key, const char *path,
			char ***keys, char ***values, size_t *count,
			struct hull_error *err)
{
	const json_node *map;
	int r = member(obj, key, path, JSON_OBJECT, &map, err);
	size_t n;
	char **k, **v;

	if (r <= 0)
		return r;
	n = json_object_size(map);
	k = calloc(n + 1, sizeof(*k));
	v = calloc(n + 1, sizeof(*v));
	if (k == NULL || v == NULL) {
		free(k);
		free(v);
		return hull_error_errno(err, "calloc");
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string(json_object_value(map, i));
		char where[512];

		if (s == NULL) {
			json_path_join(where, sizeof(where), path, key);
			strv_free(k);
			strv_free(v);
			return json_path_error(err, where, json_object_key(map, i),
					       "expected a string");
		}
		k[i] = strdup(json_object_key(map, i));
		v[i] = strdup(s);
		if (k[i] == NULL || v[i] == NULL) {
			strv_free(k);
			strv_free(v);
			return hull_error_errno(err, "strdup");
		}
	}
	*keys = k;
	*values = v;
	*count = n;
	return 1;
}

/* --- generator --- */

struct json_gen {
	yajl_gen g;
	bool failed;
};

json_gen *json_gen_new(bool pretty)
{
	json_gen *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->g = yajl_gen_alloc(NULL);
	if (g->g == NULL) {
		free(g);
		return NULL;
	}
	yajl_gen_config(g->g, yajl_gen_beautify, pretty ? 1 : 0);
	yajl_gen_config(g->g, yajl_gen_validate_utf8, 1);
	return g;
}

void json_gen_free(json_gen *g)
{
	if (g == NULL)
		return;
	yajl_gen_free(g->g);
	free(g);
}

static void check(json_gen *g, yajl_gen_status s)
{
	if (s != yajl_gen_status_ok)
		g->failed = true;
}

void json_gen_object_open(json_gen *g) { check(g, yajl_gen_map_open(g->g)); }
void json_gen_object_close(json_gen *g) { check(g, yajl_gen_map_close(g->g)); }
void json_gen_array_open(json_gen *g) { check(g, yajl_gen_array_open(g->g)); }
void json_gen_array_close(json_gen *g) { check(g, yajl_gen_array_close(g->g)); }
void json_gen_bool(json_gen *g, bool v) { check(g, yajl_gen_bool(g->g, v)); }
void json_gen_null(json_gen *g) { check(g, yajl_gen_null(g->g)); }
void json_gen_int(json_gen *g, int64_t v) { check(g, yajl_gen_integer(g->g, v)); }

void json_gen_key(json_gen *g, const char *key)
{
	json_gen_string(g, key);
}

void json_gen_string(json_gen *g, const char *s)
{
	if (s == NULL) {
		json_gen_null(g);
		return;
	}
	check(g, yajl_gen_string(g->g, (const unsigned char *)s, strlen(s)));
}

void json_gen_uint(json_gen *g, uint64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64, v);

	check(g, yajl_gen_number(g->g, buf, (size_t)n));
}

void json_gen_double(json_gen *g, double v)
{
	check(g, yajl_gen_double(g->g, v));
}

void json_gen_node(json_gen *g, const json_node *node)
{
	yajl_val v = V(node);

	switch (json_type_of(node)) {
	case JSON_NULL: json_gen_null(g); break;
	case JSON_BOOL: json_gen_bool(g, json_bool(node)); break;
	case JSON_STRING: json_gen_string(g, v->u.string); break;
	case JSON_NUMBER:
		check(g, yajl_gen_number(g->g, v->u.number.r, strlen(v->u.number.r)));
		break;
	case JSON_ARRAY:
		json_gen_array_open(g);
		for (size_t i = 0; i < v->u.array.len; i++)
			json_gen_node(g, N(v->u.array.values[i]));
		json_gen_array_close(g);
		break;
	case JSON_OBJECT:
		json_gen_object_open(g);
		for (size_t i = 0; i < v->u.object.len; i++) {
			json_gen_key(g, v->u.object.keys[i]);
			json_gen_node(g, N(v->u.object.values[i]));
		}
		json_gen_object_close(g);
		break;
	}
}

void json_gen_kv_string(json_gen *g, const char *key, const char *s)
{
	json_gen_key(g, key);
	json_gen_string(g, s);
}

void json_gen_kv_int(json_gen *g, const char *key, int64_t v)
{
	json_gen_key(g, key);
	json_gen_int(g, v);
}

void json_gen_kv_bool(json_gen *g, const char *key, bool v)
{
	json_gen_key(g, key);
	json_gen_bool(g, v);
}

void json_gen_kv_strv(json_gen *g, const char *key, const char *const *v)
{
	json_gen_key(g, key);
	json_gen_array_open(g);
	for (; v && *v; v++)
		json_gen_string(g, *v);
	json_gen_array_close(g);
}

char *json_gen_finish(json_gen *g, size_t *len)
{
	const unsigned char *buf;
	size_t n;
	char *out;

	if (g->failed || yajl_gen_get_buf(g->g, &buf, &n) != yajl_gen_status_ok)
		return NULL;
	out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, buf, n);
	out[n] = '\0';
	if (len)
		*len = n;
	return out;
}
