# Targets: local, test, lint, build, invoke, deploy, clean. Each sets up what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda runs python3.13: use it where the machine has it (pyenv or PATH), else python3.
PYENV_313 := $(shell command -v pyenv >/dev/null 2>&1 && echo "$$(pyenv root)/versions/3.13.0/bin")
PYTHON ?= $(shell for p in "$(PYENV_313)/python3.13" "$$(command -v python3.13)" "$$(command -v python3)"; do \
             if [ -n "$$p" ] && [ -x "$$p" ]; then echo "$$p"; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
# SAM CLI and checkov pin their own boto3 and cfn-lint, so each lives in a venv of its own.
SAM_VENV := .tools/sam
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VENV := .tools/checkov
RUN := PYTHONPATH=src:emulator:. $(PY)
# `sam build` looks for python3.13 on PATH.
export PATH := $(if $(PYENV_313),$(PYENV_313):,)$(PATH)
EVENT ?= events/sqs-batch-valid.json

.PHONY: help
help:
	@echo "make local   run the function on every file in events/ against the local emulator and moto"
	@echo "make test    run the test suite"
	@echo "make lint    ruff, mypy, cfn-lint and sam validate"
	@echo "make build   sam build, with compiled bytecode"
	@echo "make invoke  sam local invoke -e \$$EVENT (needs Docker)"
	@echo "make deploy  sam deploy --guided"
	@echo "make serve   a local HTTP API on :3000 for the same handler (no Docker)"
	@echo "make redrive list the DLQ by failure reason, then move it back (STACK=name)"
	@echo "make bench   throughput, cold start, CPU and memory against the emulator"

$(VENV)/.installed: requirements-dev.txt src/requirements.txt
	@test -x "$(PY)" || "$(PYTHON)" -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(SAM_VENV)/.installed:
	@test -x "$(SAM_VENV)/bin/python" || "$(PYTHON)" -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --disable-pip-version-check aws-sam-cli
	@touch $@

$(CHECKOV_VENV)/.installed:
	@test -x "$(CHECKOV_VENV)/bin/python" || "$(PYTHON)" -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check checkov
	@touch $@

.PHONY: venv
venv: $(VENV)/.installed

.PHONY: local
local: $(VENV)/.installed
	$(RUN) -m localrun

.PHONY: serve
serve: $(VENV)/.installed
	$(RUN) -m localrun.serve --port 3000 $(or $(SERVE_ARGS),--no-api-key)

.PHONY: redrive
redrive: $(VENV)/.installed
	$(RUN) -m operations.redrive $(if $(STACK),--stack $(STACK),) $(REDRIVE_ARGS)

.PHONY: bench
bench: $(VENV)/.installed
	$(RUN) -m bench

.PHONY: test
test: $(VENV)/.installed
	$(PY) -m pytest -q

.PHONY: lint
lint: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint
	AWS_DEFAULT_REGION=us-east-1 $(SAM) validate --region us-east-1
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --skip-download --quiet --compact

.PHONY: build
build: $(SAM_VENV)/.installed
	$(SAM) build
	# Bytecode in the artifact: importing the stack without it costs about twice as long.
	"$(PYTHON)" -m compileall -q --invalidation-mode unchecked-hash .aws-sam/build/ActivityPosterFunction

.PHONY: invoke
invoke: build
	$(SAM) local invoke ActivityPosterFunction -e $(EVENT) --env-vars events/env.json

.PHONY: deploy
deploy: build
	$(SAM) deploy --guided

.PHONY: clean
clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
