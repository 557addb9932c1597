//! What a finished result is written as, once for every front door: the
//! tidy CSV (`idlab run`'s `scores.csv`, the page's CSV download) and the
//! plain-text report (`report.txt`, the page's report download).

pub mod csv;
pub mod report;
