"""Microsoft.Resources: subscriptions, resource groups, and listing the resources in them."""
