/* Step timings of netns/ (and of its callers), for profiling.
 *
 * HULL_NET_TRACE=FILE appends one line per step to FILE:
 *   <pid> <step> <wall_us> <cpu_us>
 * the wall-clock and process CPU time since the previous step of this
 * process (net_trace_start resets the clock).  Without the variable each
 * call is one test of a cached flag.  bench/net.sh sums these per step. */
#ifndef HULL_NETNS_TRACE_H
#define HULL_NETNS_TRACE_H

void net_trace_start(void);
void net_trace(const char *step);

#endif
