# Two commands for a newcomer: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
STAMP  := $(VENV)/.installed

.PHONY: demo test test-postgres lint assets serve serve-prod bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

web/static/vendor/socket.io.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p web/static/vendor
	cp node_modules/socket.io-client/dist/socket.io.min.js web/static/vendor/

web/static/vendor/confetti.browser.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p web/static/vendor
	cp node_modules/canvas-confetti/dist/confetti.browser.js web/static/vendor/

assets: web/static/vendor/socket.io.min.js web/static/vendor/confetti.browser.js

## demo: install, migrate, load the demo org and serve it on http://127.0.0.1:5000
demo: $(STAMP) assets
	$(FLASK) db upgrade
	$(FLASK) demo
	$(BIN)/python wsgi.py

## test: the whole suite (SQLite; PostgreSQL/Redis tests too when TEST_* URLs are set)
test: $(STAMP) assets browser
	$(BIN)/pytest

## serve-prod: the demo on PostgreSQL + Redis, PROCESSES single-worker gevent processes from
## BASE_PORT (needs DATABASE_URL and SOCKETIO_MESSAGE_QUEUE; see docs/deployment.md)
serve-prod: $(STAMP) assets
	$(BIN)/pip install --quiet -e '.[prod]'
	$(FLASK) db upgrade
	$(FLASK) demo
	$(BIN)/python -m web.serve_prod

## bench: every bench/bench_*.py at BENCH_SCALE (quick|full) on SQLite and the local
## PostgreSQL (scratch database `bench`) and Redis (db 15); writes docs/benchmarks.md
BENCH_PG_URL    ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/15
bench: $(STAMP) assets
	BENCH_PG_URL=$(BENCH_PG_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
	  $(BIN)/python -m bench.run_all --scale $(or $(BENCH_SCALE),quick)

## lint: ruff, the import-layer contracts and the type checker
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Browser tests drive Debian's chromium; install it when missing and we may (root + apt).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  echo "chromium/chromedriver missing: browser tests will fail (apt-get install chromium chromium-driver)"

clean:
	rm -rf $(VENV) node_modules web/static/vendor .pytest_cache .mypy_cache .ruff_cache
