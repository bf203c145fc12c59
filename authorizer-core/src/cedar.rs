//! Cedar policies, evaluated in the function: the other kind of [`crate::rules::Rules`].
//!
//! `CEDAR_POLICIES` holds a policy set in Cedar's language and `CEDAR_SCHEMA` its schema, as an
//! Amazon Verified Permissions (AVP) policy store keeps them. The entities follow AVP's
//! API-linked policy stores, so that policies written there work unchanged; with `NS` the
//! schema's namespace:
//! - the principal is `NS::User::"<sub>"`, a member of `NS::UserGroup::"<group>"` for each of
//!   the caller's groups, its attributes the verified token's claims (those the policies name);
//! - the resource is `NS::Application::"NS"`;
//! - the actions are the schema's `NS::Action::"<method> <path>"` (`get /pets/{petId}`) and
//!   `NS::Action::"$connect"`;
//! - the context is `{"scopes": Set<String>}`.
//!
//! The policies are parsed and validated against the schema in strict mode once, at cold start.
//! Per request, Cedar decides each route action of the schema for the principal, and the actions
//! it allows become the principal's grants, every path parameter a `*`: from there the answer is
//! built as for access rules, so it stays a whole-API, cache-safe policy.
//!
//! Asking Cedar once per action would cost a full evaluation of the policies for each action. But
//! a policy whose conditions never name `action` has the same verdict for every action its scope
//! admits: such policies are *lifted* at cold start (their action scope widened to any action,
//! forbids turned into permits so that Cedar names the satisfied ones), and a request evaluates
//! them once, the lifted permits in one call and the lifted forbids in another. Only the policies
//! whose conditions name `action` are asked about each action in their scope. An action is then
//! allowed exactly as Cedar specifies: some policy in its scope permits it, and none forbids it.
//!
//! Claims are data: they become Cedar values through its constructors, never through its JSON
//! entity format, whose `__entity` and `__extn` escapes would let a claim name an entity or an
//! extension value. They are not checked against the schema per request: a policy that meets a
//! claim of an unexpected type errors, and Cedar then ignores it, as it specifies.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    ActionConstraint, AuthorizationError, Authorizer, Context, Decision, Effect, Entities, Entity,
    EntityId, EntityTypeName, EntityUid, Policy, PolicyId, PolicySet, Request, Response,
    RestrictedExpression, Schema, ValidationMode, Validator,
};
// Cedar's syntax tree, which `cedar_policy` hands out for its policies: what a policy reads is
// walked, and a policy lifted, there. The other ways, through a policy's JSON form, parse each
// policy again (`Policy::to_json`) and each entity type name in it (`Policy::from_json`), and
// each of Cedar's parsers compiles its lexer's regular expressions on first use: 0.9 ms of the
// cold start.
use cedar_policy_core::ast::{self, ExprKind, Literal, Var};
// Its entity store, which a request builds without the transitive closure that `cedar_policy`'s
// own constructors always compute (see `CedarRules::entities`).
use cedar_policy_core::entities::{Entities as Store, NoEntitiesSchema, TCComputation};
use cedar_policy_core::extensions::Extensions;
use serde_json::Value;
use tracing::warn;

use crate::arn::{CONNECT_ROUTE, MethodArn};
use crate::principal::Principal;
use crate::rules::{Grant, Granted};

/// The methods an action may name, in the lower case of AVP's API-linked policy stores.
const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

/// A schema action that names a route: its entity, the grant it stands for, and the policies
/// whose scope admits it: the lifted ones by id, the others (whose conditions name `action`) as
/// the set Cedar is asked about this action with.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RouteAction {
    uid: EntityUid,
    grant: Grant,
    lifted: Vec<PolicyId>,
    own: PolicySet,
}

/// Cedar policies and what a request needs of their schema, read once at cold start from
/// `CEDAR_POLICIES`, `CEDAR_SCHEMA` and `CEDAR_ENTITY_ID_PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CedarRules {
    /// Every route action of the schema, by grant.
    actions: Vec<RouteAction>,
    /// The permits whose conditions do not name `action`, their action scope lifted to any.
    permits: PolicySet,
    /// The forbids whose conditions do not name `action`, their action scope lifted to any and
    /// their effect turned to `permit`: Cedar then names those that hold.
    forbids: PolicySet,
    /// `NS::User`.
    user: EntityTypeName,
    /// `NS::UserGroup`, when the schema declares it (policies that validate name no group
    /// otherwise).
    group: Option<EntityTypeName>,
    /// `NS::Application::"NS"`.
    resource: EntityUid,
    /// The attribute names the policies read or test: the claims the principal's entity needs.
    /// A claim of another name cannot change a decision, so it is not made a Cedar value.
    attributes: Vec<String>,
    /// The groups the policies write out, as the caller's groups name them (the ids without the
    /// prefix; an id without it names no caller's group): the parents the principal's entity
    /// needs. Membership of another group cannot change a decision.
    groups: BTreeSet<String>,
    /// Whether some policy reads the context: when none does, a request's scopes cannot change a
    /// decision, and Cedar is given an empty context instead of building them into a value.
    reads_context: bool,
    /// `CEDAR_ENTITY_ID_PREFIX` followed by `|`; empty when unset.
    prefix: String,
    /// The schema's action entities when it groups actions (`action in NS::Action::"…"` then
    /// needs them); empty otherwise.
    action_entities: Entities,
}

/// What went wrong reading the policies or the schema: which of the two, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CedarError {
    /// The policies cannot be read or do not validate against the schema.
    Policies(String),
    /// The schema cannot be read or does not have the entities this kit names.
    Schema(String),
}

