/* process.execCPUAffinity cpu lists ("0-3,7"): what spec_cpu_list_parse
 * accepts, the set it builds, and the errors that name the field. */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "oci/spec.h"

static int failures, n;

#define CHECK(cond, ...) do { \
	n++; \
	if (cond) { printf("ok %d - ", n); printf(__VA_ARGS__); printf("\n"); } \
	else { failures++; printf("not ok %d - ", n); printf(__VA_ARGS__); printf("  (%s:%d)\n", __FILE__, __LINE__); } \
} while (0)

/* The cpus of a parsed list as "a,b,c", or the error message. */
static const char *parse(const char *list)
{
	static char out[HULL_ERROR_MSG_MAX + 16];
	struct hull_error e = { 0 };
	cpu_set_t set;
	size_t off = 0;

	if (spec_cpu_list_parse(list, "process.execCPUAffinity.final", &set, &e) < 0) {
		snprintf(out, sizeof(out), "error: %s", e.msg);
		return out;
	}
	out[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && off < sizeof(out) - 8; c++)
		if (CPU_ISSET(c, &set))
			off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%d", off ? "," : "", c);
	return out;
}

static void expect(const char *list, const char *want)
{
	const char *got = parse(list);

	CHECK(strcmp(got, want) == 0, "\"%s\" -> %s (got %s)", list, want, got);
}

static void expect_error(const char *list)
{
	const char *got = parse(list);

	CHECK(strncmp(got, "error: process.execCPUAffinity.final: ", 38) == 0,
	      "\"%s\" is refused naming the field (%s)", list, got);
}

int main(void)
{
	expect("0", "0");
	expect("0-3,7", "0,1,2,3,7");
	expect("5,1-2", "1,2,5");
	expect("3-3", "3");
	expect("1023", "1023");
	expect_error("");
	expect_error("1-x");
	expect_error("3-1");
	expect_error("1,");
	expect_error(",1");
	expect_error("-1");
	expect_error("1 2");
	expect_error("1024");
	expect_error("0-99999999999999999999");
	printf("# %s\n", failures ? "FAILED" : "all cpu list checks passed");
	return failures ? 1 : 0;
}
