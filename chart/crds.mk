# `make istio-crds`: refresh chart/crds/istio/crd-all.gen.yaml, the Istio CRD schemas the chart
# and WasmPlugin manifest tests validate against, from the Istio base chart of the version
# chart/helmfile.yaml installs (or ISTIO_VERSION=...). Needs network to istio-release; `make test`
# does not run it. See chart/crds/istio/README.md.

ISTIO_CRDS_DIR := chart/crds/istio
ISTIO_CHARTS := https://istio-release.storage.googleapis.com/charts
ISTIO_VERSION ?= $(shell $(PY) -c 'import yaml; \
	rel = [r for d in yaml.safe_load_all(open("chart/helmfile.yaml")) if d for r in d.get("releases", [])]; \
	print(next(r["version"] for r in rel if r["chart"] == "istio/base"))' 2>/dev/null)

.PHONY: istio-crds

istio-crds:
	@test -x .tools/bin/helm || bash tests/tools/setup.sh
	@test -n "$(ISTIO_VERSION)" || \
		{ echo "no istio/base version found in chart/helmfile.yaml; pass ISTIO_VERSION=" >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	export HELM_CACHE_HOME="$$tmp/cache" HELM_CONFIG_HOME="$$tmp/config" HELM_DATA_HOME="$$tmp/data" && \
	.tools/bin/helm pull base --repo $(ISTIO_CHARTS) --version $(ISTIO_VERSION) -d "$$tmp" && \
	tar -xzf "$$tmp"/base-$(ISTIO_VERSION).tgz -C "$$tmp" base/files/crd-all.gen.yaml && \
	grep -q 'kind: CustomResourceDefinition' "$$tmp"/base/files/crd-all.gen.yaml && \
	cp "$$tmp"/base/files/crd-all.gen.yaml $(ISTIO_CRDS_DIR)/crd-all.gen.yaml && \
	sed -i 's|^Version: .*|Version: Istio $(ISTIO_VERSION) (its base chart from $(ISTIO_CHARTS), `make istio-crds`).|' \
		$(ISTIO_CRDS_DIR)/README.md
	@echo "$(ISTIO_CRDS_DIR)/crd-all.gen.yaml <- Istio base chart $(ISTIO_VERSION)."
	@echo "Update the rest of the Version section of $(ISTIO_CRDS_DIR)/README.md, run the chart tests, commit both."

# `make gateway-api-crds` / `make prometheus-operator-crds`: refresh the other CRD schemas the chart
# tests validate against (chart/crds/gateway-api/, chart/crds/prometheus-operator/; their READMEs
# say which release). Need network to raw.githubusercontent.com; `make test` runs neither.

GATEWAY_API_VERSION ?= v1.6.0
GATEWAY_API_CRDS := gateways httproutes
PROMETHEUS_OPERATOR_VERSION ?= v0.93.0
PROMETHEUS_OPERATOR_CRDS := podmonitors prometheusrules
RAW_GITHUB := https://raw.githubusercontent.com

.PHONY: gateway-api-crds prometheus-operator-crds

gateway-api-crds:
	@set -e; for k in $(GATEWAY_API_CRDS); do \
		f=gateway.networking.k8s.io_$$k.yaml; \
		curl -fsSL $(RAW_GITHUB)/kubernetes-sigs/gateway-api/$(GATEWAY_API_VERSION)/config/crd/standard/$$f -o chart/crds/gateway-api/$$f.tmp; \
		grep -q 'kind: CustomResourceDefinition' chart/crds/gateway-api/$$f.tmp; \
		mv chart/crds/gateway-api/$$f.tmp chart/crds/gateway-api/$$f; \
	done
	@echo "chart/crds/gateway-api <- Gateway API $(GATEWAY_API_VERSION); update its README.md, run the chart tests, commit."

prometheus-operator-crds:
	@set -e; for k in $(PROMETHEUS_OPERATOR_CRDS); do \
		f=monitoring.coreos.com_$$k.yaml; \
		curl -fsSL $(RAW_GITHUB)/prometheus-operator/prometheus-operator/$(PROMETHEUS_OPERATOR_VERSION)/example/prometheus-operator-crd/$$f -o chart/crds/prometheus-operator/$$f.tmp; \
		grep -q 'kind: CustomResourceDefinition' chart/crds/prometheus-operator/$$f.tmp; \
		mv chart/crds/prometheus-operator/$$f.tmp chart/crds/prometheus-operator/$$f; \
	done
	@echo "chart/crds/prometheus-operator <- $(PROMETHEUS_OPERATOR_VERSION); update its README.md, run the chart tests, commit."
