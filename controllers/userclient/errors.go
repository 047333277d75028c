package userclient

import "errors"

// ErrNoKubeconfig says the seed holds no admin kubeconfig for a cluster
// (yet): the Secret or its key is missing. KKP writes it once the cluster's
// control plane is up, so callers retry later.
var ErrNoKubeconfig = errors.New("no admin kubeconfig")

// ErrRefused says a kubeconfig is unusable or unsafe to use from the seed
// (it would run a command, read a file, use a proxy, skip TLS verification,
// or it does not parse). The error names the Secret, the key, the kubeconfig
// entry and the field, never the kubeconfig's contents.
var ErrRefused = errors.New("kubeconfig refused")

// ErrBodyTooLarge says a user cluster's API server answered with more than
// Options.MaxBodyBytes. The error never holds any of the body.
var ErrBodyTooLarge = errors.New("response body too large")
