"""Optional adapters to other systems (Dask, Kubernetes, Docker, notifications), each
behind an extra so the core install stays small."""
