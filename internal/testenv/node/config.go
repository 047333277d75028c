package node

import (
	"fmt"
	"os"
)

// containerdConfig is containerd 1.6's configuration (version 2) with its
// root, state and socket under dir. restrict_oom_score_adj is required here:
// these machines refuse a negative oom_score_adj, and without it every
// sandbox fails in runc ("can't get final child's PID from pipe: EOF").
func containerdConfig(dir, sock, pauseImage, cniBase string) string {
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q

[grpc]
  address = %[3]q

[ttrpc]
  address = %[4]q

[plugins."io.containerd.internal.v1.opt"]
  path = %[5]q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[6]q
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %[7]q
    conf_dir = %[8]q
`, dir+"/root", dir+"/state", sock, sock+".ttrpc", dir+"/opt", pauseImage, cniDir, cniBase+"/net.d")
}

// kubeletConfig is the KubeletConfiguration: cgroupfs on cgroup v1, x509
// client auth only, eviction and image GC that never fire on a small test
// disk.
func kubeletConfig(pk *pki, sock, podLogs string, healthzPort int) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %[1]s
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %[2]d
tlsCertFile: %[3]s
tlsPrivateKeyFile: %[4]s
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: false
  x509:
    clientCAFile: %[5]s
authorization:
  mode: AlwaysAllow
containerRuntimeEndpoint: unix://%[6]s
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
evictionHard:
  memory.available: 1Mi
  nodefs.available: 1%%
  nodefs.inodesFree: 1%%
  imagefs.available: 1%%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
maxPods: 50
syncFrequency: 10s
fileCheckFrequency: 5s
nodeStatusUpdateFrequency: 5s
shutdownGracePeriod: 0s
podLogsDir: %[7]s
`, IP, healthzPort, pk.path("kubelet.crt"), pk.path("kubelet.key"), pk.path("ca.crt"), sock, podLogs)
}

// kubeProxyConfig is the KubeProxyConfiguration: iptables mode, no conntrack
// sysctl changes, listeners on 127.0.0.1.
func kubeProxyConfig(kubeconfig, node string, healthzPort, metricsPort int) string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: %[1]s
hostnameOverride: %[2]s
bindAddress: %[3]s
clusterCIDR: %[4]s
# NodePorts only on the node address: no route_localnet change.
nodePortAddresses: [%[3]s/32]
healthzBindAddress: 127.0.0.1:%[5]d
metricsBindAddress: 127.0.0.1:%[6]d
conntrack:
  maxPerCore: 0
  min: 0
iptables:
  masqueradeAll: false
  syncPeriod: 10s
  minSyncPeriod: 0s
`, kubeconfig, node, IP, PodCIDR, healthzPort, metricsPort)
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
