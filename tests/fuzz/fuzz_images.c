/* libFuzzer target for images/' parsers of untrusted input: the first
 * byte picks one, the rest is its input.
 *   0 manifest/index   1 image config   2 WWW-Authenticate   3 auth.json
 *   4 image reference  5 a layer (tar, gzip or zstd) unpacked into a fresh
 *     directory, which must afterwards hold everything it wrote.
 * `make fuzz-images-run` (FUZZ_SECONDS, default 60) runs it from the
 * seeds in tests/fuzz/corpus-images, writing new inputs to build-fuzz/. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "images/auth.h"
#include "images/manifest.h"
#include "images/ref.h"
#include "images/unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_unpack(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/hull-fuzz-XXXXXX";
	struct unpack_opts o = { .max_bytes = 16 << 20 };
	struct unpack_stats st;
	struct hull_error err = { 0 };
	int fd = memfd_create("layer", MFD_CLOEXEC), rfd;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0 ||
	    mkdtemp(dir) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd >= 0) {
		layer_unpack(fd, rfd, &o, &st, &err);
		close(rfd);
	}
	close(fd);
	hull_error_clear(&err);
	fs_remove_tree(dir, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hull_error err = { 0 };
	char *text;

	if (size < 1)
		return 0;
	if (data[0] % 6 == 5) {
		fuzz_unpack(data + 1, size - 1);
		return 0;
	}
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0: {
		struct manifest m;

		if (manifest_parse(text, size - 1, NULL, &m, &err) == 0) {
			struct platform p;

			platform_host(&p);
			if (m.kind == MANIFEST_INDEX)
				manifest_select_platform(&m, &p, &err);
			manifest_free(&m);
		}
		break;
	}
	case 1: {
		struct image_config c;

		if (image_config_parse(text, size - 1, &c, &err) == 0)
			image_config_free(&c);
		break;
	}
	case 2: {
		struct auth_challenge c;

		auth_challenge_parse(text, &c, &err);
		break;
	}
	case 3: {
		char *u = NULL, *p = NULL;

		auth_lookup_text(text, "127.0.0.1:5000", &u, &p, &err);
		free(u);
		free(p);
		break;
	}
	case 4: {
		struct image_ref r;
		struct platform p;

		if (image_ref_parse(text, &r, &err) == 0) {
			free(image_ref_format(&r));
			image_ref_free(&r);
		}
		platform_parse(text, &p, &err);
		break;
	}
	}
	free(text);
	return 0;
}
