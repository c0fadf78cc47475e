package media

import (
	"bytes"
	"mime"
	"net/http"
	"strings"
)

// What a file is kept as. The network's declared type is the sender's
// word (a customer's app names a document's type, Telegram guesses from
// the file's name), so it is checked against the file's first bytes:
//
//   - A declared type of a format carillon recognises by its signature
//     (the images, audio and video of formats below, and PDF) is kept when
//     the bytes carry that format's signature, and replaced by the type the
//     bytes show otherwise.
//   - Any other declared type (a Word file, a CSV, HTML, SVG…) is kept,
//     unless the bytes carry the signature of one of those formats: then
//     that format's type.
//   - No declared type, or application/octet-stream: the type the bytes
//     show.
//
// The type the bytes show is the type of the format whose signature they
// carry, else net/http.DetectContentType's, which is application/octet-stream
// when it recognises nothing. Only the images, audio and video of the
// formats below are ever shown inline: their types are kept only when the
// bytes bear them out, and a browser shows them without running anything.

// sniffLen is how much of a file's start is read to check its type, as
// much as net/http.DetectContentType considers.
const sniffLen = 512

// format is a file format recognised by its first bytes.
type format struct {
	// name groups the content types a format's signature confirms.
	name string
	// detect returns the content type the bytes show, "" when they are not
	// of the format.
	detect func(head []byte) string
	// inline formats are shown by a browser and never run: raster images,
	// audio and video.
	inline bool
}

// formats are checked in order; the first whose signature the bytes carry
// gives their type.
var formats = []format{
	{"jpeg", is("image/jpeg", prefix("\xff\xd8\xff")), true},
	{"png", is("image/png", prefix("\x89PNG\r\n\x1a\n")), true},
	{"gif", is("image/gif", prefix("GIF87a", "GIF89a")), true},
	{"webp", is("image/webp", riff("WEBP")), true},
	{"ogg", is("audio/ogg", prefix("OggS\x00")), true},
	{"wav", is("audio/wav", riff("WAVE")), true},
	{"flac", is("audio/flac", prefix("fLaC")), true},
	{"amr", detectAMR, true},
	{"mp3", is("audio/mpeg", isMP3), true},
	{"aac", is("audio/aac", isADTS), true},
	{"isobmff", detectISOBMFF, true},
	{"matroska", detectMatroska, true},
	{"pdf", is("application/pdf", prefix("%PDF-")), false},
}

// formatOf names the format each content type belongs to: a declared type
// listed here is kept only when the bytes carry that format's signature.
var formatOf = map[string]string{
	"image/jpeg":       "jpeg",
	"image/png":        "png",
	"image/apng":       "png",
	"image/gif":        "gif",
	"image/webp":       "webp",
	"audio/ogg":        "ogg",
	"video/ogg":        "ogg",
	"audio/wav":        "wav",
	"audio/flac":       "flac",
	"audio/amr":        "amr",
	"audio/amr-wb":     "amr",
	"audio/mpeg":       "mp3",
	"audio/aac":        "aac",
	"video/mp4":        "isobmff",
	"audio/mp4":        "isobmff",
	"video/quicktime":  "isobmff",
	"video/3gpp":       "isobmff",
	"audio/3gpp":       "isobmff",
	"video/3gpp2":      "isobmff",
	"audio/3gpp2":      "isobmff",
	"image/heic":       "isobmff",
	"image/heif":       "isobmff",
	"image/avif":       "isobmff",
	"video/webm":       "matroska",
	"audio/webm":       "matroska",
	"video/x-matroska": "matroska",
	"audio/x-matroska": "matroska",
	"application/pdf":  "pdf",
}

// aliases are other names of content types in use, and the names carillon
// keeps them under.
var aliases = map[string]string{
	"image/jpg":         "image/jpeg",
	"image/pjpeg":       "image/jpeg",
	"audio/opus":        "audio/ogg",
	"application/ogg":   "audio/ogg",
	"audio/x-wav":       "audio/wav",
	"audio/wave":        "audio/wav",
	"audio/vnd.wave":    "audio/wav",
	"audio/x-flac":      "audio/flac",
	"audio/mp3":         "audio/mpeg",
	"audio/mpeg3":       "audio/mpeg",
	"audio/x-mp3":       "audio/mpeg",
	"audio/x-mpeg":      "audio/mpeg",
	"audio/x-aac":       "audio/aac",
	"audio/x-m4a":       "audio/mp4",
	"audio/m4a":         "audio/mp4",
	"video/x-m4v":       "video/mp4",
	"application/x-pdf": "application/pdf",
	"text/x-vcard":      "text/vcard",
}

