"""Word lists for synthetic story files (see synthetic.py). Data only.

GLOBAL_TERMS is ordered by how often a term should appear: the generator draws from it
with Zipf weights, so the first terms end up in a large share of stories and the last in
very few, as in a real catalogue.
"""

GLOBAL_TERMS = (
    "latency", "timeouts", "restarts", "node", "memory", "upgrade", "throttling", "DNS",
    "OOMKilled", "etcd", "API server", "CrashLoopBackOff", "CPU limits", "load balancer",
    "connection refused", "NotReady", "eviction", "deployment", "autoscaler", "ingress",
    "certificates", "conntrack", "kube-proxy", "iptables", "kubelet", "readiness probe",
    "liveness probe", "rollout", "quota", "leader election", "lease", "webhook",
    "ConfigMap", "Secret", "Helm", "kubectl", "TLS handshake", "packet loss", "5xx errors",
    "503 Service Unavailable", "502 Bad Gateway", "garbage collection",
    "context deadline exceeded", "i/o timeout", "connection reset by peer",
    "no space left on device", "disk pressure", "inode exhaustion", "PID exhaustion",
    "ephemeral storage", "image pull", "ImagePullBackOff", "registry", "rate limit",
    "429 Too Many Requests", "cloud API", "IAM", "metadata service", "EBS volume",
    "persistent volume", "StatefulSet", "DaemonSet", "CronJob", "HPA", "spot instances",
    "preemption", "PodDisruptionBudget", "drain", "cordon", "kernel", "cgroup", "CFS quota",
    "conntrack table full", "SNAT", "ndots", "search domains", "CoreDNS", "NodeLocal DNSCache",
    "musl", "VPC", "CNI", "IP address exhaustion", "MTU", "Calico", "Cilium", "Istio",
    "Envoy", "sidecar", "mTLS", "audit log", "CRD", "admission controller", "finalizer",
    "namespace deletion", "RBAC", "service account token", "x509", "certificate expired",
    "clock skew", "NTP", "split brain", "quorum", "defragmentation", "mvcc",
    "database space exceeded", "fsync", "compaction", "watch cache", "informer", "relist",
    "thundering herd", "retry storm", "exponential backoff", "circuit breaker",
    "graceful shutdown", "SIGTERM", "preStop hook", "terminationGracePeriodSeconds",
    "endpoints", "EndpointSlice", "topology spread", "anti-affinity", "taints",
    "tolerations", "PriorityClass", "resource requests", "overcommit", "bin packing",
    "noisy neighbour", "Prometheus", "alerting", "dashboards", "logging pipeline", "Fluentd",
    "metric cardinality", "on-call", "runbook", "change freeze", "canary", "blue-green",
    "feature flag", "GitOps", "Argo CD", "Terraform", "kops", "kubeadm", "node pool", "AMI",
    "cloud-init", "systemd", "containerd", "Docker", "runc", "overlayfs", "zombie processes",
    "file descriptors", "ulimit", "JVM heap", "Go runtime", "GOMAXPROCS", "goroutine leak",
    "slow disks", "IOPS", "burst credits", "NAT gateway", "egress costs", "cross-zone traffic",
    "availability zone", "region failover", "multi-cluster", "federation", "Vault",
    "external-dns", "cert-manager", "Let's Encrypt", "webhook timeout", "failurePolicy",
    "mutating webhook", "OPA Gatekeeper", "Kyverno", "PodSecurityPolicy", "seccomp",
    "AppArmor", "privileged container", "hostNetwork", "hostPath", "NodePort",
    "externalTrafficPolicy", "session affinity", "keepalive", "HTTP/2", "gRPC",
    "long-lived connections", "connection pool", "IPVS", "ARP table", "neighbour table",
    "gc_thresh", "SYN flood", "TCP retransmits", "UDP", "race condition", "kernel panic",
    "soft lockup", "memory leak", "page cache", "swap", "transparent huge pages", "NUMA",
    "hyperthreading", "CPU manager", "static CPU policy", "device plugin", "GPU",
    "Windows nodes", "ARM nodes", "cluster-proportional-autoscaler", "VPA",
    "KEDA", "Karpenter", "scale-down", "scale-up delay", "pending pods", "unschedulable",
    "FailedScheduling", "FailedMount", "Multi-Attach error", "volume attach timeout",
    "CSI driver", "snapshot", "backup", "Velero", "restore", "data corruption",
    "split-horizon DNS", "stub domains", "upstream resolver", "dnsmasq", "kube-dns",
    "autopath", "negative caching", "TTL", "AAAA queries", "search path",
)  # fmt: skip

