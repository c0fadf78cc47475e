// Package instagram is the Instagram messaging provider, for Instagram
// professional accounts connected through the Instagram API with Instagram
// Login: sends go through POST graph.instagram.com/{api_version}/{account_id}/messages
// with the account's Instagram User access token, and Meta's messaging
// webhooks come signed with the app's Instagram app secret. It shares the
// Send API and webhook code of provider/messenger, with Instagram's
// settings, host, webhook object and message types; see
// docs/channels/instagram.md.
package instagram

import (
	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/messenger"
)

// DefaultBaseURL is the host of the Instagram API with Instagram Login.
const DefaultBaseURL = "https://graph.instagram.com"

// The settings that are Instagram's own; app_secret, verify_token,
// api_version, base_url and mps are those of every Meta network.
const (
	SettingAccountID   = "account_id"
	SettingAccessToken = "access_token"
)

// Network is Instagram messaging: no files (documents) and no delivery
// receipts; a read (messaging_seen) names the last message read.
var Network = messenger.Network{
	Name: carillon.ProviderInstagram, Label: "instagram", Title: "Instagram", ChannelType: carillon.Instagram,
	IDSetting: SettingAccountID, TokenSetting: SettingAccessToken, DefaultBaseURL: DefaultBaseURL,
	Object:    "instagram",
	SendTypes: []string{carillon.TypeText, carillon.TypeImage, carillon.TypeVideo, carillon.TypeAudio},
	// Instagram's Send API: images up to 8 MB, videos and audio up to
	// 25 MB, and no other file.
	Media: carillon.MediaLimits{Kinds: []carillon.MediaKind{
		{Type: carillon.TypeImage, ContentTypes: []string{"image/jpeg", "image/png"}, Names: "a JPEG or PNG image", Max: 8 << 20},
		{Type: carillon.TypeVideo, ContentTypes: []string{"video/mp4", "video/ogg", "video/avi", "video/x-msvideo", "video/quicktime", "video/webm"}, Names: "an MP4, Ogg, AVI, MOV or WebM video", Max: 25 << 20},
		{Type: carillon.TypeAudio, ContentTypes: []string{"audio/aac", "audio/mp4", "audio/wav", "audio/wave", "audio/x-wav"}, Names: "an AAC, M4A or WAV audio", Max: 25 << 20},
	}},
	DefaultMPS: 20, ProfileFields: []string{"name"}, ProfileFallback: "username",
	IDHelp: "the Instagram professional account's numeric id (the app dashboard's Instagram API setup lists it by the account)",
}

// Options configure the provider.
type Options = messenger.Options

// New returns the Instagram provider.
func New(opts Options) *messenger.Provider { return messenger.NewNetwork(Network, opts) }

// Info describes the provider.
func Info() carillon.ProviderInfo { return messenger.NetworkInfo(Network) }
