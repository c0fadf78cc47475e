// Package media keeps the files of inbound messages, and those attached in
// the console's composer, in a folder (by default the data folder's
// media/), one file per key with a description beside it: the type it is
// kept as (checked against its bytes, see types.go) and the name its
// sender gave it.
package media

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/carillon/carillon"
)

// MaxSize bounds a stored file: WhatsApp's largest media (documents) are
// 100 MB.
const MaxSize = 100 << 20

// maxFilenameLen bounds the file name offered for saving, in bytes: file
// systems take 255.
const maxFilenameLen = 200

// Dir is a media store in a folder. A file is kept as <key>, described
// by <key>.meta; files kept before the descriptions existed have
// <key>.type (their declared type) instead.
type Dir struct{ path string }

var _ carillon.MediaStore = (*Dir)(nil)

// Open returns the media store in the folder, making it when missing.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, err
	}
	return &Dir{path: path}, nil
}

// description is what <key>.meta holds.
type description struct {
	ContentType string `json:"content_type"`
	Filename    string `json:"filename,omitempty"`
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
// file first so that a half-written file is never served. It returns the
// file's name: its key and the extension of the type it is kept as.
func (d *Dir) Put(_ context.Context, r io.Reader, contentType, filename string) (string, error) {
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
	head := make([]byte, sniffLen)
	if err == nil {
		var read int
		read, err = tmp.ReadAt(head, 0)
		head = head[:read]
		if errors.Is(err, io.EOF) {
			err = nil
		}
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
	desc := description{ContentType: keptType(contentType, head), Filename: filename}
	meta, err := json.Marshal(desc)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(d.path, key+".meta"), meta, 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.path, key)); err != nil {
		return "", err
	}
	return key + "." + extension(desc.ContentType), nil
}

// Open returns a stored file by its name (key and extension) or its key
// alone, as URLs made before names had extensions have it. Another
// extension than the file's names no file.
func (d *Dir) Open(_ context.Context, name string) (carillon.MediaFile, error) {
	key, ext, hasExt := strings.Cut(name, ".")
	if !validKey(key) {
		return carillon.MediaFile{}, carillon.ErrNotFound
	}
	f, err := os.Open(filepath.Join(d.path, key))
	if errors.Is(err, fs.ErrNotExist) {
		return carillon.MediaFile{}, carillon.ErrNotFound
	}
	if err != nil {
		return carillon.MediaFile{}, err
	}
	desc, size, err := d.describe(f, key)
	if err == nil && hasExt && ext != extension(desc.ContentType) {
		err = carillon.ErrNotFound
	}
	if err != nil {
		f.Close()
		return carillon.MediaFile{}, err
	}
	file := carillon.MediaFile{
		Content:     f,
		Size:        size,
		ContentType: desc.ContentType,
		Name:        key + "." + extension(desc.ContentType),
		Filename:    safeFilename(desc.Filename),
		Inline:      inline(desc.ContentType),
	}
	if file.Filename == "" {
		file.Filename = file.Name
	}
	return file, nil
}

// Delete removes a stored file and its description, by its name or its
// key; a name that names no file removes nothing.
func (d *Dir) Delete(_ context.Context, name string) error {
	key, _, _ := strings.Cut(name, ".")
	if !validKey(key) {
		return nil
	}
	for _, p := range []string{key, key + ".meta", key + ".type"} {
		if err := os.Remove(filepath.Join(d.path, p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// describe reads the description of the file f kept under key, and its
// size. A file kept before descriptions existed has only its declared
// type: it is checked against the bytes as Put checks new files.
func (d *Dir) describe(f *os.File, key string) (description, int64, error) {
	info, err := f.Stat()
	if err != nil {
		return description{}, 0, err
	}
	var desc description
	meta, err := os.ReadFile(filepath.Join(d.path, key+".meta"))
	if err == nil {
		err = json.Unmarshal(meta, &desc)
		return desc, info.Size(), err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return desc, 0, err
	}
	declared, _ := os.ReadFile(filepath.Join(d.path, key+".type"))
	head := make([]byte, sniffLen)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return desc, 0, err
	}
	desc.ContentType = keptType(string(declared), head[:n])
	return desc, info.Size(), nil
}

// safeFilename makes the name a customer gave a file safe to offer for
// saving: its last path element only, without control or invisible
// formatting characters (which could hide its real extension), quotes,
// backslashes or characters Windows refuses, leading dots (hidden files)
// and trailing dots or spaces, at most maxFilenameLen bytes with its
// extension kept. It returns "" when nothing is left.
func safeFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return -1
		case strings.ContainsRune("\"'`<>:|?*", r):
			return '_'
		}
		return r
	}, name)
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	if len(name) > maxFilenameLen {
		ext := filepath.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:maxFilenameLen-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		name = strings.TrimRight(stem, ". ") + ext
	}
	return name
}