# Terms that belong to one component, beyond its taxonomy aliases. Components missing
# here use their name and aliases only, so a new taxonomy entry needs no change here.
COMPONENT_TERMS = {
    "kube-apiserver": ("API server overload", "max-inflight requests", "LIST calls", "watch storms", "API priority and fairness", "apiserver OOM"),  # noqa: E501
    "etcd": ("etcd quorum loss", "database space exceeded", "slow fsync", "etcd defragmentation", "etcd leader changes", "mvcc revision", "etcd snapshot"),  # noqa: E501
    "scheduler": ("scheduler throughput", "pod anti-affinity", "pending pods", "FailedScheduling", "scheduling latency"),  # noqa: E501
    "controller-manager": ("controller loops", "node lifecycle controller", "garbage collector", "stuck controllers"),  # noqa: E501
    "leader-election": ("lease renewal", "split brain", "leader lease", "failed to renew lease"),
    "admission-webhooks": ("webhook timeout", "failurePolicy Fail", "mutating webhook", "admission latency"),  # noqa: E501
    "api-extensions": ("CRD conversion", "aggregated API", "custom resources", "OIDC provider"),
    "api-versions": ("removed API", "deprecated API", "apiVersion change", "manifest migration"),
    "certificates": ("certificate expired", "x509", "cert rotation", "kubelet client certificate"),
    "audit-logging": ("audit log volume", "audit webhook", "audit policy"),
    "dns": ("ndots:5", "search domains", "DNS timeouts", "5 second DNS delay", "NXDOMAIN"),
    "coredns": ("CoreDNS OOM", "CoreDNS replicas", "forward plugin", "CoreDNS cache"),
    "kube-dns": ("dnsmasq", "kube-dns scaling", "SERVFAIL"),
    "conntrack": ("conntrack table full", "insert_failed", "nf_conntrack", "DNAT race"),
    "kube-proxy": ("iptables rules", "IPVS mode", "stale endpoints", "ClusterIP"),
    "cni": ("IP address exhaustion", "aws-node", "pod CIDR", "MTU mismatch", "Calico BGP"),
    "ingress": ("ingress-nginx", "NGINX reload", "502 Bad Gateway", "ingress controller"),
    "load-balancers": ("health checks", "externalTrafficPolicy", "connection draining", "ELB"),
    "service-mesh": ("Envoy sidecar", "Istio pilot", "mTLS", "sidecar startup order"),
    "egress-nat": ("SNAT port exhaustion", "NAT gateway", "egress IP"),
    "kubelet": ("PLEG is not healthy", "kubelet restarts", "node status updates", "image GC"),
    "container-runtime": ("containerd", "Docker daemon hang", "runc", "shim leaks"),
    "node-os": ("kernel bug", "cgroup v2", "soft lockup", "kernel upgrade"),
    "node-health": ("NodeNotReady", "node auto-repair", "node problem detector"),
    "eviction": ("Evicted", "memory pressure", "eviction thresholds", "DiskPressure"),
    "images": ("ImagePullBackOff", "registry outage", "mutable tags", "image pull rate limit"),
    "cpu-throttling": ("CFS quota", "throttled periods", "CPU limits", "nr_throttled"),
    "memory-oom": ("OOMKilled", "memory limits", "JVM heap", "page cache"),
    "requests-limits": ("resource requests", "LimitRange", "overcommit", "QoS class"),
    "resource-exhaustion": ("PID exhaustion", "file descriptors", "inode exhaustion", "ephemeral storage"),  # noqa: E501
    "pod-priority": ("preemption", "PriorityClass", "system-node-critical"),
    "resource-reservation": ("kube-reserved", "system-reserved", "allocatable"),
    "jobs-cronjobs": ("concurrencyPolicy", "startingDeadlineSeconds", "job backlog"),
    "daemonsets": ("DaemonSet rollout", "maxUnavailable", "node agents"),
    "probes": ("liveness probe", "readiness probe", "probe timeout", "cascading restarts"),
    "graceful-shutdown": ("SIGTERM", "preStop hook", "terminationGracePeriodSeconds", "endpoint removal"),  # noqa: E501
    "replicas-rollouts": ("rolling update", "maxSurge", "replica count", "rollback"),
    "stateful-workloads": ("StatefulSet", "PersistentVolumeClaim", "database failover"),
    "application": ("connection pool", "retry storm", "thread pool", "GC pauses"),
    "cluster-autoscaler": ("scale-down", "pending pods", "node groups", "spot interruptions"),
    "hpa": ("HPA", "metrics-server", "target utilisation", "scaling lag"),
    "large-clusters": ("5,000 nodes", "watch cache", "object count", "API latency SLO"),
    "iam-credentials": ("kube2iam", "metadata service", "IRSA", "credential expiry"),
    "volumes": ("EBS volume", "Multi-Attach error", "FailedMount", "CSI driver"),
    "cloud-api-limits": ("API rate limit", "RequestLimitExceeded", "cloud quota"),
    "cluster-provisioning": ("kops", "kubeadm", "control plane upgrade", "node pool upgrade"),
    "helm-templating": ("Helm release", "Tiller", "values file", "template rendering"),
    "kubectl": ("kubectl apply", "kubectl delete", "wrong context", "kubectl drain"),
    "config-changes": ("ConfigMap change", "bad config push", "feature flag"),
    "accidental-deletion": ("deleted namespace", "cluster deletion", "finalizers"),
    "observability": ("Prometheus", "metric cardinality", "logging pipeline", "missing alerts"),
    "incident-response": ("on-call", "runbook", "status page", "war room"),
    "change-management": ("change freeze", "canary", "staged rollout", "peer review"),
}  # fmt: skip