impl CedarRules {
    /// Reads `schema` (Cedar's JSON format when it starts with `{`, else its human-readable
    /// format) and `policies`, validates the policies in strict mode, and keeps the schema's route
    /// actions. `prefix` is `CEDAR_ENTITY_ID_PREFIX`.
    pub fn new(policies: &str, schema: &str, prefix: Option<&str>) -> Result<Self, CedarError> {
        let schema = read_schema(schema).map_err(CedarError::Schema)?;
        let namespace = namespace(&schema).map_err(CedarError::Schema)?;
        // Taken from the schema, which has parsed them, rather than parsed again.
        let declared = |name: &str| {
            let full = match namespace.as_str() {
                "" => name.to_owned(),
                ns => format!("{ns}::{name}"),
            };
            let found = schema.entity_types().find(|t| t.to_string() == full);
            found.cloned().ok_or(full)
        };
        let type_name = |name: &str| {
            declared(name).map_err(|full| {
                CedarError::Schema(format!(
                    "declares no entity type {full}, which the principal or resource is"
                ))
            })
        };
        let (user, application) = (type_name("User")?, type_name("Application")?);
        // The group type is optional: a schema without groups has policies that name none.
        let group = declared("UserGroup").ok();
        let resource = EntityUid::from_type_name_and_id(application, EntityId::new(&namespace));

        let policies = read_policies(policies).map_err(CedarError::Policies)?;
        let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if let Some(error) = validation.validation_errors().next() {
            return Err(CedarError::Policies(format!(
                "policy {:?} does not validate against CEDAR_SCHEMA: {error}",
                error.policy_id().to_string()
            )));
        }

        let grouped = schema.action_groups().next().is_some();
        let action_entities = match grouped {
            true => schema
                .action_entities()
                .map_err(|e| CedarError::Schema(e.to_string()))?,
            false => Entities::empty(),
        };
        let (mut permits, mut forbids) = (PolicySet::new(), PolicySet::new());
        let mut own = Vec::new();
        let (mut attributes, mut groups) = (BTreeSet::new(), BTreeSet::new());
        let prefix = prefix.map(|p| format!("{p}|")).unwrap_or_default();
        let mut reads_context = false;
        let group_type = group.as_ref().map(EntityTypeName::to_string);
        for policy in policies.policies() {
            let tree: &ast::Policy = policy.as_ref();
            names(tree, group_type.as_deref(), &mut attributes, &mut groups);
            reads_context |= conditions_name(tree, Var::Context);
            let added = match (lifted(tree), policy.effect()) {
                (Some(lifted), Effect::Permit) => permits.add(lifted),
                (Some(lifted), Effect::Forbid) => forbids.add(lifted),
                (None, _) => {
                    own.push(policy);
                    continue;
                }
            };
            added.map_err(|e| CedarError::Policies(e.to_string()))?;
        }
        let mut actions = Vec::new();
        for uid in schema.actions() {
            let Some(grant) = route_grant(uid.id().unescaped()) else {
                continue;
            };
            let in_scope = |policy: &Policy| match policy.action_constraint() {
                ActionConstraint::Any => true,
                ActionConstraint::Eq(action) => action == *uid,
                ActionConstraint::In(actions) => actions
                    .iter()
                    .any(|a| a == uid || action_entities.is_ancestor_of(a, uid)),
            };
            let lifted = policies
                .policies()
                .filter(|p| permits.policy(p.id()).or(forbids.policy(p.id())).is_some())
                .filter(|p| in_scope(p))
                .map(|p| p.id().clone())
                .collect();
            let scoped = own.iter().filter(|p| in_scope(p)).map(|&p| p.clone());
            let own = PolicySet::from_policies(scoped)
                .map_err(|e| CedarError::Policies(e.to_string()))?;
            actions.push(RouteAction {
                uid: uid.clone(),
                grant,
                lifted,
                own,
            });
        }
        if actions.is_empty() {
            return Err(CedarError::Schema(format!(
                "declares no action of the forms \"<method> <path>\" or \"{CONNECT_ROUTE}\""
            )));
        }
        actions.sort_by(|a, b| a.grant.cmp(&b.grant));
        Ok(CedarRules {
            actions,
            permits,
            forbids,
            attributes: attributes.into_iter().collect(),
            groups: groups
                .iter()
                .filter_map(|id| Some(id.strip_prefix(prefix.as_str())?.to_owned()))
                .collect(),
            reads_context,
            user,
            group,
            resource,
            prefix,
            action_entities,
        })
    }

