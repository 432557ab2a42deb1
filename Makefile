# usnet build. `make` -> build/usnet, build/usnetctl. `make SAN=1` builds the
# same under AddressSanitizer + UBSan into build/san/. `make test` runs the
# whole suite (see tests/run.sh); `make bench` runs the benchmarks.

CC      ?= cc
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1 -g
else
BUILD   := build
SANFLAGS :=
OPT     := -O2 -g
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Wformat=2 -Wvla
CFLAGS  += -std=gnu11 $(OPT) $(WARN) $(SANFLAGS) -D_GNU_SOURCE -D_LGPL_SOURCE -Isrc -MMD -MP -pthread -march=x86-64-v2
LDFLAGS += $(SANFLAGS) -pthread
LIBS    := -lurcu-qsbr -lurcu-cds -lpcap

DAEMON_MAIN := src/usnet.c
CTL_MAIN    := src/ctl/usnetctl.c
LIB_SRCS := $(filter-out $(DAEMON_MAIN) $(CTL_MAIN),$(wildcard src/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)

TEST_SRCS := $(wildcard tests/*/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

all: $(BUILD)/usnet $(BUILD)/usnetctl $(TEST_BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libusnet.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/usnet: $(BUILD)/obj/src/usnet.o $(BUILD)/libusnet.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/usnetctl: $(BUILD)/obj/src/ctl/usnetctl.o $(BUILD)/libusnet.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/libusnet.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

# libFuzzer target over the input path (clang only).
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
fuzz: $(FUZZ_SRCS)
	$(MAKE) CC=clang BUILD=build/fuzz SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" OPT="-O1 -g" build/fuzz/libusnet.a
	@mkdir -p build/fuzz
	for f in $(FUZZ_SRCS); do \
	  clang -std=gnu11 -O1 -g -D_GNU_SOURCE -Isrc -pthread -fsanitize=fuzzer,address,undefined \
	    -o build/fuzz/$$(basename $$f .c) $$f build/fuzz/libusnet.a $(LIBS) || exit 1; done

unit: $(TEST_BINS)
	@set -e; for t in $(TEST_BINS); do echo "== $$t"; $$t; done

test: all
	tests/run.sh

bench: all
	bench/run.sh

clean:
	rm -rf build

.PHONY: all unit test bench clean fuzz
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
