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
