/* Named stop points for the crash tests (tests/integration/soak.bats).
 *
 * With HULL_TEST_STOP_AT=<name> in its environment, Hull stops itself
 * (SIGSTOP) when it reaches the point of that name, so a test can kill -9
 * it exactly there and check that `delete --force` still cleans up
 * everything.  Only the caller's own Hull is affected: nothing but the
 * caller sets its environment, and stopping is all it does. */
#ifndef HULL_TESTPOINT_H
#define HULL_TESTPOINT_H

void hull_test_point(const char *name);

#endif
