"""Microsoft.ManagedIdentity: user-assigned identities (each backed by a service principal in the
subscription's tenant) and their federated identity credentials.

models.py holds the state rules and the in-flight window of credential writes; documents.py
builds the documents from request bodies (pure).
"""
