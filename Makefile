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

# A new dated revision: make migration SLUG=add_parcels [CAPABILITY=parcels]
migration:
	scripts/new-migration "$(SLUG)" $(if $(CAPABILITY),--capability "$(CAPABILITY)")
