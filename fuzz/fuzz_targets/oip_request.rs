//! An Open Inference Protocol request body (the JSON part, then binary tensors) decoded
//! as the server decodes it, before any model is read: nothing may panic, hang or
//! allocate past the limits, whatever the shapes and sizes claim.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use retort::kernel::config::Limits;

/// Small limits, so a claim past them is tried often.
fn limits() -> &'static Limits {
    static LIMITS: OnceLock<Limits> = OnceLock::new();
    LIMITS.get_or_init(|| Limits {
        max_tensor_elements: 1 << 16,
        max_rows: 4096,
        ..Limits::default()
    })
}

fuzz_target!(|data: &[u8]| {
    // The first two bytes say where the JSON part ends, as Inference-Header-Content-Length
    // would; 0xFFFF: no such header (the whole body is JSON).
    let Some((split, body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let split = u16::from_le_bytes(*split);
    let json_len = (split != u16::MAX).then_some(usize::from(split));
    let _ = retort::entities::model::oip::decode(json_len, body, limits());
});
