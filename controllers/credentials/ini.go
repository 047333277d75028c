package credentials

import "github.com/clusterbackup/clusterbackup/internal/creds"

// iniFor renders the AWS credentials file for Velero (creds.Static.INI:
// the default profile, and profile when the CBSL's config.profile names
// another one).
func iniFor(st creds.Static, profile string) []byte { return st.INI(profile) }
