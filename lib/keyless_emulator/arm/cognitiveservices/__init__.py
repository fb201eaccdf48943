"""Microsoft.CognitiveServices: Azure OpenAI accounts, their keys, and model deployments.

models.py holds the state rules, keys and long-running writes; documents.py builds the documents
from request bodies (pure); catalog.py is what the emulated accounts offer (kinds, SKUs, models).
"""
