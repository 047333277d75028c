# clusterbackup — managed Velero backups for every KKP user cluster.
# `make help` lists the targets. Tools are built from Go modules by hack/tools.sh
# into ${CLUSTERBACKUP_CACHE:-~/.cache/clusterbackup}/<name>-<version>/.

SHELL := /usr/bin/env bash -o pipefail -e
GO ?= go
BIN := bin/clusterbackup
TOOLS := hack/tools.sh
# Tools `make test` needs (the Velero e2e needs velero and its AWS plugin).
TEST_TOOLS := etcd kube-apiserver versitygw helm kustomize kubeconform velero velero-plugin-for-aws
# Tools of the node harness (test/node): the node components, the NetworkPolicy enforcer and the restore helper.
NODE_TOOLS := kube-controller-manager kube-scheduler kubelet kube-proxy kube-router-netpol velero-restore-helper
# Debian packages of the node harness: container runtime, CNI plugins, iptables (kube-proxy, the enforcer), the enforcer's ipset.
NODE_PACKAGES := containerd runc containernetworking-plugins iptables conntrack ipset
# Registry every image reference starts with (`make images`), as rendered with --registry.
IMAGE_REGISTRY ?= registry.airgap.internal
IMAGES_DIR ?= bin/images
# Test binaries are linked without symbol table and DWARF (faster links; stack
# traces keep file:line).
GO_TEST_FLAGS ?= -timeout 30m -ldflags=-s\ -w
# `make test` starts the longest test packages first (go test runs packages in
# the order given), and runs three test binaries at once: the long ones mostly
# wait for pods, Velero and API servers, so the short ones fill the cores
# meanwhile instead of trailing after them (docs/benchmarks.md). The node
# harness's own package goes first: its TestRecoverDeadRun takes the machine's
# node lock for a second, and would otherwise hold a slot idle while test/node
# keeps that lock for its whole run.
SLOW_TEST_PKGS := ./internal/testenv/node ./test/node ./test/e2e ./test/credentials ./cmd/clusterbackup ./test/storagecore ./webhook/seed ./internal/admissionpolicy
TEST_PARALLEL ?= 3
# STEP prints a timestamped step line, so a log shows where the time went.
STEP := echo make: $$(date -u +%FT%TZ) step
# One set of build flags for the tests, the tools (hack/tools.sh) and the images
# (hack/images): a package they share compiles once into GOCACHE. The compiler
# writes no DWARF (-dwarf=false; the links drop it anyway with -s -w): 12 % less
# compile CPU measured on kube-scheduler's 1,500 packages (docs/benchmarks.md).
export CGO_ENABLED := 0
export GOFLAGS := $(strip $(GOFLAGS) -trimpath -gcflags=all=-dwarf=false)
FUZZTIME ?= 5s

.DEFAULT_GOAL := help

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Build and run

.PHONY: build
build: ## Build bin/clusterbackup.
	$(GO) build -trimpath -o $(BIN) ./cmd/clusterbackup

.PHONY: build-webhook
build-webhook: ## Build bin/clusterbackup-webhook: only the webhook and version commands (the webhook image; less memory).
	$(GO) build -trimpath -tags webhookonly -o bin/clusterbackup-webhook ./cmd/clusterbackup

.PHONY: run
run: build ## Render the bundled example fleet (examples/) to stdout.
	./$(BIN) render --summary

##@ Test

.PHONY: tools
tools: ## Build every tool the tests need into the cache (no-op when cached).
	@$(STEP) tools
	$(TOOLS) install controller-gen $(TEST_TOOLS) $(NODE_TOOLS)

