package service

import (
	"testing"

	"github.com/carillon/carillon"
)

// A file goes as the kind its type and size fit on the channel's network,
// else as a document.
func TestUploadType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		channel     carillon.ChannelType
		contentType string
		size        int64
		want        string
	}{
		{carillon.WhatsApp, "image/jpeg", 5 * mb, carillon.TypeImage},
		{carillon.WhatsApp, "image/png", 5*mb + 1, carillon.TypeDocument},
		{carillon.WhatsApp, "image/webp", 1000, carillon.TypeDocument},
		{carillon.WhatsApp, "audio/ogg; codecs=opus", 1000, carillon.TypeAudio},
		{carillon.WhatsApp, "Video/MP4", 16 * mb, carillon.TypeVideo},
		{carillon.WhatsApp, "application/pdf", 100 * mb, carillon.TypeDocument},
		{carillon.Telegram, "video/mp4", 20 * mb, carillon.TypeVideo},
		{carillon.Telegram, "audio/ogg", 1000, carillon.TypeDocument},
		{carillon.Instagram, "image/png", 1000, carillon.TypeImage},
	}
	for _, tc := range cases {
		if got := mediaLimitsOf(tc.channel).typeOf(tc.contentType, tc.size); got != tc.want {
			t.Errorf("%s: a %s of %d bytes goes as %s, want %s", tc.channel, tc.contentType, tc.size, got, tc.want)
		}
	}
	want := "a JPEG or PNG image up to 5 MB goes as an image; an MP4 or 3GPP video up to 16 MB goes as a video; " +
		"an AAC, AMR, MP3, M4A or Ogg audio up to 16 MB goes as an audio; any other file, or a larger one, as a document up to 100 MB."
	if got := mediaLimitsOf(carillon.WhatsApp).String(); got != want {
		t.Errorf("WhatsApp's limits read %q", got)
	}
}
