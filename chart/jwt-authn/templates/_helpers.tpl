{{- define "jwt-authn.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "jwt-authn.ns" -}}
{{ .Values.namespace.name }}
{{- end -}}

{{/* Where the WasmPlugin lives: Istio applies it only to matching pods of its own namespace. */}}
{{- define "jwt-authn.pluginNamespace" -}}
{{- if eq .Values.plugin.target "gateway" -}}
{{ .Values.ingress.gatewayNamespace }}
{{- else -}}
{{ .Values.namespace.name }}
{{- end -}}
{{- end -}}

{{- define "jwt-authn.demoIssuerHost" -}}
{{ printf "%s.%s.svc.cluster.local" .Values.demoIssuer.name .Values.namespace.name }}
{{- end -}}

{{- define "jwt-authn.demoIssuerUrl" -}}
{{ printf "http://%s:%d" (include "jwt-authn.demoIssuerHost" .) (int .Values.demoIssuer.port) }}
{{- end -}}

{{/* The filter configuration as YAML: the user's config plus the demo issuer's provider. */}}
{{- define "jwt-authn.pluginConfig" -}}
{{- $cfg := deepCopy .Values.plugin.config -}}
{{- $providers := deepCopy (default dict $cfg.providers) -}}
{{- if .Values.demoIssuer.enabled -}}
{{- $demo := dict
      "issuer" (include "jwt-authn.demoIssuerUrl" .)
      "audiences" (list .Values.demoIssuer.audience)
      "remote_jwks" (dict "uri" (printf "%s/jwks" (include "jwt-authn.demoIssuerUrl" .)))
      "claim_to_headers" .Values.demoIssuer.claimToHeaders -}}
{{- $_ := set $providers .Values.demoIssuer.provider $demo -}}
{{- end -}}
{{- if not $providers -}}
{{- fail "plugin.config.providers is empty and demoIssuer.enabled is false: the filter needs at least one provider" -}}
{{- end -}}
{{- $_ := set $cfg "providers" $providers -}}
{{- if not $cfg.rules -}}
{{- $_ := unset $cfg "rules" -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/*
External hosts the filter calls, as a list of "scheme|host|port" strings: the host of each
provider's remote_jwks uri, or of its issuer for oidc_discovery, unless it is a cluster service.
*/}}
{{- define "jwt-authn.externalHosts" -}}
{{- $out := list -}}
{{- range $name, $p := (default dict .Values.plugin.config.providers) -}}
{{- $url := "" -}}
{{- if hasKey $p "remote_jwks" -}}{{- $url = $p.remote_jwks.uri -}}{{- else if hasKey $p "oidc_discovery" -}}{{- $url = $p.issuer -}}{{- end -}}
{{- if $url -}}
{{- $u := urlParse $url -}}
{{- $hostport := splitList ":" $u.host -}}
{{- $host := first $hostport -}}
{{- $port := ternary "443" "80" (eq $u.scheme "https") -}}
{{- if gt (len $hostport) 1 -}}{{- $port = last $hostport -}}{{- end -}}
{{- if not (or (hasSuffix ".cluster.local" $host) (hasSuffix ".svc" $host)) -}}
{{- $out = append $out (printf "%s|%s|%s" $u.scheme $host $port) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range .Values.externalIssuers.extraHosts -}}
{{- $out = append $out (printf "%s|%s|%d" (default "https" .scheme) .host (int (default 443 .port))) -}}
{{- end -}}
{{- $out | uniq | sortAlpha | join "\n" -}}
{{- end -}}
