//! The encoder f_φ of the reference scripts: stem Conv1d(3→32, k7) + BatchNorm + ReLU + MaxPool(2),
//! four residual blocks (k3; 64, 64, 128, 128 channels), global average pooling → h ∈ R^128, and the
//! projection head Linear–BatchNorm–GELU–Linear → z ∈ R^128, ℓ2-normalised, for the contrastive loss.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::pool::{MaxPool1d, MaxPool1dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig1d};
use burn::tensor::activation::{gelu, relu};
use burn::tensor::{Device, Tensor};

use super::EMBEDDING_DIM;
use super::layers::same_conv;

/// Encoder shape. Defaults are the reference scripts'.
#[derive(Config, Debug)]
pub struct EncoderConfig {
    /// Input channels (I, II, V2).
    #[config(default = 3)]
    pub channels_in: usize,
    /// Stem channels.
    #[config(default = 32)]
    pub stem_channels: usize,
    /// Stem kernel.
    #[config(default = 7)]
    pub stem_kernel: usize,
    /// Output channels of the residual blocks; the last is the size of h.
    #[config(default = "vec![64, 64, 128, 128]")]
    pub block_channels: Vec<usize>,
    /// Size of the projection z.
    #[config(default = 128)]
    pub projection_dim: usize,
}

#[derive(Module, Debug)]
pub struct ResidualBlock {
    conv1: Conv1d,
    bn1: BatchNorm,
    conv2: Conv1d,
    bn2: BatchNorm,
    skip: Option<Conv1d>,
    skip_bn: Option<BatchNorm>,
}

impl ResidualBlock {
    fn new(channels_in: usize, channels_out: usize, device: &Device) -> Self {
        // Unpadded: `same_conv` pads the input itself (see there).
        let conv = |i, o| {
            Conv1dConfig::new(i, o, 3)
                .with_padding(PaddingConfig1d::Valid)
                .with_bias(false)
                .init(device)
        };
        let (skip, skip_bn) = if channels_in == channels_out {
            (None, None)
        } else {
            (
                Some(
                    Conv1dConfig::new(channels_in, channels_out, 1)
                        .with_bias(false)
                        .init(device),
                ),
                Some(BatchNormConfig::new(channels_out).init(device)),
            )
        };
        Self {
            conv1: conv(channels_in, channels_out),
            bn1: BatchNormConfig::new(channels_out).init(device),
            conv2: conv(channels_out, channels_out),
            bn2: BatchNormConfig::new(channels_out).init(device),
            skip,
            skip_bn,
        }
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let identity = match (&self.skip, &self.skip_bn) {
            (Some(conv), Some(bn)) => bn.forward(conv.forward(x.clone())),
            _ => x.clone(),
        };
        let out = relu(self.bn1.forward(same_conv(&self.conv1, x)));
        let out = self.bn2.forward(same_conv(&self.conv2, out));
        relu(out + identity)
    }
}

#[derive(Module, Debug)]
pub struct Encoder {
    stem: Conv1d,
    stem_bn: BatchNorm,
    pool: MaxPool1d,
    blocks: Vec<ResidualBlock>,
    proj1: Linear,
    proj_bn: BatchNorm,
    proj2: Linear,
}

impl EncoderConfig {
    pub fn init(&self, device: &Device) -> Encoder {
        let pad = self.stem_kernel / 2;
        let mut blocks = Vec::new();
        let mut channels = self.stem_channels;
        for &out in &self.block_channels {
            blocks.push(ResidualBlock::new(channels, out, device));
            channels = out;
        }
        Encoder {
            stem: Conv1dConfig::new(self.channels_in, self.stem_channels, self.stem_kernel)
                .with_padding(PaddingConfig1d::Explicit(pad, pad))
                .with_bias(false)
                .init(device),
            stem_bn: BatchNormConfig::new(self.stem_channels).init(device),
            pool: MaxPool1dConfig::new(2).with_stride(2).init(),
            blocks,
            proj1: LinearConfig::new(channels, self.projection_dim).init(device),
            proj_bn: BatchNormConfig::new(self.projection_dim).init(device),
            proj2: LinearConfig::new(self.projection_dim, self.projection_dim).init(device),
        }
    }

    /// Size of h for this configuration.
    pub fn embedding_dim(&self) -> usize {
        self.block_channels
            .last()
            .copied()
            .unwrap_or(self.stem_channels)
    }

    /// Checks the configuration against what the rest of the module assumes.
    pub fn validate(&self) -> Result<(), String> {
        if self.channels_in != 3 {
            return Err(format!("channels_in is {}, expected 3", self.channels_in));
        }
        if self.embedding_dim() != EMBEDDING_DIM {
            return Err(format!(
                "the last block has {} channels, h must have {EMBEDDING_DIM}",
                self.embedding_dim()
            ));
        }
        Ok(())
    }
}

impl Encoder {
    /// h: [B, 3, T] → [B, 128].
    pub fn embed(&self, x: Tensor<3>) -> Tensor<2> {
        let mut out = self
            .pool
            .forward(relu(self.stem_bn.forward(self.stem.forward(x))));
        for block in &self.blocks {
            out = block.forward(out);
        }
        out.mean_dim(2).squeeze_dim(2)
    }

    /// z: h → ℓ2-normalised projection [B, 128].
    pub fn project(&self, h: Tensor<2>) -> Tensor<2> {
        let z = self.proj1.forward(h);
        let z = gelu(self.proj_bn.forward(z));
        let z = self.proj2.forward(z);
        let norm = z
            .clone()
            .powf_scalar(2.0)
            .sum_dim(1)
            .sqrt()
            .clamp_min(1e-12);
        z / norm
    }
}
