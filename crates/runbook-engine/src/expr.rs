//! Conditions and captures: minijinja expressions over a step's typed result, earlier captures
//! and parameters.

use minijinja::Environment;
use serde_json::{Map, Value};

pub struct Expressions {
    env: Environment<'static>,
}

impl Default for Expressions {
    fn default() -> Self {
        let mut env = Environment::new();
        // Undefined names are an error, not silently false: a typo in a condition should show.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        Expressions { env }
    }
}

impl Expressions {
    pub fn eval(&self, expr: &str, ctx: &Map<String, Value>) -> Result<Value, String> {
        let compiled = self.env.compile_expression(expr).map_err(|e| e.detail().map(str::to_owned).unwrap_or_else(|| e.to_string()))?;
        let v = compiled.eval(minijinja::Value::from(minijinja::value::Serde(ctx))).map_err(|e| {
            let detail = e.detail().map(str::to_owned).unwrap_or_else(|| e.kind().to_string());
            format!("{detail} in `{expr}`")
        })?;
        serde_json::to_value(&v).map_err(|e| e.to_string())
    }

    pub fn eval_bool(&self, expr: &str, ctx: &Map<String, Value>) -> Result<bool, String> {
        Ok(truthy(&self.eval(expr, ctx)?))
    }
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conditions_over_results() {
        let e = Expressions::default();
        let ctx = json!({"rows": [{"pending": 120}], "status": 200}).as_object().cloned().unwrap_or_default();
        assert!(e.eval_bool("rows[0].pending > 100", &ctx).unwrap());
        assert!(e.eval_bool("rows | length == 1", &ctx).unwrap());
        assert!(!e.eval_bool("status != 200", &ctx).unwrap());
        assert!(e.eval_bool("nosuch > 1", &ctx).is_err());
    }
}
