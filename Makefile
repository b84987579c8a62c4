# hm: GNU make. `make` builds, `make check` sets up and tests, `make demo`
# sets up and runs an example, `make bench` measures, `make install`.
.POSIX:
.SUFFIXES:

PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
CC = cc
CFLAGS = -O2 -g
WERROR = -Werror
SANITIZE =

# The user's flags first; warnings always on; POSIX chosen deliberately,
# since -std=c11 alone hides POSIX declarations.
# The version is written once, in VERSION; libhm/version.c gives it out.
HM_VERSION = $(shell cat VERSION)
ALL_CPPFLAGS = -D_POSIX_C_SOURCE=200809L -DJSMN_STRICT -Ilibhm $(CPPFLAGS)
ALL_CFLAGS = $(CFLAGS) -std=c11 -Wall -Wextra -Wshadow \
	-Wmissing-prototypes -Wpedantic -Wno-overlength-strings $(WERROR)
YAML_CFLAGS = $$(pkg-config --cflags yaml-0.1)
YAML_LIBS = $$(pkg-config --libs yaml-0.1)
CMOCKA_LIBS = $$(pkg-config --libs cmocka)

ifeq ($(SANITIZE),1)
O ?= build-san
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
ALL_LDFLAGS = -fsanitize=address,undefined $(LDFLAGS)
else
O ?= build
ALL_LDFLAGS = $(LDFLAGS)
endif

