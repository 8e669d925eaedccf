//! The public inference API: load the shipped models once, then rebuild V1, V3–V6 from cleaned 100 Hz
//! leads I, II, V2 of any length ≥ 256 samples, from non-overlapping windows (starts 0, 256, 512, …
//! and a last window flush with the end) reassembled into one signal.

use std::path::Path;
use std::time::Instant;

use burn::module::Module as _;

use super::backend::{SelectedDevice, select_device};
use super::card::{self, ModelCard};
use super::decoder::{Decoder, DecoderConfig};
use super::encoder::{Encoder, EncoderConfig};
use super::train::{normalise_embeddings, read_f32, tensor2, tensor3};
use super::{DeviceChoice, EMBEDDING_DIM, ModelError, WINDOW};
use crate::dsp::segment;
use crate::prep::{InputNorm, normalise_window};

/// Which decoder rebuilds the leads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ModelVariant {
    /// C: the input window only.
    C,
    /// C-h: the input window and the pathology embedding (the paper's model).
    #[default]
    CH,
}

impl ModelVariant {
    /// The name a user reads (`C`, `C-h`).
    pub fn name(self) -> &'static str {
        match self {
            Self::C => "C",
            Self::CH => "C-h",
        }
    }

    /// The key of the model in cards, band files and file names (`c`, `ch`).
    pub fn key(self) -> &'static str {
        match self {
            Self::C => "c",
            Self::CH => "ch",
        }
    }
}

/// Loaded models, ready to run. Load once; use from one worker thread at a time.
pub struct Reconstructor {
    device: SelectedDevice,
    encoder: Encoder,
    decoder_c: Decoder,
    decoder_ch: Decoder,
    norm_c: InputNorm,
    norm_ch: InputNorm,
    card: ModelCard,
    /// SHA-256 of `card.json` as loaded: names these exact models in what they write.
    card_sha256: String,
    load_seconds: f64,
}

/// Window starts for reconstruction: 0, 256, 512, … and a last one flush with the end
/// ([`segment::evaluation_starts`] at the models' window).
pub fn evaluation_starts(len: usize) -> Vec<usize> {
    // The window is a non-zero constant, the only error of `segment::evaluation_starts`.
    segment::evaluation_starts(len, WINDOW).unwrap_or_default()
}