TITLE_TEMPLATES = (
    "{term} in {component} {consequence}",
    "How {term} in {component} {consequence}",
    "{component} {failure} after {trigger}",
    "{Consequence} because of {term}",
    "When {component} met {term2}",
    "{component} and {component2}: {term} {consequence}",
    "{term} {consequence} during {trigger}",
    "Debugging {term} on {platform}",
    "{term} and {term2} in a {scale} cluster",
    "Lessons from {term} on {platform}",
)
FAILURES = (
    "overloaded", "misconfigured", "stuck", "exhausted", "crash-looping",
    "silently dropping traffic", "out of capacity", "flapping", "unreachable",
    "slowed to a crawl", "lost its state",
)  # fmt: skip
CONSEQUENCES = (
    "takes down production", "causes a cluster-wide outage", "breaks deployments for hours",
    "causes 5xx errors", "doubles p99 latency", "stalls rollouts", "loses data",
    "pages on-call all night", "costs thousands in egress", "drops customer traffic",
    "hides a slow memory leak", "blocks every release", "cascades across zones",
)  # fmt: skip
TRIGGERS = (
    "a Kubernetes upgrade", "a traffic spike", "a config push", "a node pool rotation",
    "a Black Friday sale", "a certificate rotation", "a region migration", "a kernel update",
    "an autoscaling event", "a routine deploy", "a cloud provider incident", "a DNS change",
)  # fmt: skip
SCALES = ("small", "busy", "multi-tenant", "large", "5,000-node", "regulated", "shared")

