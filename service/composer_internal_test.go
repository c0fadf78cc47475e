package service

import (
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig/registry"
)

// A file goes as the kind its type and size fit on the channel's network,
// by the limits its provider describes, else as a document; on Instagram,
// which sends no documents, it does not go at all ("").
func TestUploadType(t *testing.T) {
	t.Parallel()
	providers := registry.Providers()
	limits := func(provider string) carillon.MediaLimits {
		info, ok := providers.Lookup(provider)
		if !ok {
			t.Fatalf("no provider %s", provider)
		}
		return info.Media
	}
	cases := []struct {
		provider    string
		contentType string
		size        int64
		want        string
	}{
		{carillon.ProviderWhatsApp, "image/jpeg", 5 * mb, carillon.TypeImage},
		{carillon.ProviderWhatsApp, "image/png", 5*mb + 1, carillon.TypeDocument},
		{carillon.ProviderWhatsApp, "image/webp", 1000, carillon.TypeDocument},
		{carillon.ProviderWhatsApp, "audio/ogg; codecs=opus", 1000, carillon.TypeAudio},
		{carillon.ProviderWhatsApp, "Video/MP4", 16 * mb, carillon.TypeVideo},
		{carillon.ProviderWhatsApp, "application/pdf", 100 * mb, carillon.TypeDocument},
		{carillon.ProviderWhatsApp, "application/pdf", 100*mb + 1, ""},
		{carillon.ProviderSandbox, "video/3gpp", 1000, carillon.TypeVideo},
		{carillon.ProviderTelegram, "video/mp4", 20 * mb, carillon.TypeVideo},
		{carillon.ProviderTelegram, "audio/ogg", 1000, carillon.TypeDocument},
		{carillon.ProviderMessenger, "image/gif", 8 * mb, carillon.TypeImage},
		{carillon.ProviderMessenger, "image/jpeg", 8*mb + 1, carillon.TypeDocument},
		{carillon.ProviderMessenger, "application/pdf", 25 * mb, carillon.TypeDocument},
		{carillon.ProviderMessenger, "application/pdf", 25*mb + 1, ""},
		{carillon.ProviderInstagram, "image/png", 8 * mb, carillon.TypeImage},
		{carillon.ProviderInstagram, "image/png", 8*mb + 1, ""},
		{carillon.ProviderInstagram, "video/quicktime", 25 * mb, carillon.TypeVideo},
		{carillon.ProviderInstagram, "audio/wave", 1000, carillon.TypeAudio},
		{carillon.ProviderInstagram, "application/pdf", 1000, ""},
	}
	for _, tc := range cases {
		if got := limits(tc.provider).TypeOf(tc.contentType, tc.size); got != tc.want {
			t.Errorf("%s: a %s of %d bytes goes as %q, want %q", tc.provider, tc.contentType, tc.size, got, tc.want)
		}
	}
	for _, tc := range []struct{ provider, want string }{
		{carillon.ProviderWhatsApp, "a JPEG or PNG image up to 5 MB goes as an image; an MP4 or 3GPP video up to 16 MB goes as a video; " +
			"an AAC, AMR, MP3, M4A or Ogg audio up to 16 MB goes as an audio; any other file, or a larger one, as a document up to 100 MB."},
		{carillon.ProviderMessenger, "a JPEG, PNG or GIF image up to 8 MB goes as an image; an MP4 video up to 25 MB goes as a video; " +
			"an AAC, MP3, M4A or WAV audio up to 25 MB goes as an audio; any other file, or a larger one, as a document up to 25 MB."},
		{carillon.ProviderInstagram, "a JPEG or PNG image up to 8 MB goes as an image; an MP4, Ogg, AVI, MOV or WebM video up to 25 MB goes as a video; " +
			"an AAC, M4A or WAV audio up to 25 MB goes as an audio; no other file."},
	} {
		if got := limitsInWords(limits(tc.provider)); got != tc.want {
			t.Errorf("%s's limits read %q", tc.provider, got)
		}
	}
}
