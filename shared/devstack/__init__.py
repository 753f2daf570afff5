"""The embedded stack: the same functions and manifests as in a cluster, as processes on one machine."""
