//go:build !linux

package chain

import "syscall"

// boundUnackedWrites is a no-op where TCP_USER_TIMEOUT does not exist;
// keepalive still detects dead peers.
func boundUnackedWrites(network, address string, c syscall.RawConn) error { return nil }
