# The two quick-start commands are `make run` and `make test`; everything else is a step of them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install migrate run console postgres lint format test bench drills

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/alembic upgrade head

# Console on ./data SQLite with no token set; every configured platform adapter otherwise.
run: migrate
	$(BIN)/python -m bots

console: migrate
	$(BIN)/python -m bots.console

postgres:
	scripts/ensure-postgres

# mypy is strict everywhere it runs, the adapters included.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy core bots
	$(BIN)/mypy tests/support bench drills

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every test, on SQLite and on a throwaway PostgreSQL server the tests start themselves.
test: install postgres lint
	REQUIRE_POSTGRES=1 $(BIN)/pytest

# Benchmarks print tables of measured figures (docs/performance.md).
BENCHES := comments rules faq telegram_read fairness discord_interactions memory workers
# telegram_read also runs on a third-party Bot API emulator (npm) once it is installed.
bench: install postgres bench/telegram_emulator/node_modules/.package-lock.json
	@for b in $(BENCHES); do $(BIN)/python -m bench.$$b || exit 1; done

bench/telegram_emulator/node_modules/.package-lock.json: bench/telegram_emulator/package-lock.json
	npm ci --prefix bench/telegram_emulator --no-audit --no-fund

# Full fault drills (reduced versions run in `make test`); each says what it injected and lost.
DRILLS := replays races platform_faults hostile kill9 webhook_abuse sigterm db_outage processes
drills: install postgres
	@for d in $(DRILLS); do $(BIN)/python -m drills.$$d || exit 1; done
