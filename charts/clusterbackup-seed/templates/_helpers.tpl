{{/* clusterbackup-seed.labels: the labels of every object. */}}
{{- define "clusterbackup-seed.labels" -}}
app.kubernetes.io/name: {{ .Values.name }}
app.kubernetes.io/managed-by: clusterbackup
app.kubernetes.io/part-of: clusterbackup-seed
{{- end -}}

{{/* clusterbackup-seed.selector: the Pods' selector labels. */}}
{{- define "clusterbackup-seed.selector" -}}
app.kubernetes.io/instance: {{ .Values.name }}
app.kubernetes.io/component: seed-webhook
{{- end -}}

{{/* clusterbackup-seed.image: the image reference. */}}
{{- define "clusterbackup-seed.image" -}}
{{- $i := .Values.image -}}
{{- $ref := printf "%s/%s" (trimSuffix "/" $i.registry) $i.repository -}}
{{- if $i.digest -}}
{{- printf "%s@%s" $ref $i.digest -}}
{{- else -}}
{{- printf "%s:%s" $ref ($i.tag | default (printf "v%s" .Chart.Version)) -}}
{{- end -}}
{{- end -}}

{{/* clusterbackup-seed.certManager: "true" when cert-manager issues the serving certificate. */}}
{{- define "clusterbackup-seed.certManager" -}}
{{- if and (dig "tls" "certManager" "enabled" true .Values.webhook) (not (dig "tls" "caBundle" "" .Values.webhook)) -}}true{{- end -}}
{{- end -}}

{{/* clusterbackup-seed.clientConfig: the webhook client config for a path (dict "root" $ "path" P). */}}
{{- define "clusterbackup-seed.clientConfig" -}}
service:
  name: {{ .root.Values.name }}
  namespace: {{ .root.Values.namespace }}
  path: {{ .path }}
  port: 443
{{- with dig "tls" "caBundle" "" .root.Values.webhook }}
caBundle: {{ . }}
{{- end }}
{{- end -}}

{{/* clusterbackup-seed.controllersName: the controllers' Deployment, ServiceAccount and RBAC. */}}
{{- define "clusterbackup-seed.controllersName" -}}
{{ .Values.name }}-controllers
{{- end -}}

{{/* clusterbackup-seed.controllersSelector: the controllers Pods' selector labels. */}}
{{- define "clusterbackup-seed.controllersSelector" -}}
app.kubernetes.io/instance: {{ .Values.name }}
app.kubernetes.io/component: seed-controllers
{{- end -}}

{{/*
clusterbackup-seed.requireKnownCallers: fails the render unless the seed
webhook answers the API server only. A network peer that can send reviews
makes the webhook sign an S3 request with any project's credential toward an
endpoint of its choice, so one of these must hold:
  - webhook.clientCA.configMapName: callers present the API server's client
    certificate (--client-ca-name);
  - networkPolicy.apiServerCIDRs with networkPolicy.enabled and no
    networkPolicy.webhookFrom: only the API server's addresses reach the
    webhook port;
  - webhook.allowUnauthenticatedClients: true, the explicit opt-out.
No CIDR may be a /0 (every address).
*/}}
{{- define "clusterbackup-seed.requireKnownCallers" -}}
{{- $wh := .Values.webhook | default dict -}}
{{- $np := .Values.networkPolicy | default dict -}}
{{- $cidrs := $np.apiServerCIDRs | default list -}}
{{- range $cidrs -}}
{{- if hasSuffix "/0" (toString .) -}}
{{- fail (printf "clusterbackup-seed: networkPolicy.apiServerCIDRs holds %s, which is every address; give the addresses the API server calls the webhook from" (toString .)) -}}
{{- end -}}
{{- end -}}
{{- $clientCA := dig "clientCA" "configMapName" "" $wh -}}
{{- $limited := and $np.enabled $cidrs (not $np.webhookFrom) -}}
{{- if not (or $clientCA $limited (dig "allowUnauthenticatedClients" false $wh)) -}}
{{- $why := "nothing limits who may send it admission reviews" -}}
{{- if and $cidrs (not $np.enabled) -}}
{{- $why = "networkPolicy.apiServerCIDRs is set but networkPolicy.enabled is false" -}}
{{- else if and $cidrs $np.webhookFrom -}}
{{- $why = "networkPolicy.webhookFrom admits peers besides networkPolicy.apiServerCIDRs" -}}
{{- end -}}
{{- fail (printf "clusterbackup-seed: the seed webhook would answer any network peer (%s), and a forged review makes it sign S3 requests with any project's credential. Set webhook.clientCA.configMapName (client-certificate authentication of the API server), or networkPolicy.apiServerCIDRs (the API server's source addresses; with networkPolicy.enabled true and networkPolicy.webhookFrom empty), or accept the risk with webhook.allowUnauthenticatedClients: true (docs/seed.md#who-may-send-reviews)" $why) -}}
{{- end -}}
{{- end -}}
