//! Links the addon against Node-API the way napi-rs expects (no symbols resolved at link time).
fn main() {
    napi_build::setup();
}
