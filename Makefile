# Two commands for a newcomer: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
STAMP  := $(VENV)/.installed

.PHONY: demo test test-postgres lint assets serve serve-prod bench clean browser translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Front-end assets from npm (package-lock.json), copied into web/static/vendor: no CDN.
VENDOR    := web/static/vendor
TEMPLATES := $(shell find web/templates -name '*.html')

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

$(VENDOR)/socket.io.min.js: node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/socket.io-client/dist/socket.io.min.js $(VENDOR)/

# Charts: Chart.js, drawn by web/static/js/charts.js from each chart's table.
$(VENDOR)/chart.umd.min.js: node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/

# The type: Inter (variable weight), self-hosted; the browser fetches only the subsets it needs.
$(VENDOR)/inter/wght.css: node_modules/.package-lock.json
	mkdir -p $(VENDOR)/inter/files
	cp node_modules/@fontsource-variable/inter/files/inter-*-wght-normal.woff2 $(VENDOR)/inter/files/
	cp node_modules/@fontsource-variable/inter/wght.css $(VENDOR)/inter/

# Icons: one sprite of the Lucide icons the templates name (icon('trophy')).
$(VENDOR)/icons.svg: node_modules/.package-lock.json web/icon_sprite.py $(TEMPLATES)
	$(PYTHON) web/icon_sprite.py

# Celebrations: canvas-confetti, fired by web/static/js/moments.js.
$(VENDOR)/confetti.browser.js: node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/canvas-confetti/dist/confetti.browser.js $(VENDOR)/

assets: $(VENDOR)/socket.io.min.js $(VENDOR)/confetti.browser.js $(VENDOR)/chart.umd.min.js $(VENDOR)/inter/wght.css $(VENDOR)/icons.svg

## demo: install, migrate, load the demo org and serve it on http://127.0.0.1:5000
demo: $(STAMP) assets
	$(FLASK) db upgrade
	$(FLASK) demo
	$(BIN)/python wsgi.py

## test: the whole suite (SQLite; PostgreSQL/Redis tests too when TEST_* URLs are set)
test: $(STAMP) assets browser
	$(BIN)/pytest

## serve-prod: the demo on PostgreSQL + Redis, PROCESSES single-worker gevent processes from
## BASE_PORT and JOB_WORKERS import-job workers (default 1; jobs on JOBS_REDIS_URL, default the
## message queue's Redis) (needs DATABASE_URL and SOCKETIO_MESSAGE_QUEUE; see docs/deployment.md)
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

## translations: extract the code's messages and add new ones to every catalogue
## (web/translations/<lang>/LC_MESSAGES/messages.po; translate them, then tests/i18n checks)
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k said_n:1,2 --no-location --sort-output \
	  --project SalesQuest -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d web/translations --no-fuzzy-matching \
	  --ignore-obsolete -w 100
	rm messages.pot

# Browser tests drive Debian's chromium; install it when missing and we may (root + apt).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  echo "chromium/chromedriver missing: browser tests will fail (apt-get install chromium chromium-driver)"

clean:
	rm -rf $(VENV) node_modules web/static/vendor .pytest_cache .mypy_cache .ruff_cache
