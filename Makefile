# semhash — build, test, install.
#
#   make            build the library (build/libsemhash.a, .so) and build/semhash
#   make test       install missing packages, build and run every check suite
#   make asan       the same suites under AddressSanitizer + UBSan (build-asan/)
#   make demo       the main job on the default corpus (see README.md)
#   make bench      speed and quality benchmarks (never part of `make test`)
#   make corpora    fetch and prepare the corpora under corpora/data/
#   make install    PREFIX=/usr/local DESTDIR= ; make uninstall likewise
#   make help       this list
#
# Sources are found by wildcard: every engine/*.c and index/*.c goes into the
# library, every cli/*.c into the semhash program, every tests/*.c into the
# test runner. A check suite is registered by defining, at the start of a
# line, a function `Suite *NAME_suite(void)` in a tests/*.c file.

# ---- configuration -------------------------------------------------------
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
PKG_CONFIG ?= pkg-config

VERSION := $(shell sed -n 's/^\#define SH_VERSION_STRING "\(.*\)"/\1/p' engine/version.h)
SOMAJOR := $(firstword $(subst ., ,$(VERSION)))

DEPS_PC  := lmdb openblas yaml-0.1 libxxhash libutf8proc jansson zlib libpng
# Expanded when a recipe runs (`=`, not `:=`): on a fresh machine the
# packages are installed by the deps stamp rule before the first compile.
DEP_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(DEPS_PC) 2>/dev/null)
DEP_LIBS   = $(shell $(PKG_CONFIG) --libs $(DEPS_PC) 2>/dev/null) -lstemmer -lpthread -lm
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

WARN      := -Wall -Wextra -Werror
OPT       ?= -O2
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(OPT) -g -fPIC -MMD -MP -Iengine -Iindex
ALL_CFLAGS  = $(BASE_CFLAGS) $(DEP_CFLAGS) $(SAN_FLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- sources ---------------------------------------------------------------
LIB_SRC   := $(sort $(wildcard engine/*.c index/*.c))
CLI_SRC   := $(sort $(wildcard cli/*.c))
TEST_SRC  := $(sort $(wildcard tests/*.c))

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ  := $(TEST_SRC:%.c=$(BUILD)/%.o)

LIB_A     := $(BUILD)/libsemhash.a
LIB_SO    := $(BUILD)/libsemhash.so.$(VERSION)
PROGRAM   := $(BUILD)/semhash
TEST_BIN  := $(BUILD)/run_tests
SUITES_H  := $(BUILD)/tests/suites.gen.h

DEPS_STAMP := $(BUILD)/.deps-ok

.DEFAULT_GOAL := all

FORCE:

.PHONY: FORCE all test check asan demo bench corpora deps install uninstall clean help

all: $(LIB_A) $(LIB_SO) $(PROGRAM)

# ---- dependencies (Debian packages) ---------------------------------------
# .ci/deps.sh installs whatever is missing with apt-get; it is quick when all
# packages are present. The stamp avoids even that check on every build.
deps:
	$(Q)sh .ci/deps.sh

$(DEPS_STAMP): .ci/deps.sh
	$(Q)sh .ci/deps.sh
	$(Q)mkdir -p $(dir $@) && touch $@

# ---- library and program -------------------------------------------------
$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIB_SO): $(LIB_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libsemhash.so.$(SOMAJOR) $(ALL_LDFLAGS) -o $@ $^ $(DEP_LIBS)
	$(Q)ln -sf libsemhash.so.$(VERSION) $(BUILD)/libsemhash.so.$(SOMAJOR)
	$(Q)ln -sf libsemhash.so.$(VERSION) $(BUILD)/libsemhash.so

$(PROGRAM): $(CLI_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIB_A) $(DEP_LIBS)

# ---- tests -----------------------------------------------------------------
# The runner's list of suites is generated from the test sources.
$(SUITES_H): $(TEST_SRC)
	@mkdir -p $(dir $@)
	$(Q)sed -n 's/^Suite \*\([a-z0-9_]*_suite\)(void).*/\1/p' $(TEST_SRC) | sort -u | \
	  awk '{ decl = decl "Suite *" $$1 "(void);\n"; list = list "    " $$1 ",\n" } \
	       END { printf "%s#define SH_SUITE_LIST \\\n%s", decl, list; }' | \
	  sed '$$ s/,$$//' | sed 's/,$$/, \\/' > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/%.o: tests/%.c $(SUITES_H) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I$(BUILD)/tests -Icli -c $< -o $@

$(TEST_BIN): $(TEST_OBJ) $(LIB_A) $(filter-out $(BUILD)/cli/main.o,$(CLI_OBJ))
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(TEST_OBJ) $(filter-out $(BUILD)/cli/main.o,$(CLI_OBJ)) $(LIB_A) $(CHECK_LIBS) $(DEP_LIBS)

# SH_TEST_FILTER=NAME runs only suites whose name contains NAME.
test check: $(TEST_BIN) $(PROGRAM)
	$(Q)SEMHASH_BIN=$(abspath $(PROGRAM)) SEMHASH_SRC=$(CURDIR) ./$(TEST_BIN)

# Same suites, separate build directory, sanitizers on. CK_FORK=no keeps the
# sanitizer reports attached to the failing test.
asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	  SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" test

# ---- the main job, corpora, benchmarks ---------------------------------
-include corpora/corpora.mk
-include bench/bench.mk

demo: all
	$(Q)sh cli/demo.sh $(abspath $(PROGRAM))

# ---- install -------------------------------------------------------------
PC_FILE := $(BUILD)/semhash.pc
PUBLIC_HEADERS := $(wildcard index/semhash.h engine/semhash_ae.h engine/sh_error.h)

# Regenerated on every install: it records PREFIX.
$(PC_FILE): FORCE
	@mkdir -p $(dir $@)
	$(Q)printf 'prefix=%s\nexec_prefix=$${prefix}\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: semhash\nDescription: semantic hashing search engine\nVersion: %s\nRequires.private: %s\nLibs: -L$${libdir} -lsemhash\nLibs.private: -lstemmer -lpthread -lm\nCflags: -I$${includedir}\n' \
	  '$(PREFIX)' '$(VERSION)' '$(DEPS_PC)' > $@

install: all $(PC_FILE)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	  $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(PROGRAM) $(DESTDIR)$(PREFIX)/bin/semhash
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/libsemhash.a
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/libsemhash.so.$(VERSION)
	ln -sf libsemhash.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libsemhash.so.$(SOMAJOR)
	ln -sf libsemhash.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libsemhash.so
	install -m 644 $(PC_FILE) $(DESTDIR)$(PREFIX)/lib/pkgconfig/semhash.pc
	$(if $(PUBLIC_HEADERS),install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(PREFIX)/include/)
	$(if $(wildcard cli/semhash.1),install -m 644 cli/semhash.1 $(DESTDIR)$(PREFIX)/share/man/man1/semhash.1)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/semhash \
	  $(DESTDIR)$(PREFIX)/lib/libsemhash.a \
	  $(DESTDIR)$(PREFIX)/lib/libsemhash.so.$(VERSION) \
	  $(DESTDIR)$(PREFIX)/lib/libsemhash.so.$(SOMAJOR) \
	  $(DESTDIR)$(PREFIX)/lib/libsemhash.so \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/semhash.pc \
	  $(DESTDIR)$(PREFIX)/share/man/man1/semhash.1 \
	  $(foreach h,$(notdir $(PUBLIC_HEADERS)),$(DESTDIR)$(PREFIX)/include/$(h))

clean:
	rm -rf build build-asan

help:
	@sed -n '3,11p' Makefile | sed 's/^# //'

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
