package admissionpolicy

import (
	"fmt"
	"strconv"
	"strings"
)

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
func lower(s string) string                  { return strings.ToLower(s) }
func quote(s string) string                  { return strconv.Quote(s) }
