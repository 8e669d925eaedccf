//! `precordial bench`: throughput of Precordial's readers and cleaning against the reference
//! Python tools (WFDB Python, SciPy).
//!
//! Benchmarks are commands, not timed tests: they print figures and ratios for a person to read.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use precordial::model::DeviceChoice;
use precordial::wfdb::{Header, Record};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Read every record under the folders; compare with WFDB Python's `rdrecord` when installed.
    Read {
        /// Folders (searched recursively) or single records.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Passes over the records (more passes, steadier figures).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Skip the Python comparison.
        #[arg(long)]
        no_python: bool,
    },
    /// Clean every record under the folders (METHOD.md pipeline); compare with SciPy when installed.
    Clean {
        /// Folders (searched recursively) or single records.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Passes over the records.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Cleaning parameters (RON); the paper's defaults otherwise. SciPy always runs the defaults.
        #[arg(long, value_name = "FILE.ron")]
        config: Option<PathBuf>,
        /// Skip the SciPy comparison.
        #[arg(long)]
        no_python: bool,
    },
    /// Model speed per backend: training windows/s, inference ms/window at batch 1 and 256, load time.
    Model {
        /// Folder of trained models to time loading and the shipped configurations (optional).
        #[arg(long, default_value = "models")]
        models: PathBuf,
        /// Training steps timed per model.
        #[arg(long, default_value_t = 3)]
        steps: usize,
    },
    /// Training throughput per stage (encoder, C, C-h) and where a step's time goes: batch
    /// assembly, forward, backward, optimizer.
    Train {
        /// Training configuration (RON; `models/ship-config.ron` is the shipped one); defaults otherwise.
        #[arg(long, value_name = "FILE.ron")]
        config: Option<PathBuf>,
        /// Steps timed per stage (after one untimed warm-up step).
        #[arg(long, default_value_t = 5)]
        steps: usize,
        /// cpu, gpu or auto.
        #[arg(long, default_value = "cpu")]
        device: DeviceChoice,
    },
    /// Index a full-size PTB-XL table (21,799 rows, built from the real head of the table).
    Index {
        /// A PTB-XL folder holding `ptbxl_database.csv` (or its head) and `scp_statements.csv`.
        ptbxl: PathBuf,
        /// Rows in the synthetic table.
        #[arg(long, default_value_t = 21_799)]
        rows: usize,
        #[arg(long, default_value_t = 10)]
        repeat: usize,
        /// Write the synthetic table (and scp_statements.csv) into this new folder and stop: the start
        /// of a PTB-XL-sized folder (`benches/make_ptbxl_scale.py` adds the records).
        #[arg(long)]
        write_table: Option<PathBuf>,
    },
    /// The workbench's own CPU time per frame (UI code + tessellation, headless, no GPU).
    Gui {
        /// Records to draw (default: a bundled 500 Hz sample).
        paths: Vec<PathBuf>,
        /// Frames per scenario.
        #[arg(long, default_value_t = 200)]
        frames: usize,
    },
    /// k-NN class affinity on synthetic clustered windows (PTB-XL's test fold is ~26,000).
    Affinity {
        #[arg(long, default_value_t = 26_000)]
        windows: usize,
        /// Feature size: 768 for x̂ (3 leads x 256 samples), 128 for ĥ.
        #[arg(long, default_value_t = 768)]
        dim: usize,
        #[arg(long, default_value_t = 10)]
        k: usize,
    },
}

pub fn run(command: &Command) -> anyhow::Result<()> {
    match command {
        Command::Read {
            paths,
            repeat,
            no_python,
        } => bench_read(paths, (*repeat).max(1), !no_python),
        Command::Clean {
            paths,
            repeat,
            config,
            no_python,
        } => bench_clean(paths, (*repeat).max(1), config.as_deref(), !no_python),
        Command::Model { models, steps } => super::bench_model::run(models, (*steps).max(1)),
        Command::Train {
            config,
            steps,
            device,
        } => super::bench_model::run_train(config.as_deref(), (*steps).max(1), *device),
        Command::Index {
            ptbxl,
            rows,
            write_table: Some(out),
            ..
        } => {
            if out.exists() {
                anyhow::bail!("{}: exists; choose a new folder", out.display());
            }
            precordial::dataset::ptbxl::write_synthetic_folder(ptbxl, out, *rows)?;
            Ok(())
        }
        Command::Index {
            ptbxl,
            rows,
            repeat,
            write_table: None,
        } => bench_index(ptbxl, *rows, (*repeat).max(1)),
        Command::Gui { paths, frames } => bench_gui(paths, (*frames).max(1)),
        Command::Affinity { windows, dim, k } => bench_affinity(*windows, *dim, *k),
    }
}

