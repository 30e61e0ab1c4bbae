# The two commands of the README: `make figures` (the main job) and `make test`.
# Both create the virtual environment and install the package when needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED_NLTK := $(abspath ../shared/nltk_data)
export NLTK_DATA ?= $(if $(wildcard $(SHARED_NLTK)),$(SHARED_NLTK),)
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.PHONY: setup figures test docs bench lint clean help

help:  ## List the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# The venv's own pip, not upgraded: the install a user of `python3 -m venv` gets (CI checks it).
# `make setup PIP_UPGRADE=1` upgrades pip first.
PIP_UPGRADE ?= 0

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(if $(filter 1 yes true,$(PIP_UPGRADE)),$(BIN)/python -m pip install --quiet --upgrade pip)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

setup: $(STAMP)  ## Create .venv and install the package with its test extras

figures: $(STAMP)  ## The main job: fetch the corpus, run every analysis, draw every figure, run the notebooks
	-$(BIN)/r2p corpus fetch --corpus sg-r2p
	$(BIN)/r2p run --corpus sg-r2p --out figures/sg-r2p
	$(BIN)/r2p run --corpus sotu --out figures/sotu
	$(BIN)/python -m analysis.notebooks --out figures/notebooks --save-ipynb

# Two pytest workers (pytest-xdist) for the 2-core machines CI runs on; `make test WORKERS=0` runs serially.
WORKERS ?= 2

test: $(STAMP)  ## Run the test suite (fails if no test is collected)
	$(BIN)/python -m pytest $(if $(filter 0,$(WORKERS)),,-n $(WORKERS))

# The documentation site: Sphinx, offline, warnings are errors. The tutorials are the notebooks
# that `make figures` executed (figures/notebooks/*.ipynb) when present and newer, else the
# notebooks executed once on the inaugural corpus with small settings (docs/_ext/r2p_docs.py;
# R2P_DOCS_NOTEBOOKS=execute|stored|off). Open docs/_build/html/index.html.
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)  ## Build the documentation site into docs/_build/html (offline; warnings are errors)
	$(BIN)/sphinx-build -b html -W --keep-going -q docs docs/_build/html
	@echo "docs: open docs/_build/html/index.html"

bench: $(STAMP)  ## Benchmarks side by side with peer libraries (installs the bench extras)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done
	$(BIN)/python -m pytest -q -m study  # the simulation studies CI leaves out

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check analysis tests

clean:  ## Remove generated outputs (keeps .venv and fetched texts)
	rm -rf figures/sg-r2p figures/sotu figures/notebooks out .pytest_cache docs/_build docs/_generated \
	  docs/reference/api docs/reference/api.md
