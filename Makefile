# The two commands: `make run` and `make test`. Both install what is missing first.
#
#   make run     install deps, build, `inkan init` (first time), `inkan serve`
#   make test    install deps, build, run every test (all ctest labels)
#   make build   install deps, build
#   make bench   install deps, build, run the benchmarks (figures as ratios)
#
# Variables: BUILD_DIR (build/make), DATA (inkan-data), JOBS (nproc), WERROR (ON under CI).

BUILD_DIR ?= build/make
DATA      ?= inkan-data
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
WERROR    ?= $(if $(CI),ON,OFF)
BUILD_TYPE ?= RelWithDebInfo
INKAN     := $(BUILD_DIR)/src/app/inkan

MAKEFLAGS += --no-print-directory

.PHONY: all deps configure build test run bench format clean

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

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
