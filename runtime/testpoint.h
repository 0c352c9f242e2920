/* Named points on the create's path, for the crash tests and for bench/.
 *
 * With HULL_TEST_STOP_AT=<name> in its environment, Hull stops itself
 * (SIGSTOP) when it reaches the point of that name, so a test can kill -9
 * it exactly there and check that `delete --force` still cleans up
 * everything (tests/integration/soak.bats).
 *
 * With HULL_TIMING=<file>, each point appends a line "NAME USEC CPU PID"
 * (CLOCK_MONOTONIC microseconds) to that file, one write(2) each, so
 * bench/images.sh can tell where one kind of create spends its time
 * against another.
 *
 * Only the caller's own Hull is affected: nothing but the caller sets its
 * environment, and stopping or appending a line is all it does. */
#ifndef HULL_TESTPOINT_H
#define HULL_TESTPOINT_H

void hull_test_point(const char *name);

#endif