SENTENCES = (
    "The first sign was {term} on a handful of {platform} nodes, followed by {term2}.",
    "Within {minutes} minutes {component} was reporting {term} and {term2}.",
    "The team traced the problem to {term} in {component}, made worse by {term2}.",
    "Dashboards showed {term} climbing while {term2} stayed flat, which hid the cause.",
    "Roughly {percent}% of requests failed with {term} until the rollout was paused.",
    "Because {component} depended on {component2}, {term} spread to the whole cluster.",
    "On-call engineers first suspected {term2}, but `{command}` pointed at {term}.",
    "A change made weeks earlier had left {component} without headroom for {term}.",
    "The outage lasted {hours} hours and affected {services} services.",
    "Recovery meant restarting {component} node by node and clearing {term}.",
    "Nobody had tested how {component} behaves under {term} at this scale.",
    "Retries from clients turned {term} into {term2} across {nodes} nodes.",
    "Alerts on {term} fired, but the runbook only covered {term2}.",
    "The cluster ran {nodes} nodes on {platform} with {component} at default settings.",
    "Logs were full of \"{term}\" messages long before users noticed anything.",
    "Rolling back the change fixed {term2}, but {term} returned the next day.",
    "The root cause was a combination of {term}, {term2} and {term3}.",
    "Load tests had never exercised {term}, so the limit went unnoticed.",
)  # fmt: skip
ACTIONS = (
    "Added alerts on {term} with a runbook entry.",
    "Set explicit limits for {component} and reviewed {term2}.",
    "Load-tested {component} against {term} before every upgrade.",
    "Moved {component} to dedicated nodes to isolate it from {term}.",
    "Documented how to recognise {term} from `{command}` output.",
    "Rolled out {mitigation} across all clusters.",
    "Removed the dependency of {component} on {component2}.",
    "Added a canary stage that checks for {term2}.",
)
COMMANDS = (
    "kubectl get events", "kubectl describe pod", "kubectl top nodes", "etcdctl endpoint status",
    "journalctl -u kubelet", "conntrack -S", "dig +search", "kubectl get --raw /metrics",
    "crictl ps", "dmesg -T",
)  # fmt: skip
HEADINGS = ("What happened", "Why it happened", "What changed", "Timeline", "Follow-up")

ORGANIZATION_WORDS = (
    "Acme", "Aurora", "Basalt", "Beacon", "Birch", "Blue Heron", "Boreal", "Brightline",
    "Cascade", "Cedar", "Cinder", "Cobalt", "Comet", "Copper", "Coral", "Crescent", "Delta",
    "Driftwood", "Ember", "Evergreen", "Falcon", "Fennel", "Fjord", "Flint", "Foxglove",
    "Garnet", "Glacier", "Granite", "Harbor", "Hawthorn", "Helix", "Horizon", "Indigo",
    "Iris", "Juniper", "Kestrel", "Lantern", "Larch", "Lumen", "Maple", "Meridian", "Mistral",
    "Monsoon", "Nimbus", "Northwind", "Oakridge", "Obsidian", "Onyx", "Orchid", "Osprey",
    "Pebble", "Pinnacle", "Polaris", "Prairie", "Quartz", "Quill", "Raven", "Redwood",
    "Ridge", "Saffron", "Sapphire", "Sequoia", "Sierra", "Silverline", "Solstice", "Sparrow",
    "Spruce", "Summit", "Tamarack", "Tundra", "Umber", "Vantage", "Velvet", "Verdant",
    "Willow", "Zephyr", "Zenith", "Alder", "Anchor", "Atlas",
)  # fmt: skip
ORGANIZATION_KINDS = (
    "Analytics", "Bank", "Cloud", "Games", "Health", "Labs", "Media", "Logistics", "Pay",
    "Retail", "Systems", "Telecom", "Travel", "Insurance", "Energy", "Foods", "Mobility",
    "Security", "Software", "Studios", "Networks", "Robotics", "Learning", "Markets",
    "Data", "Fintech", "Airlines", "Motors", "Hosting", "Search", "Social", "Music",
    "Maps", "Ads", "Bio", "Capital", "Commerce", "Devices", "Works", "Group",
)  # fmt: skip

UPSTREAM_REPOSITORIES = (
    "kubernetes/kubernetes", "kubernetes/kubernetes", "kubernetes/kubernetes", "etcd-io/etcd",
    "coredns/coredns", "kubernetes/ingress-nginx", "containerd/containerd",
    "kubernetes/autoscaler", "projectcalico/calico", "cilium/cilium", "aws/amazon-vpc-cni-k8s",
    "istio/istio", "helm/helm", "kubernetes/kops", "prometheus/prometheus",
)  # fmt: skip
UPSTREAM_NOTES = (
    "Describes the same failure in {component}.",
    "The fix for {term}, released in a later version.",
    "Tracks {term} under load.",
    "Discussion of the default that made {term} likely.",
)

