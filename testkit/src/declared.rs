//! Each function's declared environment variables (`VARIABLES` in its crate), by the function's
//! name: what the README and the template are checked against.

use authorizer_core::Var;

/// Every function of the kit, with its declaration in the groups the README documents.
pub const FUNCTIONS: [(&str, &[&[Var]]); 4] = [
    ("authorizer-hs256", &authorizer_hs256::config::VARIABLES),
    ("authorizer-cognito", &authorizer_cognito::config::VARIABLES),
    ("authorizer-oidc", &authorizer_oidc::config::VARIABLES),
    ("noop-cors", &noop_cors::VARIABLES),
];

/// The names of every variable `function` declares.
pub fn variables(function: &str) -> Vec<&'static str> {
    let (_, groups) = FUNCTIONS
        .iter()
        .find(|(name, _)| *name == function)
        .unwrap_or_else(|| panic!("{function} is not a function of the kit"));
    groups
        .iter()
        .flat_map(|group| group.iter().map(|var| var.name))
        .collect()
}
