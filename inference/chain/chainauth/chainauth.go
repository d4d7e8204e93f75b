// Package chainauth holds the credentials that authenticate the hops of one
// model's chain: a certificate authority made for the model and one
// certificate it signed, shared by the model's gateway and partition servers.
//
// Every hop is mutual TLS 1.3: the dialling side checks that the listener
// presents a certificate of the model's authority, and the listener requires
// the same of the dialler. A process holding the credentials of another
// model (or none) cannot complete a handshake, so it never gets to send a
// frame. The authority's private key is discarded once the certificate is
// signed: nothing can be added to a model's chain later, and new credentials
// mean a new authority.
//
// The credentials travel as one PEM file (the authority's certificate, the
// shared certificate and its private key) that the controller writes with
// mode 0600 (local runtime) or stores as a Swarm secret; papdl-node reads it
// from the path given by --credentials, never from its command line.
package chainauth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"
)

// ServerName is the name in every chain certificate; hops verify it
// instead of the peer's address (which differs per runtime).
const ServerName = "papdl-chain"

// DefaultValidity is how long generated credentials stay valid.
const DefaultValidity = 5 * 365 * 24 * time.Hour

// Generate makes new credentials for model: a fresh authority and one
// certificate signed by it, valid for validFor (DefaultValidity when <= 0).
// It returns the PEM bundle that Parse reads.
func Generate(model string, validFor time.Duration) ([]byte, error) {
	if validFor <= 0 {
		validFor = DefaultValidity
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("chain credentials for %s: authority key: %w", model, err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "papdl chain authority " + model},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validFor),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("chain credentials for %s: authority certificate: %w", model, err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("chain credentials for %s: %w", model, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("chain credentials for %s: key: %w", model, err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "papdl chain " + model},
		DNSNames:     []string{ServerName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validFor),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("chain credentials for %s: certificate: %w", model, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("chain credentials for %s: %w", model, err)
	}
	var out bytes.Buffer
	for _, b := range []*pem.Block{
		{Type: "CERTIFICATE", Headers: map[string]string{"Role": "authority"}, Bytes: caDER},
		{Type: "CERTIFICATE", Bytes: leafDER},
		{Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := pem.Encode(&out, b); err != nil {
			return nil, fmt.Errorf("chain credentials for %s: %w", model, err)
		}
	}
	return out.Bytes(), nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)) // crypto/rand does not fail
	return n
}

// Credentials are parsed chain credentials.
type Credentials struct {
	cert        tls.Certificate
	roots       *x509.CertPool
	fingerprint string
}

// Parse reads a PEM bundle written by Generate.
func Parse(bundle []byte) (*Credentials, error) {
	var ca *x509.Certificate
	var leaf, key []byte
	for rest := bundle; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE" && b.Headers["Role"] == "authority":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("chain credentials: authority certificate: %w", err)
			}
			ca = c
		case b.Type == "CERTIFICATE":
			leaf = pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: b.Bytes})
		case b.Type == "PRIVATE KEY":
			key = pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: b.Bytes})
		}
	}
	if ca == nil || leaf == nil || key == nil {
		return nil, errors.New("chain credentials: want an authority certificate, a certificate and a private key")
	}
	cert, err := tls.X509KeyPair(leaf, key)
	if err != nil {
		return nil, fmt.Errorf("chain credentials: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: ServerName,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, fmt.Errorf("chain credentials: the certificate does not verify against the authority: %w", err)
	}
	sum := sha256.Sum256(ca.Raw)
	return &Credentials{cert: cert, roots: roots, fingerprint: hex.EncodeToString(sum[:8])}, nil
}

// Load reads the PEM bundle at path.
func Load(path string) (*Credentials, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chain credentials: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Fingerprint names the authority (16 hex digits of its certificate's
// sha256): equal fingerprints mean the same model credentials.
func (c *Credentials) Fingerprint() string { return c.fingerprint }

// ServerConfig is the TLS configuration of a hop's listening side: it
// requires a client certificate from the same authority.
func (c *Credentials) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{c.cert},
		ClientAuth:             tls.RequireAndVerifyClientCert,
		ClientCAs:              c.roots,
		SessionTicketsDisabled: true,
	}
}

// ClientConfig is the TLS configuration of a hop's dialling side.
func (c *Credentials) ClientConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.cert},
		RootCAs:      c.roots,
		ServerName:   ServerName,
	}
}

// Sign signs msg with the model's key (ECDSA over its SHA-256): what the
// controller uses to authenticate the routes it sends a gateway. Every
// holder of the credentials can sign, as every holder can join the chain.
func (c *Credentials) Sign(msg []byte) ([]byte, error) {
	signer, ok := c.cert.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("chain credentials: the key cannot sign")
	}
	sum := sha256.Sum256(msg)
	sig, err := signer.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("chain credentials: sign: %w", err)
	}
	return sig, nil
}

// Verify checks a signature Sign made with the same credentials.
func (c *Credentials) Verify(msg, sig []byte) error {
	pub, ok := c.cert.Leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return errors.New("chain credentials: the certificate's key is not ECDSA")
	}
	sum := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub, sum[:], sig) {
		return errors.New("chain credentials: bad signature")
	}
	return nil
}
