/* hull_run_image; see run_image.h.
 *
 * The container's root is made beside the create: images_container_begin
 * gives config.json's text and the directory's name, then a thread runs
 * images_container_fill (the claim mkdir, the marker, the directories,
 * the overlay mount) while the create parses the config and sets up the
 * state, the cgroup and the network; the create waits for the thread
 * (rootfs_wait) just before it opens the root, so the thread is gone
 * before the clone and the child is never forked from a process with two
 * threads.  Only a named User, looked up in the root's /etc/passwd, makes
 * it one step after the other, and only for an image's first container:
 * the text is then cached in the store (store_config_cache_get), and with
 * a cached text the thread also reads the image's record, off the
 * create's path.
 *
 * Spare roots: after a run that succeeded, a process of its own (started
 * with the store's lock, which it then holds alone) makes the image's
 * spare root (images_spare_refill), and the next run of that image takes
 * it with one rename (images_spare_claim) instead of starting the thread:
 * beside the create, making a root costs the create ~0.4 ms on a 2-vCPU
 * host (the thread's start, and two threads' file system work meeting),
 * and after the run it costs the run nothing (bench/README.md).  A run
 * whose cached config still matches its image's record file takes the
 * spare without the store's lock (take_spare_unlocked); every other run
 * goes the locked way below. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "images/bundle.h"
#include "images/store.h"
#include "runtime/run_image.h"
#include "runtime/state.h"
#include "runtime/testpoint.h"

struct root_job {
	struct run_image_opts *io;
	const char *id;
	struct image_store store;
	struct image_record r;
	bool have_record;           /* r is read (else the thread reads it) */
	char cached[72];            /* a cache hit: the config blob it names */
	char stamp[STORE_STAMP_SIZE]; /* ...and the record file it was made with */
	struct image_container ic;
	pthread_t thread;
	bool running;               /* the thread is started and not joined */
	bool store_open;
	int rc;                     /* make_root's */
	struct hull_error err;      /* ...and its error, the thread's own */
};

/* The record behind a cached config: the create has started from the
 * cached text, so the record must be the one it was made from. */
static int find_record(struct root_job *j, struct hull_error *err)
{
	if (store_find_image(&j->store, j->io->image, &j->r, err) < 0) {
		store_config_cache_drop(&j->store, j->io->image);
		return hull_error_prefix(err, "image %s (its cached config was dropped)", j->io->image);
	}
	j->have_record = true;
	j->ic.r = &j->r;
	if (strcmp(j->r.config, j->cached) != 0) {
		store_config_cache_drop(&j->store, j->r.name);
		return hull_error_set(err, ESTALE, "image %s: the store's cached config was made from %s, "
				      "the image's config is %s (dropped: run again)",
				      j->r.name, j->cached, j->r.config);
	}
	return 0;
}

static int make_root(struct root_job *j, struct hull_error *err)
{
	if (!j->have_record && find_record(j, err) < 0)
		return -1;
	if (images_container_fill(&j->ic, err) < 0)
		return -1;
	/* the next container of this image starts from here (and an entry
	 * made with a record file since rewritten gets the new one's stamp,
	 * or the next run could not take its spare without the lock) */
	if (!j->cached[0] || strcmp(j->stamp, j->r.stamp) != 0)
		store_config_cache_put(&j->store, &j->r, j->ic.config);
	return 0;
}

static void *fill_thread(void *data)
{
	struct root_job *j = data;

	hull_test_point("image-fill-begin");
	j->rc = make_root(j, &j->err);
	hull_test_point("image-fill-end");
	return NULL;
}

/* The store's lock is for setup only, not for the container's life:
 * released as soon as the root is made. */
static void job_close_store(struct root_job *j)
{
	if (j->store_open)
		store_close(&j->store);
	j->store_open = false;
}

/* create's rootfs_wait, and the cleanup's: joins the thread once. */
static int root_wait(void *data, struct hull_error *err)
{
	struct root_job *j = data;

	hull_test_point("image-root-wait");
	if (j->running) {
		pthread_join(j->thread, NULL);
		j->running = false;
		job_close_store(j);
		if (j->rc == 0 && j->ic.copied && j->io->on_copied)
			j->io->on_copied(j->io->data, j->id);
	}
	if (j->rc < 0) {
		if (err)
			*err = j->err;
		return -1;
	}
	return 0;
}

/* Starts the fill on a thread with every signal blocked, so signals meant
 * for Hull keep reaching the main thread.  Where no thread can be made,
 * or where config.json still needs the root, fills here and now. */