// extensions are the file extensions of the URLs of files kept under each
// type; a type not listed gets "bin".
var extensions = map[string]string{
	"image/jpeg":                    "jpg",
	"image/png":                     "png",
	"image/apng":                    "png",
	"image/gif":                     "gif",
	"image/webp":                    "webp",
	"image/heic":                    "heic",
	"image/heif":                    "heif",
	"image/avif":                    "avif",
	"image/bmp":                     "bmp",
	"image/tiff":                    "tif",
	"image/x-icon":                  "ico",
	"image/svg+xml":                 "svg",
	"audio/ogg":                     "ogg",
	"audio/mpeg":                    "mp3",
	"audio/mp4":                     "m4a",
	"audio/aac":                     "aac",
	"audio/amr":                     "amr",
	"audio/amr-wb":                  "awb",
	"audio/wav":                     "wav",
	"audio/flac":                    "flac",
	"audio/webm":                    "weba",
	"audio/x-matroska":              "mka",
	"audio/3gpp":                    "3gp",
	"audio/3gpp2":                   "3g2",
	"audio/aiff":                    "aiff",
	"audio/midi":                    "mid",
	"audio/basic":                   "au",
	"video/mp4":                     "mp4",
	"video/quicktime":               "mov",
	"video/3gpp":                    "3gp",
	"video/3gpp2":                   "3g2",
	"video/webm":                    "webm",
	"video/x-matroska":              "mkv",
	"video/ogg":                     "ogv",
	"video/avi":                     "avi",
	"application/pdf":               "pdf",
	"application/zip":               "zip",
	"application/gzip":              "gz",
	"application/x-gzip":            "gz",
	"application/x-rar-compressed":  "rar",
	"application/vnd.rar":           "rar",
	"application/x-7z-compressed":   "7z",
	"application/json":              "json",
	"application/xml":               "xml",
	"application/rtf":               "rtf",
	"application/epub+zip":          "epub",
	"application/msword":            "doc",
	"application/vnd.ms-excel":      "xls",
	"application/vnd.ms-powerpoint": "ppt",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   "docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         "xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
	"application/vnd.oasis.opendocument.text":                                   "odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            "ods",
	"application/vnd.oasis.opendocument.presentation":                           "odp",
	"application/vnd.android.package-archive":                                   "apk",
	"application/x-tgsticker":                                                   "tgs",
	"application/octet-stream":                                                  "bin",
	"text/plain":                                                                "txt",
	"text/html":                                                                 "html",
	"text/xml":                                                                  "xml",
	"text/csv":                                                                  "csv",
	"text/markdown":                                                             "md",
	"text/vcard":                                                                "vcf",
	"text/calendar":                                                             "ics",
}

// keptType is the type a file is kept as, from the type the network
// declared and the file's first bytes (see above).
func keptType(declared string, head []byte) string {
	typ, params := parseType(declared)
	var shown string // the type of the format whose signature the bytes carry
	var shownFormat string
	for _, f := range formats {
		if t := f.detect(head); t != "" {
			shown, shownFormat = t, f.name
			break
		}
	}
	switch name, known := formatOf[typ]; {
	case known && name == shownFormat:
		return formatType(typ, params)
	case shown != "":
		return shown
	case typ != "" && typ != "application/octet-stream" && !known:
		return formatType(typ, params)
	}
	return http.DetectContentType(head)
}

// parseType returns a content type's media type, lower case and under the
// name carillon keeps it as, and its parameters; "" for one that does not
// parse.
func parseType(contentType string) (string, map[string]string) {
	typ, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.Contains(typ, "/") {
		return "", nil
	}
	if alias, ok := aliases[typ]; ok {
		typ = alias
	}
	return typ, params
}

