package renderer

import (
	"bytes"
	"strconv"
	"strings"
)

// quickHeader reads apiVersion, kind, metadata.name and metadata.namespace
// from a block-style YAML document without parsing it, which is most of the
// cost of a full render otherwise. It gives up (ok false) on anything it is
// not sure about — flow style, anchors, tags, block scalars, tabs, escapes it
// does not know — and the caller then parses the document in full.
func quickHeader(doc []byte) (h header, ok bool) {
	inMeta, metaIndent := false, -1
	for len(doc) > 0 {
		var line []byte
		if i := bytes.IndexByte(doc, '\n'); i >= 0 {
			line, doc = doc[:i], doc[i+1:]
		} else {
			line, doc = doc, nil
		}
		line = bytes.TrimRight(line, " \r")
		trimmed := bytes.TrimLeft(line, " ")
		if len(trimmed) == 0 || trimmed[0] == '#' {
			continue
		}
		if bytes.IndexByte(line, '\t') >= 0 {
			return h, false
		}
		indent := len(line) - len(trimmed)
		if indent == 0 {
			inMeta = false
			if bytes.HasPrefix(trimmed, []byte("- ")) {
				continue // an item of a top-level sequence (kustomize writes them unindented)
			}
			key, val, isKV := splitKV(string(trimmed))
			if !isKV {
				return h, false
			}
			switch key {
			case "apiVersion", "kind":
				v, ok := scalar(val)
				if !ok || (key == "apiVersion" && h.APIVersion != "") || (key == "kind" && h.Kind != "") {
					return h, false
				}
				if key == "apiVersion" {
					h.APIVersion = v
				} else {
					h.Kind = v
				}
			case "metadata":
				if val != "" {
					return h, false
				}
				inMeta, metaIndent = true, -1
			}
			continue
		}
		if !inMeta {
			continue
		}
		if metaIndent < 0 {
			metaIndent = indent
		}
		if indent != metaIndent {
			continue
		}
		key, val, isKV := splitKV(string(trimmed))
		if !isKV {
			return h, false
		}
		if key == "name" || key == "namespace" {
			v, ok := scalar(val)
			if !ok {
				return h, false
			}
			if key == "name" {
				h.Metadata.Name = v
			} else {
				h.Metadata.Namespace = v
			}
		}
	}
	return h, h.APIVersion != "" && h.Kind != "" && h.Metadata.Name != ""
}

// splitKV splits "key: value" (plain key); isKV is false for anything else.
func splitKV(s string) (key, val string, isKV bool) {
	i := strings.Index(s, ":")
	if i <= 0 || (i+1 < len(s) && s[i+1] != ' ') {
		return "", "", false
	}
	key = s[:i]
	if strings.ContainsAny(key, " \"'{}[]&*!|>%@`#,?-") && !isPlainKey(key) {
		return "", "", false
	}
	return key, strings.TrimSpace(s[i+1:]), true
}

// isPlainKey allows the keys Kubernetes objects use (letters, digits, '-',
// '.', '/', '_').
func isPlainKey(k string) bool {
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '/', r == '_':
		default:
			return false
		}
	}
	return k != "" && k[0] != '-'
}

// scalar decodes a one-line string scalar: plain, single- or double-quoted.
// ok is false for anything that is not certainly a string.
func scalar(v string) (string, bool) {
	if v == "" {
		return "", false
	}
	switch v[0] {
	case '"':
		if !strings.HasSuffix(v, `"`) || len(v) < 2 || strings.Contains(v, `\`) {
			return "", false
		}
		s, err := strconv.Unquote(v)
		return s, err == nil
	case '\'':
		if !strings.HasSuffix(v, "'") || len(v) < 2 {
			return "", false
		}
		inner := v[1 : len(v)-1]
		if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return "", false
		}
		return strings.ReplaceAll(inner, "''", "'"), true
	}
	if strings.Contains(v, " #") || strings.ContainsAny(v[:1], "{[&*!|>%@`#,?-:") || strings.ContainsAny(v, "\"'") {
		return "", false
	}
	// Plain scalars YAML would read as something other than a string.
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		return "", false
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return "", false
	}
	if strings.IndexFunc(v, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && !strings.ContainsRune("-._/", r)
	}) >= 0 {
		return "", false
	}
	return v, true
}
