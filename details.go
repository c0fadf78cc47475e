package carillon

import "strconv"

// The structured parts of an inbound message, keyed by their API field in
// InboundMessage.Details, Content.Details and message_created payloads.
// Every provider gives them the same shapes, so that a client reads them the
// same whatever the channel.
const (
	DetailContext         = "messageContext"
	DetailForward         = "messageForward"
	DetailLocation        = "messageLocation"
	DetailContactCard     = "messageContactCard"
	DetailReplyButton     = "messageReplyButton"
	DetailInteractiveList = "messageInteractiveList"
	DetailReaction        = "messageReaction"
	DetailStory           = "messageStory"
)

// MessageStory is an Instagram story an inbound message answers or
// mentions the business in.
type MessageStory struct {
	// ID is the story's id, when the network gives it.
	ID string `json:"id,omitempty"`
	// URL is where the network served the story when the message came;
	// Instagram's story URLs expire.
	URL string `json:"url,omitempty"`
	// Mention is true when the customer mentioned the business in their
	// story, false when they replied to one of the business's stories.
	Mention bool `json:"mention"`
}

// MessageContext names the message an inbound message replies to.
type MessageContext struct {
	// From is who wrote the message replied to, when the network says.
	From string `json:"from,omitempty"`
	// ID is the network's id of the message replied to.
	ID string `json:"id"`
}

// MessageForward marks a forwarded message.
type MessageForward struct {
	Forwarded bool `json:"forwarded"`
	// FrequentlyForwarded is WhatsApp's "forwarded many times"; false
	// where the network does not tell.
	FrequentlyForwarded bool `json:"frequentlyForwarded"`
}

// MessageLocation is a shared location, shaped as Callbell shows it.
type MessageLocation struct {
	Coordinates struct {
		X float64 `json:"x"` // latitude
		Y float64 `json:"y"` // longitude
	} `json:"coordinates"`
	GoogleMapsLocation string `json:"googleMapsLocation"`
	Name               string `json:"name,omitempty"`
	Address            string `json:"address,omitempty"`
	URL                string `json:"url,omitempty"`
}

// NewLocation returns the location at latitude lat and longitude lng, with a
// link that opens it in Google Maps.
func NewLocation(lat, lng float64, name, address string) MessageLocation {
	var d MessageLocation
	d.Coordinates.X, d.Coordinates.Y = lat, lng
	d.GoogleMapsLocation = "https://www.google.com/maps/search/?api=1&query=" +
		strconv.FormatFloat(lat, 'f', -1, 64) + "," + strconv.FormatFloat(lng, 'f', -1, 64)
	d.Name, d.Address = name, address
	return d
}
