//! The decoders f_θ: C reads the input window x̂ only; C-h also reads the normalised embedding ĥ.
//!
//! Each input view is projected to D channels: Conv1d(k1, no bias) → BatchNorm → GELU → Conv1d(k3,
//! pad 1, no bias) → GELU; ĥ is broadcast along time before its projection. The views are stacked,
//! fused by Conv1d(·→D, k3, pad 1, no bias) and decoded by Conv1d(D→64, k3, pad 1) → ReLU →
//! Conv1d(64→outputs, k1). At D = 128 with one output this is the paper's C-h (238,593 parameters)
//! and C (123,649).
//!
//! ĥ is constant along time, so its branch is computed on 3 samples and the fusion of the ĥ half on 5
//! (the two edge samples on each side see the zero padding, the rest are equal), then broadcast: the
//! same function and parameters as the paper's layout at a fraction of the cost.
//! [`Decoder::forward_broadcast`] is the literal layout, kept for the test that checks they agree.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig1d};
use burn::tensor::activation::{gelu, relu};
use burn::tensor::module::conv1d;
use burn::tensor::ops::{ConvOptions, PadMode};
use burn::tensor::{Device, Tensor};

use super::EMBEDDING_DIM;
use super::layers::same_conv;
use crate::prep::InputNorm;

/// Decoder shape. Defaults are the paper's C-h with one output lead.
#[derive(Config, Debug)]
pub struct DecoderConfig {
    /// Channels D of each projected view (paper 128, reference scripts 64).
    #[config(default = 128)]
    pub d_model: usize,
    /// Channels of the hidden decoder layer.
    #[config(default = 64)]
    pub hidden: usize,
    /// Output leads: 1 (one decoder per lead, as the paper) or 5 (all target leads at once).
    #[config(default = 1)]
    pub outputs: usize,
    /// True for C-h (reads ĥ), false for C.
    #[config(default = true)]
    pub with_embedding: bool,
    /// Size of ĥ.
    #[config(default = 128)]
    pub embedding_dim: usize,
    /// Normalisation of the input window x̂ (the encoder always z-scores its input).
    #[config(default = "InputNorm::ZScore")]
    pub input_norm: InputNorm,
}

/// One view's projection to D channels.
#[derive(Module, Debug)]
pub struct Projection {
    conv1: Conv1d,
    bn: BatchNorm,
    conv2: Conv1d,
}

impl Projection {
    fn new(channels_in: usize, d_model: usize, device: &Device) -> Self {
        Self {
            conv1: Conv1dConfig::new(channels_in, d_model, 1)
                .with_bias(false)
                .init(device),
            bn: BatchNormConfig::new(d_model).init(device),
            conv2: Conv1dConfig::new(d_model, d_model, 3)
                .with_padding(PaddingConfig1d::Valid)
                .with_bias(false)
                .init(device),
        }
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let x = gelu(self.bn.forward(self.conv1.forward(x)));
        gelu(same_conv(&self.conv2, x))
    }
}

#[derive(Module, Debug)]
pub struct Decoder {
    x_proj: Projection,
    h_proj: Option<Projection>,
    fusion: Conv1d,
    hidden: Conv1d,
    out: Conv1d,
}

