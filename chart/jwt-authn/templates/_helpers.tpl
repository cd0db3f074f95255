{{/*
Every object is named from the release (or fullnameOverride), so two releases, or a release in a
namespace that already has an `echo` or a `default` PeerAuthentication, never take each other's names.
*/}}
{{- define "jwt-authn.fullname" -}}
{{- $name := default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "%q cannot start Service names (a letter, then letters, digits and dashes): set fullnameOverride" $name) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{/* (list . "part") -> <fullname>-part, kept to the 63 characters of a DNS label. */}}
{{- define "jwt-authn.component" -}}
{{- $ctx := index . 0 -}}
{{- printf "%s-%s" (include "jwt-authn.fullname" $ctx) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jwt-authn.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* (list . "component"): the labels a Deployment selects its pods by. */}}
{{- define "jwt-authn.selectorLabels" -}}
{{- $ctx := index . 0 -}}
app.kubernetes.io/name: {{ $ctx.Chart.Name }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/*
On the pods themselves, so that they get a sidecar (mTLS, telemetry, the filter in sidecar mode)
in a namespace that carries no injection label.
*/}}
{{- define "jwt-authn.injectionLabel" -}}
{{- if .Values.namespace.revision -}}
istio.io/rev: {{ .Values.namespace.revision | quote }}
{{- else -}}
sidecar.istio.io/inject: "true"
{{- end -}}
{{- end -}}

{{/* The namespace of the backend, the demo issuer and their policies: the release's unless named. */}}
{{- define "jwt-authn.ns" -}}
{{- default .Release.Namespace .Values.namespace.name -}}
{{- end -}}

{{- define "jwt-authn.gatewayApi" -}}
{{- if eq .Values.ingress.api "gatewayAPI" }}true{{ end -}}
{{- end -}}

{{- define "jwt-authn.gatewayName" -}}
{{- include "jwt-authn.component" (list . "gateway") -}}
{{- end -}}

{{/* A Gateway API Gateway's pods are made by Istio in the Gateway's namespace. */}}
{{- define "jwt-authn.gatewayNamespace" -}}
{{- if include "jwt-authn.gatewayApi" . -}}
{{ include "jwt-authn.ns" . }}
{{- else -}}
{{ .Values.ingress.gatewayNamespace }}
{{- end -}}
{{- end -}}

{{- define "jwt-authn.gatewayPodLabels" -}}
{{- if include "jwt-authn.gatewayApi" . -}}
gateway.networking.k8s.io/gateway-name: {{ include "jwt-authn.gatewayName" . }}
{{- else -}}
{{ toYaml .Values.ingress.gatewaySelector }}
{{- end -}}
{{- end -}}

{{/* Where the WasmPlugin (and what must sit beside it) lives: Istio applies it only to matching pods of its own namespace. */}}
{{- define "jwt-authn.pluginNamespace" -}}
{{- if eq .Values.plugin.target "sidecar" -}}
{{ include "jwt-authn.ns" . }}
{{- else -}}
{{ include "jwt-authn.gatewayNamespace" . }}
{{- end -}}
{{- end -}}

{{/* Labels of the pods that run the filter, as YAML. */}}
{{- define "jwt-authn.filterPodLabels" -}}
{{- if ne .Values.plugin.target "sidecar" -}}
{{ include "jwt-authn.gatewayPodLabels" . }}
{{- else if .Values.plugin.workloadSelector -}}
{{ toYaml .Values.plugin.workloadSelector }}
{{- else if .Values.echo.enabled -}}
{{ include "jwt-authn.selectorLabels" (list . "echo") }}
{{- else -}}
{{ fail "plugin.workloadSelector: name the pods whose sidecars run the filter (the default, the chart's echo backend, is disabled)" }}
{{- end -}}
{{- end -}}

{{/*
How a policy picks the gateway: a Gateway API Gateway by targetRefs, Istio's gateway pods by label
selector (Istio refuses both at once).
*/}}
{{- define "jwt-authn.gatewayTarget" -}}
{{- if include "jwt-authn.gatewayApi" . -}}
{{- if not .Values.ingress.enabled -}}
{{- fail "ingress.api=gatewayAPI needs ingress.enabled: the filter and its policies attach to the chart's Gateway" -}}
{{- end -}}
targetRefs:
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: {{ include "jwt-authn.gatewayName" . }}
{{- else -}}
selector:
  matchLabels:
    {{- toYaml .Values.ingress.gatewaySelector | nindent 4 }}
{{- end -}}
{{- end -}}

{{/* How the WasmPlugin and the AuthorizationPolicy pick the pods that run the filter. */}}
{{- define "jwt-authn.policyTarget" -}}
{{- if eq .Values.plugin.target "sidecar" -}}
selector:
  matchLabels:
    {{- include "jwt-authn.filterPodLabels" . | nindent 4 }}
{{- else -}}
{{ include "jwt-authn.gatewayTarget" . }}
{{- end -}}
{{- end -}}

{{- define "jwt-authn.demoIssuerName" -}}
{{- include "jwt-authn.component" (list . "demo-issuer") -}}
{{- end -}}

{{- define "jwt-authn.demoIssuerHost" -}}
{{ printf "%s.%s.svc.cluster.local" (include "jwt-authn.demoIssuerName" .) (include "jwt-authn.ns" .) }}
{{- end -}}

{{- define "jwt-authn.demoIssuerUrl" -}}
{{ printf "http://%s:%d" (include "jwt-authn.demoIssuerHost" .) (int .Values.demoIssuer.port) }}
{{- end -}}

{{- define "jwt-authn.echoName" -}}
{{- include "jwt-authn.component" (list . "echo") -}}
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
