/* Hull's only JSON module.  Everything else sees these types; yajl is an
 * implementation detail of base/json.c, so it can be swapped.
 *
 * Reading: json_parse() builds an immutable tree.  The json_get_* helpers
 * read one member of an object with type checking and report errors that
 * name the full JSON path ("process.rlimits[2].type: expected a string").
 * They return 0 when the member is absent (leaving *out untouched), 1 when it
 * was read, and -1 with `err` set when it has the wrong type or range.
 * Per the runtime-spec, unknown members are ignored, and JSON null counts as
 * absent.
 *
 * Writing: a json_gen accumulates output; json_gen_finish() hands back a
 * NUL-terminated heap string. */
#ifndef HULL_JSON_H
#define HULL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef struct json_node json_node;

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_OBJECT,
	JSON_ARRAY,
};

int json_parse(const char *text, json_node **out, struct hull_error *err);
/* Reads and parses a whole file; errors name the file. */
int json_parse_file(const char *path, json_node **out, struct hull_error *err);
/* The file's text, as json_parse_file reads it (up to 64 MiB; caller
 * frees). */
int json_read_file(const char *path, char **text, struct hull_error *err);
void json_free(json_node *node);

enum json_type json_type_of(const json_node *node);
const char *json_type_name(enum json_type t);

const json_node *json_object_get(const json_node *obj, const char *key);
size_t json_object_size(const json_node *obj);
const char *json_object_key(const json_node *obj, size_t i);
const json_node *json_object_value(const json_node *obj, size_t i);
size_t json_array_len(const json_node *arr);
const json_node *json_array_get(const json_node *arr, size_t i);

/* Scalars of a node already known to have the right type. */
const char *json_string(const json_node *node);
bool json_bool(const json_node *node);
/* Number conversions: -1 (no error object) if not an integer in range. */
int json_number_int64(const json_node *node, int64_t *out);
int json_number_uint64(const json_node *node, uint64_t *out);
double json_number_double(const json_node *node);

/* Typed member access (see the header comment for the 0/1/-1 contract).
 * `path` is the JSON path of `obj` itself ("" for the root). */
int json_get_object(const json_node *obj, const char *key, const char *path,
		    const json_node **out, struct hull_error *err);
int json_get_array(const json_node *obj, const char *key, const char *path,
		   const json_node **out, struct hull_error *err);
int json_get_string(const json_node *obj, const char *key, const char *path,
		    char **out, struct hull_error *err);
int json_get_bool(const json_node *obj, const char *key, const char *path,
		  bool *out, struct hull_error *err);
int json_get_int64(const json_node *obj, const char *key, const char *path,
		   int64_t min, int64_t max, int64_t *out, struct hull_error *err);
int json_get_uint64(const json_node *obj, const char *key, const char *path,
		    uint64_t max, uint64_t *out, struct hull_error *err);
/* A JSON array of strings into a NULL-terminated heap vector. */
int json_get_string_array(const json_node *obj, const char *key,
			  const char *path, char ***out, size_t *count,
			  struct hull_error *err);
/* A JSON object of string values into "key" / "value" parallel arrays. */
int json_get_string_map(const json_node *obj, const char *key, const char *path,
			char ***keys, char ***values, size_t *count,
			struct hull_error *err);
/* Error helper: "<path>.<key>: <message>" (or "<key>" at the root). */
int json_path_error(struct hull_error *err, const char *path, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Builds "path.key" or "path[i]" into buf (returns buf). */
char *json_path_join(char *buf, size_t size, const char *path, const char *key);
char *json_path_index(char *buf, size_t size, const char *path, size_t i);

void strv_free(char **v);

/* --- generator --- */
typedef struct json_gen json_gen;

json_gen *json_gen_new(bool pretty);
void json_gen_free(json_gen *g);
void json_gen_object_open(json_gen *g);
void json_gen_object_close(json_gen *g);
void json_gen_array_open(json_gen *g);
void json_gen_array_close(json_gen *g);
void json_gen_key(json_gen *g, const char *key);
void json_gen_string(json_gen *g, const char *s);
void json_gen_int(json_gen *g, int64_t v);
void json_gen_uint(json_gen *g, uint64_t v);
void json_gen_double(json_gen *g, double v);
void json_gen_bool(json_gen *g, bool v);
void json_gen_null(json_gen *g);
/* Re-emit a parsed subtree as it is (used to carry opaque spec parts). */
void json_gen_node(json_gen *g, const json_node *node);
/* Key + value in one call, for the common object-member case. */
void json_gen_kv_string(json_gen *g, const char *key, const char *s);
void json_gen_kv_int(json_gen *g, const char *key, int64_t v);
void json_gen_kv_bool(json_gen *g, const char *key, bool v);
/* key: [strings...] from a NULL-terminated vector. */
void json_gen_kv_strv(json_gen *g, const char *key, const char *const *v);
/* Returns the text (caller frees) or NULL if the generator hit an error
 * (unbalanced calls are programming errors, reported here). */
char *json_gen_finish(json_gen *g, size_t *len);

#endif