# What a story's `symptoms:` quote: error messages, log lines, statuses, metric names.
# {ip}, {n}, {hash} and {duration} are filled per story, as pasted logs vary in them.
COMPONENT_SYMPTOMS = {
    "kube-apiserver": ("the server is currently unable to handle the request", "apiserver_request_duration_seconds", "Timeout: request did not complete within requested timeout 34s", "too many requests, please try again later"),  # noqa: E501
    "etcd": ("etcdserver: mvcc: database space exceeded", "etcdserver: request timed out", "etcdserver: leader changed", "wal: sync duration of {duration}, expected less than 1s", "NOSPACE"),  # noqa: E501
    "scheduler": ("0/{n} nodes are available: {n} Insufficient cpu.", "FailedScheduling"),
    "controller-manager": ("error retrieving resource lock kube-system/kube-controller-manager",),
    "leader-election": ("failed to renew lease kube-system/kube-scheduler: timed out waiting for the condition", "leaderelection lost"),  # noqa: E501
    "admission-webhooks": ('Internal error occurred: failed calling webhook "validate.example.io": context deadline exceeded',),  # noqa: E501
    "certificates": ("x509: certificate has expired or is not yet valid", "x509: certificate signed by unknown authority"),  # noqa: E501
    "dns": ("dial udp {ip}:53: i/o timeout", "no such host", "SERVFAIL"),
    "coredns": ("[ERROR] plugin/errors: 2 example.com. A: read udp {ip}:53: i/o timeout", "OOMKilled"),  # noqa: E501
    "conntrack": ("nf_conntrack: table full, dropping packet", "insert_failed"),
    "kube-proxy": ("Failed to execute iptables-restore: exit status 4",),
    "cni": ('failed to assign an IP address to container', "NetworkPluginNotReady"),
    "ingress": ("upstream prematurely closed connection while reading response header from upstream", "502 Bad Gateway"),  # noqa: E501
    "load-balancers": ("connection reset by peer", "503 Service Unavailable"),
    "kubelet": ("PLEG is not healthy: pleg was last seen active {duration} ago; threshold is 3m0s", "NodeNotReady"),  # noqa: E501
    "container-runtime": ("rpc error: code = DeadlineExceeded desc = context deadline exceeded", "failed to create containerd task"),  # noqa: E501
    "node-os": ("kernel: BUG: soft lockup - CPU#{n} stuck for 22s!", "task blocked for more than 120 seconds"),  # noqa: E501
    "node-health": ("NodeNotReady", "Kubelet stopped posting node status."),
    "eviction": ("Evicted", "The node was low on resource: memory.", "DiskPressure"),
    "images": ("ImagePullBackOff", "ErrImagePull", "toomanyrequests: You have reached your pull rate limit."),  # noqa: E501
    "cpu-throttling": ("container_cpu_cfs_throttled_periods_total", "nr_throttled"),
    "memory-oom": ("OOMKilled", "Memory cgroup out of memory: Killed process {n}"),
    "resource-exhaustion": ("no space left on device", "fork: retry: Resource temporarily unavailable", "too many open files"),  # noqa: E501
    "probes": ("Liveness probe failed: Get http://{ip}:8080/healthz: net/http: request canceled", "Readiness probe failed"),  # noqa: E501
    "graceful-shutdown": ("connection refused", "502 Bad Gateway"),
    "replicas-rollouts": ("CrashLoopBackOff", "Back-off restarting failed container app in pod app-{hash}"),  # noqa: E501
    "cluster-autoscaler": ("pod didn't trigger scale-up", "NotTriggerScaleUp"),
    "volumes": ('Multi-Attach error for volume "pvc-{hash}" Volume is already exclusively attached to one node and can\'t be attached to another', "FailedMount"),  # noqa: E501
    "cloud-api-limits": ("RequestLimitExceeded", "Rate exceeded"),
    "iam-credentials": ("NoCredentialProviders: no valid providers in chain", "ExpiredToken"),
}  # fmt: skip
GLOBAL_SYMPTOMS = (
    "CrashLoopBackOff", "OOMKilled", "context deadline exceeded", "connection refused",
    "i/o timeout", "NotReady", "Evicted", "503 Service Unavailable", "ImagePullBackOff",
    "connection reset by peer", "Error", "Terminating", "Pending", "Unknown",
)  # fmt: skip
