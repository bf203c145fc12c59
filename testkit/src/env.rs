//! Environment maps. Tests write them as `&[(&str, &str)]`; a process takes owned pairs, and the
//! configuration readers (`Config::from_env(&lookup)`) take a lookup function.

/// A lookup over `pairs`, the form `Config::from_env` takes. As in a process's environment, the
/// last pair of a name wins.
pub fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs = owned(pairs);
    move |name| {
        pairs
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    }
}

/// `pairs` as owned strings, the form [`crate::function::Function::start`] takes.
pub fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// `env` and then `extra`: where both set a name, `extra`'s value wins.
pub fn with(env: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    [env, &owned(extra)].concat()
}

/// `env` without the variable `name`.
pub fn without(env: &[(String, String)], name: &str) -> Vec<(String, String)> {
    env.iter().filter(|(key, _)| key != name).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_pairs_win_as_in_a_process() {
        let env = with(&owned(&[("A", "1"), ("B", "2")]), &[("A", "3")]);
        assert_eq!(without(&env, "B"), owned(&[("A", "1"), ("A", "3")]));
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        let lookup = lookup(&pairs);
        assert_eq!(lookup("A").as_deref(), Some("3"));
        assert_eq!(lookup("C"), None);
    }
}
