package drill

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

// Algorithm names the signature scheme of a Signed record.
const Algorithm = "ed25519"

// Signed is the stored form of a record: the record's JSON exactly as
// signed, and a detached ed25519 signature over those bytes. Verification
// needs no canonical re-encoding: the signed bytes are the bytes of the
// "record" member as stored (a reformatted file does not verify).
type Signed struct {
	// Record is the record's JSON, byte for byte what was signed.
	Record json.RawMessage `json:"record"`
	// Algorithm is Algorithm.
	Algorithm string `json:"algorithm"`
	// KeyID names the signing key: KeyID of its public key.
	KeyID string `json:"keyId"`
	// Signature is ed25519.Sign(key, Record).
	Signature []byte `json:"signature"`
}

// ErrBadSignature is returned (wrapped) by Verify for a record whose
// signature does not match.
var ErrBadSignature = errors.New("signature does not verify")

// KeyID returns the first 8 bytes of the SHA-256 of a public key, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Sign encodes r and signs it with key, returning the stored form (compact
// JSON and a newline).
func Sign(r *Record, key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("drill record: signing key has %d bytes, want an ed25519 private key of %d", len(key), ed25519.PrivateKeySize)
	}
	rec, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode drill record: %w", err)
	}
	s := Signed{Record: rec, Algorithm: Algorithm, KeyID: KeyID(key.Public().(ed25519.PublicKey)), Signature: ed25519.Sign(key, rec)}
	out, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode signed drill record: %w", err)
	}
	return append(out, '\n'), nil
}

// Verify checks a stored record against pub and returns the record. A
// record that is not a Signed record, another algorithm, a signature that
// does not match (errors.Is ErrBadSignature) or a record that is not this
// version is an error.
func Verify(data []byte, pub ed25519.PublicKey) (*Record, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key has %d bytes, want an ed25519 public key of %d", len(pub), ed25519.PublicKeySize)
	}
	var s Signed
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a signed drill record: %w", err)
	}
	if s.Algorithm != Algorithm {
		return nil, fmt.Errorf("signed drill record: algorithm %q, want %q", s.Algorithm, Algorithm)
	}
	if s.KeyID != KeyID(pub) {
		return nil, fmt.Errorf("signed drill record: key %s, not the given key %s: %w", s.KeyID, KeyID(pub), ErrBadSignature)
	}
	if !ed25519.Verify(pub, s.Record, s.Signature) {
		return nil, fmt.Errorf("signed drill record: %w", ErrBadSignature)
	}
	var r Record
	if err := json.Unmarshal(s.Record, &r); err != nil {
		return nil, fmt.Errorf("signed drill record: decode record: %w", err)
	}
	if r.Version != RecordVersion {
		return nil, fmt.Errorf("signed drill record: version %q, want %q", r.Version, RecordVersion)
	}
	return &r, nil
}

// PEM block types of the keys.
const (
	pemPrivate = "PRIVATE KEY"
	pemPublic  = "PUBLIC KEY"
)

// GenerateKey returns a new key pair as PEM: PKCS #8 for the private key,
// PKIX for the public key (the forms `openssl genpkey -algorithm ed25519`
// and `openssl pkey -pubout` write).
func GenerateKey() (private, public []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pder, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: pder}), nil
}

// ParsePrivateKey reads a PEM PKCS #8 ed25519 private key. Errors never
// quote the key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != pemPrivate {
		return nil, errors.New("drill signing key: want a PEM block " + pemPrivate + " (PKCS #8 ed25519)")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, errors.New("drill signing key: not a PKCS #8 private key")
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("drill signing key: a %T, want ed25519", k)
	}
	return ek, nil
}

// ParsePublicKey reads a PEM PKIX ed25519 public key, or derives it from a
// private key (ParsePrivateKey).
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("drill public key: no PEM block")
	}
	if b.Type == pemPrivate {
		k, err := ParsePrivateKey(data)
		if err != nil {
			return nil, err
		}
		return k.Public().(ed25519.PublicKey), nil
	}
	if b.Type != pemPublic {
		return nil, fmt.Errorf("drill public key: PEM block %q, want %q", b.Type, pemPublic)
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("drill public key: %w", err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("drill public key: a %T, want ed25519", k)
	}
	return ek, nil
}