// formatType writes a media type with its parameters, or alone when they
// cannot be written.
func formatType(typ string, params map[string]string) string {
	if s := mime.FormatMediaType(typ, params); s != "" {
		return s
	}
	return typ
}

// extension is the extension of the URLs of files kept as contentType.
func extension(contentType string) string {
	typ, _ := parseType(contentType)
	if ext, ok := extensions[typ]; ok {
		return ext
	}
	return "bin"
}

// inline reports whether files kept as contentType are shown in the
// browser: the types of the inline formats only, which keptType gives
// only to bytes of that format.
func inline(contentType string) bool {
	typ, _ := parseType(contentType)
	name, ok := formatOf[typ]
	if !ok {
		return false
	}
	for _, f := range formats {
		if f.name == name {
			return f.inline
		}
	}
	return false
}

// is makes a detect function that gives typ to bytes that match.
func is(typ string, match func(head []byte) bool) func([]byte) string {
	return func(head []byte) string {
		if match(head) {
			return typ
		}
		return ""
	}
}

// prefix matches bytes that start with one of the signatures.
func prefix(signatures ...string) func([]byte) bool {
	return func(head []byte) bool {
		for _, s := range signatures {
			if bytes.HasPrefix(head, []byte(s)) {
				return true
			}
		}
		return false
	}
}

// riff matches a RIFF file of the given form (WAVE, WEBP).
func riff(form string) func([]byte) bool {
	return func(head []byte) bool {
		return len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == form
	}
}

// detectAMR tells AMR from AMR-WB voice recordings (RFC 4867's file
// format).
func detectAMR(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("#!AMR\n")):
		return "audio/amr"
	case bytes.HasPrefix(head, []byte("#!AMR-WB\n")):
		return "audio/amr-wb"
	}
	return ""
}

// isMP3 matches an MP3 file: an ID3v2 tag (net/http.DetectContentType's
// signature too), or an MPEG audio frame header (11 sync bits, then a
// version, layer, bit rate and sample rate that are not reserved values).
func isMP3(head []byte) bool {
	if bytes.HasPrefix(head, []byte("ID3")) {
		return true
	}
	if len(head) < 4 || head[0] != 0xff || head[1]&0xe0 != 0xe0 {
		return false
	}
	version, layer := (head[1]>>3)&3, (head[1]>>1)&3
	bitrate, rate := head[2]>>4, (head[2]>>2)&3
	return version != 1 && layer != 0 && bitrate != 0xf && rate != 3
}

// isADTS matches an AAC stream in ADTS frames: 12 sync bits, layer 0, a
// sampling frequency index that is not reserved.
func isADTS(head []byte) bool {
	return len(head) >= 7 && head[0] == 0xff && head[1]&0xf6 == 0xf0 && (head[2]>>2)&0xf < 13
}

// detectISOBMFF reads the brand of an ISO base media file (MP4, QuickTime,
// 3GPP, HEIF, AVIF): its first box is ftyp.
func detectISOBMFF(head []byte) string {
	if len(head) < 12 || string(head[4:8]) != "ftyp" {
		return ""
	}
	brand := string(head[8:12])
	switch {
	case brand == "M4A " || brand == "M4B " || brand == "M4P ":
		return "audio/mp4"
	case brand == "qt  ":
		return "video/quicktime"
	case strings.HasPrefix(brand, "3g2"):
		return "video/3gpp2"
	case strings.HasPrefix(brand, "3gp") || strings.HasPrefix(brand, "3gg"):
		return "video/3gpp"
	case brand == "avif" || brand == "avis":
		return "image/avif"
	case brand == "heic" || brand == "heix" || brand == "heim" || brand == "heis" || brand == "hevc" || brand == "hevx":
		return "image/heic"
	case brand == "mif1" || brand == "msf1":
		return "image/heif"
	}
	return "video/mp4"
}

// detectMatroska tells WebM from other Matroska files by the DocType of
// their EBML header.
func detectMatroska(head []byte) string {
	if !bytes.HasPrefix(head, []byte("\x1a\x45\xdf\xa3")) {
		return ""
	}
	if bytes.Contains(head[:min(len(head), 64)], []byte("webm")) {
		return "video/webm"
	}
	return "video/x-matroska"
}
