/* Shared image-verb flags and the pull progress display: per-layer bars
 * with size and speed on a terminal, one line per event otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/images_common.h"

void image_flags_init(struct image_flags *f)
{
	memset(f, 0, sizeof(*f));
	f->tls_verify = true;
}

bool image_flag(struct image_flags *f, int c, const char *arg, bool *bad)
{
	switch (c) {
	case 1001: f->store = arg; return true;
	case 1002: f->platform = arg; return true;
	case 1003:
		if (arg == NULL || strcmp(arg, "true") == 0)
			f->tls_verify = true;
		else if (strcmp(arg, "false") == 0)
			f->tls_verify = false;
		else
			*bad = true;
		return true;
	case 1004:
		f->parallel = (unsigned)atoi(arg);
		if (f->parallel < 1 || f->parallel > 32)
			*bad = true;
		return true;
	case 'q': f->quiet = true; return true;
	default: return false;
	}
}

#define MAX_BARS 128
static struct {
	bool tty;
	size_t n;
	double start[MAX_BARS];
	uint64_t have[MAX_BARS], size[MAX_BARS], resumed[MAX_BARS];
	char state[MAX_BARS][16];
	char digest[MAX_BARS][20];
	double last_draw;
	bool drawn;
} pg;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(uint64_t b, char *buf, size_t size)
{
	if (b >= 1 << 30)
		snprintf(buf, size, "%.1f GiB", (double)b / (1 << 30));
	else if (b >= 1 << 20)
		snprintf(buf, size, "%.1f MiB", (double)b / (1 << 20));
	else if (b >= 1 << 10)
		snprintf(buf, size, "%.1f KiB", (double)b / (1 << 10));
	else
		snprintf(buf, size, "%llu B", (unsigned long long)b);
}

static void draw(bool force)
{
	double t = now_s();

	if (!force && t - pg.last_draw < 0.1)
		return;
	pg.last_draw = t;
	if (pg.drawn)
		fprintf(stderr, "\033[%zuA", pg.n);
	for (size_t i = 0; i < pg.n; i++) {
		char h[32], s[32], sp[40] = "";
		int w = 30, fill = pg.size[i] ? (int)(pg.have[i] * (uint64_t)w / pg.size[i]) : w;
		double dt = t - pg.start[i];
		char bar[64];

		human(pg.have[i], h, sizeof(h));
		human(pg.size[i], s, sizeof(s));
		if (dt > 0 && strcmp(pg.state[i], "downloading") == 0) {
			char r[32];

			human((uint64_t)((double)(pg.have[i] - pg.resumed[i]) / dt), r, sizeof(r));
			snprintf(sp, sizeof(sp), "%s/s", r);
		}
		for (int k = 0; k < w; k++)
			bar[k] = k < fill ? '=' : ' ';
		bar[w] = '\0';
		fprintf(stderr, "\r\033[K%-14s [%s] %10s / %-10s %-12s %s\n", pg.digest[i], bar, h, s, sp, pg.state[i]);
	}
	pg.drawn = true;
}

static void on_progress(void *data, const struct pull_event *ev)
{
	const struct image_flags *f = data;
	size_t i = ev->layer < MAX_BARS ? ev->layer : MAX_BARS - 1;
	char s[32];

	if (f->quiet)
		return;
	if (ev->kind == PULL_RESOLVED) {
		pg.n = ev->n_layers < MAX_BARS ? ev->n_layers : MAX_BARS;
		for (size_t k = 0; k < pg.n; k++)
			strcpy(pg.state[k], "waiting");
		fprintf(stderr, "Resolved %s to %s (%zu layers)\n", ev->name, ev->digest, ev->n_layers);
		return;
	}
	if (ev->kind == PULL_DONE) {
		if (pg.tty)
			draw(true);
		fprintf(stderr, "Pulled %s %s\n", ev->name, ev->digest);
		return;
	}
	snprintf(pg.digest[i], sizeof(pg.digest[i]), "%.14s", ev->digest ? ev->digest + 7 : "");
	pg.size[i] = ev->size;
	switch (ev->kind) {
	case PULL_LAYER_START:
		pg.start[i] = now_s();
		pg.have[i] = pg.resumed[i] = ev->resumed_from;
		strcpy(pg.state[i], "downloading");
		if (!pg.tty) {
			human(ev->size, s, sizeof(s));
			if (ev->resumed_from)
				fprintf(stderr, "layer %zu/%zu %s: downloading %s, resuming at %llu bytes\n",
					ev->layer + 1, ev->n_layers, ev->digest, s, (unsigned long long)ev->resumed_from);
			else
				fprintf(stderr, "layer %zu/%zu %s: downloading %s\n", ev->layer + 1, ev->n_layers, ev->digest, s);
		}
		break;
	case PULL_LAYER_PROGRESS:
		pg.have[i] = ev->have;
		break;
	case PULL_LAYER_FETCHED:
		pg.have[i] = ev->size;
		strcpy(pg.state[i], "verified");
		if (!pg.tty)
			fprintf(stderr, "layer %zu/%zu %s: verified (%llu bytes fetched)\n", ev->layer + 1,
				ev->n_layers, ev->digest, (unsigned long long)(ev->have - ev->resumed_from));
		break;
	case PULL_LAYER_CACHED:
		pg.have[i] = ev->size;
		strcpy(pg.state[i], "already here");
		if (!pg.tty)
			fprintf(stderr, "layer %zu/%zu %s: already in the store\n", ev->layer + 1, ev->n_layers, ev->digest);
		break;
	case PULL_LAYER_UNPACKED:
		pg.have[i] = ev->size;
		strcpy(pg.state[i], "unpacked");
		if (!pg.tty) {
			fprintf(stderr, "layer %zu/%zu %s: unpacked %llu entries", ev->layer + 1, ev->n_layers,
				ev->digest, (unsigned long long)ev->unpack->entries);
			if (ev->unpack->skipped_devices)
				fprintf(stderr, ", skipped %u device nodes", ev->unpack->skipped_devices);
			if (ev->unpack->skipped_xattrs)
				fprintf(stderr, ", skipped %u xattrs (trusted.*, security.selinux)", ev->unpack->skipped_xattrs);
			fprintf(stderr, "\n");
		} else if (ev->unpack->skipped_devices || ev->unpack->skipped_xattrs) {
			snprintf(pg.state[i], sizeof(pg.state[i]), "unpacked*");
		}
		break;
	default:
		break;
	}
	if (pg.tty)
		draw(ev->kind != PULL_LAYER_PROGRESS);
}

void image_progress_finish(void)
{
	if (pg.tty && pg.drawn)
		draw(true);
}

int image_pull_opts(const struct image_flags *f, struct pull_opts *o, struct hull_error *err)
{
	memset(o, 0, sizeof(*o));
	o->reg.tls_verify = f->tls_verify;
	o->reg.parallel = f->parallel;
	if (f->platform) {
		if (platform_parse(f->platform, &o->platform, err) < 0)
			return -1;
	} else {
		platform_host(&o->platform);
	}
	pg.tty = isatty(2);
	o->progress = on_progress;
	o->data = (void *)f;
	return 0;
}
