//! Where pushes go: the URL layout and request rules of each kind of receiver, kept apart
//! from the transport so that retries and breakers do not depend on the receiver; and the
//! textfile of node_exporter, which needs no transport at all.

pub(crate) mod pushgateway;
pub(crate) mod remote_write;
pub(crate) mod textfile;
