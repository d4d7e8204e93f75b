package chainauth

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
)

func generate(t *testing.T, model string) *Credentials {
	t.Helper()
	b, err := Generate(model, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// handshake runs a TLS handshake between a server and a client config
// over loopback TCP and returns the client's and the server's errors.
func handshake(t *testing.T, server, client *tls.Config) (error, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	b, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srvErr := make(chan error, 1)
	go func() {
		s := tls.Server(a, server)
		err := s.Handshake()
		if err == nil {
			// TLS 1.3 clients finish first: read so that the server sees
			// a rejected client certificate.
			_, err = s.Read(make([]byte, 1))
		}
		a.Close()
		srvErr <- err
	}()
	c := tls.Client(b, client)
	cliErr := c.Handshake()
	if cliErr == nil {
		_, _ = c.Write([]byte{1})
	}
	b.Close()
	return cliErr, <-srvErr
}

func TestMutualAuthentication(t *testing.T) {
	m := generate(t, "m")
	other := generate(t, "m") // same model name, new authority
	if m.Fingerprint() == other.Fingerprint() {
		t.Fatal("two generations share an authority")
	}
	noCert := m.ClientConfig()
	noCert.Certificates = nil
	cases := []struct {
		name           string
		server, client *tls.Config
		ok             bool
	}{
		{"same credentials", m.ServerConfig(), m.ClientConfig(), true},
		{"client of another authority", m.ServerConfig(), other.ClientConfig(), false},
		{"server of another authority", other.ServerConfig(), m.ClientConfig(), false},
		{"client without a certificate", m.ServerConfig(), noCert, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cliErr, srvErr := handshake(t, c.server, c.client)
			if c.ok && (cliErr != nil || srvErr != nil) {
				t.Fatalf("handshake failed: client %v, server %v", cliErr, srvErr)
			}
			if !c.ok && srvErr == nil {
				t.Fatalf("the server accepted the peer (client error %v)", cliErr)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	good, err := Generate("m", 0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Generate("m", 0)
	if err != nil {
		t.Fatal(err)
	}
	// The authority of one bundle with the certificate of another.
	i := strings.Index(string(good), "-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----\n")
	j := strings.Index(string(other), "-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----\n")
	mixed := append([]byte(string(good[:i])), other[j:]...)
	for name, b := range map[string][]byte{
		"empty":           nil,
		"garbage":         []byte("not pem"),
		"no key":          good[:strings.Index(string(good), "-----BEGIN PRIVATE KEY")],
		"mixed authority": mixed,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(b); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