fn bench_affinity(windows: usize, dim: usize, k: usize) -> anyhow::Result<()> {
    // Five classes with overlapping clusters; the figures of interest are time and memory.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    // Records of ten windows (as a 10 s record gives), two records per patient, a class per record.
    let records: Vec<u32> = (0..windows as u32).map(|i| i / 10).collect();
    let patients: Vec<u32> = records.iter().map(|r| r / 2).collect();
    let labels: Vec<usize> = records.iter().map(|&r| r as usize % 5).collect();
    let centres: Vec<f32> = (0..5 * dim).map(|_| uniform()).collect();
    let features: Vec<f32> = labels
        .iter()
        .flat_map(|&c| (0..dim).map(|j| centres[c * dim + j]).collect::<Vec<_>>())
        .map(|v| v + uniform())
        .collect();
    let names: Vec<String> = (0..5).map(|c| format!("class {c}")).collect();
    let input = precordial::eval::AffinityInput {
        features: &features,
        dim,
        labels: &labels,
        class_names: &names,
        records: &records,
        patients: &patients,
    };
    let options = precordial::eval::AffinityOptions {
        k,
        bootstrap_resamples: 2000,
        seed: 1,
    };
    let start = Instant::now();
    let affinity = precordial::eval::knn_affinity(&input, &options)?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "affinity     {windows} windows x {dim} features, k = {k}, all / other records / other \
         patients with CIs: {seconds:.2} s on {} threads ({:.1} G multiply-adds/s), diagonal mean \
         {:.3} (leak-free: {:.3})",
        std::thread::available_parallelism().map_or(1, |t| t.get()),
        windows as f64 * windows as f64 * dim as f64 / seconds / 1e9,
        affinity.all.diagonal_mean,
        affinity.headline().diagonal_mean
    );
    Ok(())
}

