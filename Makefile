# The two commands: `make run` and `make test`. Both install what is missing first.
#
#   make run     install deps, build, `inkan init` (first time), `inkan serve`
#   make test    install deps, build, run every test (all ctest labels)
#   make build   install deps, build
#   make bench   install deps, build, run the benchmarks (figures as ratios)
#   make soak    install deps, build, SOAK_SECONDS (600) of mixed signHash/time-stamp/validation traffic;
#                memory, descriptors and latency sampled into build/make/soak/soak.csv and soak.png (flat passes)
#   make fuzz    install clang + libFuzzer, build the fuzz preset (ASan + UBSan), run every fuzz target
#                FUZZ_SECONDS each (never part of make test; docs/fuzzing.md)
#
# Variables: BUILD_DIR (build/make), DATA (inkan-data), JOBS (nproc), WERROR (ON under CI);
# make fuzz: FUZZ_SECONDS (60), FUZZ_TARGETS (all; e.g. "der pdf"), FUZZ_JOBS (1).

BUILD_DIR ?= build/make
DATA      ?= inkan-data
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
WERROR    ?= $(if $(CI),ON,OFF)
BUILD_TYPE ?= RelWithDebInfo
INKAN     := $(BUILD_DIR)/src/app/inkan

MAKEFLAGS += --no-print-directory

SOAK_SECONDS ?= 600
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
FUZZ_JOBS  ?= 1

.PHONY: all deps configure build test run bench soak fuzz format clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DINKAN_WERROR=$(WERROR) >/dev/null

build: configure
	@scripts/build "$(BUILD_DIR)" "$(JOBS)"

test: build
	@scripts/run-tests "$(BUILD_DIR)" "$(JOBS)"

run: build
	@if [ ! -f "$(DATA)/inkan.toml" ]; then $(INKAN) init --data "$(DATA)"; \
	 else echo "inkan: using $(DATA) (demo login in $(DATA)/demo.json)"; cat "$(DATA)/demo.json" 2>/dev/null; fi
	@echo "inkan: serving; the line below has the CSC API and PKI URLs; Ctrl-C stops"
	@$(INKAN) serve --data "$(DATA)"

bench: build
	@scripts/run-bench "$(BUILD_DIR)"

soak: build
	@scripts/run-soak "$(BUILD_DIR)" "$(SOAK_SECONDS)"

# The clang build is a second build of the libraries: nice, FUZZ_JOBS jobs, only what the targets link.
# The seed generator comes from the normal build; -k: a target that does not build (docs/fuzzing.md,
# known limits) is reported by run-fuzz, the others still run.
fuzz: build
	@scripts/install-deps --fuzz
	@cmake --preset fuzz >/dev/null
	@nice -n 10 cmake --build --preset fuzz -j $(FUZZ_JOBS) -- -k || true
	@INKAN_FUZZ_SEEDS="$(BUILD_DIR)/fuzz/inkan_fuzz_seeds" scripts/run-fuzz build/libfuzzer "$(FUZZ_SECONDS)" $(FUZZ_TARGETS)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
