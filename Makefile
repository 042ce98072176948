# Conveniences over the two README commands; the scripts are the source of truth.
.PHONY: run test lint types bench migration

run:
	scripts/run

test:
	scripts/test

lint:
	scripts/bootstrap dev && .venv/bin/ruff check src tests bench && .venv/bin/ruff format --check src tests bench

types:
	scripts/bootstrap dev && .venv/bin/mypy

bench:
	scripts/bootstrap dev && for b in bench/bench_*.py; do .venv/bin/python "$$b" || exit 1; done

migration:
	scripts/bootstrap dev && .venv/bin/python scripts/regen_initial_migration.py
