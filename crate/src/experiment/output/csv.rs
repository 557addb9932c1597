//! The tidy CSV of a result: one row per score cell (and subject). The page
//! gets it through the worker, so its download and `idlab run`'s
//! `scores.csv` are the same bytes.

use crate::experiment::ExperimentResult;

/// The header of [`tidy_rows`].
pub const TIDY_HEADER: [&str; 9] = ["metric", "source", "source_layer", "target", "target_layer", "subject", "value", "p_value", "stimuli"];

/// Tidy rows, one per score cell (and subject): metric, source, source_layer,
/// target, target_layer, subject, value, p_value, stimuli (the set's name,
/// with an upload's folder). For an RDM target with several subjects the
/// cell's row holds their mean (and its p-value), then one row per subject.
/// Models are named by their labels; undefined values are empty.
pub fn tidy_rows(result: &ExperimentResult) -> Vec<[String; 9]> {
    let num = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
    let mut rows = Vec::new();
    for s in &result.scores {
        let (Some(src), Some(tgt)) = (result.model(&s.source), result.model(&s.target)) else { continue };
        let stimuli = match s.set {
            Some(i) => result.stimulus_sets.get(i).map_or_else(|| i.to_string(), |x| x.name.clone()),
            None => result.spec.stimuli.label(),
        };
        for (i, row) in s.values.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                let p = s.p_values.as_ref().and_then(|p| p[i][j]);
                let base = |subject: String, value: Option<f64>, p: Option<f64>| {
                    [
                        s.metric.clone(),
                        src.label.clone(),
                        src.layers[i].clone(),
                        tgt.label.clone(),
                        tgt.layers[j].clone(),
                        subject,
                        num(value),
                        num(p),
                        stimuli.clone(),
                    ]
                };
                // The cell itself (for several subjects, their mean and its p-value), then each subject.
                rows.push(base(String::new(), *v, p));
                if let Some(per) = &s.per_subject {
                    for (k, name) in tgt.subjects.iter().enumerate() {
                        rows.push(base(name.clone(), per[i][j][k], None));
                    }
                }
            }
        }
    }
    rows
}

/// The whole CSV text: [`TIDY_HEADER`] and [`tidy_rows`], RFC 4180 quoting, CRLF line ends.
pub fn tidy_csv(result: &ExperimentResult) -> String {
    let mut csv = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(Vec::new());
    let written = csv.write_record(TIDY_HEADER).and_then(|_| tidy_rows(result).iter().try_for_each(|row| csv.write_record(row)));
    written.expect("writing to memory cannot fail");
    String::from_utf8(csv.into_inner().expect("writing to memory cannot fail")).expect("the fields are UTF-8")
}
