//! Multi-tenant issuers: one `OIDC_ISSUERS` entry for the tenants of a multi-tenant Entra ID
//! application.
//!
//! Such an application receives tokens whose `iss` names the caller's tenant
//! (`https://login.microsoftonline.com/<tid>/v2.0`) and whose `tid` claim names it again; Entra
//! ID's `common` discovery document publishes the issuer as the template
//! `https://login.microsoftonline.com/{tenantid}/v2.0`, and one key set signs for every tenant.
//! Accepting any `iss` of that shape would accept every Entra ID tenant in the world, so an
//! entry whose `issuer` holds `{tenantid}` lists the tenants it trusts, and a token is theirs only
//! when its `tid` is one of them, exactly, and its `iss` is the template with that `tid` in place.
//! The template itself is never an issuer.

use authorizer_core::Rejection;
use serde_json::Value;

/// What stands for the tenant in an issuer template, as Entra ID writes it.
pub const PLACEHOLDER: &str = "{tenantid}";

/// The tenant whose discovery document publishes the template: Entra ID's `common` endpoint.
const COMMON: &str = "common";

/// An issuer template and the tenants it accepts, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenants {
    /// The template up to [`PLACEHOLDER`], ending in `/`.
    before: String,
    /// The template after [`PLACEHOLDER`]: empty, or from a `/` on.
    after: String,
    /// The accepted tenant ids, each a lower-case GUID, each once.
    tenants: Vec<String>,
}

/// Why an issuer template or its tenants cannot be used. The messages name the field at fault and
/// never echo a tenant id that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantsError {
    /// `{tenantid}` more than once.
    #[error("`issuer` may hold {PLACEHOLDER} only once")]
    ManyPlaceholders,
    /// `{tenantid}` not a whole segment of the URL's path.
    #[error("`issuer` must hold {PLACEHOLDER} as a whole segment of its path")]
    NotAPathSegment,
    /// A template without `tenants`.
    #[error("`issuer` holds {PLACEHOLDER}, so `tenants` must list the accepted tenant ids")]
    NoTenants,
    /// `tenants` beside an issuer without the placeholder.
    #[error("`tenants` is only for an `issuer` holding {PLACEHOLDER}")]
    NotATemplate,
    /// `tenants: []`.
    #[error("`tenants` lists no tenant")]
    EmptyTenants,
    /// An entry of `tenants` that is not a tenant id.
    #[error("`tenants` #{0} is not a tenant id (a lower-case GUID: 8-4-4-4-12 hex digits)")]
    NotATenantId(usize),
    /// A tenant listed twice.
    #[error("`tenants` lists {0} twice")]
    Duplicate(String),
}

impl Tenants {
    /// The tenants of `issuer`, as `OIDC_ISSUERS` lists them: `None` for an issuer without
    /// [`PLACEHOLDER`] (and then without `tenants`). `issuer` is checked as a URL by the caller.
    pub fn new(issuer: &str, tenants: Option<Vec<String>>) -> Result<Option<Self>, TenantsError> {
        let Some((before, after)) = issuer.split_once(PLACEHOLDER) else {
            return match tenants {
                Some(_) => Err(TenantsError::NotATemplate),
                None => Ok(None),
            };
        };
        if after.contains(PLACEHOLDER) {
            return Err(TenantsError::ManyPlaceholders);
        }
        if !is_path_segment(before, after) {
            return Err(TenantsError::NotAPathSegment);
        }
        let tenants = checked(tenants.ok_or(TenantsError::NoTenants)?)?;
        Ok(Some(Tenants {
            before: before.to_owned(),
            after: after.to_owned(),
            tenants,
        }))
    }

    /// The accepted tenant ids.
    pub fn tenants(&self) -> &[String] {
        &self.tenants
    }

    /// The issuer of `tenant`: the template with `tenant` in place of [`PLACEHOLDER`].
    pub fn issuer_of(&self, tenant: &str) -> String {
        format!("{}{tenant}{}", self.before, self.after)
    }

    /// The issuer whose discovery document publishes the template: Entra ID's `common`.
    pub fn discovery_issuer(&self) -> String {
        self.issuer_of(COMMON)
    }

    /// Whether `iss` has the template's shape (anything in place of [`PLACEHOLDER`]): a token
    /// naming this template's issuer, which [`Tenants::check`] then accepts or refuses.
    pub fn fits(&self, iss: &str) -> bool {
        self.named_tenant(iss).is_some()
    }

