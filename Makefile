# Two commands: `make run` (set up + serve the app) and `make test` (set up + lint + all tests).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
APT    := $(shell command -v apt-get 2>/dev/null)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup system-deps test-deps lint

run: setup system-deps
	$(VENV)/bin/coach init --demo
	$(VENV)/bin/coach serve

test: setup system-deps test-deps lint
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

setup: $(STAMP)

$(STAMP): pyproject.toml
	[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# Debian packages the app uses when present: espeak-ng (offline voice), Chinese fonts for the browser.
system-deps:
	@pkgs=""; \
	command -v espeak-ng >/dev/null || pkgs="$$pkgs espeak-ng"; \
	[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || pkgs="$$pkgs fonts-wqy-microhei"; \
	if [ -n "$$pkgs" ]; then \
	  if [ -n "$(APT)" ]; then $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs >/dev/null || echo "warning: could not install$$pkgs (voice or Chinese fonts may be missing)"; \
	  else echo "warning: apt-get not found; please install$$pkgs yourself"; fi; \
	fi

# Test-only: Debian's chromium for the Playwright browser tests (Playwright cannot download its own here).
test-deps:
	@command -v chromium >/dev/null || { [ -n "$(APT)" ] && $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || echo "warning: chromium not installed; browser tests will be skipped"; }