static int job_start(struct root_job *j, struct hull_error *err)
{
	sigset_t all, old;
	int rc;

	if (j->ic.config != NULL) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = pthread_create(&j->thread, NULL, fill_thread, j);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc == 0) {
			j->running = true;
			return 0;
		}
	}
	j->rc = make_root(j, &j->err);
	job_close_store(j);
	if (j->rc < 0) {
		*err = j->err;
		return -1;
	}
	if (j->ic.copied && j->io->on_copied)
		j->io->on_copied(j->io->data, j->id);
	return 0;
}

/* A cached config's image record, read and checked here (the thread
 * would have done it beside the create), and its spare root taken as the
 * container's.  false: no spare, or the record is for another config
 * (the thread then finds that out and says so). */
static bool claim_spare(struct root_job *j)
{
	struct hull_error ignored = { 0 };

	if (j->io->force_copy || store_find_image(&j->store, j->io->image, &j->r, &ignored) < 0)
		return false;
	if (strcmp(j->r.config, j->cached) != 0) {
		image_record_free(&j->r);
		return false;
	}
	j->have_record = true;
	j->ic.r = &j->r;
	if (images_spare_claim(&j->ic, j->cached) < 0)
		return false;
	if (strcmp(j->stamp, j->r.stamp) != 0)
		store_config_cache_put(&j->store, &j->r, j->ic.config);
	return true;
}

/* The way that takes no lock, for a run whose image has a cached config
 * and a spare: the store's path made canonical (no lock, nothing made),
 * the cached text, the stamp of the image's record file against the one
 * the entry was made with (one statx where claim_spare reads and parses
 * the record: any pull or rmi of the name rewrites or removes that file),
 * and the claim's rename, which gc's own rename of a spare cannot also
 * win (images/bundle.h).  So such a run never waits for the store's lock
 * (held by the maker of the next spare, a pull or another run's fill).
 * false, with nothing held: the locked way. */
static bool take_spare_unlocked(struct root_job *j)
{
	struct hull_error ignored = { 0 };
	char now[STORE_STAMP_SIZE];
	char *text = NULL;

	if (j->io->force_copy || store_peek(j->io->store, &j->store) < 0 ||
	    store_config_cache_get(&j->store, j->io->image, &text, j->cached, j->stamp) < 0 ||
	    !j->stamp[0] || store_record_stamp(&j->store, j->io->image, now) < 0 ||
	    strcmp(now, j->stamp) != 0) {
		free(text);
		goto miss;
	}
	/* begin takes the text over (and frees it where it fails), end
	 * frees it */
	if (images_container_begin(&j->store, NULL, text, j->id, false, &j->ic, &ignored) < 0)
		goto miss;
	if (images_spare_claim(&j->ic, j->cached) == 0)
		return true;
	images_container_end(&j->ic);
miss:
	j->cached[0] = '\0';
	j->stamp[0] = '\0';
	return false;
}

/* After a run that succeeded, `hull __spare-refill` makes the image's
 * spare root for the next run, in a process of its own.  It is started
 * the way posix_spawn starts a program, without the wait: a child that
 * shares this process's memory (CLONE_VM: no page tables copied, and
 * none left to this process's exit to tear down) and only makes system
 * calls until its execve, with its arguments and stack in static memory
 * that stays valid after this process has gone.  A fork instead cost
 * each run ~0.2 ms more in wall time than the fill's thread
 * (bench/README.md).  The lock is taken here, before the clone, and
 * handed down as fd 3 (flock belongs to the open file, shared until this
 * side closes it): whoever locks the store next (gc, rmi, a test's
 * teardown) waits for the spare or finds it whole.  Where the store is
 * busy (another run, a pull) there is no spare this time. */
static struct {
	int lock;
	char root[sizeof(((struct image_store *)0)->root)];
	char image[4096];
	char config[72];
	char *argv[6];
	char *envp[1];
} refill;
static char refill_stack[32 * 1024] __attribute__((aligned(16)));

static int refill_child(void *unused)
{
	int lock, null, exe;

	(void)unused;
	/* System calls only: the memory is the run's until the execve (a
	 * failing one sets the run's errno, which nothing reads by then).  The
	 * lock first moves out of the way of 0-3, then stdio becomes
	 * /dev/null and the lock fd 3 (dup2 clears close-on-exec). */
	setsid();
	lock = fcntl(refill.lock, F_DUPFD, 10);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (lock < 0 || null < 0 || exe < 0)
		_exit(127);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	dup2(lock, 3);
	syscall(SYS_execveat, exe, "", refill.argv, refill.envp, AT_EMPTY_PATH);
	_exit(127);
}

