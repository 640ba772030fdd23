# kesu — build, run, test and benchmark. See README.md.
#
#   make            build build/kesu
#   make run        install missing packages, build, start the server with demo data
#   make test       every test suite (unit, API, crash, sanitizers, format); summary at the end
#   make bench      benchmarks; results in bench/results.md
#   make SAN=1      build into build/asan with AddressSanitizer + UndefinedBehaviorSanitizer
#   make CC=clang   build with clang (BUILD=build/clang keeps it apart)
#   make WERROR=1   treat warnings as errors (make test does, for gcc and clang)
#   make fuzz       libFuzzer targets tests/fuzz/fuzz_*.c (clang), FUZZ_TIME seconds each;
#                   fails on a crash, leak or timeout (results: bench/results-fuzz.md)
#   make WEB=0      build without the web UI (it needs Node.js >= 20.19; see README, Web UI)

.DEFAULT_GOAL := all
SHELL := /bin/sh

CC ?= cc
SAN ?=
ifeq ($(FUZZ),1)
BUILD ?= build/fuzz
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT := -O1 -g
else ifeq ($(SAN),1)
BUILD ?= build/asan
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT := -O1 -g
else
BUILD ?= build
SANFLAGS :=
OPT := -O2 -g
endif

PKGS := libmicrohttpd sqlite3 libcjson libsodium opencc libzip expat libqrencode zlib gmime-3.0 libzstd xlsxwriter libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CPPFLAGS += -D_GNU_SOURCE -Isrc -Isrc/core -I$(BUILD)/gen $(PKG_CFLAGS)
WERROR ?=
CFLAGS += -std=c11 $(OPT) -Wall -Wextra -Wshadow -Wformat=2 -Wvla -pthread $(SANFLAGS) -MMD -MP
ifeq ($(WERROR),1)
CFLAGS += -Werror
endif
LDFLAGS += -pthread $(SANFLAGS)
LDLIBS += $(PKG_LIBS) -lm

# libkesu.a: the core and the HTTP layer; the binary adds the CLI and main.c
CORE_SRC := $(sort $(shell find src/core -name '*.c') $(wildcard src/http/*.c))
FRONT_SRC := $(sort $(wildcard src/cli/*.c)) src/main.c
MIGRATIONS := $(sort $(wildcard src/core/store/migrations/*.sql))
CALENDARS := $(sort $(wildcard docs/calendars/*.json))
GEN_SRC := $(BUILD)/gen/embedded.c $(BUILD)/gen/webassets.c
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embedded.o $(BUILD)/gen/webassets.o
FRONT_OBJ := $(FRONT_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/kesu

EMBED_CONFIG := config/taxonomy.json config/stopwords.txt
$(BUILD)/gen/embedded.c: scripts/embed.sh $(MIGRATIONS) docs/openapi.json $(CALENDARS) $(EMBED_CONFIG)
	@mkdir -p $(dir $@)
	scripts/embed.sh $(EMBED_CONFIG) docs/openapi.json $(MIGRATIONS) $(CALENDARS) > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/gen/embedded.o: $(BUILD)/gen/embedded.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The web UI (web/): Vue 3 + Element Plus + ECharts, built by Vite into build/web and
# embedded in the binary (gzip-compressed). WEB=0 leaves it out (/ then says how to build it).
ifeq ($(FUZZ),1)
WEB ?= 0
else
WEB ?= 1
endif
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.js
ifeq ($(WEB),1)
WEB_DIST := build/web/index.html
endif

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@scripts/web.sh deps

build/web/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	@scripts/web.sh build

$(BUILD)/gen/web.$(WEB):
	@mkdir -p $(dir $@) && rm -f $(BUILD)/gen/web.* && touch $@

$(BUILD)/gen/webassets.c: scripts/embed.sh $(WEB_DIST) $(BUILD)/gen/web.$(WEB)
	@mkdir -p $(dir $@)
	scripts/embed.sh --web $(if $(WEB_DIST),build/web) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/webassets.o: $(BUILD)/gen/webassets.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

web-deps: web/node_modules/.package-lock.json

web: build/web/index.html

web-test: web-deps
	cd web && node_modules/.bin/vitest run

$(BUILD)/libkesu.a: $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/kesu: $(FRONT_OBJ) $(BUILD)/libkesu.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libkesu.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libkesu.a $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)

# libFuzzer: the core is built with -fsanitize=fuzzer-no-link into build/fuzz, each target links
# libFuzzer. `make fuzz` runs each target FUZZ_TIME seconds (over its seeds in tests/fuzz/corpus/NAME
# and the corpus it grew in build/fuzz/corpus/NAME) and stops at the first crash, leak (LeakSanitizer)
# or input slower than FUZZ_TIMEOUT seconds; the input is kept in build/fuzz/artifacts/NAME/.
# FUZZ_TARGETS="csv xlsx" runs only those.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_TIME ?= 60
FUZZ_TIMEOUT ?= 10
FUZZ_TARGETS ?= $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(BUILD)/libkesu.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(BUILD)/libkesu.a $(LDLIBS)

fuzz-bins: $(FUZZ_BIN)

fuzz:
	$(MAKE) -j2 CC=clang FUZZ=1 fuzz-bins
	for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus/$$t build/fuzz/artifacts/$$t; \
		build/fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -timeout=$(FUZZ_TIMEOUT) \
			-print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/$$t/ \
			build/fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# Build-only check of the targets for `make test` (with CC=clang): links them against the plain
# $(BUILD)/libkesu.a and runs each once over its seed corpus (crash reproducers live there).
FUZZ_CHECK_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz-check/%)

$(BUILD)/fuzz-check/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(BUILD)/libkesu.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(BUILD)/libkesu.a $(LDLIBS)

fuzz-check: $(FUZZ_CHECK_BIN)
	@for t in $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%); do \
		$(BUILD)/fuzz-check/fuzz_$$t -runs=0 tests/fuzz/corpus/$$t > $(BUILD)/fuzz-check/$$t.log 2>&1 \
			|| { cat $(BUILD)/fuzz-check/$$t.log; echo "fuzz-check: $$t failed on its seeds"; exit 1; }; \
	done; echo "fuzz-check: $(words $(FUZZ_SRC)) targets built and run over their seeds"

deps:
	@scripts/deps.sh

run: deps all
	@mkdir -p var
	$(BUILD)/kesu --data var serve --listen 127.0.0.1:8080 --demo-if-empty 20000

test: deps
	@scripts/test.sh

bench: deps
	@bench/run.sh

format:
	clang-format -i $$(find src tests -name '*.[ch]')

clean:
	rm -rf build

.PHONY: all unit fuzz fuzz-bins fuzz-check deps run test bench format clean web web-deps web-test
-include $(CORE_OBJ:.o=.d) $(FRONT_OBJ:.o=.d)
