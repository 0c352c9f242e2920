#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"

const char *hooks_kind_name(enum spec_hook_kind k)
{
	static const char *const names[HOOK_KIND_COUNT] = {
		[HOOK_PRESTART] = "prestart", [HOOK_CREATE_RUNTIME] = "createRuntime",
		[HOOK_CREATE_CONTAINER] = "createContainer",
		[HOOK_START_CONTAINER] = "startContainer",
		[HOOK_POSTSTART] = "poststart", [HOOK_POSTSTOP] = "poststop",
	};
	return names[k];
}

/* Kills the hook's process group (it leads it: setsid in the child) and
 * checks that it is gone.  The group id cannot be reused while a member
 * lives, so signalling -pid reaches only what the hook started. */
static bool kill_group(pid_t pid, int *status)
{
	kill(-pid, SIGKILL);
	waitpid(pid, status, 0);
	/* Members reparented away may take a moment to be reaped; a zombie
	 * still answers kill(0), so this also waits for its reaper. */
	for (int i = 0; i < 500; i++) {
		if (kill(-pid, 0) < 0 && errno == ESRCH)
			return true;
		kill(-pid, SIGKILL);
		usleep(10000);
	}
	return false;
}

static int wait_hook(pid_t pid, int timeout_s, int *status)
{
	autoclose int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pidfd >= 0 && timeout_s > 0) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		int r;

		do
			r = poll(&pfd, 1, timeout_s * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			return kill_group(pid, status) ? 1 : 2; /* timed out */
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int run_one(const struct spec_hook *hook, const char *where,
		   const char *state_json, struct hull_error *err)
{
	char *default_argv[] = { hook->path, NULL };
	char *empty_env[] = { NULL };
	int pipefd[2];
	pid_t pid;
	int status = 0, r;
	size_t len = strlen(state_json);

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return hull_error_errno(err, "%s: pipe", where);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return hull_error_errno(err, "%s: fork", where);
	}
	if (pid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		sigset_t none;

		/* A hook starts like any program, whatever Hull was doing (`run`
		 * blocks every signal for its signalfd): default dispositions,
		 * nothing blocked; and in a session of its own, so that its
		 * timeout can kill everything it started. */
		for (int sig = 1; sig < NSIG; sig++)
			sigaction(sig, &dfl, NULL);   /* EINVAL for KILL/STOP: fine */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (setsid() < 0)
			_exit(127);
		if (dup2(pipefd[0], 0) < 0)
			_exit(127);
		execve(hook->path, hook->args ? hook->args : default_argv,
		       hook->env ? hook->env : empty_env);
		_exit(127);
	}
	close(pipefd[0]);
	/* The state fits a pipe buffer in practice; a hook that does not read
	 * its stdin must not block us, so ignore EPIPE and short writes. */
	{
		struct sigaction sa = { .sa_handler = SIG_IGN }, old;

		sigaction(SIGPIPE, &sa, &old);
		if (write(pipefd[1], state_json, len) < 0 && errno != EPIPE) {
			/* reported by the exit status if it mattered */
		}
		sigaction(SIGPIPE, &old, NULL);
	}
	close(pipefd[1]);
	r = wait_hook(pid, hook->timeout, &status);
	if (r < 0)
		return hull_error_errno(err, "%s (%s): wait", where, hook->path);
	if (r == 1)
		return hull_error_set(err, ETIMEDOUT, "%s (%s): timed out after %d s",
				      where, hook->path, hook->timeout);
	if (r == 2)
		return hull_error_set(err, ETIMEDOUT,
				      "%s (%s): timed out after %d s, and processes of its group survive SIGKILL",
				      where, hook->path, hook->timeout);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return hull_error_set(err, ENOEXEC, "%s (%s): could not be executed",
				      where, hook->path);
	if (WIFEXITED(status))
		return hull_error_set(err, EIO, "%s (%s): exited with status %d",
				      where, hook->path, WEXITSTATUS(status));
	return hull_error_set(err, EIO, "%s (%s): killed by signal %d",
			      where, hook->path, WTERMSIG(status));
}

int hooks_run(const struct spec_hooks *h, enum spec_hook_kind k,
	      const char *state_json, struct hull_error *err)
{
	for (size_t i = 0; i < h->count[k]; i++) {
		char where[64];

		snprintf(where, sizeof(where), "hooks.%s[%zu]", hooks_kind_name(k), i);
		if (run_one(&h->list[k][i], where, state_json, err) < 0)
			return -1;
	}
	return 0;
}
