"""Microsoft.Authorization through azure-mgmt-authorization: role definitions, role assignments,
the permissions API, and who may assign roles."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from keyless_emulator.arm.authorization.models import seed_assignment

OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CHAT_ACTION = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
ACCOUNT_PATH = "/resourceGroups/myResourceGroup/providers/Microsoft.CognitiveServices/accounts/myOpenAIAccount"


def role_id(clients, guid: str) -> str:
    return f"/subscriptions/{clients.sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def account_scope(clients) -> str:
    return f"/subscriptions/{clients.sub}{ACCOUNT_PATH}"


@pytest.fixture
def principal(fresh):
    """A service principal of the default tenant, created directly in the emulator's directory."""
    state = fresh.backend.state
    return state.add_principal(fresh.info.tenant_id, f"sp-{uuid.uuid4().hex[:8]}", has_secret=True)


@pytest.fixture
def auth_client_as(fresh, clients):
    """An AuthorizationManagementClient signed in as a new principal holding `role` at `scope`."""
    def make(role: str, scope: str):
        state = fresh.backend.state
        p = state.add_principal(fresh.info.tenant_id, f"{role.lower().replace(' ', '-')}-{uuid.uuid4().hex[:6]}",
                                has_secret=True)
        seed_assignment(state, scope, p.object_id, role)
        cred = clients.credential(client_id=p.app_id, client_secret=state.client_secret(p))
        return clients.auth(credential=cred), p
    return make


def assign(client, scope: str, principal_id: str, role_guid: str, clients, name: str | None = None, **props):
    body = {"properties": {"roleDefinitionId": role_id(clients, role_guid), "principalId": principal_id, **props}}
    return client.role_assignments.create(scope, name or str(uuid.uuid4()), body)


# -- role definitions ------------------------------------------------------------------------
def test_role_definition_found_by_name_the_way_az_looks_it_up(clients):
    found = list(clients.auth().role_definitions.list(
        f"/subscriptions/{clients.sub}", filter="roleName eq 'Cognitive Services OpenAI User'"))
    assert len(found) == 1
    d = found[0]
    assert d.id == role_id(clients, OPENAI_USER) and d.name == OPENAI_USER
    assert d.type == "Microsoft.Authorization/roleDefinitions" and d.role_type == "BuiltInRole"
    assert d.assignable_scopes == ["/"]
    assert CHAT_ACTION in d.permissions[0].data_actions


AKS_ROLES = {"Azure Kubernetes Service RBAC Reader", "Azure Kubernetes Service RBAC Writer",
             "Azure Kubernetes Service RBAC Admin", "Azure Kubernetes Service RBAC Cluster Admin",
             "Azure Kubernetes Service Cluster User Role", "Azure Kubernetes Service Cluster Admin Role"}


def test_role_definitions_without_filter_are_the_thirteen_built_ins(clients):
    names = {d.role_name for d in clients.auth().role_definitions.list(f"/subscriptions/{clients.sub}")}
    assert names == {"Owner", "Contributor", "Reader", "User Access Administrator", "Cognitive Services User",
                     "Cognitive Services OpenAI User", "Cognitive Services OpenAI Contributor", *AKS_ROLES}


def test_aks_rbac_roles_carry_their_real_ids_and_data_actions(clients):
    auth = clients.auth()
    writer = next(iter(auth.role_definitions.list(
        f"/subscriptions/{clients.sub}", filter="roleName eq 'Azure Kubernetes Service RBAC Writer'")))
    assert writer.name == "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
    data = writer.permissions[0].data_actions
    assert "Microsoft.ContainerService/managedClusters/serviceaccounts/*" in data
    assert "Microsoft.ContainerService/managedClusters/apps/deployments/*" in data
    admin = auth.role_definitions.get(f"/subscriptions/{clients.sub}", "3498e952-d568-435e-9b2c-8d77e338d7f7")
    assert admin.permissions[0].not_data_actions == [
        "Microsoft.ContainerService/managedClusters/resourcequotas/write",
        "Microsoft.ContainerService/managedClusters/resourcequotas/delete",
        "Microsoft.ContainerService/managedClusters/namespaces/write",
        "Microsoft.ContainerService/managedClusters/namespaces/delete"]


def test_unknown_role_name_matches_nothing(clients):
    assert list(clients.auth().role_definitions.list(f"/subscriptions/{clients.sub}",
                                                     filter="roleName eq 'No Such Role'")) == []


