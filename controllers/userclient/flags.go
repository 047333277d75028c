package userclient

import (
	"flag"
	"strconv"
)

// AddFlags binds the options to command-line flags, shared by every loop
// that reaches user clusters.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	d, _ := o.Complete()
	fs.StringVar(&o.SecretName, "kubeconfig-secret", d.SecretName, "seed Secret, in each cluster's namespace, holding the kubeconfig the controllers reach its user cluster with (KKP writes internal-admin-kubeconfig and admin-kubeconfig)")
	fs.StringVar(&o.SecretKey, "kubeconfig-secret-key", d.SecretKey, "key of the kubeconfig in that Secret")
	fs.StringVar(&o.NamespacePrefix, "cluster-namespace-prefix", d.NamespacePrefix, "prefix + cluster ID = the seed namespace of a cluster's kubeconfig Secret")
	fs.DurationVar(&o.Timeout, "user-cluster-timeout", d.Timeout, "time limit of each request to a user cluster, reading the answer included")
	fs.Int64Var(&o.MaxBodyBytes, "user-cluster-max-body-bytes", d.MaxBodyBytes, "largest answer read from a user cluster; a larger one fails the request")
	fs.Func("user-cluster-qps", "sustained requests per second to each user cluster (default 20)", func(v string) error {
		f, err := strconv.ParseFloat(v, 32)
		if err != nil {
			return err
		}
		o.QPS = float32(f)
		return nil
	})
	fs.IntVar(&o.Burst, "user-cluster-burst", d.Burst, "request burst to each user cluster")
	fs.IntVar(&o.MaxClients, "user-cluster-max-clients", d.MaxClients, "most user-cluster clients kept cached, least recently used dropped first (0: one per cluster); a dropped cluster's next reconcile connects again")
}
