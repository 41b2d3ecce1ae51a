# Amends: `make run` starts the whole system; `make test` runs every check. See README.md.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Benchmark size: `make bench COMPLAINTS=1000000` for the million.
COMPLAINTS ?= 100000
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/amends_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/13

.PHONY: run test lint typecheck pytest bench messages vendor install install-dev clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## run: install, migrate, seed demo data once, start web + Celery worker + Celery beat (Ctrl-C stops all).
run: $(VENV)/.runtime
	@mkdir -p var/broker/queue var/broker/processed var/broker/control var/mail var/cache
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  Amends is starting at http://127.0.0.1:$(PORT)/"
	@echo "    complaint form:   http://127.0.0.1:$(PORT)/complaints/new/"
	@echo "    staff dashboard:  http://127.0.0.1:$(PORT)/dashboard/"
	@echo "    API docs:         http://127.0.0.1:$(PORT)/api/docs/"
	@echo "    letters (no EMAIL_URL set) are written to var/mail/"
	@echo ""
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" AMENDS_PORT=$(PORT) $(VENV)/bin/honcho -f Procfile start

## test: format and lint, types, Django checks, migrations up to date, then the whole pytest suite.
test: $(VENV)/.dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

## bench: seed COMPLAINTS complaints on PostgreSQL and measure the main workloads over HTTP against gunicorn.
bench: $(VENV)/.dev
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) manage.py bench --complaints $(COMPLAINTS)

## messages: refresh the en and ru catalogues from the code and templates, then compile them.
messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l en -l ru --ignore=.venv --ignore=var --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

## vendor: refresh the committed browser libraries (static/vendor/README.md) from the npm registry.
CHARTJS_VERSION ?= 4.6.1
vendor:
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	cd "$$tmp" && npm pack --silent chart.js@$(CHARTJS_VERSION) >/dev/null && tar xzf chart.js-$(CHARTJS_VERSION).tgz && \
	mkdir -p "$(CURDIR)/static/vendor/chartjs" && \
	sed '/^\/\/# sourceMappingURL=/d' package/dist/chart.umd.min.js > "$(CURDIR)/static/vendor/chartjs/chart.umd.min.js" && \
	cp package/LICENSE.md "$(CURDIR)/static/vendor/chartjs/LICENSE.md"
	@echo "Chart.js $(CHARTJS_VERSION) is in static/vendor/chartjs/"

clean:
	rm -rf var/broker var/cache var/mail var/celerybeat-schedule*