    /// Every grant Cedar allows `principal`, sorted and without repeats, and the policies that
    /// decided the route `arn` calls (the permits that allowed it, or the forbids that denied it).
    pub fn grants_for(&self, principal: &Principal, arn: &MethodArn) -> Granted<'_> {
        let mut granted = Granted {
            grants: Vec::new(),
            policies: Some(String::new()),
        };
        let Some((user, entities)) = self.entities(principal) else {
            return granted;
        };
        let context = match self.reads_context {
            true => {
                let scopes = principal.scopes.iter();
                let scopes = scopes.map(|scope| RestrictedExpression::new_string(scope.clone()));
                Context::from_pairs([("scopes".to_owned(), RestrictedExpression::new_set(scopes))])
            }
            false => Ok(Context::empty()),
        };
        let Ok(context) = context else {
            return granted;
        };
        let (called_method, called_path) = (arn.method(), arn.path().trim_start_matches('/'));
        let authorizer = Authorizer::new();
        let ask = |action: &EntityUid, policies: &PolicySet| {
            if policies.is_empty() {
                return None;
            }
            let request = Request::new(
                user.clone(),
                action.clone(),
                self.resource.clone(),
                context.clone(),
                None,
            );
            Some(authorizer.is_authorized(&request.ok()?, policies, &entities))
        };
        // The lifted policies' verdicts hold for every action: any action will do to ask them.
        let any_action = &self.actions[0].uid;
        let (permits, forbids) = (
            ask(any_action, &self.permits),
            ask(any_action, &self.forbids),
        );
        let (permitted, forbidden) = (held(permits.as_ref()), held(forbids.as_ref()));
        let lifted_errors = erred(permits.as_ref()).chain(erred(forbids.as_ref()));
        let lifted_errors: Vec<&PolicyId> = lifted_errors.collect();
        let (mut deciding, mut errored) = (Vec::new(), Vec::new());
        for action in &self.actions {
            let own = ask(&action.uid, &action.own);
            // Cedar names the permits that held when it allows, else the forbids that held.
            let own_held = held(own.as_ref());
            let own_allows = own.as_ref().map(Response::decision) == Some(Decision::Allow);
            let (own_permits, own_forbids) = match own_allows {
                true => (&own_held[..], &[][..]),
                false => (&[][..], &own_held[..]),
            };
            let permitting = holding(&action.lifted, &permitted, own_permits);
            let forbidding = holding(&action.lifted, &forbidden, own_forbids);
            let allowed =
                permitting.clone().next().is_some() && forbidding.clone().next().is_none();
            // The actions are sorted by grant: the grants come sorted, and a repeat is the last.
            if allowed && granted.grants.last() != Some(&Cow::Borrowed(&action.grant)) {
                granted.grants.push(Cow::Borrowed(&action.grant));
            }
            if action.grant.covers(called_method, called_path) {
                deciding.extend(if allowed { permitting } else { forbidding }.cloned());
                errored.extend(holding(&action.lifted, &lifted_errors, &[]).cloned());
                errored.extend(erred(own.as_ref()).cloned());
            }
        }
        if !errored.is_empty() {
            let errored: Vec<String> = errored.iter().map(PolicyId::to_string).collect();
            // The policies' ids only: an error's message may quote a claim's value.
            warn!(
                policies = errored.join(","),
                "Cedar ignored policies that erred"
            );
        }
        let mut ids: Vec<String> = deciding.iter().map(PolicyId::to_string).collect();
        ids.sort_unstable();
        ids.dedup();
        granted.policies = Some(ids.join(","));
        granted
    }

    /// The principal's entity and the request's entity store: the principal, a member of those
    /// of its groups that the policies name, and the schema's action entities. `None` (nothing
    /// granted) if Cedar refuses them.
    fn entities(&self, principal: &Principal) -> Option<(EntityUid, Entities)> {
        let uid = |type_name: &EntityTypeName, value: &str| {
            let id = EntityId::new(format!("{}{value}", self.prefix));
            EntityUid::from_type_name_and_id(type_name.clone(), id)
        };
        let user = uid(&self.user, &principal.sub);
        let groups = principal.groups.iter();
        let groups = groups.filter(|group| self.groups.contains(group.as_str()));
        let groups = groups.filter_map(|group| Some(uid(self.group.as_ref()?, group)));
        let attributes = self.attributes.iter().filter_map(|name| {
            let value = expression(principal.claims.get(name)?)?;
            Some((name.clone(), value))
        });
        let entity = Entity::new_with_tags(user.clone(), attributes, groups, std::iter::empty());
        let entity = match entity {
            Ok(entity) => entity,
            Err(_) => {
                warn!("Cedar refused the principal's attributes");
                return None;
            }
        };
        // The groups are the principal's parents and nothing more: Cedar decides `principal in
        // NS::UserGroup::"…"` from the principal's own ancestors, so the groups need no entities
        // of their own (they would have neither attributes nor parents). The store is then
        // transitively closed as built, the schema's action entities being closed already (Cedar
        // builds them so): `cedar_policy::Entities` would compute the closure again all the same,
        // 14 k instructions a request, so the store is built by Cedar's core, told it is closed.
        let principal = entity.as_ref().clone();
        let (closed, extensions) = (
            TCComputation::AssumeAlreadyComputed,
            Extensions::all_available(),
        );
        let no_schema = None::<&NoEntitiesSchema>;
        let entities = if self.action_entities.is_empty() {
            Store::from_entities([principal], no_schema, closed, extensions)
        } else {
            let actions: &Store = self.action_entities.as_ref();
            let principal = [Arc::new(principal)];
            actions
                .clone()
                .add_entities(principal, no_schema, closed, extensions)
        };
        match entities {
            Ok(entities) => Some((user, Entities::from(entities))),
            Err(_) => {
                warn!("Cedar refused the principal's entities");
                None
            }
        }
    }
}

/// A claim as a Cedar value: strings, booleans, integers that fit a `Long`, arrays as sets and
/// objects as records, built with Cedar's constructors so that nothing in a claim is read as
/// Cedar syntax; `None` for other numbers and nulls, which are left out (in sets and records
/// too).
fn expression(value: &Value) -> Option<RestrictedExpression> {
    Some(match value {
        Value::String(text) => RestrictedExpression::new_string(text.clone()),
        Value::Bool(flag) => RestrictedExpression::new_bool(*flag),
        Value::Number(number) => RestrictedExpression::new_long(number.as_i64()?),
        Value::Null => return None,
        Value::Array(items) => RestrictedExpression::new_set(items.iter().filter_map(expression)),
        Value::Object(members) => RestrictedExpression::new_record(
            members
                .iter()
                .filter_map(|(name, value)| Some((name.clone(), expression(value)?))),
        )
        .ok()?,
    })
}