    /// Whether a token whose `iss` [`Tenants::fits`] is one of the tenants': its `tid` must be a
    /// string (a missing or other `tid` is a claim error), one of the tenants exactly, and the
    /// very tenant its `iss` names.
    pub fn check(&self, iss: &str, tid: Option<&Value>) -> Result<(), Rejection> {
        let tid = match tid {
            None => return Err(Rejection::MissingClaim("tid")),
            Some(Value::String(tid)) => tid,
            Some(_) => return Err(Rejection::BadClaim("tid")),
        };
        let listed = self.tenants.iter().any(|tenant| tenant == tid);
        if listed && self.named_tenant(iss) == Some(tid) {
            Ok(())
        } else {
            Err(Rejection::WrongTenant)
        }
    }

    /// What `iss` has in place of [`PLACEHOLDER`], if it has the template's shape.
    fn named_tenant<'a>(&self, iss: &'a str) -> Option<&'a str> {
        iss.strip_prefix(&self.before)?.strip_suffix(&self.after)
    }
}

/// Whether the placeholder between `before` and `after` is a whole segment of the URL's path:
/// after a scheme and a non-empty host, before any query or fragment. A tenant id then only ever
/// changes the path, never the host the keys and discovery are trusted for.
fn is_path_segment(before: &str, after: &str) -> bool {
    let Some((_, rest)) = before.split_once("://") else {
        return false;
    };
    let host_then_path = rest.find('/').is_some_and(|at| at > 0);
    host_then_path
        && before.ends_with('/')
        && !before.contains(['?', '#'])
        && (after.is_empty() || after.starts_with('/'))
}

/// `tenants`, each a tenant id and listed once, or why not.
fn checked(tenants: Vec<String>) -> Result<Vec<String>, TenantsError> {
    if tenants.is_empty() {
        return Err(TenantsError::EmptyTenants);
    }
    for (at, tenant) in tenants.iter().enumerate() {
        if !is_tenant_id(tenant) {
            return Err(TenantsError::NotATenantId(at + 1));
        }
        if tenants[..at].contains(tenant) {
            return Err(TenantsError::Duplicate(tenant.clone()));
        }
    }
    Ok(tenants)
}

