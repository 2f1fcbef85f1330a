//! The YAML the author writes: front matter and `yaml step` annotation blocks.
//!
//! Fields that diagnostics point at are `Spanned`, so an unknown branch target or a bad
//! condition is reported at its own line in the `.md` file, not at the block's first line.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;
use std::marker::PhantomData;

/// A YAML mapping kept in the author's order (a `BTreeMap` would sort parameters).
#[derive(Debug, Clone)]
pub struct OrderedMap<T>(pub Vec<(Spanned<String>, T)>);

impl<T> Default for OrderedMap<T> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrderedMap<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OrderedMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry()? {
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub description: Option<String>,
    pub service: Option<String>,
    pub owner: Option<String>,
    pub connections: OrderedMap<ConnectionSpec>,
    pub environments: OrderedMap<EnvironmentSpec>,
    pub parameters: OrderedMap<ParamSpec>,
    pub secrets: OrderedMap<SecretSpec>,
}

/// Keys of [`FrontMatter`]; other keys belong to other tools (Hugo, mkdocs…) and are kept quiet
/// unless they look like a typo of one of these.
pub const FRONT_MATTER_KEYS: &[&str] =
    &["title", "description", "service", "owner", "connections", "environments", "parameters", "secrets"];

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionKind {
    Postgres,
    Sqlite,
    Http,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSpec {
    pub kind: ConnectionKind,
    /// Literal URL, used when the environment variable named by `env` is unset.
    pub url: Option<String>,
    /// Environment variable that holds the URL.
    pub env: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnvironmentSpec {
    pub description: Option<String>,
    /// Connection name → URL for this environment.
    pub connections: OrderedMap<String>,
    /// Host (as written in the runbook's URLs) → base URL to use instead.
    pub targets: OrderedMap<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ParamSpec {
    pub prompt: Option<String>,
    pub description: Option<String>,
    /// A regular expression the value must match in full.
    pub pattern: Option<Spanned<String>>,
    pub default: Option<String>,
    /// Where the value comes from: `prompt` (default), `env:NAME`, `capture:NAME`, `secret`.
    pub source: Option<Spanned<String>>,
    /// Unset: secret when the name says so (`*TOKEN*`, `*PASSWORD*`…) or `source: secret`.
    pub secret: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretSpec {
    pub env: Option<String>,
    pub file: Option<String>,
    pub description: Option<String>,
}

/// A `yaml step` block.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StepAnnotation {
    pub id: Option<Spanned<String>>,
    pub kind: Option<StepKindSpec>,
    pub title: Option<String>,
    /// Connection name from the front matter.
    pub target: Option<Spanned<String>>,
    pub timeout: Option<Timeout>,
    /// Code for a step that stands alone (no fenced block next to it).
    pub code: Option<String>,
    pub params: OrderedMap<ParamSpec>,
    pub expect: Vec<CheckSpec>,
    pub capture: OrderedMap<Spanned<String>>,
    pub branches: Vec<BranchSpec>,
    /// Step id, `#heading-anchor` or `end`: where to go after this step instead of the next one.
    pub next: Option<Spanned<String>>,
    pub confirm: Option<Confirm>,
    /// Step id that undoes this one.
    pub revert: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StepKindSpec {
    Sql,
    Http,
    Shell,
    Manual,
    Decision,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    pub name: Option<String>,
    /// A condition that must hold; when it does not, the check is at `level`.
    pub that: Option<Spanned<String>>,
    /// An expression giving a number compared with `warning`/`critical`.
    pub value: Option<Spanned<String>>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    /// `above` (default): the level is reached when value >= threshold; `below`: when <=.
    pub direction: Option<Direction>,
    pub level: Option<Level>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Above,
    Below,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Pass,
    Warning,
    Critical,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchSpec {
    pub label: String,
    pub when: Option<Spanned<String>>,
    /// Step id, `#heading-anchor` or `end`.
    pub goto: Spanned<String>,
}

/// `confirm: true` asks yes/no; `confirm: WORD` makes the operator type WORD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    No,
    Yes,
    Word(String),
}

impl<'de> Deserialize<'de> for Confirm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Confirm;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false or a confirmation word")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Confirm, E> {
                Ok(if v { Confirm::Yes } else { Confirm::No })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Confirm, E> {
                if v.trim().is_empty() {
                    return Err(E::custom("the confirmation word is empty"));
                }
                Ok(Confirm::Word(v.trim().to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A timeout in milliseconds, written `30` (seconds), `30s`, `500ms` or `2m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub u64);

impl Timeout {
    pub fn parse(text: &str) -> Option<Timeout> {
        let t = text.trim();
        let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
            (n, 1)
        } else if let Some(n) = t.strip_suffix('s') {
            (n, 1000)
        } else if let Some(n) = t.strip_suffix('m') {
            (n, 60_000)
        } else if let Some(n) = t.strip_suffix('h') {
            (n, 3_600_000)
        } else {
            (t, 1000)
        };
        let n: u64 = num.trim().parse().ok()?;
        n.checked_mul(mult).filter(|&ms| ms > 0).map(Timeout)
    }
}

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timeout;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as 30s, 500ms or 2m")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timeout, E> {
                v.checked_mul(1000).filter(|&ms| ms > 0).map(Timeout).ok_or_else(|| E::custom("timeout must be positive"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timeout, E> {
                u64::try_from(v).map_err(|_| E::custom("timeout must be positive")).and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timeout, E> {
                Timeout::parse(v).ok_or_else(|| E::custom(format!("`{v}` is not a duration (try 30s, 500ms or 2m)")))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(Timeout::parse("30s"), Some(Timeout(30_000)));
        assert_eq!(Timeout::parse("500ms"), Some(Timeout(500)));
        assert_eq!(Timeout::parse("2m"), Some(Timeout(120_000)));
        assert_eq!(Timeout::parse("5"), Some(Timeout(5_000)));
        assert_eq!(Timeout::parse("0s"), None);
        assert_eq!(Timeout::parse("soon"), None);
    }

    #[test]
    fn step_annotation_keeps_order_and_spans() {
        let yaml = "id: a\nparams:\n  Z: {prompt: z}\n  A: {prompt: a}\nbranches:\n  - label: L\n    goto: b\n";
        let a: StepAnnotation = serde_saphyr::from_str(yaml).unwrap();
        let names: Vec<_> = a.params.0.iter().map(|(k, _)| k.value.as_str()).collect();
        assert_eq!(names, ["Z", "A"]);
        assert_eq!(a.branches[0].goto.referenced.line(), 7);
    }
}

/// `docs/annotations.schema.json` and these types cannot drift: each object of the schema has
/// exactly the keys serde accepts for its type (read from serde's own "unknown field, expected
/// one of …" message, so a field added to a type without the schema fails here).
#[cfg(test)]
mod schema_tests {
    use super::*;
    use serde::de::DeserializeOwned;

    const SCHEMA: &str = include_str!("../../../docs/annotations.schema.json");

    fn schema_keys(def: &str) -> Vec<String> {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).expect("the schema is JSON");
        let props = schema["$defs"][def]["properties"].as_object().unwrap_or_else(|| panic!("no $defs.{def}.properties"));
        let mut keys: Vec<String> = props.keys().cloned().collect();
        keys.sort();
        keys
    }

    /// The keys serde accepts for `T`, from the error on a key it does not know.
    fn serde_keys<T: DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
        let err = serde_saphyr::from_str::<T>("not_a_key_of_any_type: 1\n").expect_err("an unknown key is refused").to_string();
        let expected =
            err.lines().next().and_then(|l| l.split("expected one of").nth(1)).unwrap_or_else(|| panic!("serde lists the fields: {err}"));
        let mut keys: Vec<String> = expected.split(',').map(|k| k.trim().trim_matches('`').to_owned()).filter(|k| !k.is_empty()).collect();
        keys.sort();
        keys
    }

    #[test]
    fn the_schema_has_every_key_of_every_annotation_type() {
        assert_eq!(schema_keys("stepAnnotation"), serde_keys::<StepAnnotation>());
        assert_eq!(schema_keys("connection"), serde_keys::<ConnectionSpec>());
        assert_eq!(schema_keys("environment"), serde_keys::<EnvironmentSpec>());
        assert_eq!(schema_keys("param"), serde_keys::<ParamSpec>());
        assert_eq!(schema_keys("secret"), serde_keys::<SecretSpec>());
        assert_eq!(schema_keys("check"), serde_keys::<CheckSpec>());
        assert_eq!(schema_keys("branch"), serde_keys::<BranchSpec>());
        let mut front: Vec<String> = FRONT_MATTER_KEYS.iter().map(|k| k.to_string()).collect();
        front.sort();
        assert_eq!(schema_keys("frontMatter"), front);
    }
}