/// The policies Cedar found to hold in `response`: the permits when it allows, else the forbids.
fn held(response: Option<&Response>) -> Vec<&PolicyId> {
    response.map_or_else(Vec::new, |r| r.diagnostics().reason().collect())
}

/// The policies of `lifted` (those in an action's scope) that `held` names, then `own`: the
/// policies that held for that action.
fn holding<'a>(
    lifted: &'a [PolicyId],
    held: &'a [&'a PolicyId],
    own: &'a [&'a PolicyId],
) -> impl Iterator<Item = &'a PolicyId> + Clone {
    let lifted = lifted.iter().filter(|id| held.contains(id));
    lifted.chain(own.iter().copied())
}

/// The policies that erred in `response`, which Cedar ignored.
fn erred(response: Option<&Response>) -> impl Iterator<Item = &PolicyId> {
    let errors = response.into_iter().flat_map(|r| r.diagnostics().errors());
    errors.map(|error| match error {
        AuthorizationError::PolicyEvaluationError(error) => error.policy_id(),
    })
}

/// `policy` lifted, when its conditions do not name `action`: its action scope widened to any
/// action and its effect made `permit`, so that Cedar evaluates it once for all the actions of
/// its scope and names it when it holds. `None` for a policy whose conditions name `action`,
/// whose verdict may differ from action to action.
fn lifted(policy: &ast::Policy) -> Option<Policy> {
    if conditions_name(policy, Var::Action) {
        return None;
    }
    let template = ast::Template::new_shared(
        policy.id().clone(),
        policy.loc().cloned(),
        policy.annotations_arc().clone(),
        ast::Effect::Permit,
        policy.principal_constraint(),
        ast::ActionConstraint::any(),
        policy.resource_constraint(),
        policy.non_scope_constraints_arc().cloned(),
    );
    ast::StaticPolicy::try_from(template).ok().map(Policy::from)
}

/// Adds what `policy` names of the principal: to `attributes` the attribute each `.` (or `[…]`)
/// reads and each `has` tests, to `groups` the id of each entity of type `group_type` it writes
/// out, in its scope or its conditions. A policy reads the principal's attributes by name only,
/// and tests its groups only against entities it writes out (no attribute or context value is an
/// entity), so a claim or a group it does not name cannot change a decision.
fn names(
    policy: &ast::Policy,
    group_type: Option<&str>,
    attributes: &mut BTreeSet<String>,
    groups: &mut BTreeSet<String>,
) {
    for expression in policy.condition().subexpressions() {
        match expression.expr_kind() {
            ExprKind::GetAttr { attr, .. } | ExprKind::HasAttr { attr, .. } => {
                attributes.insert(attr.to_string());
            }
            ExprKind::ExtHasAttr { attrs, .. } => {
                attributes.extend(attrs.iter().map(ToString::to_string));
            }
            ExprKind::Lit(Literal::EntityUID(uid))
                if Some(uid.entity_type().to_string().as_str()) == group_type =>
            {
                groups.insert(AsRef::<str>::as_ref(uid.eid()).to_owned());
            }
            _ => {}
        }
    }
}

/// Whether the conditions (`when`, `unless`) of `policy` use `variable` (`action`, `context`).
fn conditions_name(policy: &ast::Policy, variable: Var) -> bool {
    let conditions = policy.non_scope_constraints().into_iter();
    let mut expressions = conditions.flat_map(ast::Expr::subexpressions);
    expressions.any(|e| matches!(e.expr_kind(), ExprKind::Var(v) if *v == variable))
}

/// The grant an action's id stands for: `$connect`, or `<method> <path>` with the method in lower
/// case and each `{parameter}` (or `{proxy+}`) of the path a `*`. `None` for any other action
/// (an action group, say), which grants nothing.
fn route_grant(id: &str) -> Option<Grant> {
    if id == CONNECT_ROUTE {
        return Some(Grant::connect());
    }
    let (method, path) = id.split_once(' ')?;
    if !METHODS.contains(&method) || !path.starts_with('/') {
        return None;
    }
    let mut pattern = String::with_capacity(path.len());
    for segment in path.split('/').skip(1) {
        pattern.push('/');
        let parameter = segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}');
        match parameter {
            true if segment[1..segment.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-+".contains(&b)) =>
            {
                pattern.push('*')
            }
            // A literal segment: no wildcard, placeholder or brace of its own.
            false if !segment.contains(['*', '$', '{', '}']) => pattern.push_str(segment),
            _ => return None,
        }
    }
    Grant::parse(&format!("{} {pattern}", method.to_ascii_uppercase())).ok()
}

/// The schema, in Cedar's JSON format (as AVP stores it) when it starts with `{`, else in its
/// human-readable format.
fn read_schema(text: &str) -> Result<Schema, String> {
    match text.trim_start().starts_with('{') {
        true => Schema::from_json_str(text).map_err(|e| format!("not a Cedar schema (JSON): {e}")),
        false => Schema::from_cedarschema_str(text)
            .map(|(schema, _warnings)| schema)
            .map_err(|e| format!("not a Cedar schema: {e}")),
    }
}

/// The schema's one namespace (possibly empty), where its actions are.
fn namespace(schema: &Schema) -> Result<String, String> {
    let mut namespaces: Vec<String> = schema
        .actions()
        .map(|action| action.type_name().namespace())
        .collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    match &namespaces[..] {
        [namespace] => Ok(namespace.clone()),
        [] => Err("declares no actions".to_owned()),
        _ => Err(format!(
            "declares actions in several namespaces ({}): one is expected",
            namespaces.join(", ")
        )),
    }
}

