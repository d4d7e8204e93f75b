package chain

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// deadPeerTimeoutMillis bounds how long written data may stay
// unacknowledged before the kernel gives up on the connection
// (TCP_USER_TIMEOUT).
const deadPeerTimeoutMillis = 5000

// boundUnackedWrites sets TCP_USER_TIMEOUT on a dialled socket.
func boundUnackedWrites(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, deadPeerTimeoutMillis)
	})
	if err != nil {
		return err
	}
	return serr
}