.PHONY: node-deps
node-deps: ## Install the node harness's Debian packages (containerd, runc, CNI plugins, iptables, conntrack) when missing.
	@missing=$$(for p in $(NODE_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "node-deps: installing" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

.PHONY: browser-deps
browser-deps: ## Install Debian's chromium (headless browser of the fleet HTML report test) when missing.
	@command -v chromium >/dev/null 2>&1 || { echo "browser-deps: installing chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

.PHONY: test
test: tools node-deps browser-deps ## Install what the tests need, then run unit, integration and node tests (fuzz seed corpora included), lint and verify.
	@$(STEP) go test
	$(GO) test $(GO_TEST_FLAGS) -p $(TEST_PARALLEL) $(SLOW_TEST_PKGS) ./...
	cd hack/images && $(GO) test $(GO_TEST_FLAGS) ./...
	cd hack/promcheck && $(GO) test $(GO_TEST_FLAGS) ./...
	@$(STEP) lint
	$(MAKE) --no-print-directory lint
	@$(STEP) verify
	$(MAKE) --no-print-directory verify
	@$(STEP) done

.PHONY: e2e
e2e: ## Velero end to end: render, apply, back up to S3, restore, download (also part of test).
	$(TOOLS) install $(TEST_TOOLS)
	$(GO) test $(GO_TEST_FLAGS) -count=1 -v -run TestVeleroBackupRestore ./test/e2e

.PHONY: e2e-node
e2e-node: node-deps ## The rendered release as pods on a real single-node Kubernetes: FSB backup/restore, webhooks, faults (also part of test).
	$(TOOLS) install $(TEST_TOOLS) $(NODE_TOOLS)
	$(GO) test $(GO_TEST_FLAGS) -count=1 -v ./test/node

.PHONY: images
images: ## Build the images (no Docker daemon) as docker-archive tarballs into IMAGES_DIR for IMAGE_REGISTRY.
	$(TOOLS) install velero velero-restore-helper velero-plugin-for-aws
	cd hack/images && $(GO) run . -registry $(IMAGE_REGISTRY) -out $(CURDIR)/$(IMAGES_DIR) \
	  -velero $$($(CURDIR)/$(TOOLS) path velero) -velero-restore-helper $$($(CURDIR)/$(TOOLS) path velero-restore-helper) \
	  -velero-plugin-for-aws $$($(CURDIR)/$(TOOLS) path velero-plugin-for-aws)

.PHONY: fuzz
fuzz: ## Fuzz each target for FUZZTIME (default 5s); fails on a failing input, retries Go's known engine flakes. (`make test` runs the seed corpora.)
	$(GO) run ./hack/fuzz -fuzztime $(FUZZTIME)

.PHONY: bench
bench: ## Run the Go benchmarks (figures go to docs/benchmarks.md).
	$(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: bench-ab
bench-ab: ## The render, webhook and fleet benchmarks of OLD (a revision) and NEW (default: the working tree), alternating: `make bench-ab OLD=2718b3b`.
	$(TOOLS) install versitygw
	hack/bench-ab.sh $(OLD) $(NEW)

.PHONY: bench-seed
bench-seed: ## The 1,000-cluster seed: release + credentials loops and waves of one controllers process (~1 h on a shared 2-core machine, first apply and rollout included; SEED_BENCH_CLUSTERS, SEED_BENCH_BACKENDS, SEED_BENCH_RESYNC). Not in `make test`.
	@mkdir -p bin; $(GO) test -tags seedbench -count=1 -timeout 90m -v -run '^TestSeedScale$$' ./test/seedscale > bin/bench-seed.log 2>&1; rc=$$?; \
	  grep -E 'seedscale:|^(--- |ok|FAIL|panic)' bin/bench-seed.log; echo "bench-seed: full log in bin/bench-seed.log"; exit $$rc

.PHONY: bench-drills
bench-drills: ## Restore drills per hour one seed sustains at the default cap: one controllers process, 20 clusters on 2 kube-apiservers, a Velero stand-in (~18 min on a shared 2-core machine: a 5 min window at the default tick, 10 min at tick 1s; DRILL_BENCH_CLUSTERS, DRILL_BENCH_BACKENDS, DRILL_BENCH_RESTORE, DRILL_BENCH_CHART_WINDOW, DRILL_BENCH_WINDOW). Not in `make test`.
	@mkdir -p bin; $(GO) test -tags seedbench -count=1 -timeout 40m -v -run '^TestDrillScale$$' ./test/seedscale > bin/bench-drills.log 2>&1; rc=$$?; \
	  grep -E 'seedscale:|^(--- |ok|FAIL|panic)' bin/bench-drills.log; echo "bench-drills: full log in bin/bench-drills.log"; exit $$rc

##@ Code

.PHONY: generate
generate: ## Regenerate deepcopy, our CRDs and the chart's Velero CRDs.
	$(TOOLS) install controller-gen
	$$($(TOOLS) path controller-gen) object paths=./api/...
	$$($(TOOLS) path controller-gen) crd paths=./api/... output:crd:dir=./api/v1/crds
	$(GO) run ./hack/gencrds -out charts/velero-managed/crds

# Go modules of the repository: each is tidied by `verify`.
MODULES := . hack/images hack/promcheck hack/tools hack/tools/velero hack/tools/golangci-lint
# Modules `lint` checks besides the root one (the others only pin tools).
LINT_MODULES := hack/images hack/promcheck
# Files `make generate` and `go mod tidy` write; `verify` fails if they differ from git.
GENERATED := api charts/velero-managed/crds $(foreach m,$(MODULES),$(m)/go.mod $(m)/go.sum)

.PHONY: verify
verify: generate ## Regenerate (deepcopy, CRDs, chart CRDs) and tidy every module, then fail if a committed file differs (part of test).
	@for m in $(MODULES); do (cd $$m && $(GO) mod tidy) || exit 1; done
	git diff --exit-code -- $(GENERATED) || { echo "verify: generated files are stale; run 'make generate' and commit" >&2; exit 1; }
	@test -z "$$(git status --porcelain -- $(GENERATED))" || { git status --porcelain -- $(GENERATED); echo "verify: untracked generated files" >&2; exit 1; }

.PHONY: lint
lint: ## golangci-lint (.golangci.yml: formatting, imports, go vet, staticcheck and more) over every module, built into the tool cache.
	$(TOOLS) install golangci-lint
	@for m in . $(LINT_MODULES); do echo "golangci-lint $$m"; (cd $$m && $$($(CURDIR)/$(TOOLS) path golangci-lint) run --config $(CURDIR)/.golangci.yml ./...) || exit 1; done

.PHONY: clean
clean: ## Remove build output (not the tool cache).
	rm -rf bin

.PHONY: cold-test
cold-test: ## Time `make test` as on a fresh machine: clone HEAD into COLD_DIR (new) with every cache empty (hack/cold-test.sh).
	hack/cold-test.sh $(or $(COLD_DIR),$(error set COLD_DIR to a new directory))

.PHONY: bench-vs-helm
bench-vs-helm: ## Renderer: library vs one `helm template` process per cluster, in one run; prints the ratio (target >= 40x).
	$(TOOLS) install helm
	@$(GO) test -run '^$$' -bench '^Benchmark(Render|RenderFull|HelmTemplateProcess)$$' -benchtime 3s ./renderer | tee /dev/stderr | \
	  awk '/^BenchmarkRender-/ {lib=$$3} /^BenchmarkRenderFull-/ {full=$$3} /^BenchmarkHelmTemplateProcess-/ {helm=$$3} \
	    END { if (!lib || !helm) { print "bench-vs-helm: missing benchmark results" > "/dev/stderr"; exit 1 } \
	      printf "bench-vs-helm: library %.0f ns/cluster, helm template process %.0f ns/cluster: %.0fx faster (target >= 40x)\n", lib, helm, helm/lib; \
	      if (full) printf "bench-vs-helm: without the shape cache (full Helm render per cluster) %.0f ns/cluster: %.1fx\n", full, helm/full; \
	      if (helm/lib < 40) exit 1 }'
