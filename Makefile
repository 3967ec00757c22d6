# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reports need a CJK font and HarfBuzz subsetting to embed it fast (../shared/measured-facts.md);
# only the tests need Debian's Chromium (browser tests) and pdftoppm (poppler-utils: report
# pages as PNGs) and mosquitto (the MQTT bridge's broker), so `make run` does not install them.
RUN_PACKAGES := fonts-noto-cjk libharfbuzz-subset0
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils mosquitto
HOST := 127.0.0.1:8000

.PHONY: run test lint install system-deps worker messages clean

run: install
	@$(MAKE) --no-print-directory system-deps PACKAGES='$(RUN_PACKAGES)'
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --skip-if-seeded
	@echo
	@echo "  Start:     http://$(HOST)/  (officials: admin, enterprises: portal, auditors: dashboard)"
	@echo "  Admin:     http://$(HOST)/admin/"
	@echo "  Portal:    http://$(HOST)/portal/"
	@echo "  Dashboard: http://$(HOST)/portfolio/"
	@echo "  Reports:   http://$(HOST)/reports/  (library, request, verify a PDF)"
	@echo "  API:       http://$(HOST)/api/v1/  (docs: /api/docs/, /api/redoc/)"
	@echo "  Demo logins (password: $$($(PY) -c 'from portfolio.settings import base; print(base.DEMO_PASSWORD)')):"
	@echo "    gov_preparer, gov_approver, enterprise_a, enterprise_b, auditor"
	@if [ "$$($(PY) -c 'from portfolio.settings import base; print(base.OFFICIALS_REQUIRE_2FA)')" = True ]; then \
	  echo "  Two-factor authentication for officials is ON: after the password, officials"; \
	  echo "    enrol an authenticator app (TOTP) at http://$(HOST)/accounts/two-factor/"; \
	else \
	  echo "  Two-factor authentication for officials is OFF in this demo (production: on)."; \
	  echo "    Try it: OFFICIALS_REQUIRE_2FA=true make run"; \
	fi
	@echo "  Logins: 10 wrong passwords lock an account for 30 minutes."
	@echo "  Ctrl-C stops the web server and the worker."
	@echo
	@DJANGO_SETTINGS_MODULE=portfolio.settings.local \
	  $(VENV)/bin/celery -A portfolio worker --beat --schedule=var/celerybeat-schedule \
	  --queues=celery,reports --max-tasks-per-child=50 \
	  --loglevel=INFO --concurrency=2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(PY) manage.py runserver $(HOST)

test: install lint
	@$(MAKE) --no-print-directory system-deps PACKAGES='$(TEST_PACKAGES)'
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The Celery app defaults to the production settings (as portfolio.wsgi does): name local here.
worker: install
	DJANGO_SETTINGS_MODULE=portfolio.settings.local $(VENV)/bin/celery -A portfolio worker --queues=celery,reports --loglevel=INFO

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Installs only what is missing of PACKAGES, through apt-get where there is one.
PACKAGES ?= $(TEST_PACKAGES)
system-deps:
	@if ! command -v dpkg >/dev/null; then \
	  echo "Not a Debian system: install a CJK font (Noto Sans CJK SC) and HarfBuzz subset yourself."; \
	  exit 0; fi; \
	missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "Installing system packages: $$missing"; \
	  $$sudo apt-get update -q && $$sudo apt-get install -y -q $$missing; \
	fi

messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore='.venv/*' --ignore='tests/*' --ignore='var/*'
	$(PY) manage.py compilemessages -l zh_Hans --ignore='.venv/*'

clean:
	rm -rf var db.sqlite3
