/* Waiting, without D-Bus, until systemd has let go of a transient unit. */
#ifndef HULL_CGROUPS_SYSTEMD_GONE_H
#define HULL_CGROUPS_SYSTEMD_GONE_H

/* systemd keeps a transient unit's definition in this directory while the
 * unit is loaded, and removes the file when it unloads (frees) the unit. */
#define SD_TRANSIENT_DIR "/run/systemd/transient"

/* Waits up to timeout_ms until DIR/UNIT does not exist.  Returns 1 when it
 * is gone (or never was), 0 on the timeout, -1 with errno when the wait
 * itself failed (no inotify). */
int sd_unit_gone_wait(const char *dir, const char *unit, int timeout_ms);

#endif
