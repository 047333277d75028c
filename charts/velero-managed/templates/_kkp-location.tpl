{{/*
velero-managed.kkpLocation says how the admission policies treat a Backup or
Schedule that names KKP's BSL "default-cluster-backup-bsl" (as KKP's dashboard
writes every one) while the managed BSL has another name:
  "map"  the MutatingAdmissionPolicies of admission-policies-kkp-location.yaml
         write it to the managed BSL, with a warning: always with
         admissionPolicies.mutating.enabled; otherwise whenever the release
         keeps KKP's location under KKP's name (a previousLocations entry named
         "default-cluster-backup-bsl": `clusterbackup render --kkp-migrate`,
         the release loop's takeover) and the API server serves
         admissionregistration.k8s.io/v1 MutatingAdmissionPolicy (Kubernetes
         >= 1.36; helm's --api-versions, the renderer's capabilities);
  "deny" the release keeps KKP's location, MutatingAdmissionPolicy is not
         served and the webhook (which maps too) is off: a
         ValidatingAdmissionPolicy denies such a Backup or Schedule with the
         fix, instead of letting it fail inside Velero on the read-only BSL;
  ""     nothing (the webhook maps, or nothing is kept under KKP's name).
The renderer warns on a "deny" render (renderer.KKPLocationWarning).
*/}}
{{- define "velero-managed.kkpLocation" -}}
{{- $ap := .Values.admissionPolicies | default dict -}}
{{- $kept := false -}}
{{- if ne (include "velero-managed.bslName" .) "default-cluster-backup-bsl" -}}
{{- range .Values.previousLocations | default list -}}
{{- if eq (.name | default "" | toString) "default-cluster-backup-bsl" -}}
{{- $kept = true -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $webhook := and (dig "enabled" false (.Values.webhook | default dict)) (not .Values.disabled) -}}
{{- if dig "mutating" "enabled" false $ap -}}
map
{{- else if and $kept (.Capabilities.APIVersions.Has "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy") -}}
map
{{- else if and $kept (not $webhook) -}}
deny
{{- end -}}
{{- end -}}
