/* config.json "linux.seccomp": names resolved to libseccomp constants.
 * Syscall names are checked later, when the filter is compiled
 * (runtime/seccomp.c), because that needs the architectures. */
#include "oci/spec.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

#ifndef SCMP_ACT_KILL_PROCESS
#define SCMP_ACT_KILL_PROCESS 0x80000000U
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static int parse_action(const char *name, uint32_t errno_ret, bool has_ret,
			uint32_t *out, bool *notify)
{
	if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		*out = SCMP_ACT_KILL_THREAD;
	else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		*out = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		*out = SCMP_ACT_TRAP;
	else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		*out = SCMP_ACT_ERRNO(has_ret ? errno_ret : EPERM);
	else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		*out = SCMP_ACT_TRACE(has_ret ? errno_ret : EPERM);
	else if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		*out = SCMP_ACT_ALLOW;
	else if (strcmp(name, "SCMP_ACT_LOG") == 0)
		*out = SCMP_ACT_LOG;
	else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0) {
		*out = SCMP_ACT_NOTIFY;
		*notify = true;
	} else
		return -1;
	return 0;
}

static int parse_arch(const char *name, uint32_t *out)
{
	static const struct { const char *name; uint32_t arch; } arches[] = {
		{ "SCMP_ARCH_X86", SCMP_ARCH_X86 }, { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
		{ "SCMP_ARCH_X32", SCMP_ARCH_X32 }, { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
		{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 }, { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
		{ "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 }, { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
		{ "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL }, { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
		{ "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 }, { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
		{ "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 }, { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
		{ "SCMP_ARCH_S390", SCMP_ARCH_S390 }, { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
		{ "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC }, { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
		{ "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
	};
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (strcmp(name, arches[i].name) == 0) {
			*out = arches[i].arch;
			return 0;
		}
	return -1;
}

static int parse_op(const char *name, int *out)
{
	static const struct { const char *name; int op; } ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(name, ops[i].name) == 0) {
			*out = ops[i].op;
			return 0;
		}
	return -1;
}

static int parse_flags(const json_node *node, const char *path,
		       struct spec_seccomp *s, struct hull_error *err)
{
	static const struct { const char *name; unsigned int flag; } flags[] = {
		{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
		{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
		{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
	};
	char **names = NULL;
	size_t n = 0;

	if (json_get_string_array(node, "flags", path, &names, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < sizeof(flags) / sizeof(flags[0]); j++)
			if (strcmp(names[i], flags[j].name) == 0)
				break;
		if (j == sizeof(flags) / sizeof(flags[0])) {
			hull_error_set(err, EINVAL, "%s.flags[%zu]: unknown flag \"%s\"",
				       path, i, names[i]);
			strv_free(names);
			return -1;
		}
		s->flags |= flags[j].flag;
	}
	strv_free(names);
	return 0;
}

static int parse_args(const json_node *sys, const char *where,
		      struct spec_seccomp_rule *rule, struct hull_error *err)
{
	const json_node *arr;
	int r = json_get_array(sys, "args", where, &arr, err);

	if (r <= 0)
		return r;
	rule->n_args = json_array_len(arr);
	rule->args = calloc(rule->n_args ? rule->n_args : 1, sizeof(*rule->args));
	if (rule->args == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < rule->n_args; i++) {
		const json_node *a = json_array_get(arr, i);
		struct spec_seccomp_arg *sa = &rule->args[i];
		autofree char *op = NULL;
		int64_t index = -1;
		char at[160];

		snprintf(at, sizeof(at), "%s.args[%zu]", where, i);
		if (json_type_of(a) != JSON_OBJECT)
			return json_path_error(err, at, NULL, "expected an object");
		if (json_get_int64(a, "index", at, 0, 5, &index, err) < 0 ||
		    json_get_uint64(a, "value", at, UINT64_MAX, &sa->value, err) < 0 ||
		    json_get_uint64(a, "valueTwo", at, UINT64_MAX, &sa->value_two, err) < 0 ||
		    json_get_string(a, "op", at, &op, err) < 0)
			return -1;
		if (index < 0)
			return json_path_error(err, at, "index", "missing");
		if (op == NULL || parse_op(op, &sa->op) < 0)
			return json_path_error(err, at, "op", "unknown operator \"%s\"",
					       op ? op : "");
		sa->index = (unsigned int)index;
	}
	return 0;
}

static int parse_rules(const json_node *node, const char *path,
		       struct spec_seccomp *s, struct hull_error *err)
{
	const json_node *arr;
	int r = json_get_array(node, "syscalls", path, &arr, err);

	if (r <= 0)
		return r;
	s->n_rules = json_array_len(arr);
	s->rules = calloc(s->n_rules ? s->n_rules : 1, sizeof(*s->rules));
	if (s->rules == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < s->n_rules; i++) {
		const json_node *sys = json_array_get(arr, i);
		struct spec_seccomp_rule *rule = &s->rules[i];
		autofree char *action = NULL;
		int64_t ret = 0;
		int has_ret;
		char where[128];

		snprintf(where, sizeof(where), "%s.syscalls[%zu]", path, i);
		if (json_type_of(sys) != JSON_OBJECT)
			return json_path_error(err, where, NULL, "expected an object");
		if (json_get_string_array(sys, "names", where, &rule->names,
					  &rule->n_names, err) < 0 ||
		    json_get_string(sys, "action", where, &action, err) < 0)
			return -1;
		has_ret = json_get_int64(sys, "errnoRet", where, 0, 4095, &ret, err);
		if (has_ret < 0)
			return -1;
		if (rule->n_names == 0)
			return json_path_error(err, where, "names", "must list at least one syscall");
		if (action == NULL ||
		    parse_action(action, (uint32_t)ret, has_ret > 0, &rule->action,
				 &s->uses_notify) < 0)
			return json_path_error(err, where, "action", "unknown action \"%s\"",
					       action ? action : "");
		if (parse_args(sys, where, rule, err) < 0)
			return -1;
	}
	return 0;
}

int spec_parse_seccomp(const json_node *node, const char *path,
		       struct spec_seccomp **out, struct hull_error *err)
{
	struct spec_seccomp *s = calloc(1, sizeof(*s));
	autofree char *def = NULL;
	char **arches = NULL;
	size_t n_arches = 0;
	int64_t ret = 0;
	int has_ret;

	if (s == NULL)
		return hull_error_errno(err, "calloc");
	*out = s;
	if (json_get_string(node, "defaultAction", path, &def, err) < 0)
		return -1;
	has_ret = json_get_int64(node, "defaultErrnoRet", path, 0, 4095, &ret, err);
	if (has_ret < 0)
		return -1;
	if (def == NULL)
		return json_path_error(err, path, "defaultAction", "missing");
	if (parse_action(def, (uint32_t)ret, has_ret > 0, &s->default_action,
			 &s->uses_notify) < 0)
		return json_path_error(err, path, "defaultAction", "unknown action \"%s\"", def);
	if (json_get_string_array(node, "architectures", path, &arches, &n_arches, err) < 0)
		return -1;
	s->architectures = calloc(n_arches + 1, sizeof(uint32_t));
	if (s->architectures == NULL) {
		strv_free(arches);
		return hull_error_errno(err, "calloc");
	}
	for (size_t i = 0; i < n_arches; i++) {
		if (parse_arch(arches[i], &s->architectures[i]) < 0) {
			hull_error_set(err, EINVAL, "%s.architectures[%zu]: unknown architecture \"%s\"",
				       path, i, arches[i]);
			strv_free(arches);
			return -1;
		}
	}
	s->n_architectures = n_arches;
	strv_free(arches);
	if (parse_flags(node, path, s, err) < 0 ||
	    json_get_string(node, "listenerPath", path, &s->listener_path, err) < 0 ||
	    json_get_string(node, "listenerMetadata", path, &s->listener_metadata, err) < 0 ||
	    parse_rules(node, path, s, err) < 0)
		return -1;
	if (s->uses_notify && (s->listener_path == NULL || s->listener_path[0] == '\0'))
		return json_path_error(err, path, "listenerPath",
				       "SCMP_ACT_NOTIFY needs a listenerPath");
	return 0;
}

void spec_seccomp_free(struct spec_seccomp *s)
{
	if (s == NULL)
		return;
	free(s->architectures);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; i < s->n_rules; i++) {
		strv_free(s->rules[i].names);
		free(s->rules[i].args);
	}
	free(s->rules);
	free(s);
}
