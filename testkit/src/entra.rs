//! Entra ID for tests of multi-tenant applications: tenant ids, and a loopback stand-in for its
//! `common` discovery document and the key set that signs for every tenant.

use serde_json::json;

use crate::keys::{Key, key_set};
use crate::keyserver::{Behaviour, KeyServer};

/// Entra ID's issuer template, as its `common` discovery document publishes it.
pub const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";

/// A tenant that tests list.
pub const CONTOSO: &str = "3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f";

/// Another tenant that tests list.
pub const FABRIKAM: &str = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";

/// A tenant that no test lists: any tenant of the world.
pub const STRANGER: &str = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

/// The tenant of a single-tenant application beside a multi-tenant one.
pub const HOME: &str = "c56a4180-65aa-42ec-a945-5fd21dec0538";

/// The issuer of `tenant` in `template`: `tenant` in place of `{tenantid}`.
pub fn issuer(template: &str, tenant: &str) -> String {
    template.replace("{tenantid}", tenant)
}

/// Entra ID on loopback: its `common` discovery document on a port of its own, publishing the
/// issuer template `http://127.0.0.1:<port>/{tenantid}/v2.0` (any path of the port gets the
/// document), and the key set (the test key [`Key::Ours`], kid `ours-key`) that signs for every
/// tenant, on another port. Both count the requests they get.
pub struct Entra {
    /// The discovery document's server.
    pub discovery: KeyServer,
    /// The key set's server.
    pub keys: KeyServer,
    /// The issuer template, on the discovery document's port.
    pub template: String,
}

impl Entra {
    /// Starts both servers, the document naming the template.
    pub fn start() -> Entra {
        let keys = KeyServer::start(Behaviour::Serve(key_set(&[Key::Ours])));
        let discovery = KeyServer::start(Behaviour::Status(404));
        let template = format!("http://{}/{{tenantid}}/v2.0", discovery.address());
        let entra = Entra {
            discovery,
            keys,
            template,
        };
        entra.publish(&entra.template);
        entra
    }

    /// Makes the discovery document name `issuer`: the template, or (for tests of a document
    /// that is someone else's) another.
    pub fn publish(&self, issuer: &str) {
        let document = json!({"issuer": issuer, "jwks_uri": self.keys.url()});
        self.discovery.set(Behaviour::Serve(document.to_string()));
    }

    /// The issuer of `tenant`.
    pub fn issuer(&self, tenant: &str) -> String {
        issuer(&self.template, tenant)
    }
}
