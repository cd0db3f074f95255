//! The `log` crate's records go to Envoy's log (the `dynamic_modules` logger), at the levels
//! Envoy has enabled, so a message Envoy would drop is never formatted.

use crate::abi;
use log::{LevelFilter, Log, Metadata, Record};

struct EnvoyLog;

static LOGGER: EnvoyLog = EnvoyLog;

impl Log for EnvoyLog {
    fn enabled(&self, metadata: &Metadata) -> bool {
        abi::log_enabled(metadata.level())
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            abi::log(record.level(), &record.args().to_string());
        }
    }

    fn flush(&self) {}
}

/// Once per process; a second call (another module instance) changes nothing.
pub fn install() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Trace);
    }
}
