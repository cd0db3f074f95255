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

{{/*
(dict "pods" "services" "selector" "port"): the port istiod binds on the gateway pods for Gateway
server port `port`, worked out from the live objects as istiod does for a Gateway that selects pods
by label (resolvePorts): the targetPort of the first Service port equal to `port` among the Services
that select a gateway pod, a named targetPort being that pod's container port. "" when no pod
carries `selector` (the gateway is not deployed yet: nothing to compare with); `port` itself when
no such Service port exists. Services that disagree are refused: istiod would pick one of them.
*/}}
{{- define "jwt-authn.liveGatewayPort" -}}
{{- $port := int .port -}}
{{- $selector := .selector -}}
{{- $gatewayPods := list -}}
{{- range .pods -}}
{{- $labels := default dict .metadata.labels -}}
{{- $ok := true -}}
{{- range $k, $v := $selector }}{{ if ne (toString (get $labels $k)) (toString $v) }}{{ $ok = false }}{{ end }}{{ end -}}
{{- if $ok }}{{ $gatewayPods = append $gatewayPods . }}{{ end -}}
{{- end -}}
{{- $found := dict -}}
{{- if $gatewayPods -}}
{{- range $svc := .services -}}
{{- $svcSelector := default dict $svc.spec.selector -}}
{{- range $pod := $gatewayPods -}}
{{- $labels := default dict $pod.metadata.labels -}}
{{- $selects := not (empty $svcSelector) -}}
{{- range $k, $v := $svcSelector }}{{ if ne (toString (get $labels $k)) (toString $v) }}{{ $selects = false }}{{ end }}{{ end -}}
{{- if $selects -}}
{{- range $sp := (default list $svc.spec.ports) -}}
{{- if eq (int $sp.port) $port -}}
{{- $target := toString (default $sp.port $sp.targetPort) -}}
{{- if not (regexMatch "^[0-9]+$" $target) -}}
{{- $named := "" -}}
{{- range $c := (default list $pod.spec.containers) }}{{ range (default list $c.ports) }}{{ if eq (toString .name) $target }}{{ $named = toString (int .containerPort) }}{{ end }}{{ end }}{{ end -}}
{{- $target = $named -}}
{{- end -}}
{{- if $target }}{{ $_ := set $found (toString (int $target)) $svc.metadata.name }}{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if gt (len $found) 1 -}}
{{- $pairs := list -}}
{{- range $t, $name := $found }}{{ $pairs = append $pairs (printf "%s -> %s" $name $t) }}{{ end -}}
{{- fail (printf "ingress.port %d: the gateway's Services map it to different pod ports (%s); istiod binds only one of them: give the gateway one Service for that port" $port (join ", " $pairs)) -}}
{{- end -}}
{{- if $found }}{{ keys $found | first }}{{ else }}{{ $port }}{{ end -}}
{{- end -}}
{{- end -}}

{{/*
On `helm install`/`upgrade` against a cluster (lookup returns nothing to `helm template`): refuses a
gateway whose live Service maps ingress.port to another pod port than the one the WasmPlugin
matches, which would leave the route without the filter.
*/}}
{{- define "jwt-authn.checkLiveGateway" -}}
{{- if and (ne .Values.plugin.target "sidecar") (not (include "jwt-authn.gatewayApi" .)) -}}
{{- $ns := .Values.ingress.gatewayNamespace -}}
{{- $pods := (lookup "v1" "Pod" $ns "").items | default list -}}
{{- $services := (lookup "v1" "Service" $ns "").items | default list -}}
{{- include "jwt-authn.checkGatewayObjects" (dict "ctx" . "pods" $pods "services" $services) -}}
{{- end -}}
{{- end -}}

{{/* (dict "ctx" "pods" "services"): the comparison itself, on the gateway namespace's objects. */}}
{{- define "jwt-authn.checkGatewayObjects" -}}
{{- $v := .ctx.Values -}}
{{- $live := include "jwt-authn.liveGatewayPort" (dict "pods" .pods "services" .services "selector" $v.ingress.gatewaySelector "port" $v.ingress.port) -}}
{{- $listener := include "jwt-authn.gatewayListenerPort" .ctx -}}
{{- if and $live (ne $live $listener) -}}
{{- fail (printf "ingress.targetPort: the gateway in %s serves ingress.port %d on pod port %s (its Service's targetPort), where istiod binds the route's listener; the WasmPlugin would match %s and run nowhere on it: set ingress.targetPort: %s" $v.ingress.gatewayNamespace (int $v.ingress.port) $live $listener $live) -}}
{{- end -}}
{{- end -}}