/// The policy set, each policy named by its `@id("…")` annotation when it has one, else by
/// Cedar's default (`policy0`, `policy1`… in order). A syntax error names the policy it is in.
fn read_policies(text: &str) -> Result<PolicySet, String> {
    let parsed = PolicySet::from_str(text).map_err(|error| {
        let statements = statements(text);
        // The first statement that does not parse alone is where the error is.
        let at = statements
            .iter()
            .position(|statement| PolicySet::from_str(statement).is_err())
            .unwrap_or(statements.len().saturating_sub(1));
        let id = statements
            .get(at)
            .and_then(|statement| id_annotation(statement))
            .unwrap_or_else(|| format!("policy{at}"));
        format!("policy {id:?} does not parse: {error}")
    })?;
    if parsed.num_of_templates() > 0 {
        return Err("holds templates (`?principal`, `?resource`), which nothing links".to_owned());
    }
    let mut named = PolicySet::new();
    for policy in parsed.policies() {
        let policy = match policy.annotation("id") {
            Some(id) => policy.new_id(PolicyId::new(id)),
            None => policy.clone(),
        };
        let id = policy.id().to_string();
        named
            .add(policy)
            .map_err(|_| format!("two policies have the id {id:?}"))?;
    }
    Ok(named)
}

/// The text of each statement of a policy set, up to and including its `;`, skipping strings
/// and comments: what a syntax error is located in.
fn statements(text: &str) -> Vec<&str> {
    let mut statements = Vec::new();
    let (mut start, mut in_string, mut escaped, mut in_comment) = (0, false, false, false);
    let bytes = text.as_bytes();
    for (at, &b) in bytes.iter().enumerate() {
        match b {
            _ if in_comment => in_comment = b != b'\n',
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'/' if bytes.get(at + 1) == Some(&b'/') => in_comment = true,
            b';' => {
                statements.push(&text[start..=at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    if !text[start..].trim().is_empty() {
        statements.push(&text[start..]);
    }
    statements
}

/// The value of a statement's `@id("…")` annotation, if it has a plain one.
fn id_annotation(statement: &str) -> Option<String> {
    let after = statement.split_once("@id(\"")?.1;
    let id = after.split_once("\")")?.0;
    (!id.contains(['"', '\\'])).then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SCHEMA: &str = r#"
        namespace PetStore {
            entity UserGroup;
            entity User in [UserGroup] {
                email?: String, email_verified?: Bool, level?: Long, suspended?: Bool,
                roles?: Set<String>, address?: {city: String},
            };
            entity Application;
            action "get /pets", "post /pets", "get /pets/{petId}", "delete /pets/{petId}",
                   "$connect"
                appliesTo { principal: [User], resource: [Application],
                            context: {scopes: Set<String>} };
            action "readOnly";
        }
    "#;

    fn rules(policies: &str) -> CedarRules {
        CedarRules::new(policies, SCHEMA, None).unwrap()
    }

    fn principal(groups: &[&str], claims: Value) -> Principal {
        Principal {
            sub: "bob".into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            scopes: vec!["pets/read".into()],
            claims: claims.as_object().unwrap().clone(),
            ..Principal::default()
        }
    }

    fn arn(method_and_path: &str) -> MethodArn {
        MethodArn::parse(&format!(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/{method_and_path}"
        ))
        .unwrap()
    }

    fn shown(granted: &Granted<'_>) -> Vec<String> {
        granted.grants.iter().map(|g| g.to_string()).collect()
    }

    #[test]
    fn route_actions_become_grants_with_parameters_as_wildcards() {
        let grant = |id: &str| route_grant(id).map(|g| g.to_string());
        assert_eq!(grant("get /pets").as_deref(), Some("GET /pets"));
        assert_eq!(
            grant("delete /pets/{petId}/toys/{toyId}").as_deref(),
            Some("DELETE /pets/*/toys/*")
        );
        assert_eq!(grant("get /{proxy+}").as_deref(), Some("GET /*"));
        assert_eq!(grant("get /").as_deref(), Some("GET /"));
        assert_eq!(grant("$connect").as_deref(), Some("$connect"));
        for other in [
            "readOnly",
            "GET /pets",
            "any /pets",
            "get pets",
            "get /pets/*",
            "get /pets/{petId",
            "get /pets/{}",
            "get /pets/${sub}",
            "get /pets?x",
            "get /pets /toys",
            "$disconnect",
        ] {
            assert_eq!(grant(other), None, "{other}");
        }
    }

    #[test]
    fn groups_scopes_and_attributes_decide_and_forbid_wins() {
        let rules = rules(
            r#"
            permit(principal, action == PetStore::Action::"get /pets", resource);
            @id("admins")
            permit(principal in PetStore::UserGroup::"admin",
                   action in [PetStore::Action::"post /pets", PetStore::Action::"delete /pets/{petId}"],
                   resource);
            @id("verified")
            permit(principal, action == PetStore::Action::"get /pets/{petId}", resource)
                when { principal has email_verified && principal.email_verified };
            @id("suspended")
            forbid(principal, action, resource)
                unless { context.scopes.contains("pets/read") && !(principal has suspended && principal.suspended) };
            "#,
        );
        let admin = principal(&["admin"], json!({"email_verified": true}));
        let granted = rules.grants_for(&admin, &arn("POST/pets"));
        assert_eq!(
            shown(&granted),
            ["DELETE /pets/*", "GET /pets", "GET /pets/*", "POST /pets"]
        );
        assert_eq!(granted.policies.as_deref(), Some("admins"));
        let suspended = principal(&["admin"], json!({"suspended": true}));
        let granted = rules.grants_for(&suspended, &arn("POST/pets"));
        assert!(shown(&granted).is_empty());
        assert_eq!(granted.policies.as_deref(), Some("suspended"));
        let bob = principal(&[], json!({"email_verified": "yes"}));
        let granted = rules.grants_for(&bob, &arn("GET/pets/1"));
        assert_eq!(shown(&granted), ["GET /pets"], "a claim of the wrong type");
        assert_eq!(granted.policies.as_deref(), Some(""));
    }

    #[test]
    fn claims_stay_data() {
        let rules = rules(
            r#"permit(principal, action == PetStore::Action::"get /pets", resource)
                 when { principal has address && principal.address.city == "Lyon" };"#,
        );
        let escaped = principal(
            &[],
            json!({"address": {"__entity": {"type": "PetStore::User", "id": "x"}, "city": "Lyon"},
                   "roles": [{"__extn": {"fn": "ip", "arg": "10.0.0.1"}}, null, 1.5, 3],
                   "big": 18446744073709551615_u64, "none": null}),
        );
        assert_eq!(
            shown(&rules.grants_for(&escaped, &arn("GET/pets"))),
            ["GET /pets"]
        );
        assert!(expression(&json!(null)).is_none());
        assert!(expression(&json!(1.5)).is_none());
        assert!(expression(&json!(u64::MAX)).is_none());
    }

    #[test]
    fn group_names_are_ids_not_syntax() {
        let rules =
            rules(r#"permit(principal in PetStore::UserGroup::"admin", action, resource);"#);
        for group in [
            "admin\" ) permit(",
            "PetStore::UserGroup::admin",
            "Admin",
            "admin ",
        ] {
            let granted = rules.grants_for(&principal(&[group], json!({})), &arn("GET/pets"));
            assert!(shown(&granted).is_empty(), "{group}");
        }
        let granted = rules.grants_for(&principal(&["admin"], json!({})), &arn("GET/pets"));
        assert_eq!(shown(&granted).len(), 5);
    }

    #[test]
    fn the_prefix_names_principals_and_groups_as_avp_does() {
        let policies = r#"
            permit(principal == PetStore::User::"eu-west-1_Pool|bob", action == PetStore::Action::"get /pets", resource);
            permit(principal in PetStore::UserGroup::"eu-west-1_Pool|admin", action == PetStore::Action::"post /pets", resource);
        "#;
        let prefixed = CedarRules::new(policies, SCHEMA, Some("eu-west-1_Pool")).unwrap();
        let bob = principal(&["admin"], json!({}));
        assert_eq!(
            shown(&prefixed.grants_for(&bob, &arn("GET/pets"))),
            ["GET /pets", "POST /pets"]
        );
        assert!(shown(&rules(policies).grants_for(&bob, &arn("GET/pets"))).is_empty());
    }

    #[test]
    fn action_groups_are_followed() {
        let schema = SCHEMA.replace(
            "action \"readOnly\";",
            "action \"readOnly\"; action \"get /toys\" in [\"readOnly\"] appliesTo { principal: [User], resource: [Application], context: {scopes: Set<String>} };",
        );
        let rules = CedarRules::new(
            r#"permit(principal, action in PetStore::Action::"readOnly", resource);"#,
            &schema,
            None,
        )
        .unwrap();
        let granted = rules.grants_for(&principal(&[], json!({})), &arn("GET/toys"));
        assert_eq!(shown(&granted), ["GET /toys"]);
        assert_eq!(granted.policies.as_deref(), Some("policy0"));

        // A group of a group, read in a condition: asked per action, of the request's entity
        // store, which holds the schema's action entities with their ancestors closed.
        let schema = schema.replace(
            "action \"readOnly\";",
            "action \"everything\"; action \"readOnly\" in [\"everything\"];",
        );
        let rules = CedarRules::new(
            r#"permit(principal, action, resource) when { action in PetStore::Action::"everything" };"#,
            &schema,
            None,
        )
        .unwrap();
        let granted = rules.grants_for(&principal(&[], json!({})), &arn("GET/toys"));
        assert_eq!(shown(&granted), ["GET /toys"]);
    }

    #[test]
    fn the_extension_functions_are_there() {
        // cedar-policy-core turns on `ipaddr`, `decimal` and `datetime` whatever cedar-policy's
        // features say, so policies exported from AVP that use them work here too.
        let policies = r#"permit(principal, action == PetStore::Action::"get /pets", resource) when {
            ip("10.0.0.1").isInRange(ip("10.0.0.0/8"))
            && decimal("1.5").lessThan(decimal("2.0"))
            && datetime("2024-01-02") > datetime("2024-01-01")
        };"#;
        let rules = CedarRules::new(policies, SCHEMA, None).unwrap();
        let granted = rules.grants_for(&principal(&[], json!({})), &arn("GET/pets"));
        assert_eq!(shown(&granted), ["GET /pets"]);
    }

    #[test]
    fn both_schema_formats_and_an_empty_namespace_are_read() {
        let json = json!({"": {
            "entityTypes": {"User": {}, "UserGroup": {}, "Application": {}},
            "actions": {"get /pets": {"appliesTo": {"principalTypes": ["User"],
                "resourceTypes": ["Application"],
                "context": {"type": "Record", "attributes": {
                    "scopes": {"type": "Set", "element": {"type": "String"}}}}}}}
        }});
        let rules = CedarRules::new(
            r#"permit(principal, action == Action::"get /pets", resource) when { context.scopes.contains("pets/read") };"#,
            &json.to_string(),
            None,
        )
        .unwrap();
        assert_eq!(rules.resource.to_string(), r#"Application::"""#);
        let granted = rules.grants_for(&principal(&[], json!({})), &arn("GET/pets"));
        assert_eq!(shown(&granted), ["GET /pets"]);
    }

    #[test]
    fn refuses_what_cannot_be_read_naming_the_policy() {
        let policies = |text: &str| match CedarRules::new(text, SCHEMA, None) {
            Err(CedarError::Policies(reason)) => reason,
            other => panic!("{text}: {other:?}"),
        };
        let syntax = policies(
            "permit(principal, action, resource);\n@id(\"broken\")\npermit(principal, action resource);",
        );
        assert!(syntax.contains("\"broken\""), "{syntax}");
        let syntax = policies("permit(principal, action, resource);\npermit(principal;");
        assert!(syntax.contains("\"policy1\""), "{syntax}");
        let invalid = policies(
            r#"@id("typo") permit(principal, action == PetStore::Action::"get /pet", resource);"#,
        );
        assert!(invalid.contains("\"typo\""), "{invalid}");
        let untyped =
            policies(r#"permit(principal, action, resource) when { principal.level > "3" };"#);
        assert!(untyped.contains("\"policy0\""), "{untyped}");
        let twice = policies(
            r#"@id("a") permit(principal, action, resource); @id("a") forbid(principal, action, resource);"#,
        );
        assert!(twice.contains("\"a\""), "{twice}");
        assert!(
            policies("permit(principal == ?principal, action, resource);").contains("templates")
        );

        let schema = |text: &str| match CedarRules::new("", text, None) {
            Err(CedarError::Schema(reason)) => reason,
            other => panic!("{text}: {other:?}"),
        };
        assert!(schema("namespace {").contains("not a Cedar schema"));
        assert!(schema("{\"NS\": ").contains("JSON"));
        assert!(schema("entity User; entity Application;").contains("no actions"));
        assert!(
            schema("entity Application; action \"get /pets\";").contains("User"),
            "the principal's type"
        );
        assert!(
            schema("entity User; entity Application; action \"readOnly\";")
                .contains("<method> <path>")
        );
    }

    #[test]
    fn statements_skip_strings_and_comments() {
        assert_eq!(
            statements("a \"\\\";\" b; // c; d\n e; f"),
            ["a \"\\\";\" b;", " // c; d\n e;", " f"]
        );
        assert_eq!(id_annotation("@id(\"x y\") permit").as_deref(), Some("x y"));
    }

    /// The pet store's Cedar policies (`policies/petstore/`) against its access rules without
    /// the `${sub}` entries, which a policy about the API's actions cannot name.
    const PET_STORE_POLICIES: &str = include_str!("../../policies/petstore/policies.cedar");
    const PET_STORE_SCHEMA: &str = include_str!("../../policies/petstore/schema.cedarschema");
    const PET_STORE_ACCESS_RULES: &str = r#"{"*": ["GET /pets", "$connect"],
        "group:admin": ["GET /pets", "POST /pets", "GET /accounts/*"],
        "claim:email_verified=true": ["GET /pets/*"]}"#;

    #[test]
    fn the_pet_store_policies_grant_what_its_access_rules_do() {
        let cedar = CedarRules::new(PET_STORE_POLICIES, PET_STORE_SCHEMA, None).unwrap();
        let rules = crate::rules::AccessRules::from_json(PET_STORE_ACCESS_RULES).unwrap();
        let callers = [
            (
                "alice",
                principal(&["admin"], json!({"email": "alice@example.com"})),
            ),
            ("bob", principal(&["customer"], json!({}))),
            ("carol", principal(&[], json!({"email_verified": true}))),
            (
                "mallory",
                principal(
                    &["Admin", "admin\" ) permit("],
                    json!({"email_verified": "true"}),
                ),
            ),
        ];
        for (name, caller) in callers {
            let from_rules: Vec<String> = rules
                .grants_for(&caller)
                .iter()
                .map(|g| g.to_string())
                .collect();
            assert_eq!(
                shown(&cedar.grants_for(&caller, &arn("GET/pets"))),
                from_rules,
                "{name}"
            );
        }
    }

    /// What IAM decides for `arn` under `policy`: an explicit Deny wins, then any Allow.
    fn iam_allows(
        policy: &aws_lambda_events::apigw::ApiGatewayCustomAuthorizerPolicy,
        arn: &str,
    ) -> bool {
        use aws_lambda_events::iam::IamPolicyEffect;
        let matches = |effect: IamPolicyEffect| {
            policy
                .statement
                .iter()
                .filter(|s| s.effect == effect)
                .any(|s| {
                    s.resource
                        .iter()
                        .any(|r| crate::rules::reference_match(r.as_bytes(), arn.as_bytes()))
                })
        };
        !matches(IamPolicyEffect::Deny) && matches(IamPolicyEffect::Allow)
    }

    /// The actions of the property below, none of whose grants covers another's route, and a
    /// route each.
    const ROUTES: [(&str, &str); 5] = [
        ("get /pets", "GET/pets"),
        ("post /pets", "POST/pets"),
        ("get /pets/{petId}", "GET/pets/7"),
        ("delete /pets/{petId}", "DELETE/pets/7"),
        ("$connect", "$connect"),
    ];

    /// One policy of a small grammar: an effect, a principal scope, an action scope and a
    /// condition.
    fn policy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let action = |i: usize| format!("PetStore::Action::\"{}\"", ROUTES[i].0);
        (
            prop_oneof!["permit", "forbid"],
            prop_oneof![
                Just("principal".to_owned()),
                "(admin|vets|Admin)"
                    .prop_map(|g| format!("principal in PetStore::UserGroup::\"{g}\"")),
                "(alice|bob)".prop_map(|u| format!("principal == PetStore::User::\"{u}\"")),
            ],
            prop_oneof![
                Just("action".to_owned()),
                (0..5usize).prop_map(move |i| format!("action == {}", action(i))),
                (0..5usize, 0..5usize).prop_map(move |(i, j)| format!(
                    "action in [{}, {}]",
                    action(i),
                    action(j)
                )),
            ],
            prop_oneof![
                Just(String::new()),
                "(pets/read|pets/write)"
                    .prop_map(|s| format!("when {{ context.scopes.contains(\"{s}\") }}")),
                (0..4i64).prop_map(|n| format!(
                    "unless {{ principal has level && principal.level > {n} }}"
                )),
                Just(
                    "when { principal has email_verified && principal.email_verified }".to_owned()
                ),
                Just(
                    "when { principal has email && principal.email like \"*@example.com\" }"
                        .to_owned()
                ),
                // Conditions that name `action`, which are asked about each action.
                (0..5usize).prop_map(move |i| format!("when {{ action == {} }}", action(i))),
                (0..5usize).prop_map(move |i| format!(
                    "unless {{ action in [{}] || context.scopes.contains(\"pets/write\") }}",
                    action(i)
                )),
            ],
        )
            .prop_map(|(effect, who, what, condition)| {
                format!("{effect}({who}, {what}, resource) {condition};")
            })
    }

    proptest::proptest! {
        // Cedar unoptimized is slow: fewer cases keep the suite within seconds.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// Whatever the policies and the caller: the whole-API policy answered for any route
        /// allows each route's ARN exactly when Cedar, asked with every policy, allows its action,
        /// and the policies named for the route called are those Cedar gives as its reason.
        #[test]
        fn the_policy_allows_a_route_exactly_when_cedar_allows_its_action(
            policies in proptest::collection::vec(policy(), 0..5),
            sub in "(alice|bob|carol)",
            groups in proptest::collection::vec("(admin|vets|Admin|staff)", 0..3),
            scopes in proptest::collection::vec("(pets/read|pets/write)", 0..2),
            level in proptest::option::of(0..5i64),
            verified in proptest::option::of(proptest::prop_oneof![
                proptest::strategy::Just(json!(true)),
                proptest::strategy::Just(json!(false)),
                proptest::strategy::Just(json!("true")),
            ]),
            called_route in 0..5usize,
        ) {
            use crate::answer::{Answer, AnswerShape};
            let text = policies.join("\n");
            let rules = CedarRules::new(&text, SCHEMA, None).unwrap();
            // A claim that no policy names, which the request path leaves out.
            let mut claims = serde_json::Map::from_iter([("email".into(), json!("bob@example.com"))]);
            if let Some(level) = level { claims.insert("level".into(), json!(level)); }
            if let Some(verified) = verified { claims.insert("email_verified".into(), verified); }
            let principal = Principal {
                sub: sub.clone(),
                groups,
                scopes,
                claims,
                ..Principal::default()
            };
            let prefix = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/";
            let called = arn(ROUTES[called_route].1);
            let granted = rules.grants_for(&principal, &called);
            let (_, Answer::Policy(answer)) =
                Answer::new(AnswerShape::RestPolicy, &principal, &[], &granted.grants, &called)
            else {
                unreachable!("a REST answer is a policy")
            };
            // Cedar's reference: the principal with every claim, and its groups as entities,
            // which the request path leaves out.
            let uid = |t: &str, id: &str| {
                EntityUid::from_str(&format!("PetStore::{t}::{id:?}")).unwrap()
            };
            let groups: std::collections::HashSet<EntityUid> =
                principal.groups.iter().map(|g| uid("UserGroup", g)).collect();
            let claims = principal.claims.iter();
            let user = Entity::new(
                uid("User", &sub),
                claims.filter_map(|(name, value)| Some((name.clone(), expression(value)?))).collect(),
                groups.clone(),
            ).unwrap();
            let members = groups.into_iter().map(|g| Entity::new_no_attrs(g, Default::default()));
            let entities =
                Entities::from_entities(std::iter::once(user).chain(members), None).unwrap();
            let all = read_policies(&text).unwrap();
            for (action, route) in ROUTES {
                let request = Request::new(
                    EntityUid::from_str(&format!("PetStore::User::\"{sub}\"")).unwrap(),
                    EntityUid::from_str(&format!("PetStore::Action::\"{action}\"")).unwrap(),
                    rules.resource.clone(),
                    Context::from_pairs([("scopes".to_owned(), RestrictedExpression::new_set(
                        principal.scopes.iter().map(|s| RestrictedExpression::new_string(s.clone()))
                    ))]).unwrap(),
                    None,
                ).unwrap();
                let cedar = Authorizer::new().is_authorized(&request, &all, &entities);
                proptest::prop_assert_eq!(
                    iam_allows(&answer.policy_document, &format!("{prefix}{route}")),
                    cedar.decision() == Decision::Allow,
                    "{} for {:?}", route, text
                );
                if route == ROUTES[called_route].1 {
                    let mut reason: Vec<String> =
                        cedar.diagnostics().reason().map(PolicyId::to_string).collect();
                    reason.sort_unstable();
                    proptest::prop_assert_eq!(
                        granted.policies.clone(),
                        Some(reason.join(",")),
                        "{} for {:?}", route, text
                    );
                }
            }
        }
    }
}
