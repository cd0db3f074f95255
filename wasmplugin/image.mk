# OCI image of the filter for Istio's WasmPlugin (included by the main Makefile).
#   make image                               layouts in build/image/{wasm,compat} + a Docker context
#   make push REGISTRY=host/path [VARIANT=wasm|compat] [IMAGE_TAG=...] [REGISTRY_USER=...]
#        password in $$OCI_PUSH_PASSWORD, or a bearer token in $$OCI_PUSH_TOKEN; PUSH_FLAGS=--plain-http
#        prints and records (build/image/pushed-<variant>.{digest,url}) the manifest digest and the
#        WasmPlugin url pinned to it, oci://REGISTRY/NAME@sha256:<digest>: a tag can be moved, a digest not
#   make wasmplugin-render [VARIANT=...]     build/wasmplugin/*.yaml pinned to the last push, and
#                                            helm-values.yaml setting the chart's plugin.url/sha256

# A debug build: the workspace release profile (LTO, one codegen unit) is tuned for the module
# and would make this small CLI take minutes to link.
OCI_PUSH := target/debug/oci-push
IMAGE_DIR ?= build/image
IMAGE_NAME ?= jwt-authn-wasm
IMAGE_TAG ?= $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
VARIANT ?= wasm
REGISTRY ?=
REGISTRY_USER ?=
PUSH_FLAGS ?=
RENDER_DIR ?= build/wasmplugin
IMAGE_REF = $(REGISTRY)/$(IMAGE_NAME):$(IMAGE_TAG)

.PHONY: oci-push image push wasmplugin-render

oci-push: setup
	cargo build -p oci-push

image: wasm oci-push
	@rm -rf $(IMAGE_DIR) && mkdir -p $(IMAGE_DIR)/docker
	$(OCI_PUSH) build --wasm $(WASM) --variant wasm --out $(IMAGE_DIR)/wasm --tag $(IMAGE_TAG) > $(IMAGE_DIR)/wasm.digest
	$(OCI_PUSH) build --wasm $(WASM) --variant compat --out $(IMAGE_DIR)/compat --tag $(IMAGE_TAG) > $(IMAGE_DIR)/compat.digest
	cp $(WASM) $(IMAGE_DIR)/docker/plugin.wasm
	cp wasmplugin/Dockerfile $(IMAGE_DIR)/docker/Dockerfile
	@echo "wasm   variant: $(IMAGE_DIR)/wasm   $$(cat $(IMAGE_DIR)/wasm.digest)"
	@echo "compat variant: $(IMAGE_DIR)/compat $$(cat $(IMAGE_DIR)/compat.digest)"

push: wasm oci-push
	@test -n "$(REGISTRY)" || { echo "usage: make push REGISTRY=host[:port]/path [VARIANT=wasm|compat]" >&2; exit 2; }
	@mkdir -p $(IMAGE_DIR)
	$(OCI_PUSH) push --wasm $(WASM) --variant $(VARIANT) --image $(IMAGE_REF) \
	  $(if $(REGISTRY_USER),--username $(REGISTRY_USER)) \
	  --digest-file $(IMAGE_DIR)/pushed-$(VARIANT).digest $(PUSH_FLAGS)
	@echo "$(IMAGE_REF)" > $(IMAGE_DIR)/pushed-$(VARIANT).ref
	@$(OCI_PUSH) pin --image $(IMAGE_REF) --digest "$$(cat $(IMAGE_DIR)/pushed-$(VARIANT).digest)" \
	  > $(IMAGE_DIR)/pushed-$(VARIANT).url
	@echo "WasmPlugin url (plugin.url): $$(cat $(IMAGE_DIR)/pushed-$(VARIANT).url)"

wasmplugin-render: oci-push
	@test -s $(IMAGE_DIR)/pushed-$(VARIANT).digest || { echo "no push recorded in $(IMAGE_DIR): run make push first" >&2; exit 2; }
	@mkdir -p $(RENDER_DIR)
	@ref=$$(cat $(IMAGE_DIR)/pushed-$(VARIANT).ref); digest=$$(cat $(IMAGE_DIR)/pushed-$(VARIANT).digest); \
	url=$$($(OCI_PUSH) pin --image "$$ref" --digest "$$digest") || exit 1; \
	for f in gateway sidecar; do \
	  $(OCI_PUSH) render --image "$$ref" --digest "$$digest" wasmplugin/manifests/$$f.yaml > $(RENDER_DIR)/$$f.yaml || exit 1; \
	  echo "rendered $(RENDER_DIR)/$$f.yaml"; \
	done; \
	printf 'plugin:\n  url: "%s"\n  sha256: "%s"\n' "$$url" "$${digest#sha256:}" > $(RENDER_DIR)/helm-values.yaml; \
	echo "rendered $(RENDER_DIR)/helm-values.yaml (for the chart: helm install ... -f it)"