def test_get_role_definition_by_id_and_by_full_id(clients):
    auth = clients.auth()
    assert auth.role_definitions.get(account_scope(clients), READER).role_name == "Reader"
    assert auth.role_definitions.get_by_id(role_id(clients, CONTRIBUTOR)).role_name == "Contributor"


def test_unknown_role_definition_is_not_found(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        clients.auth().role_definitions.get(f"/subscriptions/{clients.sub}", str(uuid.uuid4()))
    assert e.value.error.code == "RoleDefinitionDoesNotExist"


def test_unsupported_role_definition_filter_is_refused(clients):
    with pytest.raises(HttpResponseError) as e:
        list(clients.auth().role_definitions.list(f"/subscriptions/{clients.sub}", filter="startswith(roleName,'O')"))
    assert (e.value.status_code, e.value.error.code) == (400, "InvalidFilterInQueryString")


# -- role assignments: create, read, list, delete ----------------------------------------------
def test_assignment_lifecycle_at_the_account_scope(clients, principal, fresh):
    auth, scope = clients.auth(), account_scope(clients)
    name = str(uuid.uuid4())
    created = assign(auth, scope, principal.object_id, OPENAI_USER, clients, name=name,
                     principalType="ServicePrincipal")
    assert created.id == f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    assert (created.name, created.scope, created.principal_type) == (name, scope, "ServicePrincipal")
    assert created.role_definition_id == role_id(clients, OPENAI_USER)
    operator = fresh.backend.state.principal_by_app_id(clients.info.tenant_id, clients.info.client_id)
    assert created.created_by == operator.object_id
    assert auth.role_assignments.get(scope, name).principal_id == principal.object_id
    assert auth.role_assignments.get_by_id(created.id).name == name
    auth.role_assignments.delete(scope, name)
    with pytest.raises(ResourceNotFoundError) as e:
        auth.role_assignments.get(scope, name)
    assert e.value.error.code == "RoleAssignmentNotFound"


def test_principal_type_is_looked_up_when_omitted(clients, principal):
    created = assign(clients.auth(), account_scope(clients), principal.object_id, OPENAI_USER, clients)
    assert created.principal_type == "ServicePrincipal"


def test_re_put_of_the_same_assignment_is_idempotent(clients, principal, fresh):
    auth, scope, name = clients.auth(), account_scope(clients), str(uuid.uuid4())
    first = assign(auth, scope, principal.object_id, OPENAI_USER, clients, name=name)
    again = assign(auth, scope, principal.object_id, OPENAI_USER, clients, name=name)
    assert (again.id, again.created_on) == (first.id, first.created_on)
    statuses = [r["status"] for r in clients.control.request_log()
                if r["method"] == "PUT" and name in r["path"]]
    assert statuses == [201, 200]


def test_same_assignment_under_another_name_is_role_assignment_exists(clients, principal):
    auth, scope = clients.auth(), account_scope(clients)
    first = assign(auth, scope, principal.object_id, OPENAI_USER, clients)
    with pytest.raises(ResourceExistsError) as e:
        assign(auth, scope, principal.object_id, OPENAI_USER, clients)
    assert e.value.status_code == 409 and e.value.error.code == "RoleAssignmentExists"
    assert e.value.error.message == ("The role assignment already exists. The ID of the existing role assignment is "
                                     f"{first.name.replace('-', '')}.")


def test_reusing_a_name_for_another_role_is_not_permitted(clients, principal):
    auth, scope, name = clients.auth(), account_scope(clients), str(uuid.uuid4())
    assign(auth, scope, principal.object_id, OPENAI_USER, clients, name=name)
    with pytest.raises(ResourceExistsError) as e:
        assign(auth, scope, principal.object_id, READER, clients, name=name)
    assert e.value.error.code == "RoleAssignmentUpdateNotPermitted"


def test_unknown_role_definition_is_refused(clients, principal):
    with pytest.raises(HttpResponseError) as e:
        assign(clients.auth(), account_scope(clients), principal.object_id, str(uuid.uuid4()), clients)
    assert (e.value.status_code, e.value.error.code) == (400, "RoleDefinitionDoesNotExist")


def test_unknown_principal_without_type_is_principal_not_found(clients):
    missing = str(uuid.uuid4())
    with pytest.raises(HttpResponseError) as e:
        assign(clients.auth(), account_scope(clients), missing, OPENAI_USER, clients)
    assert (e.value.status_code, e.value.error.code) == (400, "PrincipalNotFound")
    assert e.value.error.message.startswith(f"Principal {missing.replace('-', '')} does not exist in the directory "
                                            f"{clients.info.tenant_id}.")
    assert "set the role assignment principalType property" in e.value.error.message


def test_unknown_principal_with_type_is_accepted(clients):
    """The article passes --assignee-principal-type precisely to skip the directory lookup."""
    missing = str(uuid.uuid4())
    created = assign(clients.auth(), account_scope(clients), missing, OPENAI_USER, clients,
                     principalType="ServicePrincipal")
    assert (created.principal_id, created.principal_type) == (missing, "ServicePrincipal")


def test_wrong_principal_type_is_unmatched(clients, principal):
    with pytest.raises(HttpResponseError) as e:
        assign(clients.auth(), account_scope(clients), principal.object_id, OPENAI_USER, clients, principalType="User")
    assert (e.value.status_code, e.value.error.code) == (400, "UnmatchedPrincipalType")


def test_assignment_name_must_be_a_guid(clients, principal):
    with pytest.raises(HttpResponseError) as e:
        assign(clients.auth(), account_scope(clients), principal.object_id, OPENAI_USER, clients, name="not-a-guid")
    assert (e.value.status_code, e.value.error.code) == (400, "InvalidRoleAssignmentId")


def test_principal_id_is_required(clients):
    body = {"properties": {"roleDefinitionId": role_id(clients, OPENAI_USER)}}
    with pytest.raises(HttpResponseError) as e:
        clients.auth().role_assignments.create(account_scope(clients), str(uuid.uuid4()), body)
    assert (e.value.status_code, e.value.error.code) == (400, "InvalidRequestContent")
    assert "properties.principalId" in e.value.error.message


def test_assignment_in_a_missing_group_is_resource_group_not_found(clients, principal):
    with pytest.raises(ResourceNotFoundError) as e:
        assign(clients.auth(), f"/subscriptions/{clients.sub}/resourceGroups/nope", principal.object_id, READER,
               clients)
    assert e.value.error.code == "ResourceGroupNotFound"


def test_assignment_on_a_missing_resource_is_resource_not_found(clients, principal):
    scope = account_scope(clients).replace("myOpenAIAccount", "ghost")
    with pytest.raises(ResourceNotFoundError) as e:
        assign(clients.auth(), scope, principal.object_id, READER, clients)
    assert e.value.error.code == "ResourceNotFound"
    assert "Microsoft.CognitiveServices/accounts/ghost" in e.value.error.message


def test_list_for_scope_filters(clients, principal):
    auth, scope = clients.auth(), account_scope(clients)
    at_account = assign(auth, scope, principal.object_id, OPENAI_USER, clients)
    at_group = assign(auth, clients.group_id(), principal.object_id, READER, clients)
    mine = {a.name for a in auth.role_assignments.list_for_scope(scope,
                                                                 filter=f"principalId eq '{principal.object_id}'")}
    assert mine == {at_account.name, at_group.name}
    # Seen from the group: the account-level one is below the group, so atScope() leaves it out.
    at_or_above_group = {a.name for a in auth.role_assignments.list_for_scope(clients.group_id(), filter="atScope()")}
    assert at_group.name in at_or_above_group and at_account.name not in at_or_above_group
    everything_under_group = {a.name for a in auth.role_assignments.list_for_scope(clients.group_id())}
    assert {at_group.name, at_account.name} <= everything_under_group
    owner = [a for a in auth.role_assignments.list_for_scope(scope, filter="atScope()")
             if a.scope == f"/subscriptions/{clients.sub}"]
    assert [a.role_definition_id for a in owner] == [role_id(clients, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635")]


def test_list_for_subscription_with_the_sdk_filter(clients, principal):
    auth = clients.auth()
    created = assign(auth, account_scope(clients), principal.object_id, OPENAI_USER, clients)
    listed = list(auth.role_assignments.list_for_subscription(filter=f"principalId eq '{principal.object_id}'"))
    assert [a.id for a in listed] == [created.id]
    assert len(list(auth.role_assignments.list_for_subscription())) == 2  # plus the operator's Owner


def test_unsupported_assignment_filter_is_refused(clients):
    with pytest.raises(HttpResponseError) as e:
        list(clients.auth().role_assignments.list_for_subscription(filter="principalName eq 'x'"))
    assert (e.value.status_code, e.value.error.code) == (400, "InvalidFilterInQueryString")


def test_deleting_a_missing_assignment_is_a_quiet_no_content(clients):
    assert clients.auth().role_assignments.delete(account_scope(clients), str(uuid.uuid4())) is None


# -- who may assign roles ----------------------------------------------------------------------
def test_contributor_may_not_assign_roles(clients, auth_client_as, principal):
    auth, _ = auth_client_as("Contributor", f"/subscriptions/{clients.sub}")
    with pytest.raises(HttpResponseError) as e:
        assign(auth, account_scope(clients), principal.object_id, OPENAI_USER, clients)
    assert (e.value.status_code, e.value.error.code) == (403, "AuthorizationFailed")
    assert "Microsoft.Authorization/roleAssignments/write" in e.value.error.message
    assert f"over scope '{account_scope(clients)}'" in e.value.error.message


def test_user_access_administrator_at_the_group_may_assign_roles(clients, auth_client_as, principal):
    auth, _ = auth_client_as("User Access Administrator", clients.group_id())
    assert assign(auth, account_scope(clients), principal.object_id, OPENAI_USER,
                  clients).principal_id == principal.object_id


def test_owner_of_the_account_may_assign_roles_there_only(clients, auth_client_as, principal):
    auth, _ = auth_client_as("Owner", account_scope(clients))
    assign(auth, account_scope(clients), principal.object_id, OPENAI_USER, clients)
    with pytest.raises(HttpResponseError) as e:
        assign(auth, clients.group_id(), principal.object_id, READER, clients)
    assert e.value.error.code == "AuthorizationFailed"


def test_openai_user_may_read_assignments_but_not_delete_them(clients, auth_client_as, principal):
    auth, _ = auth_client_as("Cognitive Services OpenAI User", account_scope(clients))
    created = assign(clients.auth(), account_scope(clients), principal.object_id, OPENAI_USER, clients)
    assert auth.role_assignments.get(account_scope(clients), created.name).id == created.id
    with pytest.raises(HttpResponseError) as e:
        auth.role_assignments.delete(account_scope(clients), created.name)
    assert (e.value.status_code, e.value.error.code) == (403, "AuthorizationFailed")


# -- the permissions API -------------------------------------------------------------------------
def test_permissions_for_the_account_of_the_owner(clients):
    perms = list(clients.auth().permissions.list_for_resource(
        "myResourceGroup", "Microsoft.CognitiveServices", "", "accounts", "myOpenAIAccount"))
    assert [(p.actions, p.not_actions) for p in perms] == [(["*"], [])]


def test_permissions_follow_the_scope(clients, auth_client_as):
    auth, _ = auth_client_as("Cognitive Services OpenAI User", account_scope(clients))
    at_account = list(auth.permissions.list_for_resource("myResourceGroup", "Microsoft.CognitiveServices", "",
                                                         "accounts", "myOpenAIAccount"))
    assert len(at_account) == 1
    assert "Microsoft.Authorization/roleAssignments/write" not in at_account[0].actions
    assert CHAT_ACTION in at_account[0].data_actions
    assert list(auth.permissions.list_for_resource_group("myResourceGroup")) == []


def test_permissions_of_a_missing_group(clients):
    with pytest.raises(ResourceNotFoundError) as e:
        list(clients.auth().permissions.list_for_resource_group("nope"))
    assert e.value.error.code == "ResourceGroupNotFound"


def test_role_definitions_filtered_by_type_and_name_together(clients):
    auth = clients.auth()
    built_in = list(auth.role_definitions.list(f"/subscriptions/{clients.sub}", filter="type eq 'BuiltInRole'"))
    assert len(built_in) == 13
    assert list(auth.role_definitions.list(f"/subscriptions/{clients.sub}", filter="type eq 'CustomRole'")) == []
    both = list(auth.role_definitions.list(account_scope(clients),
                                           filter="roleName eq 'Reader' and type eq 'BuiltInRole'"))
    assert [d.id for d in both] == [role_id(clients, READER)]


def test_assigned_to_filter_at_the_account(clients, principal):
    auth, scope = clients.auth(), account_scope(clients)
    created = assign(auth, scope, principal.object_id, OPENAI_USER, clients)
    listed = list(auth.role_assignments.list_for_scope(scope,
                                                       filter=f"atScope() and assignedTo('{principal.object_id}')"))
    assert [a.id for a in listed] == [created.id]


def test_assignment_at_a_deployment_scope(clients, principal):
    scope = account_scope(clients) + "/deployments/gpt-4o-mini"
    created = assign(clients.auth(), scope, principal.object_id, OPENAI_USER, clients)
    assert created.scope == scope
    with pytest.raises(ResourceNotFoundError) as e:
        assign(clients.auth(), account_scope(clients) + "/deployments/nope", principal.object_id, OPENAI_USER, clients)
    assert e.value.error.code == "ResourceNotFound"


# -- the rules, without HTTP ------------------------------------------------------------------------
def _state():
    from keyless_emulator.clock import Clock
    from keyless_emulator.ids import IdFactory, SecretFactory
    from keyless_emulator.state import EmulatorState

    return EmulatorState(IdFactory("unit"), SecretFactory(b"k" * 32), Clock())


def test_data_actions_honour_the_assignment_age():
    from keyless_emulator.arm.rbac import is_allowed

    state = _state()
    action = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
    scope = "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a"
    doc = seed_assignment(state, scope, "p", "Cognitive Services OpenAI User")
    made = state.resources.meta(doc["id"])["assigned_at"]
    assert is_allowed(state, "p", action, scope, data=True)
    assert is_allowed(state, "p", action, scope, data=True, made_before=made)
    assert not is_allowed(state, "p", action, scope, data=True, made_before=made - 1)
    assert not is_allowed(state, "p", action, scope)  # a data action is not a control-plane action
    assert not is_allowed(state, "p", action, "/subscriptions/s/resourceGroups/g", data=True)


def test_scopes_are_cleaned_as_the_sdks_build_them():
    from keyless_emulator.arm.authorization.models import clean_scope, subscription_of

    assert clean_scope("subscriptions/s/resourcegroups/g/providers/NS//accounts/a/") == \
        "/subscriptions/s/resourcegroups/g/providers/NS/accounts/a"
    assert subscription_of("/subscriptions/s/resourceGroups/g") == "s" and subscription_of("/") is None


def test_role_definition_id_of_the_wrong_type_is_invalid(clients, principal):
    import requests

    token = clients.cred.get_token("https://management.azure.com/.default").token
    url = (f"{clients.info.url}{account_scope(clients)}/providers/Microsoft.Authorization/roleAssignments/"
           f"{uuid.uuid4()}?api-version=2022-04-01")
    r = requests.put(url, json={"properties": {"roleDefinitionId": 42, "principalId": principal.object_id}},
                     headers={"Authorization": f"Bearer {token}"}, verify=clients.verify)
    assert (r.status_code, r.json()["error"]["code"]) == (400, "InvalidRoleDefinitionId")


# -- shapes of the official examples -----------------------------------------------------------
EXAMPLES = Path(__file__).resolve().parent / "arm_examples" / "authorization"


def _keys(doc: dict) -> set[str]:
    """Top-level keys and the keys of `properties`."""
    return set(doc) | {f"properties.{k}" for k in doc.get("properties") or {}}


def _example(name: str, status: str = "200") -> dict:
    return json.loads((EXAMPLES / name).read_text())["responses"][status]["body"]


def test_role_assignment_bodies_carry_the_official_examples_keys(clients, principal):
    scope = account_scope(clients)
    name = str(uuid.uuid4())
    auth = clients.auth()
    assign(auth, scope, principal.object_id, OPENAI_USER, clients, name=name, principalType="ServicePrincipal")
    token = clients.cred.get_token("https://management.azure.com/.default").token
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{clients.info.url}{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"
    got = requests.get(url, headers=headers, verify=clients.verify).json()
    assert _keys(_example("RoleAssignments_Get.json")) <= _keys(got)
    assert _keys(_example("RoleAssignments_CreateForResource.json", "201")) <= _keys(got)


def test_role_definition_bodies_carry_the_official_examples_keys(clients):
    token = clients.cred.get_token("https://management.azure.com/.default").token
    url = (f"{clients.info.url}/subscriptions/{clients.sub}/providers/Microsoft.Authorization/roleDefinitions/"
           f"{OPENAI_USER}?api-version=2022-04-01")
    got = requests.get(url, headers={"Authorization": f"Bearer {token}"}, verify=clients.verify).json()
    expected = _example("GetRoleDefinitionByName.json")
    assert _keys(expected) <= _keys(got)
    assert set(expected["properties"]["permissions"][0]) <= set(got["properties"]["permissions"][0])
