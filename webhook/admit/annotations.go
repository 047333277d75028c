package admit

import (
	"sort"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
)

// annotationPatch returns the JSON patch operations that add the
// annotations a defaulting function set (new keys or changed values) to an
// object whose annotations were before. Defaults never remove one.
func annotationPatch(before, after map[string]string) []jsonpatch.Operation {
	added := map[string]string{}
	for k, v := range after {
		if old, ok := before[k]; !ok || old != v {
			added[k] = v
		}
	}
	if len(added) == 0 {
		return nil
	}
	if len(before) == 0 {
		return []jsonpatch.Operation{jsonpatch.NewOperation("add", "/metadata/annotations", added)}
	}
	keys := make([]string, 0, len(added))
	for k := range added {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ops := make([]jsonpatch.Operation, 0, len(keys))
	for _, k := range keys {
		ops = append(ops, jsonpatch.NewOperation("add", "/metadata/annotations/"+escapePointer(k), added[k]))
	}
	return ops
}

// escapePointer escapes one JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
