"""The article's own manifests, as it prints them: the ServiceAccount annotated with the managed
identity's client id, and ai-service's Deployment with the workload identity label, that service
account, Azure OpenAI through Microsoft Entra and no key. One copy, as YAML text with `{client_id}`,
`{deployment}` and `{endpoint}` to fill in (`str.format`): the kubectl and Azure CLI tests apply it,
and the runbook benchmark's article script pipes it to `kubectl apply` with shell variables filled in.
"""
from __future__ import annotations

SERVICE_ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ai-service-account
  annotations:
    azure.workload.identity/client-id: {client_id}
"""

AI_SERVICE_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ai-service
spec:
  replicas: 1
  selector:
    matchLabels:
      app: ai-service
  template:
    metadata:
      labels:
        app: ai-service
        azure.workload.identity/use: "true"
    spec:
      serviceAccountName: ai-service-account
      nodeSelector:
        "kubernetes.io/os": linux
      containers:
      - name: ai-service
        image: ghcr.io/azure-samples/aks-store-demo/ai-service:latest
        ports:
        - containerPort: 5001
        env:
        - name: USE_AZURE_OPENAI
          value: "True"
        - name: USE_AZURE_AD
          value: "True"
        - name: AZURE_OPENAI_DEPLOYMENT_NAME
          value: "{deployment}"
        - name: AZURE_OPENAI_ENDPOINT
          value: "{endpoint}"
        resources:
          requests:
            cpu: 20m
            memory: 50Mi
          limits:
            cpu: 50m
            memory: 128Mi
"""
