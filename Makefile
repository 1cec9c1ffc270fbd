# Targets: see `make help` (every target is listed there). Each sets up what it needs.
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
	@echo "make venv       create .venv with the development requirements (the other targets do it too)"
	@echo "make test       run the test suite"
	@echo "make lint       ruff, mypy, cfn-lint, sam validate and checkov"
	@echo "make local      run the function on every file in events/ against the local emulator and moto"
	@echo "make serve      a local HTTP API on :3000 for the same handler, with an SQS poller (no Docker)"
	@echo "make stand-ins  the emulator and moto as events/env.json names them, for make invoke"
	@echo "make bench      throughput, cold start, CPU and memory against the emulator"
	@echo "make redrive    list the DLQ by failure reason, then move it back:"
	@echo "                  STACK=name, or DLQ_URL=url QUEUE_ARN=arn; REGION=...;"
	@echo "                  REDRIVE_ARGS='--reason NotTried', '--delete --reason InvalidActivity', --yes"
	@echo "make build      sam build, with compiled bytecode"
	@echo "make invoke     sam local invoke -e \$$EVENT (needs Docker and make stand-ins)"
	@echo "make deploy     sam deploy: guided the first time (or GUIDED=1), then from samconfig.toml"
	@echo "make clean      remove build output and tool caches (.aws-sam, .pytest_cache, ...)"
	@echo "make help       this list"

$(VENV)/.installed: requirements-dev.txt src/requirements.txt
	@echo "installing the development requirements into $(VENV) (about 1 minute, once; again when a requirements file changes)"
	@test -x "$(PY)" || "$(PYTHON)" -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(SAM_VENV)/.installed:
	@echo "installing SAM CLI into $(SAM_VENV) (about 2 minutes, once)"
	@test -x "$(SAM_VENV)/bin/python" || "$(PYTHON)" -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --disable-pip-version-check aws-sam-cli
	@touch $@

$(CHECKOV_VENV)/.installed:
	@echo "installing checkov into $(CHECKOV_VENV) (about 2 minutes, once)"
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

.PHONY: stand-ins
stand-ins: $(VENV)/.installed
	$(RUN) -m localrun.standins $(STANDINS_ARGS)

.PHONY: redrive
redrive: $(VENV)/.installed
	@$(RUN) -m operations.redrive $(if $(STACK),--stack '$(STACK)') \
		$(if $(DLQ_URL),--dlq-url '$(DLQ_URL)') $(if $(QUEUE_ARN),--queue-arn '$(QUEUE_ARN)') \
		$(if $(REGION),--region '$(REGION)') $(REDRIVE_ARGS)

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
	# Guided the first time; afterwards samconfig.toml holds the answers and nothing is asked
	# but the change set's confirmation (GUIDED=1 asks again).
	@if [ -z "$(GUIDED)" ] && grep -q '^parameter_overrides' samconfig.toml; then \
		$(SAM) deploy; \
	else \
		$(SAM) deploy --guided; \
	fi

.PHONY: clean
clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
