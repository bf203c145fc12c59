//! Each function's environment variables are declared once, in code (`VARIABLES`): these tests
//! hold the code that reads them and the README that documents them to that declaration. The
//! template's environments are held to it in `template.rs`.

use std::cell::RefCell;
use std::collections::BTreeSet;

use authorizer_core::config::{Env, Var, WhenUnset};
use testkit::declared::{self, FUNCTIONS};
use testkit::paths::root;

/// A declaration's group as the README's table: `| variable | default | meaning |`.
fn table(group: &[Var]) -> String {
    let mut table = "| variable | default | meaning |\n|---|---|---|\n".to_owned();
    for var in group {
        let default = match var.when_unset {
            WhenUnset::Required => "required".to_owned(),
            WhenUnset::Off => "unset".to_owned(),
            WhenUnset::Value(value) => format!("`{value}`"),
            WhenUnset::Derived(text) => text.to_owned(),
            WhenUnset::SetByLambda => "set by Lambda".to_owned(),
        };
        let (name, meaning) = (var.name, var.meaning.trim());
        table.push_str(&format!("| `{name}` | {default} | {meaning} |\n"));
    }
    table
}

#[test]
fn the_readme_documents_each_variable_as_declared() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut declared = BTreeSet::new();
    let mut missing = Vec::new();
    for (function, groups) in FUNCTIONS {
        for group in groups {
            declared.extend(group.iter().map(|var| var.name));
            let table = table(group);
            let Some(at) = readme.find(&table) else {
                missing.push(format!("{function}:\n\n{table}"));
                continue;
            };
            let after = readme[at + table.len()..]
                .lines()
                .next()
                .unwrap_or_default();
            assert!(
                !after.starts_with('|'),
                "README.md documents more than {function} declares, after:\n\n{table}{after}"
            );
        }
    }
    assert!(
        missing.is_empty(),
        "README.md lacks these tables of declared variables:\n\n{}",
        missing.join("\n")
    );
    // No table row documents a variable that no function declares.
    let documented: BTreeSet<&str> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `")?.split_once("` |"))
        .map(|(name, _)| name)
        .filter(|name| name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .collect();
    assert_eq!(documented, declared);
}

/// The names `read` looks up, given `vars`.
fn names_read(vars: &[(&str, &str)], read: impl FnOnce(&Env)) -> BTreeSet<String> {
    let asked = RefCell::new(BTreeSet::new());
    let lookup = |name: &str| {
        asked.borrow_mut().insert(name.to_owned());
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    read(&Env::new(&lookup));
    asked.into_inner()
}

#[test]
fn each_function_reads_only_what_it_declares() {
    let secret = [("JWT_SECRET", "a-secret-of-at-least-32-bytes-for-the-test")];
    let from_secrets_manager = [
        (
            "JWT_SECRET_ARN",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf",
        ),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "example"),
    ];
    let pool = [
        ("USER_POOL_ID", "eu-west-1_AbC123"),
        ("APP_CLIENT_IDS", "client"),
    ];
    let metrics = |function: &'static str| {
        names_read(&[], |env| {
            authorizer_core::metrics::Metrics::from_env(env, function).unwrap();
        })
    };
    let issuers = r#"[{"issuer": "https://tenant.example.com/", "audiences": ["api"]}]"#;
    let reads: [(&str, BTreeSet<String>); 9] = [
        ("authorizer-hs256", metrics("authorizer-hs256")),
        ("authorizer-cognito", metrics("authorizer-cognito")),
        ("authorizer-oidc", metrics("authorizer-oidc")),
        (
            "authorizer-hs256",
            names_read(&secret, |env| {
                authorizer_hs256::Config::from_env(env).unwrap();
            }),
        ),
        (
            "authorizer-hs256",
            names_read(&from_secrets_manager, |env| {
                authorizer_hs256::Config::from_env(env).unwrap();
            }),
        ),
        (
            "authorizer-cognito",
            names_read(&pool, |env| {
                authorizer_cognito::Config::from_env(env).unwrap();
            }),
        ),
        (
            "authorizer-oidc",
            names_read(&[("OIDC_ISSUERS", issuers)], |env| {
                authorizer_oidc::Config::from_env(env).unwrap();
            }),
        ),
        (
            "noop-cors",
            names_read(&[], |env| {
                noop_cors::CorsConfig::from_env(env).unwrap();
            }),
        ),
        ("noop-cors", names_read(&[], authorizer_core::logging::init)),
    ];
    for (function, read) in reads {
        let declared = declared::variables(function);
        let undeclared: Vec<&String> = read
            .iter()
            .filter(|name| !declared.contains(&name.as_str()))
            .collect();
        assert!(
            undeclared.is_empty(),
            "{function} reads {undeclared:?} without declaring them"
        );
    }
}
