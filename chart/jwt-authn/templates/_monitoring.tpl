{{- /* Whether to render a prometheus-operator kind: "auto" when the cluster serves it (its CRD is
installed), so a release on a cluster without the operator (the helmfile's Prometheus) does not fail
with "no matches for kind"; true always (rendering without a cluster, e.g. for a GitOps tool). */}}
{{- define "jwt-authn.operatorKind" -}}
{{- $ := index . 0 }}{{- $enabled := index . 1 }}{{- $kind := index . 2 }}
{{- if eq (toString $enabled) "auto" }}
{{- if $.Capabilities.APIVersions.Has (printf "monitoring.coreos.com/v1/%s" $kind) }}true{{- end }}
{{- else if $enabled }}true
{{- end }}
{{- end -}}
