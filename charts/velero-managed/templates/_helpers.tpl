{{/*
Named templates shared by every template of the chart (and by the webhook and
admission-policy templates). Keep the names stable: other templates and the Go
renderer depend on them.
*/}}

{{/* velero-managed.namespace: the Velero namespace (values `namespace`, default "velero"). */}}
{{- define "velero-managed.namespace" -}}
{{- default "velero" .Values.namespace -}}
{{- end -}}

{{/* velero-managed.bslName: the managed BackupStorageLocation's name (values `bsl.name`, default "default"). */}}
{{- define "velero-managed.bslName" -}}
{{- $bsl := .Values.bsl | default dict -}}
{{- default "default" $bsl.name -}}
{{- end -}}

{{/*
velero-managed.validatePrefix fails rendering when a prefix breaks the rules of
internal/prefix.Validate: longer than 512 bytes, a leading "/", a backslash,
control characters, or an empty, "." or ".." segment (one trailing "/" is
tolerated). Argument: dict "field" <values path> "value" <prefix>.
*/}}
{{- define "velero-managed.validatePrefix" -}}
{{- $f := .field -}}
{{- $p := .value | default "" | toString -}}
{{- if $p -}}
{{- if gt (len $p) 512 -}}
{{- fail (printf "%s: Too long: may not be more than 512 bytes" $f) -}}
{{- end -}}
{{- if hasPrefix "/" $p -}}
{{- fail (printf "%s: Invalid value: %q: must not start with '/'" $f $p) -}}
{{- end -}}
{{- if contains `\` $p -}}
{{- fail (printf "%s: Invalid value: %q: must not contain a backslash '\\'" $f $p) -}}
{{- end -}}
{{- if regexMatch `[\x{0}-\x{1f}\x{7f}-\x{9f}]` $p -}}
{{- fail (printf "%s: Invalid value: %q: must not contain control characters" $f $p) -}}
{{- end -}}
{{- range $i, $seg := splitList "/" (trimSuffix "/" $p) -}}
{{- if eq $seg "" -}}
{{- fail (printf "%s: Invalid value: %q: segment %d is empty ('//'); every path segment must be non-empty" $f $p (add1 $i)) -}}
{{- else if or (eq $seg ".") (eq $seg "..") -}}
{{- fail (printf "%s: Invalid value: %q: segment %d is %q; '.' and '..' are not allowed because Velero collapses them with path.Join" $f $p (add1 $i) $seg) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
velero-managed.validateSegment fails rendering unless an ID used as one prefix
segment is a lowercase RFC 1123 label (internal/prefix.ValidateSegment).
Argument: dict "field" <values path> "value" <ID>.
*/}}
{{- define "velero-managed.validateSegment" -}}
{{- $f := .field -}}
{{- $s := .value | default "" | toString -}}
{{- if not $s -}}
{{- fail (printf "%s: Required value: must be a non-empty RFC 1123 label" $f) -}}
{{- end -}}
{{- if gt (len $s) 63 -}}
{{- fail (printf "%s: Invalid value: %q: must be a single safe path segment: must be no more than 63 characters" $f $s) -}}
{{- end -}}
{{- if not (regexMatch `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$` $s) -}}
{{- fail (printf "%s: Invalid value: %q: must be a single safe path segment: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character" $f $s) -}}
{{- end -}}
{{- end -}}

{{/*
velero-managed.prefix: the cluster's effective prefix,
join(storage.prefix, cluster.projectID, cluster.id) by whole segments, exactly
as internal/prefix.Join computes it. Rendering fails on any bad part.
*/}}
{{- define "velero-managed.prefix" -}}
{{- $c := .Values.cluster | default dict -}}
{{- $s := .Values.storage | default dict -}}
{{- $base := $s.prefix | default "" | toString -}}
{{- include "velero-managed.validatePrefix" (dict "field" "storage.prefix" "value" $base) -}}
{{- include "velero-managed.validateSegment" (dict "field" "cluster.projectID" "value" $c.projectID) -}}
{{- include "velero-managed.validateSegment" (dict "field" "cluster.id" "value" $c.id) -}}
{{- $parts := list (toString $c.projectID) (toString $c.id) -}}
{{- $base = trimSuffix "/" $base -}}
{{- if $base -}}
{{- $parts = prepend $parts $base -}}
{{- end -}}
{{- $joined := join "/" $parts -}}
{{- if gt (len $joined) 512 -}}
{{- fail (printf "storage.prefix: Invalid value: the cluster's effective prefix <prefix>/%s/%s would be %d bytes, more than 512" (toString $c.projectID) (toString $c.id) (len $joined)) -}}
{{- end -}}
{{- $joined -}}
{{- end -}}

{{/* velero-managed.labels: the labels every rendered object carries. */}}
{{- define "velero-managed.labels" -}}
{{- $c := .Values.cluster | default dict -}}
app.kubernetes.io/managed-by: clusterbackup
app.kubernetes.io/part-of: velero-managed
clusterbackup.io/project-id: {{ $c.projectID | default "" | toString | quote }}
clusterbackup.io/cluster-id: {{ $c.id | default "" | toString | quote }}
{{- end -}}

{{/*
velero-managed.image: one image reference from the registry value and an image
entry. Argument: dict "registry" <registry> "image" <entry with repository, tag,
optional digest>. An empty registry leaves the repository as it is. With a
digest the reference is repository:tag@digest (the runtime pulls the digest;
the tag documents it), or repository@digest without a tag.
*/}}
{{- define "velero-managed.image" -}}
{{- $ref := .image.repository -}}
{{- if .registry -}}
{{- $ref = printf "%s/%s" (trimSuffix "/" .registry) $ref -}}
{{- end -}}
{{- if .image.tag -}}
{{- $ref = printf "%s:%s" $ref .image.tag -}}
{{- end -}}
{{- if .image.digest -}}
{{- $ref = printf "%s@%s" $ref .image.digest -}}
{{- end -}}
{{- $ref -}}
{{- end -}}

{{/* velero-managed.veleroImage: the Velero server image (also node-agent and restore helper). */}}
{{- define "velero-managed.veleroImage" -}}
{{- include "velero-managed.image" (dict "registry" .Values.image.registry "image" .Values.image.velero) -}}
{{- end -}}

{{/* velero-managed.pluginImage: the AWS object-store plugin image. */}}
{{- define "velero-managed.pluginImage" -}}
{{- include "velero-managed.image" (dict "registry" .Values.image.registry "image" .Values.image.pluginForAWS) -}}
{{- end -}}

{{/* velero-managed.credentialsSecret: the name of the Secret holding the AWS credentials file. */}}
{{- define "velero-managed.credentialsSecret" -}}
{{- $cr := .Values.credentials | default dict -}}
{{- if eq ($cr.mode | default "existingSecret") "inline" -}}
{{- ($cr.inline | default dict).secretName | default "velero-cloud-credentials" -}}
{{- else -}}
{{- $cr.existingSecret | default "velero-cloud-credentials" -}}
{{- end -}}
{{- end -}}

{{/* velero-managed.credentialsKey: the Secret key holding the AWS credentials file. */}}
{{- define "velero-managed.credentialsKey" -}}
{{- (.Values.credentials | default dict).key | default "cloud" -}}
{{- end -}}

{{/*
velero-managed.editorExpression: the CEL condition "the requester is a named
managed editor": a username in webhook.managedBSLEditors or a group in
webhook.managedBSLEditorGroups, the identities the webhook exempts
(velero.Config.ManagedBSLEditors). Empty lists name nobody. Used by the params
guard and the Restore guardrails; rendered as a quoted YAML scalar.
*/}}
{{- define "velero-managed.editorExpression" -}}
{{- $w := .Values.webhook | default dict -}}
{{- printf "request.userInfo.username in %s || request.userInfo.?groups.orValue([]).exists(g, g in %s)" (toJson ($w.managedBSLEditors | default list)) (toJson ($w.managedBSLEditorGroups | default list)) | toJson -}}
{{- end -}}

{{/* velero-managed.pruneSafe: annotations that stop Helm, Argo CD and Flux from deleting an object. */}}
{{- define "velero-managed.pruneSafe" -}}
helm.sh/resource-policy: keep
argocd.argoproj.io/sync-options: Prune=false
kustomize.toolkit.fluxcd.io/prune: disabled
{{- end -}}

{{/*
The canonical form of an S3 endpoint (internal/storage.ParseEndpoint):
scheme://host:port with scheme and host lower-cased, no trailing dot on the
host, an IP literal in its canonical form (velero-managed.ipv6), the port a
decimal number without leading zeros (the default port explicit), no path.
"" stays "" (AWS S3); anything else that is not an http(s) URL with a host
and a port up to 65535 becomes "?" (the rules treat it as possibly the same
storage as any other). internal/admissionpolicy TestChartEndpoint compares it
with storage.CanonicalEndpoint.
*/}}
{{- define "velero-managed.endpoint" -}}
{{- $raw := . | default "" | toString -}}
{{- if $raw -}}
{{- $u := urlParse $raw -}}
{{- $scheme := $u.scheme | lower -}}
{{- $h := $u.hostname | lower | trimSuffix "." -}}
{{- if contains ":" $h }}{{ $h = include "velero-managed.ipv6" $h }}{{ end -}}
{{- $port := regexReplaceAll "^0+([0-9])" (regexFind ":[0-9]+$" $u.host | trimPrefix ":") "${1}" -}}
{{- if not $port }}{{ $port = ternary "80" "443" (eq $scheme "http") }}{{ end -}}
{{- if and (has $scheme (list "http" "https")) $h (le (len $port) 5) (le (atoi $port) 65535) -}}
{{- if contains ":" $h }}{{ $h = printf "[%s]" $h }}{{ end -}}
{{- printf "%s://%s:%s" $scheme $h $port -}}
{{- else -}}
?
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
velero-managed.ipv6: the text of a lower-case IPv6 literal as Go's
net/netip prints it (RFC 5952: no leading zeros, the first longest run of
two or more zero groups as "::"), without a zone, an IPv4-mapped address as
its IPv4 address; anything that is no IPv6 address comes back unchanged (a
host name, as Go reads it).
*/}}
{{- define "velero-managed.ipv6" -}}
{{- $a := splitList "%" . | first -}}
{{- $last := splitList ":" $a | last -}}
{{- $octet := "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])" -}}
{{- if regexMatch (printf `^%s(\.%s){3}$` $octet $octet) $last -}}
{{- $o := splitList "." $last -}}
{{- $a = printf "%s%x:%x" (trimSuffix $last $a) (add (mul (atoi (index $o 0)) 256) (atoi (index $o 1))) (add (mul (atoi (index $o 2)) 256) (atoi (index $o 3))) -}}
{{- end -}}
{{- $halves := splitList "::" $a -}}
{{- $head := list -}}
{{- $tail := list -}}
{{- if (index $halves 0) }}{{ $head = splitList ":" (index $halves 0) }}{{ end -}}
{{- if and (eq (len $halves) 2) (index $halves 1) }}{{ $tail = splitList ":" (index $halves 1) }}{{ end -}}
{{- $n := add (len $head) (len $tail) -}}
{{- $ok := or (and (eq (len $halves) 1) (eq $n 8)) (and (eq (len $halves) 2) (le $n 7)) -}}
{{- $fill := list -}}
{{- if and $ok (eq (len $halves) 2) }}{{ range until (int (sub 8 $n)) }}{{ $fill = append $fill "0" }}{{ end }}{{ end -}}
{{- $groups := list -}}
{{- range concat $head $fill $tail -}}
{{- if not (regexMatch "^[0-9a-f]{1,4}$" .) }}{{ $ok = false }}{{ end -}}
{{- $groups = append $groups (regexReplaceAll "^0+([0-9a-f])" . "${1}") -}}
{{- end -}}
{{- if not $ok -}}
{{- . -}}
{{- else if eq (slice $groups 0 6 | join ":") "0:0:0:0:0:ffff" -}}
{{- $hi := int64 (printf "0x%s" (index $groups 6)) -}}
{{- $lo := int64 (printf "0x%s" (index $groups 7)) -}}
{{- printf "%d.%d.%d.%d" (div $hi 256) (mod $hi 256) (div $lo 256) (mod $lo 256) -}}
{{- else -}}
{{- $best := -1 }}{{ $bestLen := 1 }}{{ $cur := -1 }}{{ $curLen := 0 -}}
{{- range $i, $g := $groups -}}
{{- if eq $g "0" -}}
{{- if eq $curLen 0 }}{{ $cur = $i }}{{ end -}}
{{- $curLen = add1 $curLen -}}
{{- if gt $curLen $bestLen }}{{ $best = $cur }}{{ $bestLen = $curLen }}{{ end -}}
{{- else -}}
{{- $curLen = 0 -}}
{{- end -}}
{{- end -}}
{{- if lt $best 0 -}}
{{- join ":" $groups -}}
{{- else -}}
{{- printf "%s::%s" (slice $groups 0 $best | join ":") (slice $groups (add $best $bestLen) | join ":") -}}
{{- end -}}
{{- end -}}
{{- end -}}
