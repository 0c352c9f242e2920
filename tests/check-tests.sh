#!/usr/bin/env bash
# Lint of the test suites themselves: habits that make a test hang or pass
# for the wrong reason.  One TAP line per rule.
set -uo pipefail
cd "$(dirname "$0")/.."
echo "1..1"

# A bare `wait` in a test waits for every background child of the test's
# shell, and under BATS_TEST_TIMEOUT (the test VM's stage sets it) bats'
# watchdog is one of them: the `wait` returns only when the watchdog kills
# the test.  Wait for the pid you started (host_served, wait "$pid").
# Shell text inside a config or hook (a quoted "...; wait") runs elsewhere.
bare=$(grep -rnE '^[[:space:]]*wait[[:space:]]*(;.*)?$|(&&|\|\||;|then|do)[[:space:]]+wait[[:space:]]*($|;|&&|\|\|)' \
	tests --include='*.bats' --include='*.bash' | grep -v '"[^"]*wait[^"]*"' || true)
if [ -n "$bare" ]; then
	echo "not ok 1 - no bare wait in the test suites (wait for a pid):"
	sed 's/^/#   /' <<<"$bare"
	exit 1
fi
echo "ok 1 - no bare wait in the test suites"