static void spare_refill(struct root_job *j)
{
	char p[sizeof(refill.root) + 8];
	const char *config = j->have_record ? j->r.config : j->cached;
	sigset_t all, old;

	if (j->io->force_copy || !config[0] || j->ic.copied ||
	    strlen(j->io->image) >= sizeof(refill.image) || strlen(config) >= sizeof(refill.config))
		return;
	hull_test_point("image-spare-refill");
	snprintf(refill.root, sizeof(refill.root), "%s", j->store.root);
	snprintf(refill.image, sizeof(refill.image), "%s", j->io->image);
	snprintf(refill.config, sizeof(refill.config), "%s", config);
	refill.argv[0] = (char *)"hull";
	refill.argv[1] = (char *)"__spare-refill";
	refill.argv[2] = refill.root;
	refill.argv[3] = refill.image;
	refill.argv[4] = refill.config;
	refill.argv[5] = NULL;
	refill.envp[0] = NULL;
	snprintf(p, sizeof(p), "%s/lock", refill.root);
	refill.lock = open(p, O_RDWR | O_CLOEXEC);
	if (refill.lock < 0)
		return;
	if (flock(refill.lock, LOCK_EX | LOCK_NB) == 0) {
		/* every signal blocked, so none runs a handler of this
		 * process in the child; the refill unblocks them */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		(void)clone(refill_child, refill_stack + sizeof(refill_stack), CLONE_VM | SIGCHLD, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	/* the child has its own copy (or there is no child, and the lock
	 * goes with this fd) */
	close(refill.lock);
	hull_test_point("image-spare-started");
}

/* Whether container id exists with bundle as its bundle: a failed create
 * of an id that some other container (say, of a plain bundle) already
 * has leaves that one's state, which is not this root's. */
static bool container_has_bundle(const char *root, const char *id, const char *bundle)
{
	struct hull_error ignored = { 0 };
	struct container *c = NULL;
	bool same;

	if (container_read(root, id, &c, &ignored) < 0)
		return false;
	same = c->bundle && strcmp(c->bundle, bundle) == 0;
	container_free(c);
	return same;
}

int hull_run_image(struct run_image_opts *io, struct create_opts *o, bool detach,
		   int *status, struct hull_error *err)
{
	struct root_job j = { .io = io, .id = o->id };
	char *cached = NULL;
	int rc = -1;

	if (take_spare_unlocked(&j)) {
		hull_test_point("image-unlocked");
		hull_test_point("image-spare-taken");
		goto run;
	}
	if (store_open(io->store, &j.store, err) < 0)
		return -1;
	j.store_open = true;
	hull_test_point("image-store-open");
	if (store_config_cache_get(&j.store, io->image, &cached, j.cached, j.stamp) < 0) {
		j.cached[0] = '\0';
		if (store_find_image(&j.store, io->image, &j.r, err) < 0) {
			hull_error_clear(err);
			if (images_pull(&j.store, io->image, io->pull, &j.r, err) < 0) {
				job_close_store(&j);
				return hull_error_prefix(err, "pulling %s", io->image);
			}
		}
		j.have_record = true;
	}
	hull_test_point("image-config");
	/* begin takes the cached text over */
	if (images_container_begin(&j.store, j.have_record ? &j.r : NULL, cached, o->id,
				   io->force_copy, &j.ic, err) < 0)
		goto out;
	if (j.cached[0] && claim_spare(&j)) {
		job_close_store(&j);
		hull_test_point("image-spare-taken");
	} else {
		if (job_start(&j, err) < 0)
			goto out;
		hull_test_point("image-fill-started");
	}
run:
	o->bundle = j.ic.dir;
	o->config_text = j.ic.config;
	o->rootfs_wait = root_wait;
	o->rootfs_wait_data = &j;
	rc = hull_run(o, detach, status, err);
	/* a create that failed before it waited for the root */
	root_wait(&j, NULL);
	/* no container with this root means create failed: the runtime's
	 * delete never saw the root, so it is removed here */
	if (rc < 0 && j.ic.filled && !container_has_bundle(o->root, o->id, j.ic.dir)) {
		struct hull_error ignored = { 0 };

		images_container_remove(j.ic.dir, &ignored);
	}
	if (rc == 0)
		spare_refill(&j);
	o->bundle = NULL;
	o->config_text = NULL;
	o->rootfs_wait = NULL;
	o->rootfs_wait_data = NULL;
out:
	images_container_end(&j.ic);
	if (j.have_record)
		image_record_free(&j.r);
	job_close_store(&j);
	return rc;
}
