//! Layers the encoder and decoders share.

use burn::nn::conv::Conv1d;
use burn::tensor::Tensor;
use burn::tensor::ops::PadMode;

/// A k3 convolution with one zero on each side, the output as long as the input. The zeros are
/// added to the input rather than asked of the convolution: burn-flex runs unpadded 1-D
/// convolutions of 32 or more channels as k shifted matrix products on the input as it lies, and
/// padded ones through a layout change and an im2col copy, which dominated a training step.
/// Same weights, same outputs.
pub fn same_conv(conv: &Conv1d, x: Tensor<3>) -> Tensor<3> {
    conv.forward(x.pad([(1, 1)], PadMode::Constant(0.0)))
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;

    use burn::nn::PaddingConfig1d;
    use burn::nn::conv::Conv1dConfig;
    use burn::tensor::Device;

    use super::*;

    #[test]
    fn same_conv_is_the_padded_convolution() {
        let device = Device::flex();
        let padded = Conv1dConfig::new(32, 8, 3)
            .with_padding(PaddingConfig1d::Explicit(1, 1))
            .with_bias(false)
            .init(&device);
        let mut valid = Conv1dConfig::new(32, 8, 3)
            .with_padding(PaddingConfig1d::Valid)
            .with_bias(false)
            .init(&device);
        valid.weight = padded.weight.clone();
        let values: Vec<f32> = (0..2 * 32 * 20)
            .map(|i| ((i * 37) % 11) as f32 - 5.0)
            .collect();
        let x = Tensor::<3>::from_data(TensorData::new(values, [2, 32, 20]), &device);
        let expected = padded.forward(x.clone()).into_data();
        let got = same_conv(&valid, x).into_data();
        assert_eq!(got.shape(), expected.shape());
        got.assert_approx_eq::<f32>(&expected, burn::tensor::Tolerance::absolute(1e-4));
    }
}
