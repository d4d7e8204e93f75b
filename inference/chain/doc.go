// Package chain is papdl's data plane: it moves tensors through a model split
// into contiguous partitions, each served by a partition server on its own
// node, and fronts the chain with an HTTP gateway on the source node.
//
// # Topology
//
// The gateway dials partition 0; partition i dials partition i+1; the last
// partition dials the gateway's return listener:
//
//	gateway -> p0 -> p1 -> ... -> pN-1 -> gateway (return port)
//
// Every hop is one persistent TCP connection that the sender re-dials when it
// breaks. A partition server may also be given the gateway's return address:
// when it cannot forward a request downstream it reports the failure there
// directly, so that the request fails fast instead of waiting for its
// deadline.
//
// # Frames
//
// Everything on a hop is a frame (see frame.go for the byte layout): a
// fixed 48-byte header (magic "PDLC", version, kind, a 128-bit request id,
// the request's remaining time budget, the lengths of the metadata and of the
// payload), metadata (per-stage timings, the tensors' names, dtypes and
// shapes, an error text) and the payload: the tensors' raw little-endian
// bytes back to back, written with one vectored write and read straight into
// the tensors' memory. Request ids are 128 random bits, so they cannot be
// guessed from ones seen before; they stay inside the chain and the logs.
//
// Frame kinds: Data (tensors crossing a cut), Error (a partition failed; the
// text travels to the gateway), Ping (travels the whole chain; the gateway's
// readiness check) and Echo/EchoReply (the benchmark's link probe).
//
// # Trust
//
// With a model's credentials (package chainauth) every hop is mutual TLS:
// a listener reads frames only from a peer holding the same model's
// certificate, and frames are checked against the manifest (the tensors a
// hop carries, their dtypes and shapes) before their payload is
// allocated. Listeners bound their connections, idle time and handshakes,
// and survive accept errors. See docs/security.md.
//
// # Flow control
//
// A partition server reads frames, computes and sends in separate
// goroutines connected by bounded channels. When the downstream hop is slow
// the send goroutine blocks, the channels fill, the server stops reading
// and TCP pushes the back pressure upstream, up to the gateway, whose
// concurrency bound makes new HTTP requests wait (then fail with 503).
// Each request carries a deadline (as a remaining budget, so node clocks
// need not agree); a partition drops a request whose deadline has passed
// instead of computing it, and the gateway answers 504 for it.
package chain