fn bench_index(ptbxl: &Path, rows: usize, repeat: usize) -> anyhow::Result<()> {
    use precordial::dataset::ptbxl;
    let dir = std::env::temp_dir().join(format!("precordial-bench-ptbxl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
    let result = (|| -> anyhow::Result<()> {
        ptbxl::write_synthetic_folder(ptbxl, &dir, rows)?;
        let mut times = Vec::with_capacity(repeat);
        let mut n = 0;
        for _ in 0..repeat {
            let start = Instant::now();
            let index = ptbxl::open(&dir, ptbxl::Resolution::Hz100)?;
            times.push(start.elapsed().as_secs_f64());
            n = index.len();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "ptb-xl index  {n} records: best {:.1} ms, median {:.1} ms over {repeat} runs",
            times[0] * 1e3,
            times[times.len() / 2] * 1e3
        );
        Ok(())
    })();
    std::fs::remove_dir_all(&dir).ok();
    result
}

fn bench_gui(paths: &[PathBuf], frames: usize) -> anyhow::Result<()> {
    use precordial::app::{LeadLayout, bench::run_scenario};
    let mut records = paths.to_vec();
    if records.is_empty() {
        let samples = precordial::app::bundled_samples_dir()
            .context("no record given and the bundled samples were not found")?;
        records.push(samples.join("HR09739.hea"));
    }
    let size = egui::vec2(1600.0, 1000.0);
    println!("scenario | median ms | p90 ms | max ms | points drawn | launch→first record ms");
    for record in &records {
        for (layout, magnification) in [
            (LeadLayout::TwelveByOne, 1.0),
            (LeadLayout::ThreeByFourRhythm, 1.0),
            (LeadLayout::TwelveByOne, 0.25),
        ] {
            let times = run_scenario(record, layout, magnification, frames, size)
                .map_err(|err| anyhow::anyhow!(err))
                .with_context(|| format!("bench gui on {}", record.display()))?;
            println!(
                "{} | {:.2} | {:.2} | {:.2} | {} | {:.0}",
                times.scenario,
                times.median().as_secs_f64() * 1e3,
                times.percentile(0.9).as_secs_f64() * 1e3,
                times.percentile(1.0).as_secs_f64() * 1e3,
                times.points_drawn,
                times
                    .launch_to_first_record
                    .unwrap_or_default()
                    .as_secs_f64()
                    * 1e3,
            );
        }
    }
    Ok(())
}

fn header_paths(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut headers = Vec::new();
    for path in paths {
        if path.is_dir() {
            headers.extend(precordial::dataset::folder::list_header_paths(path)?);
        } else {
            headers.push(precordial::wfdb::header::header_path(path));
        }
    }
    Ok(headers)
}

fn bench_clean(
    paths: &[PathBuf],
    repeat: usize,
    config: Option<&Path>,
    python: bool,
) -> anyhow::Result<()> {
    use precordial::dsp::bench::{LoadedRecord, clean_timing};
    use precordial::dsp::clean::CleanConfig;
    let cfg = match config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
            CleanConfig::from_ron(&text).with_context(|| format!("{}", path.display()))?
        }
        None => CleanConfig::default(),
    };
    // Records that read and that the config can clean are timed, on both sides; reading is not.
    let mut headers = Vec::new();
    let mut records = Vec::new();
    for header in header_paths(paths)? {
        let Ok(record) = Record::read(&header) else {
            continue;
        };
        if cfg
            .validate_for_record(record.n_samples(), record.fs_hz())
            .is_err()
        {
            continue;
        }
        records.push(LoadedRecord {
            leads: record.signals().map(<[f64]>::to_vec).collect(),
            fs_hz: record.fs_hz(),
        });
        headers.push(header);
    }
    if records.is_empty() {
        bail!("no cleanable records under {}", display_list(paths));
    }
    // SciPy runs first so both sides time exactly the same records.
    let scipy = python.then(|| python_clean(&headers, repeat));
    if let Some(Ok((_, _, _, failed))) = &scipy
        && !failed.is_empty()
    {
        println!(
            "             (WFDB Python could not read {} of {} records; both sides leave them out)",
            failed.len(),
            headers.len()
        );
        let mut index = 0;
        headers.retain(|_| {
            index += 1;
            !failed.contains(&(index - 1))
        });
        let mut index = 0;
        records.retain(|_| {
            index += 1;
            !failed.contains(&(index - 1))
        });
    }
    let timing = clean_timing(&records, &cfg, repeat)
        .map_err(|(index, err)| anyhow::anyhow!("{}: {err}", headers[index].display()))?;
    let ours = timing.records_per_s();
    println!(
        "precordial   {:>6} records ({} leads), best pass {:.3} s of {repeat}: {ours:>9.1} records/s (one thread)",
        timing.records_per_pass,
        timing.leads_per_pass,
        timing.best_seconds()
    );
    match scipy {
        Some(Ok((n, seconds, version, _))) => {
            let theirs = n as f64 / seconds;
            println!(
                "scipy {version:<6} {n:>6} records, best pass {seconds:.3} s of {repeat}: {theirs:>9.1} records/s (one thread)"
            );
            println!(
                "ratio        {:.1}x faster than SciPy per core",
                ours / theirs
            );
        }
        Some(Err(err)) => println!("scipy        not measured: {err:#}"),
        None => {}
    }
    Ok(())
}

/// Runs `benches/clean_scipy.py` on the same records: (records, seconds, SciPy version, failed).
fn python_clean(headers: &[PathBuf], repeat: usize) -> anyhow::Result<PythonTiming> {
    run_python_script(
        include_str!("../../benches/clean_scipy.py"),
        "scipy",
        headers,
        repeat,
    )
}

