"""Azure Resource Manager: one sub-package per resource provider, plus what they share."""
