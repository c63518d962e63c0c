package natsauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// CertValidity is how long the certificates WriteTLS makes are valid.
const CertValidity = 365 * 24 * time.Hour

// WriteTLS makes sure dir holds a certificate authority (ca.pem), and a
// server certificate (server-cert.pem) and key (server-key.pem, mode 0600)
// it signed for hosts and for localhost, 127.0.0.1 and ::1, and returns
// their paths. Existing files are kept if the certificate is signed by the
// CA, names every host and is valid for a day more; otherwise all three
// are made anew (ECDSA P-256, valid CertValidity). The CA's private key is
// never written: nothing else can be signed with it. Clients verify the
// server with the CA file (nats.RootCAs). Errors wrap ErrTLS.
func WriteTLS(dir string, hosts ...string) (TLS, error) {
	f := TLS{
		CertFile: filepath.Join(dir, "server-cert.pem"),
		KeyFile:  filepath.Join(dir, "server-key.pem"),
		CAFile:   filepath.Join(dir, "ca.pem"),
	}
	hosts = append([]string{"localhost", "127.0.0.1", "::1"}, hosts...)
	slices.Sort(hosts)
	hosts = slices.Compact(hosts)
	if f.usable(hosts) {
		return f, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return TLS{}, fmt.Errorf("%w: %w", ErrTLS, err)
	}
	ca, cert, key, err := newCertificates(hosts)
	if err != nil {
		return TLS{}, fmt.Errorf("%w: %w", ErrTLS, err)
	}
	for _, w := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{f.KeyFile, key, 0o600}, {f.CertFile, cert, 0o644}, {f.CAFile, ca, 0o644}} {
		if err := writeFile(w.path, w.data, w.mode); err != nil {
			return TLS{}, fmt.Errorf("%w: %w", ErrTLS, err)
		}
	}
	return f, nil
}

// usable reports whether f's files exist, the key is its owner's alone,
// and the certificate verifies against the CA for every host for a day
// more.
func (f TLS) usable(hosts []string) bool {
	if fi, err := os.Stat(f.KeyFile); err != nil || fi.Mode().Perm()&0o077 != 0 {
		return false
	}
	pair, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return false
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return false
	}
	caPEM, err := os.ReadFile(f.CAFile)
	if err != nil {
		return false
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return false
	}
	at := time.Now().Add(24 * time.Hour)
	for _, h := range hosts {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: h, CurrentTime: at}); err != nil {
			return false
		}
	}
	return true
}

// newCertificates returns a new CA certificate, and a server certificate
// for hosts signed by it and its key, in PEM.
func newCertificates(hosts []string) (caPEM, certPEM, keyPEM []byte, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "scarcity NATS CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CertValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	ca, err = x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(CertValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// serial returns a random certificate serial number.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n
}

// writeFile writes data to path with mode, replacing any file there: a new
// file is written beside it and renamed over it.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	err = errors.Join(werr, tmp.Chmod(mode), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}
