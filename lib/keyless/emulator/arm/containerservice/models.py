def seed_cluster(state, subscription, group, name, location, *, workload_identity, oidc_issuer):
    doc = {"id": f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters/{name}",
           "name": name, "type": "Microsoft.ContainerService/managedClusters", "location": location, "properties": {}}
    return state.resources.put(doc)
