//! Recorded data shipped with the site (under `www/data/`), usable as targets
//! by name, so that a preset needs no upload: the 92-image human and monkey IT
//! RDMs of Kriegeskorte et al. (2008) (`www/data/kriegeskorte92/README.md`) and
//! the macaque V4 responses to 1,200 natural images of Cowley et al. (2023)
//! (`www/data/cowley-v4/README.md`, GPL v3).

use crate::error::{Error, Result};
use crate::stimuli::sets;

/// A shipped dataset over one stimulus set's images, in its order.
#[derive(Debug)]
pub struct Dataset {
    pub name: &'static str,
    /// The stimulus set whose images the rows (and columns) follow.
    pub set: &'static str,
    /// A display name.
    pub label: &'static str,
    /// Rows of each file (the whole set's images); a limited stimulus set
    /// takes the leading rows (and columns, for RDMs).
    pub stimuli: usize,
    /// Site-relative folder of the files.
    pub dir: &'static str,
    pub kind: DatasetKind,
}

/// What a dataset holds.
#[derive(Debug)]
pub enum DatasetKind {
    /// RDMs, one entry per subject: its name and its RDM files; a subject's
    /// RDM is the mean of its files (e.g. its two sessions).
    Rdms { subjects: &'static [(&'static str, &'static [&'static str])] },
    /// One responses matrix, stimuli x `units` (rows in image order): a
    /// responses target, as a user's `{"responses": file}`.
    Responses { file: &'static str, units: usize },
}

const K92: &str = "data/kriegeskorte92/rdms/";

/// Every shipped dataset.
pub const ALL: &[Dataset] = &[
    Dataset {
        name: "kriegeskorte92/human-it",
        set: sets::KRIEGESKORTE92,
        stimuli: 92,
        label: "human IT (fMRI, 4 subjects)",
        dir: K92,
        kind: DatasetKind::Rdms {
            subjects: &[
                ("BE", &["hIT_BE_session1.npy", "hIT_BE_session2.npy"]),
                ("KO", &["hIT_KO_session1.npy", "hIT_KO_session2.npy"]),
                ("SN", &["hIT_SN_session1.npy", "hIT_SN_session2.npy"]),
                ("TI", &["hIT_TI_session1.npy", "hIT_TI_session2.npy"]),
            ],
        },
    },
    Dataset {
        name: "kriegeskorte92/human-it-group",
        set: sets::KRIEGESKORTE92,
        stimuli: 92,
        label: "human IT (fMRI, group RDM of Fig. 1, 316 voxels)",
        dir: K92,
        kind: DatasetKind::Rdms { subjects: &[("group", &["hITvisStim_316vx.npy"])] },
    },
    Dataset {
        name: "kriegeskorte92/monkey-it",
        set: sets::KRIEGESKORTE92,
        stimuli: 92,
        label: "monkey IT (674 neurons)",
        dir: K92,
        kind: DatasetKind::Rdms { subjects: &[("monkey", &["mIT_674neurons.npy"])] },
    },
    Dataset {
        name: "cowley-v4/responses",
        set: sets::COWLEY_V4,
        stimuli: 1200,
        label: "macaque V4 (33 neurons, Cowley et al.)",
        dir: "data/cowley-v4/",
        kind: DatasetKind::Responses { file: "responses.npy", units: 33 },
    },
];

impl Dataset {
    /// The files to fetch or read, site-relative (RDMs: subject by subject).
    pub fn files(&self) -> Vec<String> {
        match &self.kind {
            DatasetKind::Rdms { subjects } => subjects.iter().flat_map(|(_, f)| f.iter().map(|f| format!("{}{f}", self.dir))).collect(),
            DatasetKind::Responses { file, .. } => vec![format!("{}{file}", self.dir)],
        }
    }

    /// Subject names of an RDM dataset; none for responses.
    pub fn subjects(&self) -> Vec<String> {
        match &self.kind {
            DatasetKind::Rdms { subjects } => subjects.iter().map(|(s, _)| s.to_string()).collect(),
            DatasetKind::Responses { .. } => Vec::new(),
        }
    }

    pub fn is_responses(&self) -> bool {
        matches!(self.kind, DatasetKind::Responses { .. })
    }
}

/// The dataset `name`, if shipped.
pub fn lookup(name: &str) -> Result<&'static Dataset> {
    ALL.iter().find(|d| d.name == name).ok_or_else(|| {
        Error::Spec(format!(
            "unknown dataset \"{name}\"; shipped: {}",
            ALL.iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// The dataset `name`, checked against the experiment's stimulus set.
pub fn find(name: &str, set: &str) -> Result<&'static Dataset> {
    let d = lookup(name)?;
    if d.set != set {
        return Err(Error::Spec(format!(
            "dataset {name} was recorded on the {} images; the spec's stimuli are \"{set}\"",
            d.set
        )));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_kinds() {
        let v4 = find("cowley-v4/responses", sets::COWLEY_V4).unwrap();
        assert!(v4.is_responses() && v4.subjects().is_empty());
        assert_eq!(v4.files(), ["data/cowley-v4/responses.npy"]);
        let it = lookup("kriegeskorte92/human-it").unwrap();
        assert_eq!(it.files().len(), 8);
        assert_eq!(it.files()[0], "data/kriegeskorte92/rdms/hIT_BE_session1.npy");
        assert_eq!(it.subjects(), ["BE", "KO", "SN", "TI"]);
        let e = find("cowley-v4/responses", sets::KRIEGESKORTE92).unwrap_err().to_string();
        assert!(e.contains("recorded on the cowley-v4 images"), "{e}");
    }
}
