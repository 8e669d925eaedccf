//! The annotation reader against wfdb-python's `rdann` (fixtures from gen_dsp_fixtures.py).

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

mod common;

use precordial::wfdb::annotation;
use serde_json::Value;
use std::collections::BTreeMap;

#[test]
fn annotations_match_wfdb_python() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let fx = common::scipy_reference();
    for d in fx["annotations"].as_array().into_iter().flatten() {
        let rel = d["record"].as_str().unwrap_or("");
        let ext = d["ext"].as_str().unwrap_or("");
        let file = data.join(format!("{rel}.{ext}"));
        let anns = annotation::read(&file).unwrap_or_else(|e| panic!("{e}"));
        let a = &anns.annotations;
        let label = format!("{rel}.{ext}");
        assert_eq!(
            a.len() as u64,
            d["count"].as_u64().unwrap_or(0),
            "{label}: count"
        );
        let sample_sum: i64 = a.iter().map(|x| x.sample).sum();
        assert_eq!(
            sample_sum,
            d["sample_sum"].as_i64().unwrap_or(0),
            "{label}: samples"
        );
        let head: Vec<i64> = a.iter().take(60).map(|x| x.sample).collect();
        let want_head: Vec<i64> = d["samples_head"]
            .as_array()
            .map(|v| v.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        assert_eq!(head, want_head, "{label}: first samples");
        let symbols: String = a.iter().map(|x| x.symbol()).collect();
        let want_symbols = d["symbols"].as_str().unwrap_or("");
        assert!(symbols.starts_with(want_symbols), "{label}: symbols");
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for x in a {
            *counts.entry(x.symbol().to_owned()).or_default() += 1;
        }
        let want_counts: BTreeMap<String, u64> = d["symbol_counts"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(counts, want_counts, "{label}: symbol counts");
        let sub: i64 = a.iter().map(|x| x.subtype as i64).sum();
        let chan: i64 = a.iter().map(|x| x.chan as i64).sum();
        let num: i64 = a.iter().map(|x| x.num as i64).sum();
        assert_eq!(
            sub,
            d["subtype_sum"].as_i64().unwrap_or(0),
            "{label}: subtypes"
        );
        assert_eq!(
            chan,
            d["chan_sum"].as_i64().unwrap_or(0),
            "{label}: channels"
        );
        assert_eq!(num, d["num_sum"].as_i64().unwrap_or(0), "{label}: num");
        let aux: Vec<&str> = a
            .iter()
            .map(|x| x.aux.as_str())
            .filter(|s| !s.is_empty())
            .take(10)
            .collect();
        let want_aux: Vec<&str> = d["aux"]
            .as_array()
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(aux, want_aux, "{label}: aux notes");
        println!("{label}: {} annotations match rdann", a.len());
    }
}
