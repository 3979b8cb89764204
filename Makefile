# Set-up is part of every target: a fresh Debian machine needs only `make run` or `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/pip --disable-pip-version-check --quiet

# Settings pass through to the server unchanged (see README, "Settings").
export PPUD_HOST PPUD_PORT PPUD_DATA_DIR PPUD_MONGODB_URI PPUD_DATABASE PPUD_ENV \
       PPUD_MAX_UPLOAD_BYTES PPUD_ORPHAN_GRACE_MINUTES PPUD_SWEEP_INTERVAL_MINUTES \
       PPUD_LOG_LEVEL PPUD_LOG_FORMAT PPUD_WORKERS PPUD_TRUSTED_PROXIES \
       PPUD_TIKA_URL PPUD_EXTRACT_TIMEOUT_SECONDS PPUD_EXTRACT_MEMORY_MIB PPUD_OCR \
       PPUD_OCR_MAX_PAGES PPUD_SEARCH_WORKER PPUD_AUDIT_KEEP_DAYS \
       PPUD_SESSION_IDLE_MINUTES

.PHONY: run test bench lint lock setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock scripts/install-system-packages.sh web/package-lock.json
	bash scripts/install-system-packages.sh
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	# The pages' styles and scripts, and axe-core for the browser tests, exactly as locked.
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

# `make run DEMO=1` files the demo casework before serving, into an empty database only.
run: $(STAMP)
	$(if $(filter-out 0,$(DEMO)),$(BIN)/ppud demo load --if-empty &&) $(BIN)/ppud serve

# Two test processes, a test file each at a time (each with its own embedded
# database): much of a test's time is spent waiting on subprocesses, workers
# and the browser, so two share the two cores well (8 min 47 s against 13 min
# 32 s in one, measured 2026-12-04).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python -m bench.transfer
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.dossier
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.deadlines
	$(BIN)/python -m bench.casework
	$(BIN)/python -m bench.retention

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Re-pin the Python dependencies after changing pyproject.toml.
lock:
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) *.egg-info
