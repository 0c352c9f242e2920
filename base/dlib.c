#include "base/dlib.h"

#include <dlfcn.h>
#include <errno.h>

int dlib_load(struct dlib *lib, const struct dlib_sym *syms, size_t n,
	      struct hull_error *err)
{
	void *h;
	size_t i;

	if (lib->handle)
		return 0;
#ifdef HULL_STATIC
	(void)h;
	(void)i;
	(void)syms;
	(void)n;
	return hull_error_set(err, ENOTSUP,
			      "%s: this hull is linked statically and cannot load it "
			      "(build with make STATIC=0)", lib->soname);
#else
	/* RTLD_NOW: a missing symbol fails here, not in the middle of a job. */
	h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return hull_error_set(err, ENOENT, "loading %s: %s (apt-get install %s)",
				      lib->soname, dlerror(), lib->package);
	for (i = 0; i < n; i++) {
		void *p = dlsym(h, syms[i].name);

		if (p == NULL) {
			size_t j;

			for (j = 0; j < i; j++)
				*syms[j].slot = NULL;
			dlclose(h);
			return hull_error_set(err, ENOENT, "%s has no symbol %s (too old?)",
					      lib->soname, syms[i].name);
		}
		*syms[i].slot = p;
	}
	lib->handle = h;
	return 0;
#endif
}
