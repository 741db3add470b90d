"""Type tokens of the cloud resources the components' tests look up."""

NODEPOOL = "tencentcloud:Kubernetes/nodePool:NodePool"
CLUSTER = "tencentcloud:Kubernetes/cluster:Cluster"
ENDPOINT = "tencentcloud:Kubernetes/clusterEndpoint:ClusterEndpoint"
K8S_PROVIDER = "pulumi:providers:kubernetes"
FS = "tencentcloud:Cfs/fileSystem:FileSystem"
