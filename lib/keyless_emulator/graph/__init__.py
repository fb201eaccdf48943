"""Microsoft Graph: the directory subset `az role assignment create/list` reads (service principals).

Served at `{base}/graph/`, which `/metadata/endpoints` advertises as `microsoftGraphResourceId`, so a
registered az cloud both sends its Graph calls here and asks the emulator's Entra for tokens whose
audience is that URL.
"""
