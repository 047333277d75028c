package userclient

import (
	"flag"
	"strconv"
)

// AddFlags binds the options to command-line flags, shared by every loop
// that reaches user clusters. o must be defaulted (Default): each flag's
// default is the field's value.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.SecretName, "kubeconfig-secret", o.SecretName, "seed Secret, in each cluster's namespace, holding the kubeconfig the controllers reach its user cluster with (KKP writes internal-admin-kubeconfig and admin-kubeconfig)")
	fs.StringVar(&o.SecretKey, "kubeconfig-secret-key", o.SecretKey, "key of the kubeconfig in that Secret")
	fs.StringVar(&o.NamespacePrefix, "cluster-namespace-prefix", o.NamespacePrefix, "prefix + cluster ID = the seed namespace of a cluster's kubeconfig Secret")
	fs.DurationVar(&o.Timeout.Duration, "user-cluster-timeout", o.Timeout.Duration, "time limit of each request to a user cluster, reading the answer included")
	fs.Int64Var(&o.MaxBodyBytes, "user-cluster-max-body-bytes", o.MaxBodyBytes, "largest answer read from a user cluster; a larger one fails the request")
	fs.Var((*float32Value)(&o.QPS), "user-cluster-qps", "sustained requests per second to each user cluster")
	fs.IntVar(&o.Burst, "user-cluster-burst", o.Burst, "request burst to each user cluster")
	fs.IntVar(&o.MaxClients, "user-cluster-max-clients", o.MaxClients, "most user-cluster clients kept cached, least recently used dropped first (0: one per cluster); a dropped cluster's next reconcile connects again")
}

// float32Value is a float32 flag; its default shows as the field's value.
type float32Value float32

func (f *float32Value) String() string { return strconv.FormatFloat(float64(*f), 'g', -1, 32) }

func (f *float32Value) Set(v string) error {
	x, err := strconv.ParseFloat(v, 32)
	if err != nil {
		return err
	}
	*f = float32Value(x)
	return nil
}
