#include "runtime/testpoint.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

void hull_test_point(const char *name)
{
	const char *at = getenv("HULL_TEST_STOP_AT");

	if (at && strcmp(at, name) == 0)
		raise(SIGSTOP);
}
