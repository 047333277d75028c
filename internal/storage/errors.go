package storage

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// InvalidError reports what is wrong with one input object.
type InvalidError struct {
	// Source is where the object was read from ("file.yaml#2"), or "".
	Source string
	// Kind and Name identify the object (Name is "namespace/name" when
	// namespaced).
	Kind, Name string
	// Errs are the broken rules, each with its field path.
	Errs field.ErrorList
}

// Error names the source, the object, and each field with its rule.
func (e *InvalidError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind)
	if e.Name != "" {
		fmt.Fprintf(&b, " %q", e.Name)
	}
	b.WriteString(": ")
	for i, fe := range e.Errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.Error())
	}
	return b.String()
}
