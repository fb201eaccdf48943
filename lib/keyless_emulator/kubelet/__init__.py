"""The emulated node: runs each cluster's pods as local processes (see kubelet.py), serves their
logs, their Services on local ports, and the instance metadata endpoint pods are pointed at."""
