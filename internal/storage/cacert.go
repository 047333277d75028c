package storage

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateCACert checks that data is one or more PEM "CERTIFICATE" blocks,
// each a parseable X.509 certificate, with nothing else but whitespace.
func ValidateCACert(data []byte, fldPath *field.Path) field.ErrorList {
	rest := bytes.TrimSpace(data)
	if len(rest) == 0 {
		return field.ErrorList{field.Required(fldPath, "PEM-encoded CA certificates")}
	}
	for n := 1; len(rest) > 0; n++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		rest = bytes.TrimSpace(rest)
		switch {
		case b == nil:
			return field.ErrorList{field.Invalid(fldPath, "<data>", fmt.Sprintf("must be PEM-encoded certificates; block %d is not PEM", n))}
		case b.Type != "CERTIFICATE":
			return field.ErrorList{field.Invalid(fldPath, "<data>", fmt.Sprintf("PEM block %d is a %q, not a CERTIFICATE", n, b.Type))}
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return field.ErrorList{field.Invalid(fldPath, "<data>", fmt.Sprintf("PEM block %d is not a valid X.509 certificate", n))}
		}
	}
	return nil
}