/// Whether `text` is a tenant id as Entra ID writes it in `tid` and `iss`: a GUID of lower-case
/// hex digits grouped 8-4-4-4-12, nothing else.
pub fn is_tenant_id(text: &str) -> bool {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == GROUPS.len()
        && groups.iter().zip(GROUPS).all(|(group, len)| {
            group.len() == len
                && group
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use testkit::entra::{CONTOSO, FABRIKAM, STRANGER, TEMPLATE};

    fn tenants() -> Tenants {
        let listed = vec![CONTOSO.to_owned(), FABRIKAM.to_owned()];
        Tenants::new(TEMPLATE, Some(listed)).unwrap().unwrap()
    }

    fn iss(tenant: &str) -> String {
        testkit::entra::issuer(TEMPLATE, tenant)
    }

    #[test]
    fn a_tenant_id_is_a_lower_case_guid_and_nothing_else() {
        assert!(is_tenant_id(CONTOSO));
        assert!(is_tenant_id("00000000-0000-0000-0000-000000000000"));
        for text in [
            "",
            "common",
            "organizations",
            PLACEHOLDER,
            "../",
            "3F2B8C1E-5D4A-4E7B-9C6F-1A2B3C4D5E6F",
            "{3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f}",
            "3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f0",
            "3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6",
            "3f2b8c1e5d4a4e7b9c6f1a2b3c4d5e6f",
            "3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f/",
            "3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6g",
            "3f2b8c1e-5d4a-4e7b-9c6f--1a2b3c4d5e6",
            " 3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f",
            "3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f\n",
            "3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e６f",
        ] {
            assert!(!is_tenant_id(text), "{text:?}");
        }
    }

    #[test]
    fn a_template_names_each_tenants_issuer_and_discovery_at_common() {
        let tenants = tenants();
        assert_eq!(tenants.tenants(), [CONTOSO, FABRIKAM]);
        assert_eq!(tenants.issuer_of(CONTOSO), iss(CONTOSO));
        assert_eq!(tenants.discovery_issuer(), iss("common"));
        // Auth0's and Keycloak's shapes: the placeholder may end the path.
        let trailing = Tenants::new(
            "https://sts.windows.net/{tenantid}/",
            Some(vec![CONTOSO.into()]),
        );
        let ending = Tenants::new(
            "http://127.0.0.1:8080/{tenantid}",
            Some(vec![CONTOSO.into()]),
        );
        assert_eq!(
            trailing.unwrap().unwrap().issuer_of(CONTOSO),
            format!("https://sts.windows.net/{CONTOSO}/")
        );
        assert_eq!(
            ending.unwrap().unwrap().discovery_issuer(),
            "http://127.0.0.1:8080/common"
        );
    }

    #[test]
    fn only_a_listed_tid_that_its_iss_names_is_accepted() {
        let tenants = tenants();
        let tid = |tid: &str| json!(tid);
        for tenant in [CONTOSO, FABRIKAM] {
            assert!(tenants.fits(&iss(tenant)));
            assert_eq!(tenants.check(&iss(tenant), Some(&tid(tenant))), Ok(()));
        }
        let wrong = Err(Rejection::WrongTenant);
        // An unlisted tenant; a tid that disagrees with iss; the template itself.
        assert_eq!(tenants.check(&iss(STRANGER), Some(&tid(STRANGER))), wrong);
        assert_eq!(tenants.check(&iss(STRANGER), Some(&tid(CONTOSO))), wrong);
        assert_eq!(tenants.check(&iss(CONTOSO), Some(&tid(FABRIKAM))), wrong);
        assert!(tenants.fits(TEMPLATE));
        assert_eq!(tenants.check(TEMPLATE, Some(&tid(CONTOSO))), wrong);
        assert_eq!(tenants.check(TEMPLATE, Some(&tid(PLACEHOLDER))), wrong);
        // Hostile tids, each with the iss it would make.
        let upper = CONTOSO.to_uppercase();
        let longer = format!("{CONTOSO}0");
        for hostile in [
            "../",
            "",
            "common",
            PLACEHOLDER,
            &upper,
            &longer,
            "3f2b8c1e",
        ] {
            assert_eq!(tenants.check(&iss(hostile), Some(&tid(hostile))), wrong);
        }
        assert_eq!(
            tenants.check(&iss(CONTOSO), None),
            Err(Rejection::MissingClaim("tid"))
        );
        for not_a_string in [
            json!(null),
            json!(7),
            json!([CONTOSO]),
            json!({"tid": CONTOSO}),
        ] {
            assert_eq!(
                tenants.check(&iss(CONTOSO), Some(&not_a_string)),
                Err(Rejection::BadClaim("tid"))
            );
        }
    }

    #[test]
    fn another_issuer_of_the_same_host_does_not_fit() {
        let tenants = tenants();
        for other in [
            format!("https://login.microsoftonline.com/{CONTOSO}/v2.0/"),
            format!("https://login.microsoftonline.com/{CONTOSO}/"),
            format!("https://sts.windows.net/{CONTOSO}/v2.0/"),
            "https://login.microsoftonline.com/".to_owned(),
        ] {
            assert!(!tenants.fits(&other), "{other}");
        }
    }

    #[test]
    fn tenants_go_with_a_template_and_only_with_one() {
        let some = |tenants: &[&str]| Some(tenants.iter().map(|t| t.to_string()).collect());
        let contoso = iss(CONTOSO);
        assert_eq!(Tenants::new("https://accounts.google.com", None), Ok(None));
        for (issuer, tenants, error) in [
            (TEMPLATE, None, TenantsError::NoTenants),
            (TEMPLATE, some(&[]), TenantsError::EmptyTenants),
            (
                TEMPLATE,
                some(&[CONTOSO, "common"]),
                TenantsError::NotATenantId(2),
            ),
            (
                TEMPLATE,
                some(&[&CONTOSO.to_uppercase()]),
                TenantsError::NotATenantId(1),
            ),
            (
                TEMPLATE,
                some(&[CONTOSO, FABRIKAM, CONTOSO]),
                TenantsError::Duplicate(CONTOSO.to_owned()),
            ),
            (&contoso, some(&[CONTOSO]), TenantsError::NotATemplate),
            (&contoso, some(&[]), TenantsError::NotATemplate),
            (
                "https://login.microsoftonline.com/{tenantid}/{tenantid}",
                some(&[CONTOSO]),
                TenantsError::ManyPlaceholders,
            ),
            (
                "https://{tenantid}.example.com/",
                some(&[CONTOSO]),
                TenantsError::NotAPathSegment,
            ),
            (
                "https:///{tenantid}/v2.0",
                some(&[CONTOSO]),
                TenantsError::NotAPathSegment,
            ),
            (
                "https://h.example/x{tenantid}/",
                some(&[CONTOSO]),
                TenantsError::NotAPathSegment,
            ),
            (
                "https://h.example/{tenantid}x/",
                some(&[CONTOSO]),
                TenantsError::NotAPathSegment,
            ),
            (
                "https://h.example/?t={tenantid}",
                some(&[CONTOSO]),
                TenantsError::NotAPathSegment,
            ),
            (
                "https://h.example/#/{tenantid}",
                some(&[CONTOSO]),
                TenantsError::NotAPathSegment,
            ),
            (
                "{tenantid}",
                some(&[CONTOSO]),
                TenantsError::NotAPathSegment,
            ),
        ] {
            assert_eq!(
                Tenants::new(issuer, tenants.clone()),
                Err(error),
                "{issuer} {tenants:?}"
            );
        }
    }
}
