# Hull's one Makefile.  Dependencies come through pkg-config; every source
# file under the library folders is picked up by wildcard, so a new file in
# runtime/, namespaces/, cgroups/, netns/, images/ or vmm/ needs no edit here.
# Sub-makefiles (vmm/vmm.mk, tests/vm/vm.mk) add their own targets.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= gcc
PKG_CONFIG ?= pkg-config

PKGS      := libseccomp libcap yajl libmd libnl-route-3.0
# Libraries loaded with dlopen on first use (base/dlib.h): their headers
# only, never their link flags.
DLOPEN_PKGS := libnftables libcurl libarchive libsystemd libapparmor libselinux
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) $(DLOPEN_PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WARN      := -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
             -Wno-unused-parameter -Wshadow -Wpointer-arith -Wvla
ifeq ($(CI),true)
WARN      += -Werror
endif
OPT       ?= -O2 -g
CFLAGS    ?=
CPPFLAGS  += -Ulinux -D_GNU_SOURCE -DHULL_VERSION='"$(VERSION)"' -I.
ALL_CFLAGS := -std=gnu11 $(OPT) $(WARN) -fstack-protector-strong \
              -D_FORTIFY_SOURCE=2 -fPIE -pthread $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS   += -pie -pthread -Wl,-z,relro,-z,now

# Sanitizer build: `make asan` builds into build-asan/.
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
STATIC     := 0
endif

# The hull binary is linked dynamically against the few libraries every
# verb needs (libseccomp, libcap, yajl, libmd); the ones only some verbs need
# (libnftables, libcurl, libarchive, libsystemd) are dlopen()ed on first use
# (base/dlib.h), so the create/run/exec path, which re-executes hull from a
# sealed memfd (CVE-2019-5736), does not map them.  A static-pie cannot
# dlopen: STATIC=1 builds one without those features.
STATIC ?= 0
ifeq ($(STATIC),1)
HULL_LINK := -static-pie $(patsubst -lyajl,-l:libyajl_s.a,$(PKG_LIBS))
CPPFLAGS  += -DHULL_STATIC
else
# The core libraries are linked in from their archives all the same, so
# the dynamic loader maps only libc: most of what static-pie saved.
HULL_LINK := -Wl,-Bstatic -lseccomp -lcap -l:libyajl_s.a -lmd -lnl-route-3 -lnl-3 \
	     -Wl,-Bdynamic
endif

LIB_DIRS  := base oci runtime namespaces cgroups netns images vmm
LIB_SRCS  := $(sort $(wildcard $(addsuffix /*.c,$(LIB_DIRS))))
CLI_SRCS  := $(sort $(wildcard cli/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/%.o)
LIBHULL   := $(BUILD)/libhull.a
HULL      := $(BUILD)/hull

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
CHECKER   := $(BUILD)/tests/checker

.PHONY: all clean install check check-unit check-integration asan compdb deps-check
all: $(HULL) $(CHECKER) $(BUILD)/vmm/guest/hull-agent $(BUILD)/hull-generator

# The microVM backend finds the agent next to a build-tree hull (see
# vmm_find_agent); an installed one looks in $(PREFIX)/lib/hull.
$(BUILD)/vmm/guest_image.o: CPPFLAGS += -DHULL_BUILD_AGENT='"$(abspath $(BUILD))/vmm/guest/hull-agent"'


$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBHULL): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# --whole-archive: CLI verbs register themselves in a linker section, and
# library backends do the same; nothing may be dropped for being unreferenced.
$(HULL): $(CLI_OBJS) $(LIBHULL)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) \
		-Wl,--whole-archive $(LIBHULL) -Wl,--no-whole-archive $(HULL_LINK) $(EXTRA_LIBS)
	@# Debug info goes to hull.debug (found by gdb via the debuglink): the
	@# binary is copied into a memfd on every create/run/exec, so keep it small.
	objcopy --only-keep-debug $@ $@.debug
	objcopy --strip-debug --add-gnu-debuglink=$@.debug $@

# The checker runs inside containers' busybox rootfs: static, no libc deps.
$(CHECKER): tests/checker/checker.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -static -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIBHULL)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< \
		-Wl,--whole-archive $(LIBHULL) -Wl,--no-whole-archive $(PKG_LIBS) $(EXTRA_LIBS)

check-unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

check-integration: $(HULL) $(CHECKER)
	tests/run-bats.sh tests/integration

check: check-unit check-integration

asan:
	$(MAKE) BUILD=build-asan SANITIZE=1 OPT='-O1 -g' all

compdb:
	$(MAKE) -B -n all | awk -v d="$$(pwd)" ' \
	  /^$(CC) .* -c / { f=""; for (i=1;i<=NF;i++) if ($$i=="-c") f=$$(i+1); \
	    gsub(/"/, "\\\"", $$0); printf "%s{\"directory\":\"%s\",\"file\":\"%s\",\"command\":\"%s\"}", \
	    (n++?",\n":"[\n"), d, f, $$0 } END { print "\n]" }' > compile_commands.json

install: $(HULL) $(BUILD)/vmm/guest/hull-agent $(BUILD)/hull-generator
	install -D -m 0755 $(HULL) $(DESTDIR)$(PREFIX)/bin/hull
	install -D -m 0755 $(BUILD)/vmm/guest/hull-agent $(DESTDIR)$(PREFIX)/lib/hull/hull-agent
	install -D -m 0755 $(BUILD)/hull-generator $(DESTDIR)$(SYSTEMD_GENERATOR_DIR)/hull-generator
	install -d -m 0755 $(DESTDIR)/etc/hull/containers
	install -D -m 0644 contrib/systemd/example.container $(DESTDIR)$(PREFIX)/share/hull/example.container

# --- systemd (issue 11): the generator for /etc/hull/containers/*.container.
# It links only what it uses from libhull.a (the unit model and writer).
SYSTEMD_GENERATOR_DIR ?= /usr/lib/systemd/system-generators
$(BUILD)/hull-generator: contrib/systemd/hull-generator.c $(LIBHULL)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DHULL_BIN_PATH='"$(PREFIX)/bin/hull"' $(ALL_CFLAGS) $(LDFLAGS) \
		-o $@ $< $(LIBHULL) $(HULL_LINK)
# --- end systemd

clean:
	rm -rf $(BUILD) build-asan compile_commands.json

# The busybox + checker rootfs the bats suites copy per test.  Built on the
# host because the test VM sees the tree read-only.
rootfs-template: $(CHECKER)
	bash -c '. tests/integration/helpers.bash && make_rootfs_template'
.PHONY: rootfs-template

# Inside the test VM (pure cgroup v2, systemd as PID 1, a /dev/kvm that
# boots Linux) run only the tests that need it: those tagged
# `# bats test_tags=vm` (or a file's `# bats file_tags=vm`).  Everything
# else ran on the host already; running it again costs ~25x the time.
VM_BATS += $(sort $(wildcard tests/integration/*.bats))
VM_DEPS += all rootfs-template

-include vmm/vmm.mk
-include tests/vm-guests/vm-guests.mk
-include tests/vm/vm.mk
-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)

# libFuzzer targets (clang): every tests/fuzz/fuzz_NAME.c becomes
# build-fuzz/fuzz_NAME, linked against the whole library built with
# -fsanitize=fuzzer-no-link,address,undefined.  `make fuzz` builds them;
# tests/run-fuzz.sh runs each for a bounded time over its corpus.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FUZZ_OBJS   := $(LIB_SRCS:%.c=build-fuzz/%.o)
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

build-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -DHULL_FUZZ $(FUZZ_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

build-fuzz/libhull.a: $(FUZZ_OBJS)
	rm -f $@
	ar rcs $@ $^

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/libhull.a
	clang $(CPPFLAGS) -DHULL_FUZZ $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< \
		-Wl,--whole-archive build-fuzz/libhull.a -Wl,--no-whole-archive $(PKG_LIBS)

fuzz: $(FUZZ_BINS)
fuzz-spec: build-fuzz/fuzz_spec
.PHONY: fuzz fuzz-spec

# Unit tests under ASan/UBSan (`make check-unit-asan`): the same binaries
# built into build-asan/, any sanitizer report fails the run.
check-unit-asan:
	$(MAKE) BUILD=build-asan SANITIZE=1 OPT='-O1 -g' check-unit
.PHONY: check-unit-asan
