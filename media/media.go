// Package media keeps the files of inbound messages in a folder (by
// default the data folder's media/), one file per key with its content type
// beside it.
package media

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/carillon/carillon"
)

// MaxSize bounds a stored file: WhatsApp's largest media (documents) are
// 100 MB.
const MaxSize = 100 << 20

// Dir is a media store in a folder.
type Dir struct{ path string }

var _ carillon.MediaStore = (*Dir)(nil)

// Open returns the media store in the folder, making it when missing.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, err
	}
	return &Dir{path: path}, nil
}

// validKey reports whether key is one Put could have made: 32 hex digits,
// so that no key can name a path outside the folder.
func validKey(key string) bool {
	if len(key) != 32 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil && strings.ToLower(key) == key
}

// Put stores r's content, at most MaxSize bytes, written to a temporary
// file first so that a half-written file is never served.
func (d *Dir) Put(_ context.Context, r io.Reader, contentType string) (string, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	key := hex.EncodeToString(b[:])
	tmp, err := os.CreateTemp(d.path, ".upload-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(r, MaxSize+1))
	if err == nil && n > MaxSize {
		err = errors.New("media: file larger than 100 MB")
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	if err := os.WriteFile(filepath.Join(d.path, key+".type"), []byte(contentType), 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.path, key)); err != nil {
		return "", err
	}
	return key, nil
}

// Open returns a stored file and its content type.
func (d *Dir) Open(_ context.Context, key string) (io.ReadCloser, string, error) {
	if !validKey(key) {
		return nil, "", carillon.ErrNotFound
	}
	f, err := os.Open(filepath.Join(d.path, key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", carillon.ErrNotFound
	}
	if err != nil {
		return nil, "", err
	}
	typ, err := os.ReadFile(filepath.Join(d.path, key+".type"))
	if err != nil {
		typ = []byte("application/octet-stream")
	}
	return f, string(typ), nil
}
