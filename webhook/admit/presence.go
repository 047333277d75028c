package admit

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"
)

// rawReview is the body of an AdmissionReview, kept beside its typed
// decoding for the one question the typed object cannot answer (see
// presence). It is scanned only when a patch needs it, which the common
// reviews (a spec that is not empty) never do.
type rawReview []byte

// has reports whether request.object has a non-null member at names.
func (r rawReview) has(names ...string) bool {
	d := jsontext.NewDecoder(bytes.NewReader(r))
	return find(d, append([]string{"request", "object"}, names...))
}

// find reads the value at d and reports whether it holds a non-null
// member at names.
func find(d *jsontext.Decoder, names []string) bool {
	if len(names) == 0 {
		k := d.PeekKind()
		return k != 'n' && k != 0
	}
	if d.PeekKind() != '{' {
		return false
	}
	if _, err := d.ReadToken(); err != nil {
		return false
	}
	for d.PeekKind() == '"' {
		name, err := d.ReadToken()
		if err != nil {
			return false
		}
		if name.String() == names[0] {
			return find(d, names[1:])
		}
		if err := d.SkipValue(); err != nil {
			return false
		}
	}
	return false
}
