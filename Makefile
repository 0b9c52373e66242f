# The two commands of the README. Both set up what is missing first, and are
# quick when everything is already in place.
.PHONY: setup demo test

setup:
	@bash scripts/setup.sh $(if $(PROFILE),--profile $(PROFILE))

demo: setup
	@TESTCONTAINERS_RYUK_DISABLED=true .venv/bin/outage demo $(if $(PROFILE),--profile $(PROFILE))

test: setup
	@TESTCONTAINERS_RYUK_DISABLED=true .venv/bin/pytest $(PYTEST_ARGS)
