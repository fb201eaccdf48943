"""Every CSS selector the browser suite uses, in one place: JupyterLab 4's own elements, the runbook's
outputs, the store-admin page and the facilitator's dashboard. When one of these pages changes its markup,
this file is the only one to follow it."""
from __future__ import annotations

# JupyterLab: the notebook panel in front (the others are hidden tabs) and what it holds.
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
CODE_CELL = f"{PANEL} .jp-Notebook .jp-CodeCell"
CELL_EDITOR = ".jp-InputArea-editor"
PROMPT = ".jp-InputPrompt"
ACTIVE_CELL = "jp-mod-active"            # the class of the cell the keyboard acts on
IDLE = f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']"
KERNEL_STATUS = ".jp-StatusBar-TextItem"   # JupyterLab's status bar: "Python 3 (ipykernel) | Idle" (not in Notebook 7)
OUTPUT = ".jp-OutputArea-output"
# stderr streams and error tracebacks are both rendered with this MIME type
ERROR_OUTPUT = f"{PANEL} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
WIDGET = ".jupyter-widgets"
COMBOBOX = ".widget-inline-hbox input"       # the form's Comboboxes (one text input each)
MENU = ".lm-MenuBar-itemLabel:text-is('{}')"
MENU_ITEM = ".lm-Menu-itemLabel:text-is('{}')"
DIALOG_ACCEPT = ".jp-Dialog .jp-mod-accept"
CURRENT_TAB = "#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel:text-is('{}')"
FILE = ".jp-DirListing-item:has(.jp-DirListing-itemText span:text-is('{}'))"
# Notebook 7 (built from JupyterLab's components: the selectors above hold in it too): a notebook's own page
# names the notebook, without its extension, in its header.
NOTEBOOK7_TITLE = "#jp-title h1:text-is('{}')"

# store-admin (lib/keyless_emulator/storeapps/store_admin.py)
STORE_PRODUCT_ROWS = "#product-list tr[id^='product-']"   # the list (/, /products): a row per product
STORE_NAV_ADD = "#nav-add-product"
STORE_NAME = "#product-name"             # the form (/product/add, /product/<id>/edit)
STORE_PRICE = "#product-price"
STORE_TAGS = "#product-tags"
STORE_DESCRIPTION = "#product-description"
STORE_ASK_AI = "#ask-ai"                 # "Ask AI Assistant"
STORE_SAVE = "#save-product"             # "Save Product"
STORE_DETAIL_NAME = "#detail-name"       # the product's page (/product/<id>)
STORE_DETAIL_DESCRIPTION = "#detail-description"
STORE_STATUS = "#status"

# the facilitator's dashboard (lib/keyless_emulator/control/dashboard.py)
DASHBOARD_ROW = "#room tbody tr[data-tenant='{}']"
DASHBOARD_LINK = "td[data-link='{}']"
DASHBOARD_RESET = "button:text-is('reset')"
DASHBOARD_STATUS = "#status"

# the runbook's form (keyless.widgets.ParameterForm): one Combobox per parameter, by its label
FORM_FIELD = ".widget-inline-hbox:has(label:text-is('{}')) input"

# the runbook's outputs (keyless.results.StepResult._repr_html_, keyless.widgets.ProgressLine)
RESULT_VALUE = "td code"                 # a value in a step result's table
PROGRESS = ".keyless-progress"           # a step's progress line

# VS Code (code-server) with a notebook open: the workbench, Quick Open and the notebook editor in front (a
# hidden one stays in the page); outputs render in an iframe of their own, in elements that are visible only
# while their cell is on screen.
VSCODE_WORKBENCH = ".monaco-workbench"
VSCODE_QUICK_OPEN = ".quick-input-widget input"
VSCODE_QUICK_OPEN_ROW = ".quick-input-list .monaco-list-row"
VSCODE_NOTEBOOK = ".notebook-editor:visible"
VSCODE_LINK = "a[href^='http://127.']:visible"      # a link in an output (the store-admin address)
VSCODE_PRE = "pre:visible"                          # preformatted output (the equivalent commands)
VSCODE_VALUE = "td code:visible"                    # a value in a result's table
