//! Command-line arguments and dispatch.

use crate::{activations, assignment, inspect, memory, metric, rdm, run, serve, sweep, zoo};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Parser)]
#[command(name = "idlab", version, about = "The identifiability lab: compare vision models' layers with each other and with brains")]
struct Cli {
    /// Worker threads for inference and metrics (default: all cores). Results do not depend on it.
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment spec (the page's default is www/presets/alexnet-seeds-cka.json) and write
    /// result.json (scores, provenance, content hashes), scores.csv (tidy) and
    /// report.txt into the output folder. Given a folder of `idlab plan`, run one shard of its
    /// jobs, each into OUT/<job hash>/ (a finished job is skipped).
    Run {
        /// The experiment spec (JSON), or a plan folder (`idlab plan`).
        spec: PathBuf,
        /// With a plan folder: run the jobs whose index is I modulo N (0-based) [default: from
        /// SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, JOB_COMPLETION_INDEX/IDLAB_SHARD_COUNT or
        /// AWS_BATCH_JOB_ARRAY_INDEX/AWS_BATCH_JOB_ARRAY_SIZE, else every job].
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Output folder (created if missing).
        #[arg(short, long)]
        out: PathBuf,
        /// Folder that stimulus paths such as data/kriegeskorte92/images/000.png are relative to
        /// [default: $IDLAB_SITE, else the repository's www/].
        #[arg(long)]
        site: Option<PathBuf>,
        /// Print no progress.
        #[arg(short, long)]
        quiet: bool,
        /// Run the spec on trained weights: every seeded zoo model whose architecture has an
        /// entry in models/weights.json gets it (shipped files from the site, public ones
        /// fetched; the spec's name and this_run say which). The seeded spec is the default.
        #[arg(long)]
        trained: bool,
        /// With --trained: your own file for a catalogue entry or architecture, in place of its
        /// download, as ID=PATH or ARCH=PATH (e.g. alexnet=alexnet-owt-7be5be79.pth); repeatable.
        #[arg(long = "trained-file", value_name = "ID=PATH", requires = "trained")]
        trained_files: Vec<String>,
    },
    /// Cut a spec into independent jobs (one per stimulus set and per target, or per source),
    /// each a normal spec, for a cluster's array job: `idlab run DIR --shard I/N` runs a shard,
    /// `idlab merge` joins the shards' outputs into the files one `idlab run` writes.
    Plan {
        /// The experiment spec (JSON).
        spec: PathBuf,
        /// The plan folder to write (plan.json and job-NNNN.json).
        #[arg(short, long)]
        out: PathBuf,
        /// Which side each job takes one model of: targets, sources, or auto (the side with more models).
        #[arg(long, default_value = "auto")]
        by: String,
        /// Also write a ready sbatch script (slurm: idlab.sbatch) or Indexed Job manifest
        /// (k8s: idlab-job.yaml) into the plan folder; repeatable.
        #[arg(long, value_name = "slurm|k8s")]
        emit: Vec<String>,
        /// The folder the emitted script's shards write into.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// Print nothing but errors.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Join the outputs of a plan's shards (folders given to `idlab run PLAN --shard I/N -o`) into
    /// result.json, scores.csv and report.txt, as one `idlab run` of the whole spec writes them.
    Merge {
        /// Shard output folders (each holds <job hash>/job.json and result.json).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder (created if missing).
        #[arg(short, long)]
        out: PathBuf,
        /// Print nothing but errors.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Predict the memory a spec's run needs, per model and at its peak (the page's check), without running it.
    Memory {
        /// The experiment spec (JSON).
        spec: PathBuf,
        /// As a tab that cannot spill Gram rows to storage (no OPFS): every row in memory.
        #[arg(long)]
        in_memory: bool,
        /// As the page's check in a tab (wasm memory, which never shrinks: a model's build needs more), not as this machine.
        #[arg(long)]
        tab: bool,
        /// Print the estimate as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the model zoo: architectures, parameter counts and recorded layers.
    Zoo {
        /// Print the manifest as JSON (the content of models/zoo.json).
        #[arg(long)]
        json: bool,
    },
    /// Write a seeded zoo model as an ONNX file (torchvision names, seeded init).
    Export {
        /// Architecture name (see `idlab zoo`).
        #[arg(long)]
        arch: String,
        /// Seed of the weights.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output .onnx file.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Record layer activations on a folder of images into an .npz (float32, images x units).
    Activations {
        /// ARCH:SEED for a zoo model (e.g. resnet18:0), ARCH with --weights, or a .onnx or .tflite file.
        #[arg(long)]
        model: String,
        /// Trained weights for the zoo architecture --model names: a .pth, .pt or .safetensors file
        /// (torchvision's names, or timm's where the architecture has a name map).
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Folder (or .zip) of images, in natural order of their names (img2 before img10), as `run` reads an upload.
        #[arg(long)]
        stimuli: PathBuf,
        /// Comma-separated layers (zoo names, optionally with :pre; tensor names for a .onnx file).
        #[arg(long)]
        layers: Option<String>,
        /// Output .npz file.
        #[arg(short, long)]
        out: PathBuf,
        /// Also store the preprocessed input tensors as "input" (images x 3 x size x size, 224 unless the model says otherwise).
        #[arg(long)]
        save_input: bool,
        /// A .onnx model's per-channel mean, "R,G,B" on the [0, 1] scale (in the model's channel
        /// order) [default: the file's idlab.mean metadata, else ImageNet's].
        #[arg(long, value_delimiter = ',', num_args = 3)]
        mean: Option<Vec<f32>>,
        /// A .onnx model's per-channel std [default: the file's idlab.std, else ImageNet's].
        #[arg(long, value_delimiter = ',', num_args = 3)]
        std: Option<Vec<f32>>,
        /// Channel order a .onnx model takes: rgb or bgr [default: the file's idlab.channels, else rgb].
        #[arg(long)]
        channels: Option<String>,
    },
    /// Score X against Y with one metric: regression, cka, cka-debiased, cka-rbf, rsa,
    /// soft-matching, procrustes or nrp. Prints one JSON object with `metric` and `value`.
    Metric {
        /// The metric's name.
        name: String,
        #[command(flatten)]
        args: metric::MetricArgs,
    },
    /// Write the representational dissimilarity matrix (n x n, float64 .npy) of a response matrix.
    Rdm {
        /// Responses (stimuli x units: .npy, .npz, .csv or .mat, as for `idlab metric`).
        #[arg(long)]
        x: PathBuf,
        /// correlation (1 - Pearson r), euclidean or cosine.
        #[arg(long, default_value = "correlation")]
        distance: String,
        /// Output .npy file.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Check a .onnx or .tflite file and list its input and the layers that can be recorded (name, op, shape, units).
    Inspect {
        /// The .onnx or .tflite file (a TFLite model is listed as the float graph idlab converts it to).
        file: PathBuf,
        /// Print the inspection as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the top classes a model gives each image (a zoo architecture, seeded or with
    /// --weights, or a .onnx or .tflite file), as text or JSON.
    Classify(crate::classify::Args),
    /// Course assignments (.idlab.zip): check one, grade students' reports, pack a folder.
    #[command(subcommand)]
    Assignment(assignment::Command),
    /// Serve the built site (dist/) on loopback with the headers threads need (COOP/COEP).
    Serve {
        /// Folder to serve.
        #[arg(long, default_value = "dist")]
        dir: PathBuf,
        /// Port (0 picks a free one; the URL is printed).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Leave out the cross-origin isolation headers (as a plain static host would: the site's service worker then isolates the page, or it runs single-threaded where service workers are blocked).
        #[arg(long)]
        no_isolation: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(n) = cli.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(n).build_global() {
            eprintln!("idlab: cannot set {n} threads: {e}");
            return ExitCode::FAILURE;
        }
    }
    idlab::runtime::use_thread_pool();
    let outcome = match cli.command {
        Command::Assignment(command) => {
            return match assignment::run(command, true) {
                Ok(()) => ExitCode::SUCCESS,
                Err((e, code)) => {
                    eprintln!("idlab: {e}");
                    ExitCode::from(code)
                }
            };
        }
        Command::Run { spec, shard, out, site, quiet, trained, trained_files } => {
            if spec.is_dir() {
                if trained {
                    Err("--trained applies to a spec file; plan the trained spec (its weights named in it) instead".to_string())
                } else {
                    sweep::run_shard(&spec, shard.as_deref(), &out, site, quiet)
                }
            } else if shard.is_some() {
                Err(format!("--shard runs part of a plan folder (`idlab plan`); {} is a file", spec.display()))
            } else {
                run::run(&spec, &out, site, quiet, trained.then_some(trained_files.as_slice()))
            }
        }
        Command::Plan { spec, out, by, emit, results, quiet } => sweep::plan(&spec, &out, &by, &emit, &results, quiet),
        Command::Merge { dirs, out, quiet } => sweep::merge(&dirs, &out, quiet),
        Command::Memory { spec, in_memory, tab, json } => memory::run(&spec, in_memory, tab, json),
        Command::Zoo { json } => zoo::list(json),
        Command::Export { arch, seed, out } => zoo::export(&arch, seed, &out),
        Command::Activations { model, weights, stimuli, layers, out, save_input, mean, std, channels } => {
            activations::norm(mean, std, channels).and_then(|norm| activations::run(&model, weights.as_deref(), &stimuli, layers, &out, save_input, norm))
        }
        Command::Metric { name, args } => metric::run(&name, args),
        Command::Rdm { x, distance, out } => rdm::run(&x, &distance, &out),
        Command::Inspect { file, json } => inspect::run(&file, json),
        Command::Classify(args) => crate::classify::run(args),
        Command::Serve { dir, port, no_isolation } => serve::serve(&dir, port, !no_isolation),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idlab: {e}");
            ExitCode::from(FAILED_WITH.load(Ordering::Relaxed))
        }
    }
}

/// The exit code `main` ends a failed command with: the kind's code
/// (`idlab::error::EXIT_CODES`: 3 spec, 4 image, 5 model, 6 input, 7 state,
/// 8 limit) when the command's error came from the core through [`core`], else
/// 1, the generic failure (a file the CLI cannot read, a flag it refuses).
/// The commands keep their `String` errors; this is where the kind survives.
static FAILED_WITH: AtomicU8 = AtomicU8::new(1);

/// A core error as the message a command fails with, its kind kept for the
/// exit code: `.map_err(cli::core)?` where the error ends the command.
pub fn core(e: idlab::Error) -> String {
    FAILED_WITH.store(e.exit_code(), Ordering::Relaxed);
    e.to_string()
}
