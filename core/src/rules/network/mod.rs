//! Network separation: NetworkPolicies (CIS 5.3, NSA/CISA "Network separation and hardening").

pub mod namespace_network_policy;
