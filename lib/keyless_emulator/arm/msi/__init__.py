"""Microsoft.ManagedIdentity: user-assigned identities (each backed by a service principal in the
subscription's tenant) and their federated identity credentials."""
