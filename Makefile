# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: setup run test bench

setup:
	./scripts/setup.sh

run: setup
	.venv/bin/carepanel demo --dir demo --serve

test: setup
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python bench/run_all.py
