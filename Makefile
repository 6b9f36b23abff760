# Thin wrapper over CMake so the README's two commands are `make demo` and `make test`.
# Every target first installs missing Debian packages (scripts/deps.sh), then builds.
BUILD   ?= build
PREFIX  ?= /usr/local
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build test demo install deb bench clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The seed's complete example (vote + purchase) two ways: as a Lua place through
# `remotes play` (one server and three player processes), then as C programs.
demo: build
	@echo "== remotes play examples/lua/vote-purchase --clients 3"
	@./$(BUILD)/remotes play examples/lua/vote-purchase --clients 3
	@echo "== the same over the C API (examples/c/vote-purchase): a server and three client processes"
	@bash scripts/demo.sh $(BUILD)

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# A .deb of what `make install` installs, under /usr (cmake/RemotesDeb.cmake); its path is printed.
deb: build
	@cd $(BUILD) && out=$$(cpack -G DEB 2>&1) || { echo "$$out" >&2; exit 1; }; \
	  echo "$$out" | sed -n 's/^CPack: - package: \(.*\) generated\.$$/\1/p'

bench: deps
	@REMOTES_BENCH_DEPS=1 bash scripts/deps.sh
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target bench_enet bench_remotes bench_replication remotes
	@bash bench/run.sh $(BUILD) $(if $(QUICK),--quick,)

clean:
	@rm -rf $(BUILD) build-asan build-fuzz build-release
