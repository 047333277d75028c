package credentials

import (
	"bytes"
	"fmt"

	"github.com/clusterbackup/clusterbackup/internal/creds"
)

// iniFor renders the AWS credentials file for Velero: the default profile,
// and the same keys under profile too when the CBSL's config.profile names
// another one (the AWS plugin reads that profile from the file).
func iniFor(st creds.Static, profile string) []byte {
	file := st.INI()
	if profile == "" || profile == "default" {
		return file
	}
	var b bytes.Buffer
	b.Write(file)
	fmt.Fprintf(&b, "\n[%s]\n", profile)
	b.Write(bytes.TrimPrefix(file, []byte("[default]\n")))
	return b.Bytes()
}
