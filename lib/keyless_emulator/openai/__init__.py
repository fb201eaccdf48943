"""The Azure OpenAI data plane: chat completions behind Entra tokens (with RBAC data actions) or API keys."""
