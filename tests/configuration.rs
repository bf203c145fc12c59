//! Each function's environment variables are declared once, in code (`VARIABLES`): these tests
//! hold the code that reads them and the README that documents them to that declaration, and
//! every configuration example of the README to the functions that read it. The template's
//! environments are held to the declarations in `template.rs`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use authorizer_core::config::{Env, Var, WhenUnset};
use testkit::declared::{self, FUNCTIONS};
use testkit::examples::{Example, Setting, examples};
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
    let readme = testkit::readme::text();
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

/// Every name a README example may assign: each declared variable, and each parameter of the
/// standalone templates (`templates/`) that a function's environment takes (`VAR: !Ref Param`,
/// or through `!If`), by the variable it sets.
fn assignable_names() -> BTreeMap<String, String> {
    let mut names: BTreeMap<String, String> = FUNCTIONS
        .iter()
        .flat_map(|(_, groups)| groups.iter().flat_map(|group| group.iter()))
        .map(|var| (var.name.to_owned(), var.name.to_owned()))
        .collect();
    for entry in std::fs::read_dir(root().join("templates")).unwrap() {
        let template = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in template.lines() {
            let Some((var, definition)) = line.trim().split_once(": ") else {
                continue;
            };
            let parameter = definition
                .split("!Ref ")
                .nth(1)
                .map(|rest| rest.split([',', ']', ' ']).next().unwrap_or_default());
            if let Some(parameter) = parameter.filter(|p| !p.starts_with("AWS::"))
                && names.contains_key(var)
            {
                names.insert(parameter.to_owned(), var.to_owned());
            }
        }
    }
    names
}

/// Whether `function` starts with `value` for `var`, beside the least else it needs.
fn accepts(function: &'static str, var: &str, value: &str) -> Result<(), String> {
    let least: &[(&str, &str)] = match function {
        "authorizer-hs256" => &[("JWT_SECRET", "a-secret-of-at-least-32-bytes-for-the-test")],
        "authorizer-cognito" => &[
            ("USER_POOL_ID", "eu-west-1_AbC123"),
            ("APP_CLIENT_IDS", "c"),
        ],
        "authorizer-oidc" => &[(
            "OIDC_ISSUERS",
            r#"[{"issuer": "https://tenant.example.com/", "audiences": ["api"]}]"#,
        )],
        _ => &[],
    };
    let lookup = |name: &str| {
        (name == var).then(|| value.to_owned()).or_else(|| {
            least
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    };
    let env = Env::new(&lookup);
    let read = match function {
        "authorizer-hs256" => authorizer_hs256::Config::from_env(&env).map(drop),
        "authorizer-cognito" => authorizer_cognito::Config::from_env(&env).map(drop),
        "authorizer-oidc" => authorizer_oidc::Config::from_env(&env).map(drop),
        _ => noop_cors::CorsConfig::from_env(&env).map(drop),
    };
    let metrics = match function {
        "noop-cors" => Ok(()),
        _ => authorizer_core::metrics::Metrics::from_env(&env, function).map(drop),
    };
    read.and(metrics).map_err(|error| error.to_string())
}

#[test]
fn every_configuration_example_in_the_readme_is_accepted() {
    let readme = testkit::readme::text();
    let examples = examples(&readme, &assignable_names());
    let mut refused = Vec::new();
    let mut seen = BTreeSet::new();
    for Example {
        setting,
        value,
        line,
    } in &examples
    {
        seen.insert(setting.clone());
        let Setting::Variable(var) = setting else {
            if let Err(error) = authorizer_core::api_keys::ApiKeys::from_json(value) {
                refused.push(format!("line {line}: usage-plan keys: {error}"));
            }
            continue;
        };
        for (function, _) in FUNCTIONS
            .iter()
            .filter(|(function, _)| declared::variables(function).contains(&var.as_str()))
        {
            if let Err(error) = accepts(function, var, value) {
                refused.push(format!(
                    "line {line}: {function} refuses {var}={value}: {error}"
                ));
            }
        }
    }
    assert!(
        refused.is_empty(),
        "README.md shows configuration the functions refuse:\n{}",
        refused.join("\n")
    );
    // The examples were found: every kind the README shows, in numbers.
    for var in [
        "ACCESS_RULES",
        "OIDC_ISSUERS",
        "CONTEXT_CLAIMS",
        "USER_POOL_ID",
    ] {
        assert!(
            seen.contains(&Setting::Variable(var.to_owned())),
            "no {var} example found"
        );
    }
    assert!(seen.contains(&Setting::UsagePlanKeys));
    assert!(
        examples.len() >= 15,
        "only {} examples: {examples:#?}",
        examples.len()
    );
}
