// Package userclient is the one way the seed's controllers (credentials,
// release, drills) reach KKP user clusters.
//
// The seed holds an admin kubeconfig for every user cluster, in the Secret
// <NamespacePrefix><clusterID>/<SecretName> under the key SecretKey. A client
// built from it acts with cluster-admin rights, but it talks to an API server
// that the cluster's tenant controls: a user-cluster admin can register an
// aggregated APIService that answers any request with anything, forever. So
// every answer is bounded here, once, for every controller:
//
//   - in time: every request has a deadline (Options.Timeout), and each
//     cluster has its own token bucket (Options.QPS, Options.Burst), so one
//     slow or chatty cluster cannot use up the budget of the others;
//   - in bytes: every response body is cut off at Options.MaxBodyBytes with an
//     error wrapping ErrBodyTooLarge, never truncated silently, whether the
//     server declares a Content-Length or streams without end;
//   - in what a kubeconfig may do on the seed: a kubeconfig that would run a
//     command (exec, auth-provider), read a file (tokenFile, client
//     certificate, key or CA files), send credentials through a proxy or in
//     clear, or skip TLS verification is refused with an error wrapping
//     ErrRefused before anything is built from it;
//   - in what reaches a log: requests run with a discarding logger, so
//     client-go's verbose logging cannot dump response bodies (which hold
//     Secret data), and no error of this package quotes a kubeconfig.
//
// Clients caches one client per cluster until the Secret's kubeconfig
// changes, and drops it on Forget (the cluster was deleted or its backup
// disabled) or, with Options.MaxClients, when it is the least recently used
// one over the bound. The clients share one scheme and one static
// RESTMapper for the kinds the seed's loops touch (mapper.go), so a cached
// client holds little more than its connections, and reaching a known kind
// needs no discovery request.
package userclient