impl DecoderConfig {
    pub fn init(&self, device: &Device) -> Decoder {
        let d = self.d_model;
        let fused_in = if self.with_embedding { 2 * d } else { d };
        Decoder {
            x_proj: Projection::new(3, d, device),
            h_proj: self
                .with_embedding
                .then(|| Projection::new(self.embedding_dim, d, device)),
            // The k3 convolutions are unpadded and pad their input (`same_conv`: faster on flex).
            fusion: Conv1dConfig::new(fused_in, d, 3)
                .with_padding(PaddingConfig1d::Valid)
                .with_bias(false)
                .init(device),
            hidden: Conv1dConfig::new(d, self.hidden, 3)
                .with_padding(PaddingConfig1d::Valid)
                .init(device),
            out: Conv1dConfig::new(self.hidden, self.outputs, 1).init(device),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.d_model == 0 || self.hidden == 0 {
            return Err("d_model and hidden must be positive".to_string());
        }
        if self.outputs != 1 && self.outputs != 5 {
            return Err(format!("outputs is {}, expected 1 or 5", self.outputs));
        }
        if self.embedding_dim != EMBEDDING_DIM {
            return Err(format!(
                "embedding_dim is {}, expected {EMBEDDING_DIM}",
                self.embedding_dim
            ));
        }
        Ok(())
    }
}

impl Decoder {
    /// x̂: [B, 3, T] (T ≥ 5), ĥ: [B, 128] (ignored by C) → [B, outputs, T] in mV.
    pub fn forward(&self, x: Tensor<3>, h: Option<Tensor<2>>) -> Tensor<3> {
        let [batch, _, time] = x.dims();
        let x_p = self.x_proj.forward(x);
        let fused = match (&self.h_proj, h) {
            (Some(h_proj), Some(h)) if time >= 5 => {
                let d = x_p.dims()[1];
                let weight = self.fusion.weight.val();
                let w_x = weight.clone().narrow(1, 0, d);
                let w_h = weight.narrow(1, d, d);
                let options = || ConvOptions::new_with_padding([1], [(1, 1)], [1], 1);
                let from_x = conv1d(
                    x_p.pad([(1, 1)], PadMode::Constant(0.0)),
                    w_x,
                    None,
                    ConvOptions::new([1], [0], [1], 1),
                );
                // ĥ's branch on a constant signal of length 3: [left edge, interior, right edge].
                let h3 = h.unsqueeze_dim::<3>(2).repeat_dim(2, 3);
                let p = h_proj.forward(h3);
                let edge_l = p.clone().narrow(2, 0, 1);
                let inner = p.clone().narrow(2, 1, 1);
                let edge_r = p.narrow(2, 2, 1);
                // The projected ĥ over time is [L, I, ..., I, R]; the fusion conv of [L, I, I, I, R]
                // gives its 5 distinct outputs: t = 0, 1, interior, T-2, T-1.
                let seq5 =
                    Tensor::cat(vec![edge_l, inner.clone(), inner.clone(), inner, edge_r], 2);
                let q = conv1d(seq5, w_h, None, options());
                let q_mid = q.clone().narrow(2, 2, 1).expand([batch, d, time - 4]);
                let from_h =
                    Tensor::cat(vec![q.clone().narrow(2, 0, 2), q_mid, q.narrow(2, 3, 2)], 2);
                from_x + from_h
            }
            (Some(h_proj), Some(h)) => {
                let h_t = h.unsqueeze_dim::<3>(2).repeat_dim(2, time);
                same_conv(&self.fusion, Tensor::cat(vec![x_p, h_proj.forward(h_t)], 1))
            }
            _ => same_conv(&self.fusion, x_p),
        };
        self.out.forward(relu(same_conv(&self.hidden, fused)))
    }

    /// The paper's literal layout (ĥ broadcast to [B, 128, T] first); same result as [`Self::forward`].
    pub fn forward_broadcast(&self, x: Tensor<3>, h: Option<Tensor<2>>) -> Tensor<3> {
        let time = x.dims()[2];
        let x_p = self.x_proj.forward(x);
        let fused = match (&self.h_proj, h) {
            (Some(h_proj), Some(h)) => {
                let h_t = h.unsqueeze_dim::<3>(2).repeat_dim(2, time);
                same_conv(&self.fusion, Tensor::cat(vec![x_p, h_proj.forward(h_t)], 1))
            }
            _ => same_conv(&self.fusion, x_p),
        };
        self.out.forward(relu(same_conv(&self.hidden, fused)))
    }

    /// True when this decoder reads ĥ (C-h).
    pub fn uses_embedding(&self) -> bool {
        self.h_proj.is_some()
    }
}
