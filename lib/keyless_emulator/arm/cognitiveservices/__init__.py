"""Microsoft.CognitiveServices: Azure OpenAI accounts, their keys, and model deployments."""
