// Package admit is the admission stack of every webhook clusterbackup
// serves, in user clusters and on the seed:
//
//   - one review decoder: the AdmissionReview body is read (bounded) and
//     decoded once, its objects straight into their Go types (Serve);
//   - one registration per path: Mutator (defaults, then optionally
//     validates in the same call) and Validator (CREATE, UPDATE, and DELETE
//     when it has a Delete rule), each naming the kind and the operations
//     its webhook configuration registers (Endpoint); any other review is
//     answered with a 400 before a rule reads it;
//   - one denial shape: 422 Invalid with one cause per field error, as the
//     API server reports its own validation (Deny);
//   - one outcome vocabulary for metrics and logs (Outcome);
//   - per-field JSON patches: defaults change the spec and annotations, and
//     only the members they changed are patched (members the compiled types
//     do not know are never patched away).
//
// The rules themselves live elsewhere (internal/velerorules, internal/storage);
// the handlers of webhook/user and webhook/seed are tables over them.
package admit
