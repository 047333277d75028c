package s3check

import "flag"

// AddFlags binds the check's budget, caches and endpoint policy to the
// --cbsl-check-* flags, the same in every process that checks CBSLs (the
// seed webhook, the seed controllers). o must be defaulted (Default): each
// flag's default is the field's value.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.DurationVar(&o.Budget.Duration, "cbsl-check-budget", o.Budget.Duration, "hard time limit of one S3 reachability check, retries included; keep it under the webhook's timeoutSeconds")
	fs.DurationVar(&o.CacheTTL.Duration, "cbsl-check-cache-ttl", o.CacheTTL.Duration, "how long a successful check result is reused (negative: never)")
	fs.DurationVar(&o.FailureTTL.Duration, "cbsl-check-failure-ttl", o.FailureTTL.Duration, "how long a failed check result is reused (negative: never)")
	fs.Var(&o.Policy.Allow, "cbsl-check-allow-cidr", "CIDR or address the S3 check may dial although the built-in rules deny it (loopback, link-local, ...; the seed's own addresses and metadata addresses only by their exact address); repeatable, comma-separated")
	fs.Var(&o.Policy.Deny, "cbsl-check-deny-cidr", "CIDR the S3 check must never dial, even when allowlisted (e.g. pod and service networks); repeatable, comma-separated")
}
