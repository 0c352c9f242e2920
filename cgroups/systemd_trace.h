/* Per-step timestamps of the systemd driver, for bench/systemd-driver.sh:
 * with HULL_SYSTEMD_TRACE=FILE set, each step appends "STEP MICROSECONDS"
 * (the time since the previous mark in this process) to FILE.  Without it
 * nothing is written and a mark costs one getenv. */
#ifndef HULL_CGROUPS_SYSTEMD_TRACE_H
#define HULL_CGROUPS_SYSTEMD_TRACE_H

/* Starts the clock for the next step without writing a line. */
void sd_trace_start(void);
/* Appends "step <us since the last mark or start>". */
void sd_trace_mark(const char *step);

#endif
