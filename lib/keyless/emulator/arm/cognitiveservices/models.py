def seed_account(state, subscription, group, name, location, *, custom_subdomain, local_auth):
    doc = {"id": f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.CognitiveServices/accounts/{name}",
           "name": name, "type": "Microsoft.CognitiveServices/accounts", "location": location, "kind": "OpenAI",
           "properties": {"customSubDomainName": custom_subdomain, "disableLocalAuth": not local_auth}}
    return state.resources.put(doc)


def seed_deployment(state, account_id, name, *, model_name, model_version):
    doc = {"id": f"{account_id}/deployments/{name}", "name": name,
           "type": "Microsoft.CognitiveServices/accounts/deployments", "properties": {}}
    return state.resources.put(doc)
