# Two commands do all set-up on a fresh machine:
#   make run   - install, create the SQLite database, seed a demo population, serve the API
#   make test  - install the test dependencies and run the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PEOPLE ?= 2000
EMPLOYERS ?= 100

.PHONY: run test test-slow lint install bench clean browser

$(BIN)/sibook: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/sibook

run: install
	$(BIN)/sibook db upgrade
	$(BIN)/sibook seed --people $(PEOPLE) --employers $(EMPLOYERS) --seed 1 --if-empty
	SIBOOK_DEV_IDP=1 SIBOOK_COOKIE_SECURE=false $(BIN)/sibook serve

lint: install
	$(BIN)/ruff check sibook tests bench
	$(BIN)/mypy

# One worker per core; a module's tests stay on one worker, so its module fixtures are built once.
test: install lint browser
	$(BIN)/pytest -n auto --dist loadscope

# The portal's browser tests drive Debian's Chromium (never a downloaded one) and need a
# Unicode font for Vietnamese; installed once, with sudo only when not already root.
browser:
	@test -x /usr/bin/chromium && test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && \
	  $$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core; }

test-slow: install
	$(BIN)/pytest -m slow

bench: install
	$(BIN)/python bench/seed.py

clean:
	rm -rf $(VENV) sibook.db sibook.db-wal sibook.db-shm .pytest_cache .mypy_cache .ruff_cache