LIB_HDR = $(wildcard libhm/*.h) libhm/diag.def
LIB_SRC = $(filter-out libhm/tool.c,$(wildcard libhm/*.c))
LIB_OBJ = $(LIB_SRC:%.c=$(O)/obj/%.o)
TOOL_OBJ = $(O)/obj/libhm/tool.o
LOWER_OBJ = $(patsubst %.c,$(O)/obj/%.o,$(wildcard hm-lower/*.c))
SANDBOX_OBJ = $(patsubst %.c,$(O)/obj/%.o,$(wildcard hm-sandbox/*.c))
BAKE_OBJ = $(patsubst %.c,$(O)/obj/%.o,$(wildcard hm-bake/*.c))
EXEC_OBJ = $(patsubst %.c,$(O)/obj/%.o,$(wildcard hm-exec/*.c))
BAKE_HDR = $(wildcard hm-bake/*.h)
EXEC_HDR = $(wildcard hm-exec/*.h)
LOWER_HDR = $(wildcard hm-lower/*.h)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
BIN = $(O)/hm-lower $(O)/hm-bake $(O)/hm-exec $(O)/hm-sandbox
MAN = $(wildcard man/*.1 man/*.5)

all: $(BIN)

$(O)/obj/%.o: %.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(O)/obj/libhm/version.o: libhm/version.c VERSION $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -DHM_VERSION='"$(HM_VERSION)"' $(ALL_CFLAGS) \
		-c -o $@ $<

$(O)/obj/hm-bake/%.o: hm-bake/%.c $(LIB_HDR) $(BAKE_HDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(YAML_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(O)/obj/hm-exec/%.o: hm-exec/%.c $(LIB_HDR) $(EXEC_HDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(O)/obj/hm-lower/%.o: hm-lower/%.c $(LIB_HDR) $(LOWER_HDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(O)/libhm.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(O)/hm-lower: $(LOWER_OBJ) $(TOOL_OBJ) $(O)/libhm.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(LOWER_OBJ) $(TOOL_OBJ) $(O)/libhm.a

$(O)/hm-bake: $(BAKE_OBJ) $(TOOL_OBJ) $(O)/libhm.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(BAKE_OBJ) $(TOOL_OBJ) $(O)/libhm.a $(YAML_LIBS)

$(O)/hm-exec: $(EXEC_OBJ) $(TOOL_OBJ) $(O)/libhm.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(EXEC_OBJ) $(TOOL_OBJ) $(O)/libhm.a

$(O)/hm-sandbox: $(SANDBOX_OBJ) $(TOOL_OBJ) $(O)/libhm.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(SANDBOX_OBJ) $(TOOL_OBJ) $(O)/libhm.a

# Unit tests link the library; test_bake_* and test_exec_* also link that
# tool's modules (everything but main.o). GNU make picks the pattern with
# the shortest stem, so the tool rules win over the plain one.
TEST_CC = $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes $(ALL_LDFLAGS)
BAKE_MODS = $(filter-out %/main.o,$(BAKE_OBJ))
EXEC_MODS = $(filter-out %/main.o,$(EXEC_OBJ))

$(O)/tests/test_bake_%: tests/unit/test_bake_%.c $(O)/libhm.a $(TOOL_OBJ) $(BAKE_MODS)
	@mkdir -p $(@D)
	$(TEST_CC) $(YAML_CFLAGS) -Ihm-bake -o $@ $< $(BAKE_MODS) $(TOOL_OBJ) \
		$(O)/libhm.a $(CMOCKA_LIBS) $(YAML_LIBS)

$(O)/tests/test_exec_%: tests/unit/test_exec_%.c $(O)/libhm.a $(TOOL_OBJ) $(EXEC_MODS)
	@mkdir -p $(@D)
	$(TEST_CC) -Ihm-exec -o $@ $< $(EXEC_MODS) $(TOOL_OBJ) $(O)/libhm.a \
		$(CMOCKA_LIBS)

$(O)/tests/test_%: tests/unit/test_%.c $(O)/libhm.a $(TOOL_OBJ)
	@mkdir -p $(@D)
	$(TEST_CC) -o $@ $< $(TOOL_OBJ) $(O)/libhm.a $(CMOCKA_LIBS)

# The fuzz harnesses (fuzz/): each replayed over its seeds and findings
# by `make check` (replay.c as main, any compiler), and built for libFuzzer
# by `make fuzz` (clang). hm-bake's harness links the tool's modules with
# fuzz/proc_stub.c for proc_wait: no command runs while fuzzing.
FUZZ_NAMES = ir bake splice
FUZZ_LIB = $(O)/obj/fuzz/fuzz_util.o $(O)/libhm.a
FUZZ_BAKE_MODS = $(filter-out %/main.o,$(BAKE_OBJ)) \
	$(O)/obj/fuzz/proc_stub.o
REPLAY_BIN = $(FUZZ_NAMES:%=$(O)/fuzz/replay_%)

$(O)/obj/fuzz/%.o: fuzz/%.c $(LIB_HDR) $(BAKE_HDR) fuzz/fuzz.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(YAML_CFLAGS) -Ihm-bake $(ALL_CFLAGS) \
		-Wno-missing-prototypes -c -o $@ $<

$(O)/fuzz/replay_bake: $(O)/obj/fuzz/replay.o $(O)/obj/fuzz/fuzz_bake.o \
	$(FUZZ_BAKE_MODS) $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(YAML_LIBS)

$(O)/fuzz/replay_%: $(O)/obj/fuzz/replay.o $(O)/obj/fuzz/fuzz_%.o $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^

# Every header must compile on its own.
$(O)/headers.ok: $(LIB_HDR) $(BAKE_HDR) $(EXEC_HDR) $(LOWER_HDR)
	@mkdir -p $(@D)
	@for h in $(filter %.h,$^); do \
		printf '#include "%s"\n' "$$h" | $(CC) $(ALL_CPPFLAGS) \
			$(ALL_CFLAGS) -I. -x c -fsyntax-only - || exit 1; \
	done
	@touch $@

setup:
	@sh scripts/setup.sh

build: $(BIN) $(UNIT_BIN) $(REPLAY_BIN) $(O)/headers.ok

check: setup
	@$(MAKE) --no-print-directory build
	@O=$(O) sh tests/run.sh

# Run the tests without the package check (for a second build flavour).
test: build
	@O=$(O) sh tests/run.sh

golden: $(BIN)
	@O=$(O) sh tests/golden.sh --regenerate

demo: setup
	@$(MAKE) --no-print-directory $(BIN)
	@O=$(O) sh examples/demo.sh

# The README's picture of a run, taken in headless Chromium.
screenshot: $(BIN)
	@O=$(O) sh scripts/screenshot.sh

bench: setup
	@$(MAKE) --no-print-directory $(BIN)
	@O=$(O) sh bench/run.sh

# libFuzzer: `make fuzz` builds build-fuzz/fuzz_NAME; FUZZ_SECONDS=N
# also runs each for N seconds from its seeds (testdata/) and findings
# (testdata/fuzz/NAME/), with the JSON dictionary fuzz/json.dict. The
# working corpus grows in build-fuzz/corpus/NAME/; a crash is written to
# build-fuzz/ and stops the run: copy it to testdata/fuzz/NAME/.
fuzz:
	@$(MAKE) --no-print-directory O=build-fuzz CC=clang WERROR= \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined \
		-fno-sanitize-recover=all -fno-omit-frame-pointer" \
		$(FUZZ_NAMES:%=build-fuzz/fuzz_%)
	@O=build-fuzz FUZZ_SECONDS="$(FUZZ_SECONDS)" sh fuzz/run.sh $(FUZZ_NAMES)

FUZZ_LINK = -fsanitize=fuzzer,address,undefined

$(O)/fuzz_bake: $(O)/obj/fuzz/fuzz_bake.o $(FUZZ_BAKE_MODS) $(FUZZ_LIB)
	$(CC) $(ALL_CFLAGS) $(FUZZ_LINK) -o $@ $^ $(YAML_LIBS)

$(O)/fuzz_%: $(O)/obj/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(CC) $(ALL_CFLAGS) $(FUZZ_LINK) -o $@ $^

install: $(BIN)
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	cp $(BIN) $(DESTDIR)$(BINDIR)/
	cp $(filter %.1,$(MAN)) $(DESTDIR)$(MANDIR)/man1/
	cp $(filter %.5,$(MAN)) $(DESTDIR)$(MANDIR)/man5/

clean:
	rm -rf build build-san build-clang build-fuzz

.PHONY: all setup build check test golden demo screenshot bench fuzz install clean
