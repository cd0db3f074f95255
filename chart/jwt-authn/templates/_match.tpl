{{/*
Which listeners the WasmPlugin reaches. istiod (1.31: pilot/pkg/model/extensions.go) compares each
`match` entry's ports with the port a listener binds, and its mode with the listener's class (a
gateway's listeners count as CLIENT, a sidecar's inbound side as SERVER). The port a listener binds is
not always the one a user writes:
- an Istio Gateway selecting pods by label: istiod translates the server port through the gateway
  Service that exposes it to that Service's targetPort (pilot/pkg/model/gateway.go, resolvePorts: the
  first Service port equal to the server port; no such Service port, the server port as is);
- a Gateway API Gateway: istiod's own Service for it has targetPort = listener port
  (gatewaycommon/deploymentcontroller.go, extractServicePorts), so the listener port;
- a sidecar's inbound listener: the targetPort (container port), never the Service port
  (networking/core/listener_inbound.go).
*/}}

{{/* The port Envoy binds for the chart's Gateway server, which the WasmPlugin must match. */}}
{{- define "jwt-authn.gatewayListenerPort" -}}
{{- if include "jwt-authn.gatewayApi" . -}}
{{- if .Values.ingress.targetPort -}}
{{- fail "ingress.targetPort: a Gateway API gateway's Service is made by Istio with targetPort = listener port; leave targetPort unset (set ingress.port)" -}}
{{- end -}}
{{- .Values.ingress.port -}}
{{- else -}}
{{- default .Values.ingress.port .Values.ingress.targetPort -}}
{{- end -}}
{{- end -}}

{{/* spec.match as rendered, a YAML list. */}}
{{- define "jwt-authn.pluginMatch" -}}
{{- if .Values.plugin.match -}}
{{ toYaml .Values.plugin.match }}
{{- else if eq .Values.plugin.target "sidecar" -}}
- mode: SERVER
{{- else -}}
- ports:
    - number: {{ include "jwt-authn.gatewayListenerPort" . }}
{{- end -}}
{{- end -}}

{{/*
The ports of the target's own listeners (a gateway's, or a sidecar's inbound side) that the match
reaches: "all", or a comma-separated list ("" when it reaches none of them).
*/}}
{{- define "jwt-authn.coveredPorts" -}}
{{- $mode := ternary "SERVER" "CLIENT" (eq .Values.plugin.target "sidecar") -}}
{{- $all := false -}}
{{- $ports := list -}}
{{- range (include "jwt-authn.pluginMatch" . | fromYamlArray) -}}
{{- if has (toString (default "UNDEFINED" .mode)) (list "UNDEFINED" "CLIENT_AND_SERVER" $mode) -}}
{{- if .ports -}}
{{- range .ports }}{{ $ports = append $ports (toString (int .number)) }}{{ end -}}
{{- else -}}
{{- $all = true -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $all }}all{{ else }}{{ $ports | uniq | sortAlpha | join "," }}{{ end -}}
{{- end -}}

{{/* Refuses a match that would leave the traffic the chart routes without the filter. */}}
{{- define "jwt-authn.checkMatch" -}}
{{- $covered := include "jwt-authn.coveredPorts" . -}}
{{- if eq .Values.plugin.target "sidecar" -}}
{{- if not $covered -}}
{{- fail "plugin.match: on a sidecar the filter must run on inbound traffic (mode SERVER, CLIENT_AND_SERVER or unset); Istio classes outbound listeners as CLIENT" -}}
{{- end -}}
{{- if and (ne $covered "all") (not .Values.plugin.workloadSelector) .Values.echo.enabled -}}
{{- $container := toString (int .Values.echo.port) -}}
{{- if not (has $container (splitList "," $covered)) -}}
{{- fail (printf "plugin.match: a sidecar's inbound listener binds the container port (echo.port %s), not the Service port; ports %s reach no listener of the echo pods" $container $covered) -}}
{{- end -}}
{{- end -}}
{{- else if and .Values.ingress.enabled .Values.echo.enabled -}}
{{- $listener := include "jwt-authn.gatewayListenerPort" . -}}
{{- if not (or (eq $covered "all") (has $listener (splitList "," $covered))) -}}
{{- fail (printf "plugin.match: the chart's Gateway serves ingress.port %d on the gateway listener %s (the Service's targetPort, ingress.targetPort), which the match (ports %s) does not reach: requests there would pass without the filter" (int .Values.ingress.port) $listener (default "none" $covered)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
