"""Microsoft Entra ID: token issuance (client secret, federated client assertion) and discovery."""