impl Reconstructor {
    /// Loads the encoder and both decoders from `models_dir`, verifying each file's SHA-256 against
    /// the model card and each configuration.
    pub fn load(models_dir: &Path, device: DeviceChoice) -> Result<Self, ModelError> {
        let started = Instant::now();
        let card = ModelCard::read(models_dir)?;
        let card_sha256 = card::sha256_file(&models_dir.join(card::CARD_FILE))?;
        // Every file the models need, against its hash, before any GPU is probed (a damaged folder
        // is reported first); each is read once more below, not hashed again.
        for name in [
            card::ENCODER_CONFIG,
            card::ENCODER_WEIGHTS,
            card::DECODER_C_CONFIG,
            card::DECODER_C_WEIGHTS,
            card::DECODER_CH_CONFIG,
            card::DECODER_CH_WEIGHTS,
        ] {
            card.verify(models_dir, name)?;
        }
        let selected = select_device(device)?;
        let d = &selected.device;

        let encoder_config: EncoderConfig = card::load_ron(&models_dir.join(card::ENCODER_CONFIG))?;
        encoder_config
            .validate()
            .map_err(|message| ModelError::Config {
                path: models_dir.join(card::ENCODER_CONFIG),
                message,
            })?;
        let mut encoder = encoder_config.init(d);
        card::load_weights(&mut encoder, &models_dir.join(card::ENCODER_WEIGHTS))?;

        let load_decoder = |config_name: &str, weights_name: &str, with_h: bool| {
            let config_path = models_dir.join(config_name);
            let config: DecoderConfig = card::load_ron(&config_path)?;
            config.validate().map_err(|message| ModelError::Config {
                path: config_path.clone(),
                message,
            })?;
            if config.with_embedding != with_h || config.outputs != 5 {
                return Err(ModelError::Config {
                    path: config_path,
                    message: format!(
                        "expected a {} decoder with 5 outputs, found with_embedding {} and {} outputs",
                        if with_h { "C-h" } else { "C" },
                        config.with_embedding,
                        config.outputs
                    ),
                });
            }
            let mut decoder = config.init(d);
            card::load_weights(&mut decoder, &models_dir.join(weights_name))?;
            Ok::<_, ModelError>((decoder, config.input_norm))
        };
        let (decoder_c, norm_c) =
            load_decoder(card::DECODER_C_CONFIG, card::DECODER_C_WEIGHTS, false)?;
        let (decoder_ch, norm_ch) =
            load_decoder(card::DECODER_CH_CONFIG, card::DECODER_CH_WEIGHTS, true)?;
        if card.embedding_mean.len() != EMBEDDING_DIM || card.embedding_std.len() != EMBEDDING_DIM {
            return Err(ModelError::Format {
                path: models_dir.join(card::CARD_FILE),
                message: format!(
                    "embedding_mean and embedding_std must hold {EMBEDDING_DIM} values"
                ),
            });
        }
        for (name, module_params) in [
            ("encoder", encoder.num_params()),
            ("decoder_c", decoder_c.num_params()),
            ("decoder_ch", decoder_ch.num_params()),
        ] {
            if let Some(&expected) = card.parameters.get(name)
                && expected != module_params
            {
                return Err(ModelError::Format {
                    path: models_dir.join(card::CARD_FILE),
                    message: format!(
                        "{name} has {module_params} parameters, the card says {expected}"
                    ),
                });
            }
        }
        Ok(Self {
            device: selected,
            encoder,
            decoder_c,
            decoder_ch,
            norm_c,
            norm_ch,
            card,
            card_sha256,
            load_seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// The device the models run on, for display.
    pub fn device_name(&self) -> String {
        self.device.name.clone()
    }

    /// The model card the models were loaded with.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// The least-squares baseline of the training split, per target lead in [`TARGET_LEADS`]
    /// order; `None` for a card written before it was stored.
    pub fn least_squares(&self) -> Option<[crate::metrics::LinearLead; 5]> {
        let leads: Option<Vec<_>> = super::TARGET_LEADS
            .iter()
            .map(|lead| self.card.least_squares.get(*lead).copied())
            .collect();
        leads?.try_into().ok()
    }

    /// SHA-256 of the model card the models were loaded with.
    pub fn card_sha256(&self) -> &str {
        &self.card_sha256
    }

    /// Seconds `load` took.
    pub fn load_seconds(&self) -> f64 {
        self.load_seconds
    }

    /// Inputs: cleaned 100 Hz leads I, II, V2 of equal length (>= 256 samples). Output: the five
    /// target leads in mV at 100 Hz, same length, from non-overlapping windows reassembled.
    pub fn reconstruct(
        &self,
        inputs: [&[f64]; 3],
        variant: ModelVariant,
    ) -> Result<[Vec<f64>; 5], ModelError> {
        let len = check_inputs(inputs)?;
        let starts = evaluation_starts(len);
        let x = windows(inputs, &starts);
        let y = self.reconstruct_windows(&x, variant)?;
        let mut out: [Vec<f64>; 5] = std::array::from_fn(|_| vec![0.0; len]);
        // Later windows only fill what earlier ones left (the last window overlaps the previous one).
        let mut filled = 0usize;
        for (w, &start) in starts.iter().enumerate() {
            for (lead, signal) in out.iter_mut().enumerate() {
                let offset = (w * 5 + lead) * WINDOW;
                for t in filled.max(start)..start + WINDOW {
                    signal[t] = f64::from(y[offset + t - start]);
                }
            }
            filled = start + WINDOW;
        }
        Ok(out)
    }

    /// The embedding ĥ (128 values, normalised as C-h reads it) of each non-overlapping window,
    /// for the latent-space views.
    pub fn embed(&self, inputs: [&[f64]; 3]) -> Result<Vec<[f32; 128]>, ModelError> {
        let len = check_inputs(inputs)?;
        let x = windows(inputs, &evaluation_starts(len));
        let h = self.embed_windows(&x)?;
        Ok(h.chunks(EMBEDDING_DIM)
            .map(|row| {
                let mut out = [0.0f32; 128];
                out.copy_from_slice(row);
                out
            })
            .collect())
    }

    /// ĥ [n, 128] of windows x [n, 3, 256] in mV: h normalised with the training statistics of
    /// the card, the embedding C-h reads (METHOD.md's ĥ, whose affinity the study reports).
    pub fn embed_windows(&self, x: &[f32]) -> Result<Vec<f32>, ModelError> {
        let n = x.len() / (3 * WINDOW);
        let mut out = Vec::with_capacity(n * EMBEDDING_DIM);
        for chunk in x.chunks(256 * 3 * WINDOW) {
            out.extend(self.embed_chunk(chunk)?);
        }
        Ok(out)
    }

    /// ĥ of one batch of windows in mV: z-scored inputs through the encoder, normalised with the
    /// card's statistics. The one path to ĥ for the study and for C-h.
    fn embed_chunk(&self, chunk: &[f32]) -> Result<Vec<f32>, ModelError> {
        let b = chunk.len() / (3 * WINDOW);
        let xz = normalised(chunk, InputNorm::ZScore);
        let mut h = read_f32(
            self.encoder
                .embed(tensor3(xz, [b, 3, WINDOW], &self.device.device)),
        )?;
        normalise_embeddings(&mut h, &self.card.embedding_mean, &self.card.embedding_std);
        Ok(h)
    }

    /// Reconstructions [n, 5, 256] in mV of windows x [n, 3, 256] in mV.
    pub fn reconstruct_windows(
        &self,
        x: &[f32],
        variant: ModelVariant,
    ) -> Result<Vec<f32>, ModelError> {
        let n = x.len() / (3 * WINDOW);
        let mut out = Vec::with_capacity(n * 5 * WINDOW);
        let d = &self.device.device;
        for chunk in x.chunks(256 * 3 * WINDOW) {
            let b = chunk.len() / (3 * WINDOW);
            let y = match variant {
                ModelVariant::C => {
                    let xt = tensor3(normalised(chunk, self.norm_c), [b, 3, WINDOW], d);
                    self.decoder_c.forward(xt, None)
                }
                ModelVariant::CH => {
                    let h = self.embed_chunk(chunk)?;
                    self.decoder_ch.forward(
                        tensor3(normalised(chunk, self.norm_ch), [b, 3, WINDOW], d),
                        Some(tensor2(h, [b, EMBEDDING_DIM], d)),
                    )
                }
            };
            out.extend(read_f32(y)?);
        }
        Ok(out)
    }
}

/// A copy of windows [n, 3, 256] with each lead of each window normalised.
fn normalised(x: &[f32], norm: InputNorm) -> Vec<f32> {
    let mut out = x.to_vec();
    for window in out.chunks_mut(3 * WINDOW) {
        normalise_window(window, WINDOW, norm);
    }
    out
}

fn check_inputs(inputs: [&[f64]; 3]) -> Result<usize, ModelError> {
    let len = inputs[0].len();
    if inputs.iter().any(|lead| lead.len() != len) {
        return Err(ModelError::Input(format!(
            "leads I, II, V2 have different lengths ({}, {}, {})",
            inputs[0].len(),
            inputs[1].len(),
            inputs[2].len()
        )));
    }
    if len < WINDOW {
        return Err(ModelError::Input(format!(
            "{len} samples: at least {WINDOW} (2.56 s at 100 Hz) are needed"
        )));
    }
    for (lead, name) in inputs.iter().zip(super::INPUT_LEADS) {
        if let Some(t) = lead.iter().position(|v| !v.is_finite()) {
            return Err(ModelError::Input(format!(
                "lead {name} holds a non-finite value at sample {t}"
            )));
        }
    }
    Ok(len)
}

/// Windows [n, 3, 256] in mV at `starts`.
fn windows(inputs: [&[f64]; 3], starts: &[usize]) -> Vec<f32> {
    let mut x = Vec::with_capacity(starts.len() * 3 * WINDOW);
    for &start in starts {
        for lead in inputs {
            x.extend(lead[start..start + WINDOW].iter().map(|&v| v as f32));
        }
    }
    x
}
