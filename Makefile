# Shortcuts for the scripts in scripts/ (the README names the same commands).
.PHONY: run test lint translations benchmarks

run:            ## install, create the SQLite database, load demo data, serve on :5000
	./scripts/run

test:           ## install and run the whole test suite (SQLite, PostgreSQL, Chromium)
	./scripts/test

lint:           ## ruff
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

translations:   ## extract strings and update every catalog, then check them
	./scripts/translations update && ./scripts/translations check

benchmarks:     ## every benchmark, tables written into docs/benchmarks.md (needs PostgreSQL on 127.0.0.1:5432)
	.venv/bin/python bench/report.py
