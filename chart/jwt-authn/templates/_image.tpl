{{/*
The url the WasmPlugin pulls. With plugin.sha256 an oci:// reference is rewritten to the digest
form REPO@sha256:<digest>: a tag pushed again later cannot then give a new replica a module whose
checksum no longer matches (Istio reads the digest form and checks sha256 against it).
*/}}
{{- define "jwt-authn.pluginUrl" -}}
{{- $url := .Values.plugin.url -}}
{{- if not $url -}}
{{- fail "plugin.url is required: the filter's OCI image, e.g. --set plugin.url=oci://ghcr.io/acme/jwt-authn-wasm:0.1.0 --set plugin.sha256=<digest>. `make push REGISTRY=...` builds and pushes it and prints both (see wasmplugin/README.md)." -}}
{{- end -}}
{{- $sha := .Values.plugin.sha256 -}}
{{- if and $sha (hasPrefix "oci://" $url) -}}
{{- $ref := trimPrefix "oci://" $url -}}
{{- if contains "@" $ref -}}
{{- $pinned := last (splitList "@" $ref) -}}
{{- if ne $pinned (printf "sha256:%s" $sha) -}}
{{- fail (printf "plugin.url pins %s but plugin.sha256 is %s: they must name the same image" $pinned $sha) -}}
{{- end -}}
{{- $ref = first (splitList "@" $ref) -}}
{{- end -}}
{{- $path := splitList "/" $ref -}}
{{- $repo := first (splitList ":" (last $path)) -}}
{{- printf "oci://%s@sha256:%s" (append (initial $path) $repo | join "/") $sha -}}
{{- else -}}
{{- $url -}}
{{- end -}}
{{- end -}}
