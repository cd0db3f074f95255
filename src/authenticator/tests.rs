use super::*;
use jwt_simple::prelude::*;

#[test]
fn timing_probe() {
    let t = std::time::Instant::now();
    let _k = RS256KeyPair::generate(2048).unwrap();
    eprintln!("rsa gen {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let _k = ES256KeyPair::generate();
    let _k = ES384KeyPair::generate();
    eprintln!("ec gen {:?}", t.elapsed());
}
