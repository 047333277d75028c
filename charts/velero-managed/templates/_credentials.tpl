{{/* velero-managed.credentialsProfile: the CBSL's config.profile when it names a
profile other than "default", else "". The credentials file (inline Secret,
ExternalSecret template) then holds that profile too, as the seed's
credentials loop writes it (internal/creds Static.INI): the rendered BSL
passes config.profile to the AWS plugin, which reads that section. */}}
{{- define "velero-managed.credentialsProfile" -}}
{{- $p := ((.Values.storage | default dict).config | default dict).profile | default "" | toString -}}
{{- if ne $p "default" }}{{ $p }}{{ end -}}
{{- end -}}
