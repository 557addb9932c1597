//! Recorded data shipped with the site (under `www/data/`), usable as targets
//! by name, so that a preset needs no upload: the 92-image human and monkey IT
//! RDMs of Kriegeskorte et al. (2008). See `www/data/kriegeskorte92/README.md`.

use crate::error::{Error, Result};
use crate::stimuli::sets;

/// A shipped set of RDMs over one stimulus set's images, in its order.
#[derive(Debug)]
pub struct Dataset {
    pub name: &'static str,
    /// The stimulus set whose images the rows and columns follow.
    pub set: &'static str,
    /// A display name.
    pub label: &'static str,
    /// Rows and columns of each RDM file (the whole set's images).
    pub stimuli: usize,
    /// One entry per subject: its name and its RDM files (site-relative);
    /// a subject's RDM is the mean of its files (e.g. its two sessions).
    pub subjects: &'static [(&'static str, &'static [&'static str])],
}

const DIR: &str = "data/kriegeskorte92/rdms/";

/// Every shipped dataset.
pub const ALL: &[Dataset] = &[
    Dataset {
        name: "kriegeskorte92/human-it",
        set: sets::KRIEGESKORTE92,
        stimuli: 92,
        label: "human IT (fMRI, 4 subjects)",
        subjects: &[
            ("BE", &["hIT_BE_session1.npy", "hIT_BE_session2.npy"]),
            ("KO", &["hIT_KO_session1.npy", "hIT_KO_session2.npy"]),
            ("SN", &["hIT_SN_session1.npy", "hIT_SN_session2.npy"]),
            ("TI", &["hIT_TI_session1.npy", "hIT_TI_session2.npy"]),
        ],
    },
    Dataset {
        name: "kriegeskorte92/human-it-group",
        set: sets::KRIEGESKORTE92,
        stimuli: 92,
        label: "human IT (fMRI, group RDM of Fig. 1, 316 voxels)",
        subjects: &[("group", &["hITvisStim_316vx.npy"])],
    },
    Dataset {
        name: "kriegeskorte92/monkey-it",
        set: sets::KRIEGESKORTE92,
        stimuli: 92,
        label: "monkey IT (674 neurons)",
        subjects: &[("monkey", &["mIT_674neurons.npy"])],
    },
];

impl Dataset {
    /// The files to fetch or read, site-relative, subject by subject.
    pub fn files(&self) -> Vec<String> {
        self.subjects.iter().flat_map(|(_, f)| f.iter().map(|f| format!("{DIR}{f}"))).collect()
    }
}

/// The dataset `name`, checked against the experiment's stimulus set.
pub fn find(name: &str, set: &str) -> Result<&'static Dataset> {
    let d = ALL.iter().find(|d| d.name == name).ok_or_else(|| {
        Error::Spec(format!(
            "unknown dataset \"{name}\"; shipped: {}",
            ALL.iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
        ))
    })?;
    if d.set != set {
        return Err(Error::Spec(format!(
            "dataset {name} was recorded on the {} images; the spec's stimuli are \"{set}\"",
            d.set
        )));
    }
    Ok(d)
}