fn bench_read(paths: &[PathBuf], repeat: usize, python: bool) -> anyhow::Result<()> {
    let mut headers = header_paths(paths)?;
    // Only records that read are timed, on both sides.
    headers.retain(|h| Record::read(h).is_ok());
    if headers.is_empty() {
        bail!("no readable records under {}", display_list(paths));
    }
    let bytes_per_record: Vec<u64> = headers.iter().map(|h| signal_bytes(h)).collect();
    let bytes: u64 = bytes_per_record.iter().sum();

    let start = Instant::now();
    let mut samples = 0usize;
    for _ in 0..repeat {
        for header in &headers {
            let record = Record::read(header)?;
            samples += record.n_samples() * record.n_signals();
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let n = headers.len() * repeat;
    let ours = n as f64 / seconds;
    println!(
        "precordial   {:>6} records in {seconds:.3} s: {ours:>9.1} records/s, {:>8.1} MB/s, {:.1} M samples/s",
        n,
        (bytes * repeat as u64) as f64 / seconds / 1e6,
        samples as f64 / seconds / 1e6
    );

    if python {
        match python_rdrecord(&headers, repeat) {
            Ok((records, seconds, version, failed)) => {
                let theirs = records as f64 / seconds;
                let failed_bytes: u64 =
                    failed.iter().filter_map(|&i| bytes_per_record.get(i)).sum();
                let bytes = bytes - failed_bytes;
                if !failed.is_empty() {
                    println!(
                        "             (WFDB Python could not read {} of the records; they are left out of its figures)",
                        failed.len()
                    );
                }
                println!(
                    "wfdb {version:<7} {records:>6} records in {seconds:.3} s: {theirs:>9.1} records/s, {:>8.1} MB/s",
                    (bytes * repeat as u64) as f64 / seconds / 1e6
                );
                println!("ratio        {:.1}x faster than WFDB Python", ours / theirs);
            }
            Err(err) => println!("wfdb python  not measured: {err:#}"),
        }
    }
    Ok(())
}

/// Size of the signal files a record reads (each file once).
fn signal_bytes(header_path: &Path) -> u64 {
    let Ok(header) = Header::read(header_path) else {
        return 0;
    };
    let mut files: Vec<&str> = header
        .signals
        .iter()
        .map(|s| s.file_name.as_str())
        .collect();
    files.sort_unstable();
    files.dedup();
    let own: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(header.dir().join(f)).ok())
        .map(|m| m.len())
        .sum();
    let segments: u64 = header
        .segments
        .iter()
        .filter(|s| s.name != "~")
        .map(|s| signal_bytes(&header.dir().join(format!("{}.hea", s.name))))
        .sum();
    own + segments
}

/// What `benches/read_wfdb.py` measured: records read, seconds, wfdb version, and the indices of
/// the records it could not read.
type PythonTiming = (usize, f64, String, Vec<usize>);

/// Runs `benches/read_wfdb.py` on the same records.
fn python_rdrecord(headers: &[PathBuf], repeat: usize) -> anyhow::Result<PythonTiming> {
    run_python_script(
        include_str!("../../benches/read_wfdb.py"),
        "wfdb",
        headers,
        repeat,
    )
}

/// Runs a benchmark script with `python3 -c` on a file listing `headers`; parses its JSON line.
fn run_python_script(
    script: &str,
    needs: &str,
    headers: &[PathBuf],
    repeat: usize,
) -> anyhow::Result<PythonTiming> {
    let list = std::env::temp_dir().join(format!("precordial-bench-{}.txt", std::process::id()));
    let text: String = headers
        .iter()
        .map(|h| format!("{}\n", h.display()))
        .collect();
    std::fs::write(&list, text).with_context(|| format!("{}", list.display()))?;
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&list)
        .arg(repeat.to_string())
        .output();
    std::fs::remove_file(&list).ok();
    let output = output.context("python3 is not available")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!(
            "python3 with {needs} failed: {}",
            stderr.lines().last().unwrap_or("no message")
        );
    }
    let value: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("unexpected output from the script")?;
    let records = value["records"].as_u64().unwrap_or(0) as usize;
    // `pass_seconds` (best pass) when the script times passes, else the total `seconds`.
    let seconds = value["pass_seconds"]
        .as_array()
        .and_then(|a| a.iter().filter_map(|v| v.as_f64()).reduce(f64::min))
        .or_else(|| value["seconds"].as_f64())
        .unwrap_or(f64::NAN);
    let version = value["version"].as_str().unwrap_or("?").to_owned();
    let failed = value["failed"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_u64())
                .map(|v| v as usize)
                .collect()
        })
        .unwrap_or_default();
    Ok((records, seconds, version, failed))
}

fn display_list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
