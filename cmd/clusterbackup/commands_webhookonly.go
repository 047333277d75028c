//go:build webhookonly

package main

// commands of the webhook-only build (`go build -tags webhookonly`): the
// admission webhook image needs neither Helm, kustomize nor the CLI tools,
// and leaving their packages out keeps the server's resident memory low.
var commands = []command{
	{"webhook", "serve the admission webhook (user-cluster or seed mode)", runWebhook},
	{"version", "print the version and the pinned Velero pair", runVersion},
}
