//! Device choice: flex on the CPU, wgpu on a real GPU. `auto` takes a GPU when one exists and never a
//! software (CPU-type) adapter such as Mesa's lavapipe, which is far slower than flex.

use std::fmt;
use std::str::FromStr;

use burn::tensor::{Device, DeviceKind};

use super::ModelError;

/// Which device the user asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DeviceChoice {
    /// A hardware GPU when one exists, else the CPU.
    #[default]
    Auto,
    /// A hardware GPU, or an error.
    Gpu,
    /// The CPU (burn's flex backend).
    Cpu,
}

impl FromStr for DeviceChoice {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "gpu" => Ok(Self::Gpu),
            "cpu" => Ok(Self::Cpu),
            other => Err(format!("unknown device {other:?}: use auto, gpu or cpu")),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Gpu => "gpu",
            Self::Cpu => "cpu",
        })
    }
}

/// A device ready for burn, with a name for people.
#[derive(Clone, Debug)]
pub struct SelectedDevice {
    pub device: Device,
    pub name: String,
    pub is_gpu: bool,
}

/// One wgpu adapter as the system reports it.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub device_type: wgpu::DeviceType,
    pub backend: wgpu::Backend,
}

impl AdapterSummary {
    /// True for hardware GPUs (discrete, integrated or virtual); false for software rasterisers.
    pub fn is_hardware(&self) -> bool {
        matches!(
            self.device_type,
            wgpu::DeviceType::DiscreteGpu
                | wgpu::DeviceType::IntegratedGpu
                | wgpu::DeviceType::VirtualGpu
        )
    }
}

/// Lists the wgpu adapters of this machine (all native graphics APIs). Empty when none is found.
pub fn list_adapters() -> Vec<AdapterSummary> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::PRIMARY,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY))
        .iter()
        .map(|adapter| {
            let info = adapter.get_info();
            AdapterSummary {
                name: info.name,
                device_type: info.device_type,
                backend: info.backend,
            }
        })
        .collect()
}

/// The CPU device (flex).
pub fn cpu_device() -> SelectedDevice {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    SelectedDevice {
        device: Device::flex(),
        name: format!("cpu (burn flex, {threads} threads)"),
        is_gpu: false,
    }
}

/// Picks a device for `choice`. `Auto` falls back to the CPU when no hardware GPU exists.
pub fn select_device(choice: DeviceChoice) -> Result<SelectedDevice, ModelError> {
    if choice == DeviceChoice::Cpu {
        return Ok(cpu_device());
    }
    let adapters = list_adapters();
    let pick = |wanted: wgpu::DeviceType| adapters.iter().find(|a| a.device_type == wanted);
    let chosen = pick(wgpu::DeviceType::DiscreteGpu)
        .map(|a| (a, DeviceKind::DiscreteGpu(0)))
        .or_else(|| {
            pick(wgpu::DeviceType::IntegratedGpu).map(|a| (a, DeviceKind::IntegratedGpu(0)))
        })
        .or_else(|| pick(wgpu::DeviceType::VirtualGpu).map(|a| (a, DeviceKind::VirtualGpu(0))));
    match chosen {
        Some((adapter, kind)) => Ok(SelectedDevice {
            device: Device::wgpu(kind),
            name: format!(
                "gpu (burn wgpu: {}, {:?}, {:?})",
                adapter.name, adapter.device_type, adapter.backend
            ),
            is_gpu: true,
        }),
        None if choice == DeviceChoice::Auto => Ok(cpu_device()),
        None => {
            let seen: Vec<String> = adapters
                .iter()
                .map(|a| format!("{} ({:?})", a.name, a.device_type))
                .collect();
            Err(ModelError::NoGpu(if seen.is_empty() {
                "no wgpu adapter at all; use --device cpu".to_string()
            } else {
                format!(
                    "only software adapters ({}); use --device cpu",
                    seen.join(", ")
                )
            }))
        }
    }
}

/// The software (CPU-type) wgpu adapter, for the correctness test on lavapipe only.
pub fn software_wgpu_device() -> Option<SelectedDevice> {
    let adapter = list_adapters()
        .into_iter()
        .find(|a| a.device_type == wgpu::DeviceType::Cpu)?;
    Some(SelectedDevice {
        device: Device::wgpu(DeviceKind::Cpu),
        name: format!("wgpu software adapter {}", adapter.name),
        is_gpu: false,
    })
}

/// Polls a future that is ready at once or nearly so (wgpu's native adapter enumeration).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}
